/** Bounds on a MessagePack payload's structure, checked before decoding so that hostile or corrupt bytes cannot exhaust memory or stack. */
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
