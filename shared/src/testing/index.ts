export * from './activity.fixtures';
export * from './dead-letter.fixtures';
export * from './seeded-random';
export * from './fake-log-kafka';
