/**
 * A walk over MessagePack bytes that checks their structure before msgpackr decodes them, so that
 * decoding is bounded by limits the caller chose rather than by what the bytes claim.
 *
 * Why not leave it to msgpackr: it trusts headers and sizes. A few bytes of header can claim
 * 2^32 array items or map entries, and every input byte can become an object (a one-byte empty
 * map decodes to a `Map` of ~200 bytes, so 1 MB of them is ~200 MB of heap and most of a
 * second). It also knows extension types registered by any other code in the process. The walk
 * costs one pass over the tokens (string and binary bodies are skipped, not read) and reads
 * nothing into memory; it accepts exactly what `MsgpackSerializer` writes:
 *
 * - every standard MessagePack type except `0xc1` (never used);
 * - msgpackr's records (objects as a key list defined once per message, then referenced by one
 *   byte `0x40`–`0x7f`), one-byte ids only, with string keys, never `__proto__`;
 * - the extensions for `undefined` (0), timestamps (-1), big integers (`0x42`), sets (`0x73`)
 *   and typed arrays (`0x74`), with the lengths they can have. Any other extension type is
 *   refused, including msgpackr's error, regexp, bundled-string and reference extensions.
 *
 * A container whose header claims more children than bytes remain is refused on the spot (each
 * child takes at least a byte). Depth, total values and total containers are capped.
 */

import { MsgpackStructureError, type MsgpackLimits } from '../errors/msgpack-structure.error';

const EXT_UNDEFINED = 0x00;
const EXT_TIMESTAMP = 0xff;
const EXT_BIGINT = 0x42;
const EXT_RECORD = 0x72;
const EXT_SET = 0x73;
const EXT_TYPED_ARRAY = 0x74;
/** Element sizes of msgpackr's typed-array codes (0–10); 16 is ArrayBuffer, 17 DataView. */
const TYPED_ARRAY_ELEMENT_SIZE = [1, 1, 1, 2, 2, 4, 4, 4, 8, 8, 8];
const PROTO_KEY = Buffer.from('__proto__', 'latin1');

/** Throws {@link MsgpackStructureError} unless `data` is one value within `limits`. */
export function checkMsgpackStructure(data: Uint8Array, limits: MsgpackLimits): void {
  // One walker, reused: the check runs on every hit, and it is synchronous (never re-entered).
  walker.check(data, limits);
}

/**
 * The walk, as a class with plain fields rather than closures: a 1 KB payload is checked in
 * well under a microsecond of fixed cost, which matters next to msgpackr's own few microseconds.
 */
class StructureWalker {
  private data: Uint8Array = new Uint8Array(0);
  private end = 0;
  private pos = 0;
  private items = 0;
  private containers = 0;
  private limits: MsgpackLimits = { maxDepth: 0, maxItems: 0, maxContainers: 0 };
  /** Field count of each record id defined so far in this message; -1 while undefined. */
  private readonly records = new Int32Array(64);
  /** Values still expected by each open container; the bottom slot is the message itself. */
  private readonly open: number[] = [];

  check(data: Uint8Array, limits: MsgpackLimits): void {
    this.data = data;
    this.end = data.length;
    this.pos = 0;
    this.items = 0;
    this.containers = 0;
    this.limits = limits;
    this.records.fill(-1);
    this.open.length = 0;
    this.open.push(1);
    try {
      this.walk();
    } finally {
      this.data = EMPTY; // do not keep the payload alive
    }
  }

