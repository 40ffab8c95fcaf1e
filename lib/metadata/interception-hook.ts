import { CacheTypeError } from '../errors/cache-type-error';
import type { MethodRecord } from './method-record';

/**
 * What runs one call of a decorated method: installed by the interceptor when its module loads,
 * so that the decorators (which only record metadata) never import it. The trampolines call
 * `handleCall`, which hands the call to whatever is installed.
 */
export type CallHandler = (
  record: MethodRecord,
  thisArg: unknown,
  args: unknown[],
) => Promise<unknown>;

function notInstalled(record: MethodRecord): Promise<unknown> {
  return Promise.reject(
    new CacheTypeError(
      'ERR_CACHE_ASIDE_NO_MANAGER',
      `${record.describe()} is decorated for caching, but the cache interceptor was never loaded: ` +
        "import the decorators from 'cache-aside' (the package root), and register a manager with " +
        'CacheInterceptor.use(manager).',
    ),
  );
}

let installed: CallHandler = notInstalled;

/** Replaces the handler of every decorated call (the interceptor swaps its own modes in here). */
export function installCallHandler(handler: CallHandler): void {
  installed = handler;
}

/** One call of a decorated method, handed to the installed handler. */
export function handleCall(
  record: MethodRecord,
  thisArg: unknown,
  args: unknown[],
): Promise<unknown> {
  return installed(record, thisArg, args);
}
