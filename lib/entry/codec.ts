import { codecIdOf, type Serializer } from '../serializers/serializer';
import { encodeCodecId } from './entry-format';

/** A serializer with its codec id encoded once, so reads compare bytes instead of strings. */
export interface Codec {
  readonly serializer: Serializer;
  readonly id: Buffer;
}

/** Resolves serializers to codecs, remembering each one (per-call serializers are common). */
export class CodecRegistry {
  private readonly codecs = new WeakMap<Serializer, Codec>();

  of(serializer: Serializer): Codec {
    let codec = this.codecs.get(serializer);
    if (!codec) {
      codec = { serializer, id: encodeCodecId(codecIdOf(serializer)) };
      this.codecs.set(serializer, codec);
    }
    return codec;
  }
}
