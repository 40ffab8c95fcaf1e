import 'reflect-metadata';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  constants,
  createBrotliCompress,
  createBrotliDecompress,
  createGunzip,
  createGzip,
} from 'node:zlib';
import { ClassTransformerSerializer } from '../../../lib/serializers/class-transformer.serializer';
import { CompressedSerializer } from '../../../lib/serializers/compressed.serializer';
import { JsonSerializer } from '../../../lib/serializers/json.serializer';
import { MsgpackSerializer } from '../../../lib/serializers/msgpack.serializer';
import type { Serializer } from '../../../lib/serializers/serializer';

/**
 * Payloads built to hurt: each must be refused (a miss for the manager), and without the memory
 * the payload asks for. Memory is measured generously — the heap and Buffer memory left after
 * the call, and the growth of the process's peak RSS — with bounds far below what the payload
 * would cost if it were honoured, so the assertions hold on any machine.
 */

const MiB = 1024 * 1024;
const BOMB_SIZE = 256 * MiB;

interface Cost {
  /** heapUsed + arrayBuffers after the call, minus before. */
  retained: number;
  /** How much the process's peak resident set grew during the call. */
  peakGrowth: number;
}

function measure(run: () => void): Cost {
  const before = process.memoryUsage();
  const peakBefore = process.resourceUsage().maxRSS * 1024;
  run();
  const after = process.memoryUsage();
  return {
    retained: after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers),
    peakGrowth: process.resourceUsage().maxRSS * 1024 - peakBefore,
  };
}

function refusal(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a refusal, got a value');
}

/** `size` zero bytes streamed through a compressor, 1 MiB at a time (never held in memory). */
async function compressZeros(compressor: NodeJS.ReadWriteStream, size: number): Promise<Buffer> {
  const chunk = Buffer.alloc(MiB);
  const chunks: Buffer[] = [];
  await pipeline(
    Readable.from(
      (function* zeros() {
        for (let sent = 0; sent < size; sent += MiB) yield chunk;
      })(),
    ),
    compressor,
    new Writable({
      write(data: Buffer, _encoding, done) {
        chunks.push(data);
        done();
      },
    }),
  );
  return Buffer.concat(chunks);
}

/** Inflates by streaming and counts the bytes, to show a bomb is one (without holding it). */
async function inflatedSize(decompressor: NodeJS.ReadWriteStream, data: Buffer): Promise<number> {
  let total = 0;
  await pipeline(
    Readable.from([data]),
    decompressor,
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        total += chunk.length;
        done();
      },
    }),
  );
  return total;
}

