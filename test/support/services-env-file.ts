import { join } from 'node:path';

export const SERVICES_ENV_FILE = join(__dirname, '..', '..', '.local', 'test-services.json');
