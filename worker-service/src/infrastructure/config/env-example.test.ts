import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from '@uap/shared/runtime';
import { WorkerConfigSchema } from './worker.config';

const example = Object.fromEntries(
  readFileSync(join(__dirname, '..', '..', '..', '.env.example'), 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => line.split('=', 2) as [string, string]),
);

describe('worker-service/.env.example', () => {
  it('when compared with the config schema, then it lists every variable and nothing else', () => {
    expect(Object.keys(example).sort()).toEqual(Object.keys(WorkerConfigSchema.shape).sort());
  });

  it('when its values are parsed, then they equal the defaults', () => {
    expect(parseEnv(WorkerConfigSchema, example)).toEqual(parseEnv(WorkerConfigSchema, {}));
  });
});
