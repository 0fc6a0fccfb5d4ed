/**
 * The contract's built-in activity types (shared/), compiled in by scripts/build-dashboard.mjs for their
 * fixed colours and first filter choices; types registered at runtime come from the API's answers.
 */
declare const __BUILT_IN_ACTIVITY_TYPES__: readonly string[];

declare module '*.css';
