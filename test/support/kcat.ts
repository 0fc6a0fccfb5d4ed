import { spawnSync } from 'node:child_process';
import { requiredEnv } from './integration';

/**
 * Produces with kcat (librdkafka): a client that is neither the API nor kafkajs, as a foreign
 * producer would write. One message per entry, keyed, with the given headers on every message.
 */
export function kcatProduce(
  topic: string,
  messages: Array<{ key: string; value: string }>,
  headers: Record<string, string> = {},
): void {
  const headerArgs = Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}=${value}`]);
  const kcat = spawnSync('kcat', ['-P', '-b', requiredEnv('KAFKA_BROKERS'), '-t', topic, '-K', '\t', ...headerArgs], {
    input: messages.map((m) => `${m.key}\t${m.value}\n`).join(''),
    encoding: 'utf8',
    timeout: 15_000,
  });
  if (kcat.error) {
    throw new Error(`kcat could not run (${kcat.error.message}); install it with \`apt-get install kcat\``);
  }
  if (kcat.status !== 0) throw new Error(`kcat exited with ${kcat.status}: ${kcat.stderr}`);
}
