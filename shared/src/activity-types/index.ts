// The activity type registry's rules: what a type is, the built-ins, compiled validators, the
// compatibility check and the hostile-schema guard. No I/O: the Kafka-backed registry is in the runtime.
export * from './activity-type';
export * from './built-in-types';
export * from './metadata-validator';
export * from './registry-record';
export * from './activity-type-catalog';
export * from './schema-guard';
export * from './compatibility';
export * from './check-activity-type';
