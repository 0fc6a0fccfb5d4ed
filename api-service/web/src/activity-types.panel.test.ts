import {
  describePolicy,
  eventNamesText,
  rankableFieldsText,
  violationQuery,
  violationSummary,
} from './activity-types.panel';

describe('activity types panel', () => {
  it('when an event was accepted unplanned, then its violation reads "unplanned"', () => {
    expect(violationSummary({ planned: false })).toBe('unplanned');
  });

  it('when metadata was flagged, then each pointer is named with its message, the first three and a count of the rest', () => {
    const violations = [
      { pointer: '/metadata/plan', message: 'is required' },
      { pointer: '/metadata/seats', message: 'must be integer' },
      { pointer: '/metadata/extra', message: 'is not allowed (additional property)' },
      { pointer: '/metadata/a', message: 'x' },
      { pointer: '/metadata/b', message: 'y' },
    ];

    expect(violationSummary({ violations: violations.slice(0, 2) })).toBe(
      '/metadata/plan is required; /metadata/seats must be integer',
    );
    expect(violationSummary({ violations })).toBe(
      '/metadata/plan is required; /metadata/seats must be integer; ' +
        '/metadata/extra is not allowed (additional property); and 2 more',
    );
  });

  it('when a violation is at the root of the event, or the event carries none, then the summary still says so', () => {
    expect(violationSummary({ violations: [{ pointer: '', message: 'must be object' }] })).toBe(
      '(event) must be object',
    );
    expect(violationSummary({})).toBe('none recorded');
  });

  it('when the policy is shown, then each rule is named with what it does', () => {
    expect(describePolicy({ unknownTypes: 'accept', invalidMetadata: 'accept-and-flag' })).toBe(
      'Unplanned types: accept (stored, marked planned: false, and listed below). ' +
        'Metadata that breaks its schema: accept-and-flag (stored, flagged with its violations, and listed below).',
    );
    expect(describePolicy({ unknownTypes: 'reject', invalidMetadata: 'reject' })).toMatch(
      /^Unplanned types: reject \(refused with a 400\)\. Metadata that breaks its schema: reject /,
    );
  });

  it('when a type holds event names, then they are listed quoted as a sender spells them', () => {
    expect(
      eventNamesText({ name: 'PURCHASE', status: 'active', eventNames: ['Order Completed', 'Checkout "Done"'] }),
    ).toBe('Event names: "Order Completed", "Checkout \\"Done\\""');
  });

  it('when a type holds no event names, then the UPPER_SNAKE rule that maps track events to it is said instead', () => {
    expect(eventNamesText({ name: 'VIDEO_PLAY', status: 'active' })).toBe(
      'Event names: none (a Segment track event maps here when its name in UPPER_SNAKE is VIDEO_PLAY)',
    );
    expect(eventNamesText({ name: 'VIDEO_PLAY', status: 'active', eventNames: [] })).toMatch(/^Event names: none/);
  });

  it('when a retired type kept its event names, then they are said to be free', () => {
    expect(eventNamesText({ name: 'PURCHASE', status: 'retired', eventNames: ['Order Completed'] })).toBe(
      'Event names: "Order Completed" (free while retired)',
    );
  });

  it('when a type declares rankable fields, then they are listed; else it says none can be ranked', () => {
    expect(rankableFieldsText({ name: 'PAGE_VIEW', rankableFields: ['metadata.path', 'metadata.url'] })).toBe(
      'Rankable fields: metadata.path, metadata.url',
    );
    expect(rankableFieldsText({ name: 'CLICK' })).toMatch(/^Rankable fields: none/);
  });

  it('when violations are asked for, then only the chosen filters and the cursor go in the query', () => {
    expect(violationQuery({ type: '', kind: '' }, null, 20)).toEqual({ limit: 20 });
    expect(violationQuery({ type: 'VIDEO_PLAY', kind: 'flagged' }, 'c1', 20)).toEqual({
      type: 'VIDEO_PLAY',
      kind: 'flagged',
      limit: 20,
      cursor: 'c1',
    });
  });
});
