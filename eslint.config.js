import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import { importX, createNodeResolver } from 'eslint-plugin-import-x';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tsbuild/**', 'tests/e2e/.probe-dist/**', 'bench/.page-dist/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/ui/**/*.{ts,tsx}', 'src/main.tsx'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'warn' },
  },
  {
    // The engine is pure TypeScript over tfjs-core: no DOM, React, state or worker code.
    files: ['src/engine/**/*.ts'],
    ignores: ['src/engine/**/*.test.ts'],
    languageOptions: { globals: { ...globals.es2022 } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['react', 'react-dom', 'react-dom/*', 'zustand', 'zustand/*', 'recharts'], message: 'The engine has no UI imports.' },
            { group: ['**/ui/**', '**/worker/**', '**/shared/**', '**/cli/**', '**/node/**'], message: 'The engine does not import its hosts.' },
            { group: ['node:*', 'fs', 'path', 'worker_threads'], message: 'The engine runs in the browser too: no Node modules.' },
            { group: ['@tensorflow/tfjs-backend-*', '@tensorflow/tfjs', '@tensorflow/tfjs-node'], message: 'Backends are chosen by the hosts; the engine imports tfjs-core only.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'window', 'document', 'self', 'postMessage', 'navigator', 'localStorage'],
    },
  },
  {
    // The page/worker protocol: types over the engine's, nothing else.
    files: ['src/shared/**/*.ts'],
    ignores: ['src/shared/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(?!\\.\\./engine/|\\./)', message: 'src/shared imports the engine (types only) and itself, nothing else.' },
            { group: ['../engine/**'], allowTypeImports: true, message: 'src/shared imports engine types only (import type).' },
          ],
        },
      ],
    },
  },
  {
    // The workers train; the page draws.
    files: ['src/worker/**/*.ts'],
    ignores: ['src/worker/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['react', 'react-dom', 'react-dom/*', 'zustand', 'zustand/*', 'recharts'], message: 'Worker code has no UI imports.' },
            { group: ['**/ui/**', '**/main.tsx'], message: 'Worker code does not import the page.' },
          ],
        },
      ],
    },
  },
  {
    // No import circle in src/ (type-only imports are not followed: they vanish at run time).
    files: ['src/**/*.{ts,tsx}'],
    plugins: { 'import-x': importX },
    settings: {
      // Without a TypeScript parser for the imported files, no-cycle cannot
      // read them and finds nothing.
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      'import-x/extensions': ['.ts', '.tsx', '.js', '.mjs'],
      'import-x/resolver-next': [createNodeResolver()],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
);
