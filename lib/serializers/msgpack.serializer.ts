import type { Packr } from 'msgpackr';
import { MsgpackStructureError, type MsgpackLimits } from '../errors/msgpack-structure.error';
import { checkMsgpackStructure } from './msgpack-structure';
import { requireOptionalPeer } from './optional-peer';
import { DEFAULT_MAX_PAYLOAD_BYTES, type Serializer } from './serializer';
import { malformed, messageOf, overLimit, unsupportedValue } from '../errors/serializer-errors';
import { positiveInteger } from './serializer-options';

/** msgpackr, loaded by the first `MsgpackSerializer` (an optional peer: only this serializer needs it). */
let msgpackr: typeof import('msgpackr') | undefined;

/** @default 64 */
export const DEFAULT_MSGPACK_MAX_DEPTH = 64;
/** @default 1_000_000 */
export const DEFAULT_MSGPACK_MAX_ITEMS = 1_000_000;
/** @default 100_000 */
export const DEFAULT_MSGPACK_MAX_CONTAINERS = 100_000;

/** Bounds of a `MsgpackSerializer`, checked on read before any value is built. */
export interface MsgpackSerializerOptions {
  /** Largest payload, in bytes, written or read. @default 8 MiB */
  maxBytes?: number;
  /** Containers nested inside one another. @default 64 */
  maxDepth?: number;
  /** Values of any kind (map keys and object keys included) in one payload. @default 1_000_000 */
  maxItems?: number;
  /**
   * Arrays, maps, objects and sets in one payload. Containers are what makes a small payload
   * expensive to decode (an empty map is one byte on the wire, a few hundred in the heap).
   * @default 100_000
   */
  maxContainers?: number;
}

/**
 * MessagePack through msgpackr: more compact and faster than JSON on large values, and it keeps
 * `Date`, `Buffer`, `Uint8Array` (and the other typed arrays), `Map`, `Set`, `BigInt`, `NaN`,
 * `±Infinity` and `undefined` (also as a property value). Objects are written as msgpackr
 * records (each shape's keys once per payload), which is what lets a `Map` come back as a `Map`
 * and an object as an object. Class instances come back as plain objects, `-0` as `0`.
 *
 * Decoding is bounded: the payload's structure is checked against `maxBytes`, `maxDepth`,
 * `maxItems` and `maxContainers` before msgpackr reads it (see `msgpack-structure.ts`), and any
 * extension type it does not write itself is refused. Encoding runs the same check on its own
 * output, so a value is refused rather than stored if it could not be read back — including
 * `Error` and `RegExp` values, symbols and functions.
 *
 * The limits only bound decoding; they do not change the bytes written, so the id is always
 * `'msgpack'`.
 *
 * msgpackr is an optional peer dependency (`npm install msgpackr`), loaded by the first
 * constructor call; without it the constructor throws a `CacheTypeError` with code
 * `ERR_CACHE_ASIDE_MISSING_PEER`.
 */
export class MsgpackSerializer implements Serializer {
  readonly id = 'msgpack';
  /** The largest payload, in bytes, written or read. */
  readonly maxBytes: number;
  /** The structural bounds a payload must respect before it is decoded. */
  readonly limits: MsgpackLimits;
  private readonly packr: Packr;

  constructor(options: MsgpackSerializerOptions = {}) {
    this.maxBytes = positiveInteger(
      options.maxBytes,
      'MsgpackSerializer maxBytes',
      DEFAULT_MAX_PAYLOAD_BYTES,
    );
    this.limits = {
      maxDepth: positiveInteger(
        options.maxDepth,
        'MsgpackSerializer maxDepth',
        DEFAULT_MSGPACK_MAX_DEPTH,
      ),
      maxItems: positiveInteger(
        options.maxItems,
        'MsgpackSerializer maxItems',
        DEFAULT_MSGPACK_MAX_ITEMS,
      ),
      maxContainers: positiveInteger(
        options.maxContainers,
        'MsgpackSerializer maxContainers',
        DEFAULT_MSGPACK_MAX_CONTAINERS,
      ),
    };
    msgpackr ??= requireOptionalPeer<typeof import('msgpackr')>('msgpackr', 'MsgpackSerializer');
    this.packr = new msgpackr.Packr({
      useRecords: true, // objects as records, so msgpack maps can stay Maps
      mapsAsObjects: false,
      moreTypes: true, // Set, typed arrays and big BigInts as extensions
      copyBuffers: true, // decoded Buffers do not pin the whole Redis reply in memory
      int64AsType: 'bigint',
      writeFunction: () => {
        throw unsupportedValue('MsgpackSerializer', 'a function', 'cache data, not behaviour');
      },
    });
  }

  /** The value in MessagePack (dates, maps, sets, typed arrays and big integers included). */
  serialize(value: unknown): Buffer {
    let bytes: Buffer;
    try {
      bytes = this.packr.pack(value);
    } catch (error) {
      if (error instanceof TypeError && error.message.startsWith('[cache-aside]')) throw error;
      throw unsupportedValue(
        'MsgpackSerializer',
        `this value (${messageOf(error)})`,
        'cache plain data, Dates, binary data, Maps, Sets and BigInts',
      );
    }
    if (bytes.length > this.maxBytes) {
      throw overLimit(
        'MsgpackSerializer',
        `the value encodes to ${bytes.length} bytes`,
        'maxBytes',
        this.maxBytes,
      );
    }
    try {
      checkMsgpackStructure(bytes, this.limits);
    } catch (error) {
      throw this.unreadable(error as MsgpackStructureError);
    }
    // msgpackr returns a view of its reusable buffer; the manager copies it into the entry.
    return bytes;
  }

  /** The value back, after its structure has been checked against `limits`. */
  deserialize(data: Buffer): unknown {
    if (data.length > this.maxBytes) {
      throw overLimit(
        'MsgpackSerializer',
        `the payload is ${data.length} bytes`,
        'maxBytes',
        this.maxBytes,
      );
    }
    try {
      checkMsgpackStructure(data, this.limits);
    } catch (error) {
      const structure = error as MsgpackStructureError;
      if (structure.limit)
        throw overLimit(
          'MsgpackSerializer',
          `the payload has ${structure.message}`,
          structure.limit,
          this.limits[structure.limit],
        );
      throw malformed('MsgpackSerializer', structure.message, structure);
    }
    try {
      return this.packr.unpack(data);
    } catch (error) {
      throw malformed('MsgpackSerializer', messageOf(error), error);
    }
  }

  /** Why our own output would not decode: reported as a refusal to encode the value. */
  private unreadable(error: MsgpackStructureError): Error {
    if (error.limit) {
      return overLimit(
        'MsgpackSerializer',
        `the value has ${error.message}`,
        error.limit,
        this.limits[error.limit],
      );
    }
    if (error.extensionType === 0x65 || error.extensionType === 0x78) {
      const what = error.extensionType === 0x65 ? 'an Error' : 'a RegExp';
      return unsupportedValue(
        'MsgpackSerializer',
        what,
        'store its parts (message, or source and flags) as strings',
      );
    }
    return unsupportedValue(
      'MsgpackSerializer',
      `this value (${error.message})`,
      'rename the key or cache plain data',
    );
  }
}
