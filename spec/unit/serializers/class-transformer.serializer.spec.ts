import 'reflect-metadata';
import { Expose, Transform, Type } from 'class-transformer';
import fc from 'fast-check';
import { ClassTransformerSerializer } from '../../../lib/serializers/class-transformer.serializer';
import { JsonSerializer } from '../../../lib/serializers/json.serializer';
import {
  configureFastCheck,
  decodeOutcome,
  installDateEquality,
  mutate,
  mutations,
} from './support/arbitraries';

configureFastCheck();
installDateEquality();

class Address {
  street!: string;
  city!: string;

  label(): string {
    return `${this.street}, ${this.city}`;
  }
}

class User {
  id!: number;
  name!: string;
  createdAt!: Date; // no @Type: the JSON format alone brings it back as a Date
  tags!: string[];

  @Type(() => Address)
  address!: Address;

  @Type(() => User)
  friends!: User[];

  greet(): string {
    return `Hello, ${this.name}`;
  }

  ageInDays(now: Date): number {
    return Math.floor((now.getTime() - this.createdAt.getTime()) / 86_400_000);
  }
}

class Account {
  @Expose() id!: number;
  @Expose() email!: string;
  isAdmin = false;
}

function user(fields: Partial<Omit<User, 'address'>> & { address?: Partial<Address> }): User {
  const address = Object.assign(new Address(), {
    street: '1 Main St',
    city: 'Springfield',
    ...fields.address,
  });
  return Object.assign(new User(), {
    id: 1,
    name: 'Ada',
    createdAt: new Date('2020-01-01T00:00:00Z'),
    tags: [],
    friends: [],
    ...fields,
    address,
  });
}

const users = new ClassTransformerSerializer(User);
const roundTrip = <T>(
  value: unknown,
  serializer: ClassTransformerSerializer<T> = users as never,
): unknown => serializer.deserialize(Buffer.from(serializer.serialize(value), 'utf8'));

const userArbitrary: fc.Arbitrary<User> = fc
  .record({
    id: fc.integer(),
    name: fc.string(),
    createdAt: fc.date({ noInvalidDate: true }),
    tags: fc.array(fc.string(), { maxLength: 3 }),
    street: fc.string(),
    city: fc.string(),
    friendNames: fc.array(fc.string(), { maxLength: 2 }),
  })
  .map(({ street, city, friendNames, ...rest }) =>
    user({
      ...rest,
      address: { street, city },
      friends: friendNames.map((name, i) => user({ id: i, name })),
    }),
  );

