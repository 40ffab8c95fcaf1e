import { CacheTypeError } from '../errors/cache-type-error';
import { constants as bufferConstants } from 'node:buffer';
import {
  brotliCompressSync,
  brotliDecompressSync,
  constants as zlib,
  gunzipSync,
  gzipSync,
} from 'node:zlib';
import { boundedCodecId } from './codec-id';
import {
  assertSerializer,
  codecIdOf,
  DEFAULT_MAX_PAYLOAD_BYTES,
  type Serializer,
} from './serializer';
import { malformed, messageOf, overLimit } from '../errors/serializer-errors';
import { integerOption } from './serializer-options';

/** The zlib algorithms a `CompressedSerializer` can use; both ship with Node.js. */
export type CompressionAlgorithm = 'gzip' | 'brotli';

/** Inner payloads below this many bytes are stored as they are. @default 1024 */
export const DEFAULT_COMPRESSION_THRESHOLD = 1024;
/** @default 'gzip' */
export const DEFAULT_COMPRESSION_ALGORITHM: CompressionAlgorithm = 'gzip';
/** The largest inner payload, in bytes, written or inflated. @default 8 MiB */
export const DEFAULT_MAX_INFLATED_BYTES = DEFAULT_MAX_PAYLOAD_BYTES;
/** zlib's default level for gzip, and a brotli quality about as fast with smaller output. */
export const DEFAULT_COMPRESSION_LEVEL: Readonly<Record<CompressionAlgorithm, number>> = {
  gzip: 6,
  brotli: 4,
};

/** When and how a `CompressedSerializer` compresses, and how far it will inflate. */
export interface CompressedSerializerOptions {
  /** Inner payloads smaller than this many bytes are stored uncompressed. @default 1024 */
  threshold?: number;
  /** Changes the codec id (`gzip+…` / `brotli+…`). @default 'gzip' */
  algorithm?: CompressionAlgorithm;
  /**
   * A stored payload that inflates past this many bytes is refused (a miss) as soon as zlib has
   * produced that much, so a decompression bomb costs at most about this much memory. A value
   * whose inner payload is larger is not stored, since it could not be read back.
   * @default 8 MiB
   */
  maxInflatedBytes?: number;
  /** gzip level 1–9 or brotli quality 0–11; does not change the format. @default 6 (gzip), 4 (brotli) */
  level?: number;
}

/** First byte of a payload: how the rest is stored. */
/** The first byte of a payload: how the rest is stored. */
const Method = { Stored: 0, Gzip: 1, Brotli: 2 } as const;
type Method = (typeof Method)[keyof typeof Method];

/**
 * Wraps another serializer and compresses what it produces, above a size threshold, with gzip
 * or brotli from Node's zlib. The first byte of each payload says whether (and how) the rest is
 * compressed: small values are not worth the CPU, and incompressible ones are stored as they are.
 *
 * Compression is synchronous because the `Serializer` interface is: compressing a 100 KB value
 * takes a fraction of a millisecond at the default levels, and inflating is bounded by
 * `maxInflatedBytes` (a bomb stops after producing that much, in milliseconds). Avoid
 * `level: 11` with brotli on large values: it is two orders of magnitude slower.
 *
 * The id is the algorithm and the inner id, e.g. `gzip+json` or `brotli+msgpack`.
 */
export class CompressedSerializer implements Serializer {
  readonly id: string;
  /** Inner payloads smaller than this many bytes are stored uncompressed (compression would not pay). */
  readonly threshold: number;
  /** The algorithm used to write; entries written with the other are refused as malformed. */
  readonly algorithm: CompressionAlgorithm;
  /** The largest inner payload, in bytes, written or inflated: a guard against compression bombs. */
  readonly maxInflatedBytes: number;
  /** The zlib level (gzip) or quality (brotli) used to write. */
  readonly level: number;
  private readonly method: Method;

