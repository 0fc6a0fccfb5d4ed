export * from './activity.fixtures';
