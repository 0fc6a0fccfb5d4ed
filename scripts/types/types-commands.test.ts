import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILT_IN_TYPE_VERSIONS } from '@uap/shared/activity-types';
import { memoryIo } from '../cli/testing/memory-io';
import type { ActivityTypeVersion, PlannedType, TypeDetail, UnplannedPolicy } from './types-client';
import { runTypes } from './types-commands';
import { aTypeVersion } from './types-fixtures';
import { parseTypesArgs, type TypesOptions } from './types-options';

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  ifMatch: string | undefined;
  key: string | undefined;
  body: unknown;
}
interface Answer {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const PATH = '/api/v1/activity-types';
const problem = (status: number, title: string, detail: string, errors?: unknown[]) => ({
  status,
  body: { type: `urn:uap:problem:x`, title, status, detail, instance: PATH, ...(errors ? { errors } : {}) },
});

/**
 * A stand-in for the registry's API on an ephemeral port, with its preconditions: If-Match required on an
 * existing type (428), stale (412). `refuse` answers first when it returns something (a 409, a 403…).
 */
class FakeRegistry {
  readonly seen: Seen[] = [];
  types = new Map<string, ActivityTypeVersion[]>();
  policy: UnplannedPolicy = { unknownTypes: 'reject', invalidMetadata: 'reject' };
  position = 10;
  refuse: (req: Seen) => Answer | undefined = () => undefined;
  private readonly server: Server = createServer((req, res) => {
    void this.answer(req).then(({ status = 200, body, headers = {} }) => {
      const type = status >= 400 ? 'application/problem+json' : 'application/json';
      res.writeHead(status, { 'content-type': type, ...headers });
      res.end(JSON.stringify(body));
    });
  });

