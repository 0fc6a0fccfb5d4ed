/** The activity types of the contract (shared/), compiled in by scripts/build-dashboard.mjs. */
declare const __ACTIVITY_TYPES__: readonly string[];

declare module '*.css';
