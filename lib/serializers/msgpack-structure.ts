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

export interface MsgpackLimits {
  /** Containers (arrays, maps, objects, sets) nested inside one another. */
  readonly maxDepth: number;
  /** Values of any kind, map keys and record keys included. */
  readonly maxItems: number;
  /** Arrays, maps, objects and sets. */
  readonly maxContainers: number;
}

/** Why the bytes were refused: a `limit` that was exceeded, or `undefined` for malformed bytes. */
export class MsgpackStructureError extends Error {
  override readonly name = 'MsgpackStructureError';
  constructor(
    message: string,
    readonly limit?: keyof MsgpackLimits,
    /** The extension type, when an unsupported extension was the reason. */
    readonly extensionType?: number,
  ) {
    super(message);
  }
}

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
  const end = data.length;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  /** Field count of each record id defined so far in this message; -1 while undefined. */
  const records = new Int32Array(64).fill(-1);
  /** Values still expected by each open container; the bottom slot is the message itself. */
  const open: number[] = [1];
  let pos = 0;
  let items = 0;
  let containers = 0;

  const need = (bytes: number): void => {
    if (bytes > end - pos) throw new MsgpackStructureError(`truncated at byte ${pos}: ${bytes} more bytes needed`);
  };
  const u8 = (): number => {
    need(1);
    return data[pos++];
  };
  const u16 = (): number => {
    need(2);
    pos += 2;
    return view.getUint16(pos - 2);
  };
  const u32 = (): number => {
    need(4);
    pos += 4;
    return view.getUint32(pos - 4);
  };
  const skip = (bytes: number): void => {
    need(bytes);
    pos += bytes;
  };
  const countItems = (n: number): void => {
    items += n;
    if (items > limits.maxItems) {
      throw new MsgpackStructureError(`more than ${limits.maxItems} values`, 'maxItems');
    }
  };

  while (true) {
    let top = open.length - 1;
    while (top >= 0 && open[top] === 0) {
      open.pop();
      top--;
    }
    if (top < 0) break;
    open[top]--;
    countItems(1);

    const token = u8();
    /** Children of the value just read when it is a container, else -1. */
    let children = -1;
    if (token < 0x80) {
      if (token >= 0x40) children = records[token & 0x3f]; // a record reference, if defined
    } else if (token < 0x90) {
      children = (token & 0x0f) * 2;
    } else if (token < 0xa0) {
      children = token & 0x0f;
    } else if (token < 0xc0) {
      skip(token & 0x1f);
    } else if (token < 0xe0) {
      switch (token) {
        case 0xc0: // nil
        case 0xc2: // false
        case 0xc3: // true
          break;
        case 0xc4: // bin 8
        case 0xd9: // str 8
          skip(u8());
          break;
        case 0xc5: // bin 16
        case 0xda: // str 16
          skip(u16());
          break;
        case 0xc6: // bin 32
        case 0xdb: // str 32
          skip(u32());
          break;
        case 0xc7: // ext 8
          extension(u8());
          break;
        case 0xc8: // ext 16
          extension(u16());
          break;
        case 0xc9: // ext 32
          extension(u32());
          break;
        case 0xcc: // uint 8
        case 0xd0: // int 8
          skip(1);
          break;
        case 0xcd:
        case 0xd1:
          skip(2);
          break;
        case 0xca: // float 32
        case 0xce:
        case 0xd2:
          skip(4);
          break;
        case 0xcb: // float 64
        case 0xcf:
        case 0xd3:
          skip(8);
          break;
        case 0xd4: // fixext 1: msgpackr's one-byte tags
          children = fixext1();
          break;
        case 0xd5:
          extension(2);
          break;
        case 0xd6:
          extension(4);
          break;
        case 0xd7:
          extension(8);
          break;
        case 0xd8:
          extension(16);
          break;
        case 0xdc: // array 16
          children = u16();
          break;
        case 0xdd: // array 32
          children = u32();
          break;
        case 0xde: // map 16
          children = u16() * 2;
          break;
        case 0xdf: // map 32
          children = u32() * 2;
          break;
        default: // 0xc1
          throw new MsgpackStructureError(`byte ${pos - 1} is 0xc1, which MessagePack never uses`);
      }
    }
    if (children >= 0) {
      containers++;
      if (containers > limits.maxContainers) {
        throw new MsgpackStructureError(`more than ${limits.maxContainers} containers`, 'maxContainers');
      }
      if (children > end - pos) {
        throw new MsgpackStructureError(`a container at byte ${pos} claims ${children} values but ${end - pos} bytes remain`);
      }
      if (children > 0) {
        if (open.length > limits.maxDepth) {
          throw new MsgpackStructureError(`nested more than ${limits.maxDepth} containers deep`, 'maxDepth');
        }
        open.push(children);
      }
    }
  }
  if (pos !== end) throw new MsgpackStructureError(`${end - pos} bytes left after the value`);

  /** fixext 1 (`d4 type data`): returns the number of children when it opens a container. */
  function fixext1(): number {
    const type = u8();
    const payload = u8();
    switch (type) {
      case EXT_UNDEFINED:
      case EXT_TIMESTAMP: // an invalid Date
        return -1;
      case EXT_SET: // followed by the array of its members
        if (pos >= end || !isArrayToken(data[pos])) throw new MsgpackStructureError(`a set at byte ${pos} is not followed by an array`);
        return 1;
      case EXT_RECORD:
        return recordDefinition(payload & 0x3f);
      default:
        pos -= 1;
        extensionBody(type, 1);
        return -1;
    }
  }

  /** A record definition: the key list (an array of strings), then the first record's values. */
  function recordDefinition(id: number): number {
    const token = u8();
    const count = token >= 0x90 && token <= 0x9f ? token & 0x0f : token === 0xdc ? u16() : token === 0xdd ? u32() : -1;
    if (count < 0) throw new MsgpackStructureError(`a record definition at byte ${pos - 1} has no key list`);
    if (count > end - pos) throw new MsgpackStructureError(`a record definition claims ${count} keys but ${end - pos} bytes remain`);
    countItems(count);
    for (let i = 0; i < count; i++) {
      const keyToken = u8();
      const length =
        keyToken >= 0xa0 && keyToken <= 0xbf ? keyToken & 0x1f : keyToken === 0xd9 ? u8() : keyToken === 0xda ? u16() : keyToken === 0xdb ? u32() : -1;
      if (length < 0) throw new MsgpackStructureError(`a record key at byte ${pos - 1} is not a string`);
      need(length);
      if (length === PROTO_KEY.length && PROTO_KEY.equals(data.subarray(pos, pos + length))) {
        throw new MsgpackStructureError('a record has a "__proto__" key');
      }
      pos += length;
    }
    records[id] = count;
    return count;
  }

  /** `ext` and `fixext` 2–16: type byte, then `length` bytes of data. */
  function extension(length: number): void {
    const type = u8();
    extensionBody(type, length);
  }

  function extensionBody(type: number, length: number): void {
    need(length);
    const first = data[pos];
    switch (type) {
      case EXT_TIMESTAMP:
        if (length === 4 || length === 8 || length === 12) break;
        throw new MsgpackStructureError(`a timestamp has ${length} bytes (4, 8 or 12 expected)`);
      case EXT_BIGINT:
        if (length >= 1) break;
        throw new MsgpackStructureError('a big integer has no bytes');
      case EXT_TYPED_ARRAY: {
        const size = first === 16 || first === 17 ? 1 : TYPED_ARRAY_ELEMENT_SIZE[first];
        if (length >= 1 && size !== undefined && (length - 1) % size === 0) break;
        throw new MsgpackStructureError('a typed array has an unknown element type or a partial element');
      }
      default:
        throw new MsgpackStructureError(`unsupported extension type ${type}`, undefined, type);
    }
    pos += length;
  }
}

function isArrayToken(token: number): boolean {
  return (token >= 0x90 && token <= 0x9f) || token === 0xdc || token === 0xdd;
}
