import { parsePlan } from './types-plan';
import { aTypeDetail, aTypeList, aTypeVersion } from './types-fixtures';

const SCHEMA = { type: 'object', required: ['videoId'], properties: { videoId: { type: 'string' } } };

describe('parsePlan', () => {
  it('when the file holds one type, then that is the plan', () => {
    const text = JSON.stringify({ name: 'VIDEO_PLAY', description: 'Played.', metadataSchema: SCHEMA });
    expect(parsePlan(text)).toEqual({
      types: [{ name: 'VIDEO_PLAY', description: 'Played.', metadataSchema: SCHEMA }],
    });
  });

  it('when the file holds an array, then the types keep the file order', () => {
    const text = JSON.stringify([
      { name: 'VIDEO_PLAY', metadataSchema: SCHEMA, status: 'deprecated' },
      { name: 'INVITE_SENT', metadataSchema: { type: 'object' } },
    ]);
    expect(parsePlan(text)).toEqual({
      types: [
        { name: 'VIDEO_PLAY', metadataSchema: SCHEMA, status: 'deprecated' },
        { name: 'INVITE_SENT', metadataSchema: { type: 'object' } },
      ],
    });
  });

  it('when the file is what list --json or show --json printed, then the fields the registry sets are dropped', () => {
    const listed = JSON.stringify(aTypeList([aTypeVersion({ version: 4, status: 'deprecated' })]));
    expect(parsePlan(listed)).toEqual({
      types: [
        { name: 'VIDEO_PLAY', description: 'A user started a video.', metadataSchema: SCHEMA, status: 'deprecated' },
      ],
    });
    expect(parsePlan(JSON.stringify(aTypeDetail({ version: 2 })))).toEqual({
      types: [{ name: 'VIDEO_PLAY', description: 'A user started a video.', metadataSchema: SCHEMA, status: 'active' }],
    });
  });

  it('when several types are wrong, then every problem is listed with where it is', () => {
    const text = JSON.stringify([
      { name: 'video_play', metadataSchema: SCHEMA },
      { name: 'INVITE_SENT', schema: SCHEMA },
      { name: 'VIDEO_PLAY', metadataSchema: [], status: 'gone' },
      { name: 'VIDEO_PLAY', metadataSchema: SCHEMA },
    ]);
    const result = parsePlan(text);
    expect(result).toEqual({
      errors: [
        expect.stringMatching(/^\[0\]\.name: must be upper snake case/),
        '[1].metadataSchema: must be a JSON Schema object',
        '[1]: Unrecognized key: "schema"; a type has name, description, metadataSchema, eventNames, rankableFields, status',
        '[2].metadataSchema: must be a JSON Schema object',
        expect.stringMatching(/^\[2\]\.status: /),
      ],
    });
  });

  it('when a type lists event names, then the plan carries them; bad ones are listed with where they are', () => {
    const text = JSON.stringify([
      { name: 'VIDEO_PLAY', metadataSchema: SCHEMA, eventNames: ['Video Playback Started'] },
      { name: 'INVITE_SENT', metadataSchema: SCHEMA, eventNames: [] },
    ]);
    expect(parsePlan(text)).toEqual({
      types: [
        { name: 'VIDEO_PLAY', metadataSchema: SCHEMA, eventNames: ['Video Playback Started'] },
        { name: 'INVITE_SENT', metadataSchema: SCHEMA, eventNames: [] },
      ],
    });
    const bad = JSON.stringify({ name: 'VIDEO_PLAY', metadataSchema: SCHEMA, eventNames: ['Played', '', 'Played'] });
    expect(parsePlan(bad)).toEqual({
      errors: [expect.stringMatching(/^eventNames\.1: /), 'eventNames.2: "Played" is listed twice'],
    });
  });

  it('when the file is what show --json printed for a type with event names, then they are kept', () => {
    const shown = JSON.stringify(aTypeDetail({ eventNames: ['Video Playback Started'] }));
    expect(parsePlan(shown)).toMatchObject({ types: [{ name: 'VIDEO_PLAY', eventNames: ['Video Playback Started'] }] });
  });

  it('when a type lists rankable fields, then the plan carries them; bad ones are listed with where they are', () => {
    const good = JSON.stringify({ name: 'VIDEO_PLAY', metadataSchema: SCHEMA, rankableFields: ['metadata.videoId'] });
    expect(parsePlan(good)).toEqual({
      types: [{ name: 'VIDEO_PLAY', metadataSchema: SCHEMA, rankableFields: ['metadata.videoId'] }],
    });
    const bad = JSON.stringify({ name: 'VIDEO_PLAY', metadataSchema: SCHEMA, rankableFields: ['videoId'] });
    expect(parsePlan(bad)).toEqual({ errors: [expect.stringMatching(/^rankableFields\.0: must be metadata\./)] });
  });

  it('when a name is planned twice, then both places are named', () => {
    const text = JSON.stringify({
      types: [
        { name: 'VIDEO_PLAY', metadataSchema: SCHEMA },
        { name: 'VIDEO_PLAY', metadataSchema: {} },
      ],
    });
    expect(parsePlan(text)).toEqual({ errors: ['types[1]: VIDEO_PLAY is planned twice (also at types[0])'] });
  });

  it.each([
    ['{"name": ', 'not JSON'],
    ['"VIDEO_PLAY"', 'must hold a type'],
    ['[]', 'holds no types'],
    ['{"types": []}', 'holds no types'],
  ])('when the file is %s, then the error says %s', (text, message) => {
    expect(parsePlan(text)).toEqual({ errors: [expect.stringContaining(message)] });
  });
});
