// ESLint flat config: the recommended JavaScript and typescript-eslint rules, without type-aware
// linting (kept fast; `tsc` already type-checks). Formatting is Prettier's job (`npm run format:check`).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Node.js globals for plain JavaScript files (TypeScript files get them from @types/node via tsc). */
const nodeGlobals = Object.fromEntries(
  [
    'process',
    'console',
    'Buffer',
    'URL',
    'URLSearchParams',
    'TextEncoder',
    'TextDecoder',
    'AbortController',
    'AbortSignal',
    'structuredClone',
    'queueMicrotask',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
    'clearImmediate',
    'performance',
    'fetch',
    'globalThis',
  ].map((name) => [name, 'readonly']),
);

export default defineConfig(
  {
    ignores: ['dist/', 'node_modules/', 'data/', 'coverage/', 'bench/out/', '.tmp/'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: nodeGlobals,
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      // An underscore marks a parameter or binding kept on purpose (interface shape, destructuring).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      // `import type` is required by verbatimModuleSyntax; this keeps the fix automatic.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // Protocol code checks text for control characters on purpose (RFC 6733 §4.3 identities, URIs).
      'no-control-regex': 'off',
    },
  },
);
