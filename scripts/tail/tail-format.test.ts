import { activityJson, activityLine, droppedNotice, metadataSummary, resetNotice } from './tail-format';

const activity = {
  eventId: '5b0e8c1e-0000-4000-8000-000000000001',
  userId: 'alice',
  type: 'SEARCH',
  occurredAt: '2026-11-28T09:00:00.000Z',
  receivedAt: '2026-11-28T09:00:00.120Z',
  metadata: { query: 'red shoes', results: 12 },
  context: {},
  schemaVersion: 1,
};

describe('tail format', () => {
  it('when an activity is printed as text, then one line shows time, type, user, eventId and its metadata', () => {
    expect(activityLine(activity)).toBe(
      '2026-11-28T09:00:00.000Z  SEARCH          alice             5b0e8c1e-0000-4000-8000-000000000001  query="red shoes" results=12',
    );
  });

  it('when metadata is nested or long, then nested values are JSON and the summary is cut with …', () => {
    expect(metadataSummary({ cart: { items: 2 }, ok: true, note: null, empty: '' })).toBe(
      'cart={"items":2} ok=true note=null empty=""',
    );
    const long = metadataSummary({ text: 'x'.repeat(200) }, 20);
    expect(long).toHaveLength(20);
    expect(long.endsWith('…')).toBe(true);
    expect(metadataSummary({ q: 'two\nlines' })).toBe('q="two\\nlines"');
    expect(metadataSummary(undefined)).toBe('');
  });

  it('when an activity has no metadata, then the line has no trailing spaces', () => {
    expect(activityLine({ ...activity, metadata: {} })).toMatch(/000000000001$/);
  });

  it('when an activity is printed as JSON, then it is one line that parses back to the same object', () => {
    const line = activityJson(activity);
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual(activity);
  });

  it('when events were dropped or the stream was reset, then the notice says how many or why', () => {
    expect(droppedNotice(1)).toContain('1 event dropped');
    expect(droppedNotice(42)).toContain('42 events dropped');
    expect(resetNotice('too old')).toContain('reset: too old');
  });
});