  private walk(): void {
    const open = this.open;
    while (true) {
      let top = open.length - 1;
      while (top >= 0 && open[top] === 0) {
        open.pop();
        top--;
      }
      if (top < 0) break;
      open[top]--;
      this.countItems(1);

      const token = this.u8();
      /** Children of the value just read when it is a container, else -1. */
      let children = -1;
      if (token < 0x80) {
        if (token >= 0x40) children = this.records[token & 0x3f]; // a record reference, if defined
      } else if (token < 0x90) {
        children = (token & 0x0f) * 2;
      } else if (token < 0xa0) {
        children = token & 0x0f;
      } else if (token < 0xc0) {
        this.skip(token & 0x1f);
      } else if (token < 0xe0) {
        switch (token) {
          case 0xc0: // nil
          case 0xc2: // false
          case 0xc3: // true
            break;
          case 0xc4: // bin 8
          case 0xd9: // str 8
            this.skip(this.u8());
            break;
          case 0xc5: // bin 16
          case 0xda: // str 16
            this.skip(this.u16());
            break;
          case 0xc6: // bin 32
          case 0xdb: // str 32
            this.skip(this.u32());
            break;
          case 0xc7: // ext 8
            this.extension(this.u8());
            break;
          case 0xc8: // ext 16
            this.extension(this.u16());
            break;
          case 0xc9: // ext 32
            this.extension(this.u32());
            break;
          case 0xcc: // uint 8
          case 0xd0: // int 8
            this.skip(1);
            break;
          case 0xcd:
          case 0xd1:
            this.skip(2);
            break;
          case 0xca: // float 32
          case 0xce:
          case 0xd2:
            this.skip(4);
            break;
          case 0xcb: // float 64
          case 0xcf:
          case 0xd3:
            this.skip(8);
            break;
          case 0xd4: // fixext 1: msgpackr's one-byte tags
            children = this.fixext1();
            break;
          case 0xd5:
            this.extension(2);
            break;
          case 0xd6:
            this.extension(4);
            break;
          case 0xd7:
            this.extension(8);
            break;
          case 0xd8:
            this.extension(16);
            break;
          case 0xdc: // array 16
            children = this.u16();
            break;
          case 0xdd: // array 32
            children = this.u32();
            break;
          case 0xde: // map 16
            children = this.u16() * 2;
            break;
          case 0xdf: // map 32
            children = this.u32() * 2;
            break;
          default: // 0xc1
            throw new MsgpackStructureError(
              `byte ${this.pos - 1} is 0xc1, which MessagePack never uses`,
            );
        }
      }
      if (children >= 0) {
        if (++this.containers > this.limits.maxContainers) {
          throw new MsgpackStructureError(
            `more than ${this.limits.maxContainers} containers`,
            'maxContainers',
          );
        }
        if (children > this.end - this.pos) {
          throw new MsgpackStructureError(
            `a container at byte ${this.pos} claims ${children} values but ${this.end - this.pos} bytes remain`,
          );
        }
        if (children > 0) {
          if (open.length > this.limits.maxDepth) {
            throw new MsgpackStructureError(
              `nested more than ${this.limits.maxDepth} containers deep`,
              'maxDepth',
            );
          }
          open.push(children);
        }
      }
    }
    if (this.pos !== this.end)
      throw new MsgpackStructureError(`${this.end - this.pos} bytes left after the value`);
  }

  private need(bytes: number): void {
    if (bytes > this.end - this.pos) {
      throw new MsgpackStructureError(`truncated at byte ${this.pos}: ${bytes} more bytes needed`);
    }
  }

  private u8(): number {
    this.need(1);
    return this.data[this.pos++];
  }

  private u16(): number {
    this.need(2);
    const d = this.data;
    const p = this.pos;
    this.pos = p + 2;
    return (d[p] << 8) | d[p + 1];
  }

  private u32(): number {
    this.need(4);
    const d = this.data;
    const p = this.pos;
    this.pos = p + 4;
    return d[p] * 0x1000000 + ((d[p + 1] << 16) | (d[p + 2] << 8) | d[p + 3]);
  }

  private skip(bytes: number): void {
    this.need(bytes);
    this.pos += bytes;
  }

  private countItems(n: number): void {
    this.items += n;
    if (this.items > this.limits.maxItems) {
      throw new MsgpackStructureError(`more than ${this.limits.maxItems} values`, 'maxItems');
    }
  }

