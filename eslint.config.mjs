// ESLint (flat config): typescript-eslint's strict type-checked rules, plus the layer rule of
// ../shared/DESIGN.md — imports point down the layers, never up. `npm run lint` runs it in CI.
import js from '@eslint/js';
import comments from '@eslint-community/eslint-plugin-eslint-comments/configs';
import tseslint from 'typescript-eslint';

/**
 * The layers of lib/, top to bottom, and which folders each may import from. A folder not
 * listed under `may` is refused with a message naming the layer rule. `errors` is the floor
 * every layer may use (configuration errors, CacheError); the public surface (`index.ts`) is
 * what the integrations reach through.
 */
const LAYERS = {
  decorators: { may: ['metadata', 'errors', 'serializers'] },
  interceptor: { may: ['metadata', 'entry', 'errors', 'serializers'], types: ['manager'] },
  metadata: { may: ['entry', 'errors', 'serializers'] },
  manager: { may: ['entry', 'l1', 'redis', 'serializers', 'errors'] },
  l1: { may: ['entry', 'redis', 'errors'] },
  entry: { may: ['serializers', 'errors'] },
  redis: { may: ['errors'] },
  serializers: { may: ['errors'] },
  errors: { may: [] },
};
const FOLDERS = [...Object.keys(LAYERS), 'nestjs', 'otel', 'cli', 'testing'];
/**
 * Integrations sit on top and reach the library through its public surface (`../index`); the
 * command-line tool also reads the stored-entry format and sends its commands through the Redis
 * layer, and the testing aid builds a manager on the embedded store.
 */
const INTEGRATIONS = {
  nestjs: [],
  otel: [],
  cli: ['entry', 'serializers', 'redis', 'errors'],
  testing: ['redis'],
};

/** An import string that reaches folder `f` of lib/ from a file one level below lib/. */
const reaches = (f) => `^\\.\\./${f}(/|$)`;

function layerRule(folder, { may, types = [] }) {
  const refused = FOLDERS.filter((f) => f !== folder && !may.includes(f));
  return {
    files: [`lib/${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...refused.map((f) => ({
              regex: reaches(f),
              allowTypeImports: types.includes(f),
              message: `lib/${folder} may not import lib/${f}: in ../shared/DESIGN.md's layers it may import only ${may.join(', ') || 'nothing'}${types.length ? ` (and types from ${types.join(', ')})` : ''}; imports point down.`,
            })),
            {
              regex: '^\\.\\./index$',
              message: 'Inside lib/, import the module itself, not the public surface.',
            },
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'coverage/**',
      'node_modules/**',
      'bench/node_modules/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  comments.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Numbers and booleans read fine in a message; objects and unknowns are still refused.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      // Every eslint-disable says why on the same line (`-- because …`).
      '@eslint-community/eslint-comments/require-description': 'error',
      // A parameter or binding named `_x` is there for its position (a signature to match, a
      // tuple to skip), not for use: the underscore says so.
      // `while (true)` with a break inside is how a scanner loop reads best.
      '@typescript-eslint/no-unnecessary-condition': [
        'error',
        { allowConstantLoopConditions: true },
      ],
      // `this: void` declares a function that never uses `this` (safe to destructure).
      '@typescript-eslint/no-invalid-void-type': ['error', { allowAsThisParameter: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
    },
  },
  {
    // Specs, samples and benchmarks: fakes implement async interfaces without awaiting, and a
    // test may assert a value present with `!` after checking it.
    files: ['spec/**/*.ts', 'samples/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-confusing-void-expression': 'off',
      '@typescript-eslint/no-extraneous-class': 'off',
      // Nest declares its bootstrap options as classes (NestApplicationOptions) and documents
      // them as object literals; the specs and samples pass literals as Nest users do.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
    },
  },
  {
    // Specs hand methods to `expect(obj.method)` and `jest.spyOn`, which never call them with a
    // lost `this`; the rule cannot tell those from a real detached call.
    files: ['spec/**/*.ts'],
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
  ...Object.entries(LAYERS).map(([folder, spec]) => layerRule(folder, spec)),
  ...Object.entries(INTEGRATIONS).map(([folder, may]) => ({
    files: [`lib/${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: FOLDERS.filter((f) => f !== folder && !may.includes(f)).map((f) => ({
            regex: reaches(f),
            message: `lib/${folder} is an integration: it reaches the library through its public surface (../index) only.`,
          })),
        },
      ],
    },
  })),
);
