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
        patterns: forbidden.map((outer) => ({
          group: [`**/${outer}/**`, `**/${outer}`],
          message: `${name}/ must not depend on ${outer}/ (dependencies point inward).`,
        })),
      },
    ],
  },
});

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
);