  constructor(
    /** The serializer whose output is compressed, and which reads the inflated bytes. */
    readonly inner: Serializer,
    options: CompressedSerializerOptions = {},
  ) {
    assertSerializer(inner, 'CompressedSerializer inner serializer');
    const algorithm = options.algorithm ?? DEFAULT_COMPRESSION_ALGORITHM;
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- JavaScript callers can pass any string
    if (algorithm !== 'gzip' && algorithm !== 'brotli') {
      throw new CacheTypeError(
        'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
        `[cache-aside] CompressedSerializer algorithm must be 'gzip' or 'brotli', got ${String(algorithm)}.`,
      );
    }
    this.algorithm = algorithm;
    this.method = algorithm === 'gzip' ? Method.Gzip : Method.Brotli;
    this.threshold = integerOption(
      options.threshold,
      'CompressedSerializer threshold',
      DEFAULT_COMPRESSION_THRESHOLD,
      0,
      Number.MAX_SAFE_INTEGER,
    );
    this.maxInflatedBytes = integerOption(
      options.maxInflatedBytes,
      'CompressedSerializer maxInflatedBytes',
      DEFAULT_MAX_INFLATED_BYTES,
      1,
      bufferConstants.MAX_LENGTH,
    );
    this.level =
      algorithm === 'gzip'
        ? integerOption(
            options.level,
            'CompressedSerializer level (gzip)',
            DEFAULT_COMPRESSION_LEVEL.gzip,
            1,
            9,
          )
        : integerOption(
            options.level,
            'CompressedSerializer level (brotli)',
            DEFAULT_COMPRESSION_LEVEL.brotli,
            0,
            11,
          );
    this.id = boundedCodecId(`${algorithm}+${codecIdOf(inner)}`);
  }

  /** The inner serializer's bytes, compressed when at least `threshold` long and smaller for it. */
  serialize(value: unknown): Buffer {
    const encoded = this.inner.serialize(value);
    const size = typeof encoded === 'string' ? Buffer.byteLength(encoded, 'utf8') : encoded.length;
    if (size > this.maxInflatedBytes) {
      throw overLimit(
        'CompressedSerializer',
        `the value encodes to ${size} bytes before compression`,
        'maxInflatedBytes',
        this.maxInflatedBytes,
      );
    }
    if (size >= this.threshold) {
      const plain = typeof encoded === 'string' ? Buffer.from(encoded, 'utf8') : encoded;
      const packed = this.compress(plain);
      if (packed.length < size) return withMethod(this.method, packed);
      return withMethod(Method.Stored, plain);
    }
    return withMethod(Method.Stored, encoded);
  }

  /** Inflates (within `maxInflatedBytes`) and hands the bytes to the inner serializer. */
  deserialize(data: Buffer): unknown {
    if (data.length === 0) throw malformed('CompressedSerializer', 'the payload is empty');
    const method = data[0];
    const body = data.subarray(1);
    if (method === Method.Stored) {
      if (body.length > this.maxInflatedBytes) {
        throw overLimit(
          'CompressedSerializer',
          `the payload is ${body.length} bytes`,
          'maxInflatedBytes',
          this.maxInflatedBytes,
        );
      }
      return this.inner.deserialize(body);
    }
    if (method !== this.method) {
      throw malformed(
        'CompressedSerializer',
        `its method byte is ${method}, this serializer reads ${this.method} (${this.algorithm}) or 0 (stored)`,
      );
    }
    return this.inner.deserialize(this.inflate(body));
  }

  private compress(plain: Buffer): Buffer {
    if (this.method === Method.Gzip) return gzipSync(plain, { level: this.level });
    return brotliCompressSync(plain, {
      params: {
        [zlib.BROTLI_PARAM_QUALITY]: this.level,
        [zlib.BROTLI_PARAM_SIZE_HINT]: plain.length,
      },
    });
  }

  private inflate(body: Buffer): Buffer {
    const options = { maxOutputLength: this.maxInflatedBytes };
    try {
      return this.method === Method.Gzip
        ? gunzipSync(body, options)
        : brotliDecompressSync(body, options);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw overLimit(
          'CompressedSerializer',
          'the payload inflates past the bound',
          'maxInflatedBytes',
          this.maxInflatedBytes,
        );
      }
      throw malformed(
        'CompressedSerializer',
        `${this.algorithm} could not inflate it (${messageOf(error)})`,
        error,
      );
    }
  }
}

function withMethod(method: Method, body: Buffer | string): Buffer {
  const length = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  const out = Buffer.allocUnsafe(1 + length);
  out[0] = method;
  if (typeof body === 'string') out.write(body, 1, 'utf8');
  else body.copy(out, 1);
  return out;
}
