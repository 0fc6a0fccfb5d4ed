export * from './activity.fixtures';
export * from './dead-letter.fixtures';