  reset(types: readonly ActivityTypeVersion[] = BUILT_IN_TYPE_VERSIONS): void {
    this.seen.length = 0;
    this.types = new Map(types.map((t) => [t.name, [t]]));
    this.refuse = () => undefined;
    this.position = 10;
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  current(name: string): ActivityTypeVersion | undefined {
    return this.types.get(name)?.at(-1);
  }

  /** Another client's change, between this CLI's read and its write. */
  bump(name: string): void {
    const current = this.current(name)!;
    this.types.get(name)!.push({ ...current, version: current.version + 1, description: 'changed meanwhile' });
  }

  private detail(name: string, status = 200): Answer {
    const versions = this.types.get(name)!;
    const body: TypeDetail = { ...versions.at(-1)!, versions, registryPosition: this.position };
    return { status, body, headers: { etag: `"${body.version}"` } };
  }

  private async answer(req: IncomingMessage): Promise<Answer> {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const url = new URL(req.url ?? '/', 'http://fake');
    const seen: Seen = {
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      ifMatch: req.headers['if-match'],
      key: req.headers['x-api-key'] as string | undefined,
      body: raw ? JSON.parse(raw) : undefined,
    };
    this.seen.push(seen);
    return this.refuse(seen) ?? this.route(seen);
  }

  private route({ method, path, ifMatch, body }: Seen): Answer {
    if (path === PATH) {
      const types = [...this.types.values()].map((versions) => versions.at(-1)!);
      return { body: { types, policy: this.policy, registryPosition: this.position } };
    }
    if (path === `${PATH}/policy`) {
      if (method === 'PUT') {
        this.policy = body as UnplannedPolicy;
        this.position++;
      }
      return { body: { ...this.policy, registryPosition: this.position } };
    }
    const name = decodeURIComponent(path.slice(PATH.length + 1));
    const current = this.current(name);
    if (method === 'GET') {
      return current ? this.detail(name) : problem(404, 'Not found', `There is no activity type ${name}`);
    }
    if (current && ifMatch === undefined) return problem(428, 'Precondition required', `${name} exists`);
    if (ifMatch !== undefined && ifMatch !== `"${current?.version}"`) {
      return problem(412, 'Precondition failed', `${name} is at version ${current?.version}, not ${ifMatch}`);
    }
    const change = (method === 'DELETE' ? { ...current!, status: 'retired' } : body) as Omit<PlannedType, 'name'>;
    // As the API: absent eventNames (rankableFields) keep the current ones, [] gives them up.
    const eventNames = change.eventNames ?? current?.eventNames ?? [];
    const rankableFields = change.rankableFields ?? current?.rankableFields ?? [];
    const next: ActivityTypeVersion = {
      name,
      version: (current?.version ?? 0) + 1,
      description: change.description ?? current?.description ?? '',
      metadataSchema: change.metadataSchema,
      ...(eventNames.length > 0 ? { eventNames } : {}),
      ...(rankableFields.length > 0 ? { rankableFields } : {}),
      status: change.status ?? 'active',
      createdAt: '2026-12-06T08:00:00.000Z',
      createdBy: 'key:admin',
    };
    const same =
      current &&
      JSON.stringify({ ...current, version: 0, createdAt: '', createdBy: '' }) ===
        JSON.stringify({ ...next, version: 0, createdAt: '', createdBy: '' });
    if (same) return this.detail(name);
    this.types.set(name, [...(this.types.get(name) ?? []), next]);
    this.position++;
    return this.detail(name, current ? 200 : 201);
  }
}

const api = new FakeRegistry();
let baseUrl: string;
let dir: string;

function optionsFor(argv: string[]): TypesOptions {
  const parsed = parseTypesArgs([...argv, '--url', baseUrl, '--key', 'admin-key'], {});
  if (!('options' in parsed)) throw new Error(`bad test arguments: ${JSON.stringify(parsed)}`);
  return parsed.options;
}

async function planFile(plan: unknown): Promise<string> {
  const file = join(dir, `plan-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(plan));
  return file;
}

const VIDEO_PLAY = {
  name: 'VIDEO_PLAY',
  description: 'A user started a video.',
  metadataSchema: { type: 'object', required: ['videoId'], properties: { videoId: { type: 'string' } } },
};
const SEARCH = BUILT_IN_TYPE_VERSIONS.find((t) => t.name === 'SEARCH')!;
const LOGIN = BUILT_IN_TYPE_VERSIONS.find((t) => t.name === 'LOGIN')!;
const LOGIN_V2 = { name: 'LOGIN', metadataSchema: { type: 'object' } };

beforeAll(async () => {
  baseUrl = await api.start();
  dir = await mkdtemp(join(tmpdir(), 'types-cli-'));
});
afterAll(async () => {
  await api.stop();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => api.reset());

describe('types apply against a fake API', () => {
  it('when a plan creates, changes and repeats types, then each is read, then written with If-Match of what was read', async () => {
    const file = await planFile([VIDEO_PLAY, LOGIN_V2, { name: 'SEARCH', metadataSchema: SEARCH.metadataSchema }]);
    const { io, out } = memoryIo();
    expect(await runTypes(optionsFor(['apply', file]), io)).toBe(0);
    expect(api.seen.map((s) => `${s.method} ${s.path.slice(PATH.length)} ${s.ifMatch ?? '-'}`)).toEqual([
      'GET /VIDEO_PLAY -',
      'PUT /VIDEO_PLAY -',
      'GET /LOGIN -',
      'PUT /LOGIN "1"',
      'GET /SEARCH -',
      'PUT /SEARCH "1"',
    ]);
    expect(api.seen[1]!.body).toEqual({
      description: VIDEO_PLAY.description,
      metadataSchema: VIDEO_PLAY.metadataSchema,
    });
    expect(api.seen[1]!.key).toBe('admin-key');
    expect(out).toEqual([
      'VIDEO_PLAY  created, version 1',
      'LOGIN       new version 2 (was 1)',
      'SEARCH      unchanged, version 1',
      '3 types: 1 created, 1 new version, 1 unchanged',
    ]);
  });

  it('when a planned type lists event names, then the PUT carries them; a plan without them keeps the current ones', async () => {
    const file = await planFile([
      { ...VIDEO_PLAY, eventNames: ['Video Playback Started'] },
      { name: 'PURCHASE', metadataSchema: { type: 'object' }, description: 'Bought.' },
    ]);
    const { io, out } = memoryIo();
    expect(await runTypes(optionsFor(['apply', file]), io)).toBe(0);
    expect(api.seen[1]!.body).toEqual({
      description: VIDEO_PLAY.description,
      metadataSchema: VIDEO_PLAY.metadataSchema,
      eventNames: ['Video Playback Started'],
    });
    expect(api.seen[3]!.body).not.toHaveProperty('eventNames');
    expect(api.current('VIDEO_PLAY')?.eventNames).toEqual(['Video Playback Started']);
    expect(api.current('PURCHASE')?.eventNames).toEqual(['Order Completed']);
    expect(out.at(-1)).toBe('2 types: 1 created, 1 new version, 0 unchanged');
  });

  it('when a planned type claims an event name another type holds, then the 409 lists each name and apply stops', async () => {
    api.refuse = (req) =>
      req.method === 'PUT' && req.path.endsWith('/ORDER')
        ? problem(409, 'Conflict', '"Order Completed" is the event name of PURCHASE', [
            { path: 'eventNames.0', message: '"Order Completed" is already claimed by PURCHASE' },
          ])
        : undefined;
    const file = await planFile({ name: 'ORDER', metadataSchema: {}, eventNames: ['Order Completed'] });
    const { io, stderr } = memoryIo();
    expect(await runTypes(optionsFor(['apply', file]), io)).toBe(2);
    expect(stderr().split('\n')).toEqual([
      'types: HTTP 409 Conflict: ORDER claims event names another type holds:',
      '  - "Order Completed" is already claimed by PURCHASE',
      '  (take each out of the type that holds it, or retire that type, first; or leave it out of this one)',
      'types: stopped at ORDER (1 of 1): nothing was applied before it.',
    ]);
  });

  it('when --breaking is given, then each PUT asks for ?breaking=true; --json prints what was applied', async () => {
    const file = await planFile(LOGIN_V2);
    const { io, stdout } = memoryIo();
    expect(await runTypes(optionsFor(['apply', file, '--breaking', '--json']), io)).toBe(0);
    expect(api.seen[1]!.query.get('breaking')).toBe('true');
    expect(JSON.parse(stdout())).toEqual({
      applied: [
        { name: 'LOGIN', outcome: 'changed', version: 2, status: 'active', previous: { version: 1, status: 'active' } },
      ],
    });
  });

  it('when a change is incompatible, then apply stops there, lists each change and says what stays applied', async () => {
    api.refuse = (req) =>
      req.method === 'PUT' && req.path.endsWith('/LOGIN')
        ? problem(409, 'Conflict', 'Version 2 of LOGIN would refuse events version 1 accepts', [
            { path: 'metadataSchema', message: '`metadata.method` became required' },
            { path: 'metadataSchema', message: '`metadata.success` no longer accepts boolean' },
          ])
        : undefined;
    const file = await planFile([VIDEO_PLAY, LOGIN_V2, { name: 'INVITE_SENT', metadataSchema: {} }]);
    const { io, out, stderr } = memoryIo();
    expect(await runTypes(optionsFor(['apply', file]), io)).toBe(2);
    expect(out).toEqual(['VIDEO_PLAY   created, version 1']);
    expect(stderr().split('\n')).toEqual([
      'types: HTTP 409 Conflict: the new schema of LOGIN would refuse events its current version accepts:',
      '  - `metadata.method` became required',
      '  - `metadata.success` no longer accepts boolean',
      '  (if that is meant, apply with --breaking: clients that send the old shape will then be refused)',
      'types: stopped at LOGIN (2 of 3): the type before it stays applied; the one after it was not tried.',
      '  Fix it and apply the file again: the types already applied come back unchanged.',
    ]);
    expect(api.seen.some((s) => s.path.endsWith('/INVITE_SENT'))).toBe(false);
    expect(api.current('VIDEO_PLAY')?.version).toBe(1);
  });

  it('when someone changes the type between the read and the write, then the 412 says to re-read it', async () => {
    api.refuse = (req) => {
      if (req.method === 'PUT' && req.ifMatch === '"1"' && api.current('LOGIN')?.version === 1) api.bump('LOGIN');
      return undefined;
    };
    const file = await planFile(LOGIN_V2);
    const { io, stderr } = memoryIo();
    expect(await runTypes(optionsFor(['apply', file, '--json']), io)).toBe(2);
    expect(stderr()).toContain('types: HTTP 412 Precondition failed: LOGIN is at version 2, not "1"');
    expect(stderr()).toContain('LOGIN changed since it was read: run the command again to re-read it');
    expect(stderr()).toContain('types: stopped at LOGIN (1 of 1): nothing was applied before it.');
  });

  it('when the schema is hostile, then the 400 names each problem and --json says where it stopped', async () => {
    api.refuse = (req) =>
      req.method === 'PUT'
        ? problem(400, 'Validation failed', 'The metadata schema cannot be used', [
            { path: 'metadataSchema.properties.q.pattern', message: 'nested quantifiers can backtrack' },
          ])
        : undefined;
    const file = await planFile([VIDEO_PLAY, LOGIN_V2]);
    const { io, stdout, stderr } = memoryIo();
    expect(await runTypes(optionsFor(['apply', file, '--json']), io)).toBe(2);
    expect(stderr()).toContain(
      'types: HTTP 400 Validation failed: The metadata schema cannot be used\n' +
        '  metadataSchema.properties.q.pattern: nested quantifiers can backtrack',
    );
    expect(JSON.parse(stdout())).toEqual({ applied: [], stoppedAt: 'VIDEO_PLAY', notTried: ['LOGIN'] });
  });

  it('when the key lacks the admin scope, then the 403 says which key is needed', async () => {
    api.refuse = (req) => (req.method === 'PUT' ? problem(403, 'Forbidden', 'lacks the "admin" scope') : undefined);
    const { io, stderr } = memoryIo();
    expect(await runTypes(optionsFor(['apply', await planFile(VIDEO_PLAY)]), io)).toBe(2);
    expect(stderr()).toContain('(changing activity types needs an API key with the admin scope: --key or UAP_API_KEY)');
  });

  it('when the file is not a plan, then nothing is asked of the API', async () => {
    const { io, stderr } = memoryIo();
    expect(await runTypes(optionsFor(['apply', await planFile([{ name: 'bad name', metadataSchema: {} }])]), io)).toBe(
      2,
    );
    expect(await runTypes(optionsFor(['apply', join(dir, 'missing.json')]), io)).toBe(2);
    expect(api.seen).toEqual([]);
    expect(stderr()).toMatch(/is not a tracking plan \(nothing was applied\):\n {2}\[0\]\.name: must be upper snake/);
    expect(stderr()).toContain('cannot read');
  });
});

describe('types list, show, retire and policy against a fake API', () => {
  it('when list is asked, then each type is a row and the policy follows', async () => {
    api.reset([SEARCH, aTypeVersion({ status: 'deprecated', version: 3 })]);
    const { io, out } = memoryIo();
    expect(await runTypes(optionsFor(['list']), io)).toBe(0);
    expect(out.join('\n').split('\n')).toEqual([
      'NAME        VERSION  STATUS      DESCRIPTION',
      'SEARCH      1        active      A user searched; `metadata.query` holds what they typed.',
      'VIDEO_PLAY  3        deprecated  A user started a video.',
      '2 types: 1 active, 1 deprecated',
      'policy: unknown types reject, invalid metadata reject (registry position 10)',
    ]);
  });

  it('when show is asked, then the current version, the history and the schema are printed', async () => {
    api.bump('LOGIN');
    const { io, stdout } = memoryIo();
    expect(await runTypes(optionsFor(['show', 'LOGIN']), io)).toBe(0);
    expect(stdout()).toBe(
      [
        'LOGIN  version 2, active',
        '  changed meanwhile',
        '  made 2026-12-05T00:00:00.000Z by built-in; registry position 10',
        '  event names: "Signed In"',
        '  rankable fields: none',
        '',
        'VERSION  STATUS      CREATED AT                CREATED BY',
        '      1  active      2026-12-05T00:00:00.000Z  built-in',
        '      2  active      2026-12-05T00:00:00.000Z  built-in',
        '',
        'metadata schema (version 2):',
        JSON.stringify(LOGIN.metadataSchema, null, 2),
      ].join('\n'),
    );
    const json = memoryIo();
    expect(await runTypes(optionsFor(['show', 'LOGIN', '--json']), json.io)).toBe(0);
    expect(JSON.parse(json.stdout())).toMatchObject({ name: 'LOGIN', version: 2, versions: [{}, {}] });
  });

  it('when show is asked about a type without event names, then it says a track call maps by its name', async () => {
    const { io, out } = memoryIo();
    expect(await runTypes(optionsFor(['show', 'CLICK']), io)).toBe(0);
    expect(out.join('\n')).toContain('  event names: none (a track call maps here by its name in UPPER_SNAKE)\n');
  });

  it('when show is asked about a type with rankable fields, then they are listed', async () => {
    const { io, out } = memoryIo();
    expect(await runTypes(optionsFor(['show', 'PAGE_VIEW']), io)).toBe(0);
    expect(out.join('\n')).toContain('  rankable fields: metadata.path, metadata.url\n');
  });

  it('when the type does not exist, then show and retire say so with exit code 2', async () => {
    const { io, err } = memoryIo();
    expect(await runTypes(optionsFor(['show', 'NOPE']), io)).toBe(2);
    expect(await runTypes(optionsFor(['retire', 'NOPE']), io)).toBe(2);
    expect(err).toEqual([
      'types: HTTP 404: there is no activity type NOPE (list shows those there are)',
      'types: HTTP 404: there is no activity type NOPE (list shows those there are)',
    ]);
    expect(api.seen.map((s) => s.method)).toEqual(['GET', 'GET']);
  });

  it('when retire is asked, then the type is read for its ETag and deleted with it', async () => {
    const { io, out } = memoryIo();
    expect(await runTypes(optionsFor(['retire', 'LOGIN']), io)).toBe(0);
    expect(api.seen.map((s) => `${s.method} ${s.ifMatch ?? '-'}`)).toEqual(['GET -', 'DELETE "1"']);
    expect(out).toEqual(['LOGIN retired: version 2 (new events of it are refused; its stored events stay readable)']);
    const again = memoryIo();
    expect(await runTypes(optionsFor(['retire', 'LOGIN']), again.io)).toBe(0);
    expect(again.out).toEqual(['LOGIN was already retired (version 2)']);
  });

  it('when policy is given one flag, then the other stays as it was', async () => {
    api.policy = { unknownTypes: 'dead-letter', invalidMetadata: 'reject' };
    const { io, out } = memoryIo();
    expect(await runTypes(optionsFor(['policy', '--invalid-metadata', 'accept-and-flag']), io)).toBe(0);
    expect(api.seen.map((s) => s.method)).toEqual(['GET', 'PUT']);
    expect(api.seen[1]!.body).toEqual({ unknownTypes: 'dead-letter', invalidMetadata: 'accept-and-flag' });
    expect(out.join('\n')).toBe(
      'policy set for every replica:\nunknown types     dead-letter\ninvalid metadata  accept-and-flag\n(registry position 11)',
    );
  });
});

describe('types codegen against a fake API', () => {
  it('when --out is given, then the module is written there and the count goes to stderr', async () => {
    api.reset([...BUILT_IN_TYPE_VERSIONS, aTypeVersion({ status: 'retired' })]);
    const out = join(dir, 'client-types.ts');
    const { io, stdout, stderr } = memoryIo();
    expect(await runTypes(optionsFor(['codegen', '--out', out]), io)).toBe(0);
    expect(stdout()).toBe('');
    expect(stderr()).toBe(
      `types: wrote ${out}: ${BUILT_IN_TYPE_VERSIONS.length} types (0 deprecated); 1 retired left out`,
    );
    const code = await readFile(out, 'utf8');
    expect(code).toContain('export type SearchMetadata = {');
    expect(code).not.toContain('VIDEO_PLAY');
  });

  it('when no --out is given, then the module goes to stdout', async () => {
    const { io, stdout } = memoryIo();
    expect(await runTypes(optionsFor(['codegen']), io)).toBe(0);
    expect(stdout()).toMatch(/^\/\/ Generated by `npm run types -- codegen`/);
    expect(stdout()).toContain('export function typedTracker(');
  });
});
