import { validate } from '@readme/openapi-parser';
import request from 'supertest';
import { InMemoryActivityPublisher } from '../../../testing/in-memory-activity.publisher';
import { fullOpenApiDocument, testApp } from '../../../testing/test-app';
import { OPENAPI_EXAMPLES } from '../openapi/openapi.examples';
import { SEGMENT_PATHS } from './segment.router';

const NOW = new Date('2026-11-27T09:14:03.500Z');

describe('Segment surface: OpenAPI', () => {
  const document = fullOpenApiDocument();
  const operations = SEGMENT_PATHS.map((path) => ({ path, operation: document.paths?.[path]?.post }));

  it('when the full document is built, then it is valid and offers HTTP Basic for the write key', async () => {
    const result = await validate(structuredClone(document) as never);

    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(document.components?.securitySchemes?.['writeKeyBasic']).toMatchObject({ type: 'http', scheme: 'basic' });
  });

  it('when the /v1 operations are read, then each needs the ingest scope, by Basic or our own headers', () => {
    for (const { operation } of operations) {
      expect(operation?.security).toEqual([
        { writeKeyBasic: ['ingest'] },
        { bearerKey: ['ingest'] },
        { apiKeyHeader: ['ingest'] },
      ]);
      expect(Object.keys(operation?.responses ?? {}).sort()).toEqual(
        ['200', '400', '401', '403', '413', '415', '429', '431', '503'].sort(),
      );
    }
  });

  it('when a body schema is read, then it is the one the messages are validated with, the actor rule included', () => {
    const schemas = document.components?.schemas ?? {};
    const track = operations.find((o) => o.path === '/v1/track')!.operation!;
    const body = track.requestBody as { content: Record<string, { schema: unknown }> };

    expect(body.content['application/json']!.schema).toEqual({ $ref: '#/components/schemas/SegmentTrack' });
    expect(schemas['SegmentTrack']).toMatchObject({
      required: ['event'],
      anyOf: [{ required: ['userId'] }, { required: ['anonymousId'] }],
    });
    expect(schemas['SegmentAlias']).toMatchObject({ required: ['userId', 'previousId'] });
    expect(schemas['SegmentBatch']).toMatchObject({
      properties: { batch: { minItems: 1, maxItems: 2500, items: { discriminator: { propertyName: 'type' } } } },
    });
    expect((track as Record<string, unknown>)['x-rules-beyond-schema']).toEqual(
      expect.arrayContaining([expect.objectContaining({ rule: 'segment-event-name' })]),
    );
  });

  it.each(SEGMENT_PATHS)(
    'when the example of %s is sent, then it is accepted as it stands (the fuzzer sends it)',
    async (path) => {
      const publisher = new InMemoryActivityPublisher();
      const app = testApp({ publisher, segment: true, now: () => NOW });

      const res = await request(app)
        .post(path)
        .send(OPENAPI_EXAMPLES[`post ${path}`]!.request as object);

      expect([res.status, res.body]).toEqual([200, { success: true }]);
      expect(publisher.events.length).toBeGreaterThan(0);
    },
  );
});
