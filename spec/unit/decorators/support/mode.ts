import 'reflect-metadata';

/**
 * Which decorator standard this spec file was compiled with: jest runs spec/unit/decorators twice,
 * once with `experimentalDecorators` + `emitDecoratorMetadata` (project `unit`) and once with
 * standard decorators (project `unit-tc39`). Detected from what a probe decorator receives, the
 * same way the library tells them apart.
 */
let probed: 'legacy' | 'standard' | undefined;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a decorator of either standard receives these arguments
function probe(...args: any[]): void {
  const context: unknown = args[1];
  probed =
    args.length === 2 && typeof context === 'object' && context !== null && 'kind' in context
      ? 'standard'
      : 'legacy';
}

class Probe {
  @probe
  method(): void {}
}
// eslint-disable-next-line @typescript-eslint/no-unused-expressions -- the class exists for its decorator's side effect; naming it keeps noUnusedLocals quiet
Probe;

export const decoratorMode: 'legacy' | 'standard' = probed ?? 'legacy';

/** Whether TypeScript emitted design-type metadata (`emitDecoratorMetadata`, legacy mode only). */
export const hasDesignMetadata = Reflect.hasMetadata(
  'design:returntype',
  Probe.prototype,
  'method',
);
