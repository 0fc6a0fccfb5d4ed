export * from './activity/activity.schema';
export * from './activity/activity.entity';
export * from './activity/activity-indexes';
export * from './messaging/topics';
export * from './messaging/activity-message';
export * from './config/parse-env';
export * from './logging/create-logger';
export * from './messaging/kafka-client';