  /** fixext 1 (`d4 type data`): returns the number of children when it opens a container. */
  private fixext1(): number {
    const type = this.u8();
    const payload = this.u8();
    switch (type) {
      case EXT_UNDEFINED:
      case EXT_TIMESTAMP: // an invalid Date
        return -1;
      case EXT_SET: // followed by the array of its members
        if (this.pos >= this.end || !isArrayToken(this.data[this.pos])) {
          throw new MsgpackStructureError(`a set at byte ${this.pos} is not followed by an array`);
        }
        return 1;
      case EXT_RECORD:
        return this.recordDefinition(payload & 0x3f);
      default:
        this.pos -= 1;
        this.extensionBody(type, 1);
        return -1;
    }
  }

  /** A record definition: the key list (an array of strings), then the first record's values. */
  private recordDefinition(id: number): number {
    const token = this.u8();
    const count =
      token >= 0x90 && token <= 0x9f
        ? token & 0x0f
        : token === 0xdc
          ? this.u16()
          : token === 0xdd
            ? this.u32()
            : -1;
    if (count < 0)
      throw new MsgpackStructureError(
        `a record definition at byte ${this.pos - 1} has no key list`,
      );
    if (count > this.end - this.pos) {
      throw new MsgpackStructureError(
        `a record definition claims ${count} keys but ${this.end - this.pos} bytes remain`,
      );
    }
    this.countItems(count);
    for (let i = 0; i < count; i++) {
      const keyToken = this.u8();
      const length =
        keyToken >= 0xa0 && keyToken <= 0xbf
          ? keyToken & 0x1f
          : keyToken === 0xd9
            ? this.u8()
            : keyToken === 0xda
              ? this.u16()
              : keyToken === 0xdb
                ? this.u32()
                : -1;
      if (length < 0)
        throw new MsgpackStructureError(`a record key at byte ${this.pos - 1} is not a string`);
      this.need(length);
      if (length === PROTO_KEY.length && isProtoKey(this.data, this.pos)) {
        throw new MsgpackStructureError('a record has a "__proto__" key');
      }
      this.pos += length;
    }
    this.records[id] = count;
    return count;
  }

  /** `ext` and `fixext` 2–16: type byte, then `length` bytes of data. */
  private extension(length: number): void {
    const type = this.u8();
    this.extensionBody(type, length);
  }

  private extensionBody(type: number, length: number): void {
    this.need(length);
    const first = this.data[this.pos];
    switch (type) {
      case EXT_TIMESTAMP:
        if (length === 4 || length === 8 || length === 12) break;
        throw new MsgpackStructureError(`a timestamp has ${length} bytes (4, 8 or 12 expected)`);
      case EXT_BIGINT:
        if (length >= 1) break;
        throw new MsgpackStructureError('a big integer has no bytes');
      case EXT_TYPED_ARRAY: {
        const size = first === 16 || first === 17 ? 1 : TYPED_ARRAY_ELEMENT_SIZE[first];
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- an unknown element type indexes past the table: undefined
        if (length >= 1 && size !== undefined && (length - 1) % size === 0) break;
        throw new MsgpackStructureError(
          'a typed array has an unknown element type or a partial element',
        );
      }
      default:
        throw new MsgpackStructureError(`unsupported extension type ${type}`, undefined, type);
    }
    this.pos += length;
  }
}

const EMPTY = new Uint8Array(0);
const walker = new StructureWalker();

function isProtoKey(data: Uint8Array, at: number): boolean {
  for (let i = 0; i < PROTO_KEY.length; i++) if (data[at + i] !== PROTO_KEY[i]) return false;
  return true;
}

function isArrayToken(token: number): boolean {
  return (token >= 0x90 && token <= 0x9f) || token === 0xdc || token === 0xdd;
}
