import { CacheTypeError } from '../errors/cache-type-error';

/**
 * Loads an optional peer dependency the first time a feature needs it, so that users who never
 * use that feature do not have to install it. A missing package is a `CacheTypeError` with code
 * `ERR_CACHE_ASIDE_MISSING_PEER` that names the install command (the loader's error as `cause`);
 * any other failure while loading it is passed on unchanged.
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the shape of the module it loads
export function requireOptionalPeer<T>(
  name: string,
  neededBy: string,
  load: (id: string) => unknown = require,
): T {
  try {
    return load(name) as T;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const message = error instanceof Error ? error.message : '';
    if (code === 'MODULE_NOT_FOUND' && message.includes(`'${name}'`)) {
      const missing = new CacheTypeError(
        'ERR_CACHE_ASIDE_MISSING_PEER',
        `${neededBy} needs the optional peer dependency "${name}", which is not installed: ` +
          `run npm install ${name}.`,
      );
      Object.defineProperty(missing, 'cause', { value: error, configurable: true, writable: true });
      throw missing;
    }
    throw error;
  }
}
