/**
 * Loads an optional peer dependency the first time a feature needs it, so that users who never
 * use that feature do not have to install it. A missing package is an `Error` that names the
 * install command; any other failure while loading it is passed on unchanged.
 */
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
      throw new Error(
        `[cache-aside] ${neededBy} needs the optional peer dependency "${name}", which is not installed: ` +
          `run npm install ${name}.`,
        { cause: error },
      );
    }
    throw error;
  }
}
