// The runtime the services share: configuration parsing, logging, the Kafka client, store detection and
// the lifecycle helper. It loads kafkajs and pino; the contract (../contract) never imports from here.
export * from './config/parse-env';
export * from './config/common-env';
export * from './logging/create-logger';
export * from './messaging/kafka-client';
export * from './messaging/topic-replication';
export * from './messaging/partition-stall';
export * from './messaging/leased-log-follower';
export * from './store/ferretdb-tables';
export * from './lifecycle/lifecycle';
export * from './activity-types/kafka-activity-type-registry';
