// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Hexagonal dependency rule, per service: domain ← application ← infrastructure/interfaces ← main.
 * Inner layers may not import outer ones; only main.ts and app.ts wire adapters together.
 */
const layer = (name, forbidden) => ({
  files: [`{api-service,worker-service}/src/${name}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...forbidden.map((outer) => ({
            group: [`**/${outer}/**`, `**/${outer}`],
            message: `${name}/ must not depend on ${outer}/ (dependencies point inward).`,
          })),
          ...(name === 'domain' ? [RUNTIME] : []),
        ],
      },
    ],
  },
});

// The shared runtime (kafkajs, pino, config) is for adapters and composition roots, never for the domain.
const RUNTIME = {
  group: ['@uap/shared/runtime', 'pino', 'pino-pretty'],
  message: 'Import the contract (@uap/shared/contract); the runtime loads kafkajs and pino.',
};

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', '.local/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  layer('domain', ['application', 'infrastructure', 'interfaces', 'kafkajs', 'mongoose', 'express']),
  layer('application', ['infrastructure', 'interfaces', 'kafkajs', 'mongoose', 'express']),
  layer('infrastructure', ['interfaces']),
  // The contract and the activity types' rules must stay importable without the runtime (no I/O, no kafkajs, no pino).
  {
    files: ['shared/src/contract/**/*.ts', 'shared/src/activity-types/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ ...RUNTIME, group: [...RUNTIME.group, 'kafkajs', '**/runtime/**'] }] },
      ],
    },
  },
  // The SDK ships without runtime dependencies: the contract's types are bundled into its declarations
  // (client/scripts/bundle-types.mjs), so it may import them as types and nothing else from the server side.
  {
    files: ['client/src/**/*.ts'],
    ignores: ['client/src/**/*.test.ts', 'client/src/testing/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@uap/shared/contract',
              allowTypeImports: true,
              message: 'The SDK may use the contract as types only (import type): it has no runtime dependencies.',
            },
          ],
          patterns: [
            {
              group: ['@uap/shared/*', '!@uap/shared/contract', 'zod', 'kafkajs', 'pino'],
              message: 'The SDK has no runtime dependencies.',
            },
          ],
        },
      ],
    },
  },
);
