/**
 * Typed entities through the cache: `@Cacheable({ type: User })` brings back instances of
 * `User` — methods callable, `Date` fields as `Date`s, nested classes typed, arrays of users too —
 * and not the plain objects JSON would give. Then the same with `manager.get(…, { serializer })`,
 * and what `excludeExtraneousValues` does with a field someone slipped into a stored entry.
 *
 *   npx tsx samples/03-typed-entities.ts                                  # embedded memory store
 *   REDIS_URL=redis://127.0.0.1:6379 npx tsx samples/03-typed-entities.ts # your Redis
 */
import 'reflect-metadata'; // class-transformer's @Type reads decorator metadata
import { Expose, Type } from 'class-transformer';
import { Cacheable, CacheAsideManager, CacheInterceptor, ClassTransformerSerializer } from '../lib';
import { connectForSample } from './redis-connection';

class Address {
  street!: string;
  city!: string;

  oneLine(): string {
    return `${this.street}, ${this.city}`;
  }
}

class User {
  id!: number;
  name!: string;
  signedUpAt!: Date;
  lastSeenAt!: Date;

  @Type(() => Address) // nested classes need @Type; Date fields do not
  address!: Address;

  daysSinceSignUp(now = new Date('2024-06-01T00:00:00Z')): number {
    return Math.round((now.getTime() - this.signedUpAt.getTime()) / 86_400_000);
  }

  greet(): string {
    return `Hello, ${this.name} from ${this.address.city}`;
  }
}

/** A table of users behind a 50 ms query, counting its reads. */
class UserTable {
  reads = 0;
  private readonly rows = [
    { id: 1, name: 'Ada', signedUpAt: '2024-01-15T09:00:00Z', city: 'London' },
    { id: 2, name: 'Grace', signedUpAt: '2024-03-02T14:30:00Z', city: 'Arlington' },
  ];

  async query(ids?: number[]): Promise<User[]> {
    this.reads++;
    await new Promise((resolve) => setTimeout(resolve, 50));
    return this.rows
      .filter((row) => !ids || ids.includes(row.id))
      .map((row) =>
        Object.assign(new User(), {
          id: row.id,
          name: row.name,
          signedUpAt: new Date(row.signedUpAt),
          lastSeenAt: new Date('2024-05-31T18:00:00Z'),
          address: Object.assign(new Address(), {
            street: `${row.id} Main Street`,
            city: row.city,
          }),
        }),
      );
  }
}

class UserRepository {
  constructor(private readonly table: UserTable) {}

  @Cacheable({ key: 'user:{0}', type: User })
  async findById(id: number): Promise<User | null> {
    const rows = await this.table.query([id]);
    return rows.length > 0 ? rows[0] : null;
  }

  @Cacheable({ key: 'users:all', type: User }) // an array of the class works the same way
  async findAll(): Promise<User[]> {
    return this.table.query();
  }
}

/** A class that opts in to @Expose: fields it does not expose never come back from the cache. */
class Account {
  @Expose() id!: number;
  @Expose() email!: string;
  isAdmin = false;
}

function describeUser(label: string, user: User): void {
  console.log(
    `${label.padEnd(24)} instanceof User: ${user instanceof User}, signedUpAt is a Date: ${user.signedUpAt instanceof Date}, ` +
      `${user.daysSinceSignUp()} days since sign-up, "${user.greet()}", address: ${user.address.oneLine()}`,
  );
}

async function main(): Promise<void> {
  const { redis, description, close, readBytes, writeBytes } = connectForSample();
  console.log(`Using ${description}.\n`);
  const keyPrefix = `sample03:${process.pid}:`;
  const cache = new CacheAsideManager({ redis, keyPrefix, defaultTtl: 60 });
  cache.on('error', (error) =>
    console.warn(`cache error (served anyway): ${error.code} ${error.message}`),
  );
  try {
    CacheInterceptor.use(cache);

    const table = new UserTable();
    const users = new UserRepository(table);

    console.log('1. @Cacheable({ type: User })');
    describeUser('miss (from the table)', (await users.findById(1))!);
    await cache.settle(); // the write to Redis happens in the background; wait for it here
    describeUser('hit (from Redis)', (await users.findById(1))!);
    const all = await users.findAll();
    await cache.settle();
    const allAgain = await users.findAll();
    console.log(
      `findAll twice: ${allAgain.length} users, all User instances: ${allAgain.every((u) => u instanceof User)}, ` +
        `greetings: ${allAgain.map((u) => u.greet()).join(' / ')} (first call returned ${all.length})`,
    );
    console.log(`table reads: ${table.reads} (one per miss)`);

    console.log('\n2. manager.get with a serializer');
    const userSerializer = new ClassTransformerSerializer(User);
    const load = async (): Promise<User> => (await table.query([2]))[0];
    await cache.get('user:2:direct', load, { serializer: userSerializer });
    await cache.settle();
    describeUser(
      'hit (from Redis)',
      await cache.get('user:2:direct', load, { serializer: userSerializer }),
    );

    console.log('\n3. A field slipped into a stored entry by whoever can write to Redis');
    const guarded = new ClassTransformerSerializer(Account, { excludeExtraneousValues: true });
    const unguarded = new ClassTransformerSerializer(Account); // same id, so it reads the same entries
    const loadAccount = async (): Promise<Account> =>
      Object.assign(new Account(), { id: 7, email: 'eve@example.com' });
    await cache.get('account:7', loadAccount, { serializer: guarded });
    await cache.settle();
    // The entry ends with the JSON of the account: append a field to it, keeping the TTL.
    // The cache never throws when Redis is away; this direct access to Redis would.
    const stored = await readBytes(`${keyPrefix}account:7`).catch(() => null);
    if (stored === null) {
      console.log('skipped: nothing is stored (Redis is unreachable)');
      return;
    }
    const tampered = Buffer.from(
      stored.toString('latin1').replace(/}$/, ',"isAdmin":true}'),
      'latin1',
    );
    await writeBytes(`${keyPrefix}account:7`, tampered);
    const safe = await cache.get('account:7', loadAccount, { serializer: guarded });
    const unsafe = await cache.get('account:7', loadAccount, { serializer: unguarded });
    console.log(
      `with excludeExtraneousValues: isAdmin = ${safe.isAdmin} (the class default: the stored field is dropped)`,
    );
    console.log(
      `without it:                   isAdmin = ${unsafe.isAdmin} (the stored field became a property)`,
    );
  } finally {
    await cache.invalidatePattern('*');
    await cache.close();
    close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
