import type { ActivityType } from '@uap/shared/contract';
import { Partitioners } from 'kafkajs';
import { ActivityGenerator } from '../../loadgen/activity-generator';
import { check, type ScenarioResult } from '../accounting';
import { interleave, poisonMessages, validMessage } from '../poison-messages';
import type { ScenarioKit } from '../scenario-kit';

const VALID = 3_000;
const POISON = 100;
const CHUNK = 100;

/**
 * 4. Poison produced straight to the topic (as a buggy or foreign producer would), shuffled in
 * between valid events. The worker must dead-letter exactly the poison, with the right reason, and
 * store every valid event; no poison eventId may reach the store.
 */
export async function poison(kit: ScenarioKit): Promise<ScenarioResult> {
  await kit.startWorker('worker-1');
  const generator = new ActivityGenerator(500, [
    ['PAGE_VIEW', 50],
    ['SEARCH', 30],
    ['LOGIN', 20],
  ] as [ActivityType, number][]);
  const valid = Array.from({ length: VALID }, () => validMessage(generator.next()));
  const bad = poisonMessages(POISON);
  const mixed = interleave<{ message: { key: string; value: string | null; headers: Record<string, string> } }>(
    valid,
    bad,
  );

  const sent = new Set(valid.map((v) => v.eventId));
  const accepted = new Set<string>();
  const producer = kit.env.inspector.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    for (let i = 0; i < mixed.length; i += CHUNK) {
      const chunk = mixed.slice(i, i + CHUNK);
      await producer.send({ topic: kit.topic, acks: -1, messages: chunk.map((m) => m.message) });
      for (const m of chunk) if ('eventId' in m && sent.has(m.eventId as string)) accepted.add(m.eventId as string);
    }
  } finally {
    await producer.disconnect();
  }

  const result = await kit.audit({ sent, accepted }, mixed.length, POISON, [
    check('no unplanned worker exits', kit.unexpectedExits === 0, `${kit.unexpectedExits} unplanned exits`),
  ]);
  const letters = await kit.env.inspector.readDeadLetters(kit.dlqTopic, 60_000);
  const expected = countBy(bad.map((b) => b.reason));
  const actual = countBy(letters.map((l) => l.reason ?? '(none)'));
  result.checks.push(
    check(
      'dead-letter reasons',
      JSON.stringify(actual) === JSON.stringify(expected),
      `letters by dlq-reason ${JSON.stringify(actual)}, sent ${JSON.stringify(expected)}`,
    ),
    check(
      'dead letters name their source',
      letters.length === POISON && letters.every((l) => l.sourceTopic === kit.topic),
      `${letters.filter((l) => l.sourceTopic === kit.topic).length} of ${letters.length} letters carry source-topic ${kit.topic}`,
    ),
  );
  kit.notes.push(
    `${VALID} valid and ${POISON} poison messages produced straight to ${kit.topic} (6 partitions), shuffled`,
  );
  return result;
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of [...values].sort()) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
