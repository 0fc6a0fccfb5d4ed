import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UapHttpError, type FetchLike } from '@uap/client';
import { apiTransport, failureLines, isNoAnswer, refusalLines } from './cli-api';

const TARGET = { url: 'http://api.test' };

describe('apiTransport', () => {
  it('when a key is given, then it goes as X-API-Key with the JSON accept header', async () => {
    const seen: RequestInit[] = [];
    const fetch: FetchLike = async (_url, init = {}) => {
      seen.push(init);
      return Response.json({});
    };
    await apiTransport({ ...TARGET, key: 'k1' }, { fetch }).requestJson('/x');
    await apiTransport(TARGET, { fetch }).requestJson('/x');
    expect(seen.map((init) => init.headers)).toEqual([
      { accept: 'application/json, application/problem+json', 'x-api-key': 'k1' },
      { accept: 'application/json, application/problem+json' },
    ]);
  });
});

describe('refusalLines', () => {
  it('when the API answers a problem, then its status, title, detail and field errors are printed', () => {
    const err = new UapHttpError(400, {
      type: 'urn:uap:problem:validation-failed',
      title: 'Validation failed',
      status: 400,
      detail: 'The query parameters are invalid',
      instance: '/api/v1/dead-letters',
      errors: [
        { path: 'from', message: 'from must be before to' },
        { path: '', message: 'unknown parameter' },
      ],
      errorCount: 4,
    });
    expect(refusalLines('dlq', err)).toEqual([
      'dlq: HTTP 400 Validation failed: The query parameters are invalid',
      '  from: from must be before to',
      '  (request): unknown parameter',
      '  … and 2 more',
    ]);
  });

  it('when the key is refused, then the line says which key is needed; other refusals do not', () => {
    const needs = 'the stream needs an API key with the read scope';
    expect(refusalLines('tail', new UapHttpError(403, undefined), needs)).toEqual([
      'tail: HTTP 403',
      '  (the stream needs an API key with the read scope: --key or UAP_API_KEY)',
    ]);
    expect(refusalLines('tail', new UapHttpError(404, undefined), needs)).toEqual(['tail: HTTP 404']);
  });
});

describe('failureLines', () => {
  it('when nothing listens at the url, then it is no answer, with the system’s reason', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));

    const err = await apiTransport({ url })
      .requestJson('/api/v1/freshness')
      .catch((e: unknown) => e);

    expect(isNoAnswer(err)).toBe(true);
    expect(failureLines('dlq', err, { url })).toEqual([`dlq: no answer from the API at ${url} (ECONNREFUSED)`]);
  });

  it('when the request timed out, then it is no answer in time', () => {
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(failureLines('export', timeout, TARGET)).toEqual([
      'export: no answer from the API at http://api.test (no answer in time)',
    ]);
  });

  it('when the error is neither a refusal nor no answer, then it is not described (the caller rethrows it)', () => {
    expect(failureLines('dlq', new TypeError('x is not a function'), TARGET)).toBeUndefined();
    expect(failureLines('dlq', new Error('boom'), TARGET)).toBeUndefined();
  });
});