describe('ClassTransformerSerializer', () => {
  it("names its entries 'ct:' and the class name", () => {
    expect(users.id).toBe('ct:User');
    expect(new ClassTransformerSerializer(User, { id: 'users/v2' }).id).toBe('users/v2');
  });

  describe('round trip', () => {
    it('returns an instance whose methods work, with nested classes and Dates typed', () => {
      const out = roundTrip(user({ friends: [user({ id: 2, name: 'Grace' })] })) as User;
      expect(out).toBeInstanceOf(User);
      expect(out.greet()).toBe('Hello, Ada');
      expect(out.createdAt).toBeInstanceOf(Date);
      expect(out.ageInDays(new Date('2020-01-11T00:00:00Z'))).toBe(10);
      expect(out.address).toBeInstanceOf(Address);
      expect(out.address.label()).toBe('1 Main St, Springfield');
      expect(out.friends[0]).toBeInstanceOf(User);
      expect(out.friends[0].greet()).toBe('Hello, Grace');
    });

    it('returns arrays of instances, keeping null elements', () => {
      const out = roundTrip([
        user({ id: 1 }),
        null,
        user({ id: 2, name: 'Bob' }),
      ]) as Array<User | null>;
      expect(out).toHaveLength(3);
      expect(out[0]).toBeInstanceOf(User);
      expect(out[1]).toBeNull();
      expect(out[2]?.greet()).toBe('Hello, Bob');
    });

    it('returns an equal instance for any user (property)', () => {
      fc.assert(
        fc.property(userArbitrary, (value) => {
          const out = roundTrip(value) as User;
          expect(out).toStrictEqual(value);
          expect(out.greet()).toBe(value.greet());
          expect(out.address.label()).toBe(value.address.label());
        }),
      );
    });

    it('returns equal arrays of instances (property)', () => {
      fc.assert(
        fc.property(fc.array(userArbitrary, { maxLength: 5 }), (list) => {
          expect(roundTrip(list)).toStrictEqual(list);
        }),
      );
    });

    it('passes primitives through, as stored', () => {
      expect(roundTrip(42)).toBe(42);
      expect(roundTrip('x')).toBe('x');
      expect(roundTrip(new Date(5))).toEqual(new Date(5));
    });

    it('reads entries written by JsonSerializer (same wire format)', () => {
      const written = new JsonSerializer().serialize({
        id: 7,
        name: 'Lin',
        createdAt: new Date(0),
      });
      const out = users.deserialize(Buffer.from(written)) as User;
      expect(out).toBeInstanceOf(User);
      expect(out.createdAt).toEqual(new Date(0));
    });
  });

  describe('tampered entries', () => {
    const tampered = Buffer.from('{"id":1,"email":"a@example.com","isAdmin":true}');

    it('with excludeExtraneousValues, drops fields the class does not @Expose', () => {
      const accounts = new ClassTransformerSerializer(Account, { excludeExtraneousValues: true });
      const out = accounts.deserialize(tampered) as Account;
      expect(out).toBeInstanceOf(Account);
      expect(out).toEqual({ id: 1, email: 'a@example.com', isAdmin: false });
    });

    it('without it, takes such fields as they are (why the option exists)', () => {
      const out = new ClassTransformerSerializer(Account).deserialize(tampered) as Account;
      expect(out.isAdmin).toBe(true);
    });

    it('writes only exposed fields with excludeExtraneousValues', () => {
      const accounts = new ClassTransformerSerializer(Account, { excludeExtraneousValues: true });
      const account = Object.assign(new Account(), {
        id: 3,
        email: 'b@example.com',
        isAdmin: true,
      });
      expect(JSON.parse(accounts.serialize(account))).toEqual({ id: 3, email: 'b@example.com' });
    });

    it('refuses __proto__ and constructor.prototype, which would otherwise be assigned to the instance', () => {
      for (const payload of [
        '{"id":1,"__proto__":{"isAdmin":true}}',
        '{"constructor":{"prototype":{"isAdmin":true}}}',
      ]) {
        expect(() => users.deserialize(Buffer.from(payload))).toThrow(
          /forbidden prototype property/,
        );
      }
      expect(Object.prototype).not.toHaveProperty('isAdmin');
    });

    it('is total: random and mutated bytes give a value or its own refusal (property)', () => {
      fc.assert(
        fc.property(
          userArbitrary,
          mutations,
          fc.uint8Array({ maxLength: 64 }),
          (value, edits, noise) => {
            const data = mutate(Buffer.from(users.serialize(value)), edits);
            expect(decodeOutcome(() => users.deserialize(data))).not.toBeInstanceOf(Error);
            expect(decodeOutcome(() => users.deserialize(Buffer.from(noise)))).not.toBeInstanceOf(
              Error,
            );
          },
        ),
      );
    });
  });

  describe('errors of class-transformer', () => {
    class Fragile {
      @Transform(({ value }: { value: unknown }) => {
        if (value === 'boom') throw new Error('cannot transform boom');
        return value;
      })
      field!: string;
    }
    const fragile = new ClassTransformerSerializer(Fragile);

    it('are refusals to encode', () => {
      expect(() => fragile.serialize(Object.assign(new Fragile(), { field: 'boom' }))).toThrow(
        TypeError,
      );
      expect(() => fragile.serialize(Object.assign(new Fragile(), { field: 'boom' }))).toThrow(
        /class-transformer: cannot transform boom/,
      );
    });

    it('are refusals to decode (a miss)', () => {
      expect(() => fragile.deserialize(Buffer.from('{"field":"boom"}'))).toThrow(SyntaxError);
      expect(() => fragile.deserialize(Buffer.from('{"field":"boom"}'))).toThrow(
        /could not build Fragile/,
      );
    });

    it('name an anonymous class generically', () => {
      class Anonymous {
        @Transform(() => {
          throw new Error('always');
        })
        field!: string;
      }
      Object.defineProperty(Anonymous, 'name', { value: '' });
      const anonymous = new ClassTransformerSerializer(Anonymous, { id: 'anon' });
      expect(() => anonymous.serialize(Object.assign(new Anonymous(), { field: 'x' }))).toThrow(
        /check the decorators of the class/,
      );
      expect(() => anonymous.deserialize(Buffer.from('{"field":"x"}'))).toThrow(
        /could not build the class/,
      );
    });

    it('and what JSON refuses is refused too', () => {
      expect(() => users.serialize(Object.assign(new User(), { id: 1n }))).toThrow(/BigInt/);
    });
  });

  describe('construction', () => {
    it('needs a class', () => {
      expect(() => new ClassTransformerSerializer(undefined as never)).toThrow(
        /needs a class, got undefined/,
      );
      expect(() => new ClassTransformerSerializer(null as never)).toThrow(
        /needs a class, got null/,
      );
    });

    it('needs an id for an anonymous class', () => {
      const Anonymous = (() => class {})();
      expect(() => new ClassTransformerSerializer(Anonymous)).toThrow(/pass \{ id \}/);
      expect(new ClassTransformerSerializer(Anonymous, { id: 'anon' }).id).toBe('anon');
      expect(() => new ClassTransformerSerializer(Anonymous, { id: '' })).toThrow(/pass \{ id \}/);
    });

    it('keeps ids storable: long or non-ASCII class names are shortened with a hash', () => {
      const named = (name: string): new () => object => ({ [name]: class {} })[name];
      const long = new ClassTransformerSerializer(named('A'.repeat(100))).id;
      const unicode = new ClassTransformerSerializer(named('Usuário')).id;
      for (const id of [long, unicode]) {
        expect(id.length).toBeLessThanOrEqual(64);
        expect(id).toMatch(/^[\x20-\x7e]+#[0-9a-f]{12}$/);
      }
      expect(unicode.startsWith('ct:Usu?rio#')).toBe(true);
      expect(new ClassTransformerSerializer(named('Usuária')).id).not.toBe(unicode);
    });

    it('passes class-transformer options through, and checks maxBytes', () => {
      class Defaults {
        @Expose() name = 'default';
      }
      const withDefaults = new ClassTransformerSerializer(Defaults, {
        exposeDefaultValues: true,
        groups: ['a'],
        version: 1,
      });
      expect(withDefaults.deserialize(Buffer.from('{}'))).toEqual({ name: 'default' });
      expect(() => new ClassTransformerSerializer(User, { maxBytes: 0 })).toThrow(RangeError);
      const tiny = new ClassTransformerSerializer(User, { maxBytes: 10 });
      expect(() => tiny.serialize(user({}))).toThrow(/maxBytes \(10\)/);
    });

    it('explains how to install class-transformer when it is missing', () => {
      jest.isolateModules(() => {
        jest.doMock('class-transformer', () => {
          throw Object.assign(
            new Error("Cannot find module 'class-transformer' from 'lib/serializers'"),
            { code: 'MODULE_NOT_FOUND' },
          );
        });

        const isolated =
          // eslint-disable-next-line @typescript-eslint/no-require-imports -- loads the module afresh inside jest.isolateModules, which import() cannot
          require('../../../lib/serializers/class-transformer.serializer') as typeof import('../../../lib/serializers/class-transformer.serializer');
        expect(() => new isolated.ClassTransformerSerializer(User)).toThrow(
          /needs the optional peer dependency "class-transformer", which is not installed: run npm install class-transformer/,
        );
      });
      jest.dontMock('class-transformer');
    });
  });
});
