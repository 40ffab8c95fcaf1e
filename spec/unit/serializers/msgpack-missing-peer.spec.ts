/**
 * msgpackr is an optional peer dependency: only MsgpackSerializer needs it, and it is loaded by
 * the first constructor call. Here it is made unresolvable, as in a project that never installed
 * it, and each case loads the library afresh (the loaded module is kept once found).
 */
type Library = typeof import('../../../lib');

/** Runs `use` on a fresh copy of the library in which `require('msgpackr')` fails as if absent. */
function withoutMsgpackr(use: (lib: Library) => void): void {
  jest.isolateModules(() => {
    jest.doMock('msgpackr', () => {
      throw Object.assign(new Error("Cannot find module 'msgpackr' from 'msgpack.serializer.ts'"), {
        code: 'MODULE_NOT_FOUND',
      });
    });
    try {
      use(jest.requireActual<Library>('../../../lib'));
    } finally {
      jest.dontMock('msgpackr');
    }
  });
}

describe('MsgpackSerializer without msgpackr installed', () => {
  it('loads the library, and every other serializer works', () => {
    expect.assertions(2);
    withoutMsgpackr((lib) => {
      const json = new lib.JsonSerializer();
      expect(json.deserialize(Buffer.from(json.serialize({ a: 1 })))).toEqual({ a: 1 });
      const gzip = new lib.CompressedSerializer(json);
      expect(gzip.id).toBe('gzip+json');
    });
  });

  it('is refused at construction with a CacheTypeError naming the package to install', () => {
    let thrown: unknown;
    let CacheTypeError: Library['CacheTypeError'] | undefined;
    withoutMsgpackr((lib) => {
      CacheTypeError = lib.CacheTypeError;
      try {
        new lib.MsgpackSerializer();
      } catch (error) {
        thrown = error;
      }
    });
    expect(thrown).toBeInstanceOf(TypeError);
    expect(thrown).toBeInstanceOf(CacheTypeError as Library['CacheTypeError']);
    expect(thrown).toMatchObject({
      code: 'ERR_CACHE_ASIDE_MISSING_PEER',
      message:
        '[cache-aside] MsgpackSerializer needs the optional peer dependency "msgpackr", which is not installed: run npm install msgpackr.',
    });
    expect((thrown as Error).cause).toMatchObject({ code: 'MODULE_NOT_FOUND' });
  });

  it('works as before when msgpackr is installed (loaded on first use, then kept)', () => {
    const lib = jest.requireActual<Library>('../../../lib');
    const first = new lib.MsgpackSerializer();
    const second = new lib.MsgpackSerializer({ maxDepth: 4 });
    const value = new Map([[1, new Set(['a'])]]);
    expect(first.deserialize(first.serialize(value))).toEqual(value);
    expect(second.deserialize(first.serialize(value))).toEqual(value);
  });
});
