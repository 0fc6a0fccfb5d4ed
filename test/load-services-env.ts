import { readFileSync } from 'node:fs';
import type { ServiceEndpoints } from './support/services';
import { SERVICES_ENV_FILE } from './support/services-env-file';

// Jest workers may start before global-setup's env changes reach them; the file is the hand-off.
const endpoints = JSON.parse(readFileSync(SERVICES_ENV_FILE, 'utf8')) as ServiceEndpoints;
process.env['KAFKA_BROKERS'] = endpoints.kafkaBrokers;
process.env['MONGO_URL'] = endpoints.mongoUrl;
if (endpoints.ferretdbPostgresUrl) process.env['FERRETDB_POSTGRES_URL'] = endpoints.ferretdbPostgresUrl;
if (endpoints.store) process.env['INTEGRATION_STORE'] = endpoints.store;
