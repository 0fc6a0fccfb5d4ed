// The contract: schemas, types and constants. It loads zod and node built-ins only, never kafkajs or pino,
// so domain code and the SDK's types can import it without pulling in the runtime (eslint.config.mjs keeps it so).
export * from './activity/activity.types';
export * from './activity/activity.schema';
export * from './activity/storable-text';
export * from './activity/erasure';
export * from './activity/activity.entity';
export * from './activity/activity-indexes';
export * from './activity/activity-rollup';
export * from './messaging/topics';
export * from './messaging/activity-message';
export * from './dead-letters/dead-letter';
export * from './insights/funnel-steps';