describe('hostile payloads', () => {
  describe('decompression bombs', () => {
    let gzipBomb: Buffer;
    let brotliBomb: Buffer;

    beforeAll(async () => {
      gzipBomb = await compressZeros(createGzip({ level: 9 }), BOMB_SIZE);
      brotliBomb = await compressZeros(
        createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: 1 } }),
        BOMB_SIZE,
      );
    }, 60_000);

    it('are real bombs: hundreds of MiB from at most a few hundred KiB', async () => {
      expect(gzipBomb.length).toBeLessThan(400 * 1024);
      expect(brotliBomb.length).toBeLessThan(400 * 1024);
      expect(await inflatedSize(createGunzip(), gzipBomb)).toBe(BOMB_SIZE);
      expect(await inflatedSize(createBrotliDecompress(), brotliBomb)).toBe(BOMB_SIZE);
    }, 30_000);

    it.each([
      ['gzip', 1, () => gzipBomb],
      ['brotli', 2, () => brotliBomb],
    ] as const)(
      'a %s bomb is refused at maxInflatedBytes, with the memory of that bound only',
      (algorithm, method, bomb) => {
        const compressed = new CompressedSerializer(new JsonSerializer(), { algorithm });
        const payload = Buffer.concat([Buffer.of(method), bomb()]);
        let error: Error | undefined;
        const cost = measure(() => {
          error = refusal(() => compressed.deserialize(payload));
        });
        expect(error).toBeInstanceOf(RangeError);
        expect(error?.message).toMatch(
          /inflates past the bound, over maxInflatedBytes \(8388608\)/,
        );
        expect(cost.retained).toBeLessThan(64 * MiB);
        expect(cost.peakGrowth).toBeLessThan(96 * MiB);
      },
    );
  });

  describe('MessagePack headers that claim what is not there', () => {
    const msgpack = new MsgpackSerializer();

    it.each([
      ['an array32 of 2^31 items', Buffer.from('dd80000000', 'hex')],
      ['a map32 of 2^32-1 entries', Buffer.from('dfffffffff', 'hex')],
      [
        'an array32 of 2^31 items followed by 1 MiB of nils',
        Buffer.concat([Buffer.from('dd80000000', 'hex'), Buffer.alloc(MiB, 0xc0)]),
      ],
      [
        '2^31 nested array32 headers',
        Buffer.concat(Array.from({ length: 1000 }, () => Buffer.from('dd80000000', 'hex'))),
      ],
    ])('refuses %s before allocating anything', (_name, payload) => {
      let error: Error | undefined;
      const cost = measure(() => {
        error = refusal(() => msgpack.deserialize(payload));
      });
      expect(error).toBeInstanceOf(SyntaxError);
      expect(error?.message).toMatch(/claims \d+ values but \d+ bytes remain/);
      expect(cost.retained).toBeLessThan(16 * MiB);
    });

    it('refuses 1 MiB of one-byte empty maps (about 200 MiB of Map objects) at maxContainers', () => {
      const count = MiB;
      const payload = Buffer.concat([
        Buffer.from([0xdd, 0, 0x10, 0, 0]),
        Buffer.alloc(count, 0x80),
      ]);
      let error: Error | undefined;
      const cost = measure(() => {
        error = refusal(() => msgpack.deserialize(payload));
      });
      expect(error).toBeInstanceOf(RangeError);
      expect(error?.message).toMatch(/over maxContainers \(100000\)/);
      expect(cost.retained).toBeLessThan(16 * MiB);
    });

    it('refuses 1 MiB of nesting at maxDepth, without deep recursion', () => {
      const error = refusal(() => msgpack.deserialize(Buffer.alloc(MiB, 0x91)));
      expect(error.message).toMatch(/over maxDepth \(64\)/);
    });
  });

  describe('a 64 MiB value', () => {
    class Doc {
      body!: string;
    }
    const serializers: Array<[string, Serializer]> = [
      ['JsonSerializer', new JsonSerializer()],
      ['MsgpackSerializer', new MsgpackSerializer()],
      ['ClassTransformerSerializer', new ClassTransformerSerializer(Doc)],
      ['CompressedSerializer', new CompressedSerializer(new JsonSerializer())],
    ];
    let stored: Buffer;
    let value: string;

    beforeAll(() => {
      stored = Buffer.alloc(64 * MiB, 0x20);
      stored[0] = 0; // a "stored as is" byte for CompressedSerializer; whitespace for the others
      value = 'x'.repeat(64 * MiB);
    });

    it.each(serializers)('stored, is refused by %s before it is parsed', (_name, serializer) => {
      let error: Error | undefined;
      const cost = measure(() => {
        error = refusal(() => serializer.deserialize(stored));
      });
      expect(error).toBeInstanceOf(RangeError);
      expect(error?.message).toMatch(
        /payload is 67108\d{3} bytes, over max(Bytes|InflatedBytes) \(8388608\)/,
      );
      expect(cost.retained).toBeLessThan(8 * MiB);
      expect(cost.peakGrowth).toBeLessThan(32 * MiB);
    });

    it.each(serializers)(
      'to be written, is refused by %s, within a few copies of itself',
      (_name, serializer) => {
        let error: Error | undefined;
        const cost = measure(() => {
          error = refusal(() =>
            serializer.serialize(
              serializer instanceof ClassTransformerSerializer
                ? Object.assign(new Doc(), { body: value })
                : value,
            ),
          );
        });
        expect(error).toBeInstanceOf(RangeError);
        expect(error?.message).toMatch(/over maxBytes \(8388608\)/);
        expect(cost.peakGrowth).toBeLessThan(4 * 64 * MiB);
      },
    );
  });

  describe('prototype pollution through JSON', () => {
    class Profile {
      name!: string;
    }
    const payloads = [
      '{"__proto__":{"polluted":true}}',
      '{"a":{"constructor":{"prototype":{"polluted":true}}}}',
      '[{"x":[{"__proto__":{"polluted":true}}]}]',
    ];
    const serializers: Array<[string, Serializer, (text: string) => Buffer]> = [
      ['JsonSerializer', new JsonSerializer(), (text) => Buffer.from(text)],
      [
        'ClassTransformerSerializer',
        new ClassTransformerSerializer(Profile),
        (text) => Buffer.from(text),
      ],
      [
        'CompressedSerializer',
        new CompressedSerializer(new JsonSerializer()),
        (text) => Buffer.concat([Buffer.of(0), Buffer.from(text)]),
      ],
    ];

    it.each(serializers)(
      'is refused by %s, and no prototype is touched',
      (_name, serializer, wrap) => {
        for (const payload of payloads) {
          expect(refusal(() => serializer.deserialize(wrap(payload)))).toBeInstanceOf(SyntaxError);
        }
        expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
        expect(Object.prototype).not.toHaveProperty('polluted');
        expect(Profile.prototype).not.toHaveProperty('polluted');
      },
    );
  });
});
