import { DEAD_LETTER_INDEXES } from '@uap/shared/contract';
import { lettersBySourcePipeline } from './mongo-dead-letter.store';

describe('MongoDeadLetterStore: letters per source', () => {
  it('when every source is counted, then one $group runs over the letters whose sourceId is a string', () => {
    expect(lettersBySourcePipeline()).toEqual([
      { $match: { sourceId: { $type: 'string' } } },
      { $group: { _id: '$sourceId', count: { $sum: 1 } } },
    ]);
  });

  it('when one source is counted, then its equality leads the match', () => {
    expect(lettersBySourcePipeline('web')[0]).toEqual({ $match: { sourceId: 'web' } });
  });

  it('when either runs, then it uses only stages FerretDB runs, and an index leads with sourceId', () => {
    const stages = new Set(lettersBySourcePipeline().flatMap((stage) => Object.keys(stage)));
    // FerretDB 1.x runs these stages; $facet, $lookup and the like it does not.
    expect([...stages]).toEqual(['$match', '$group']);
    expect(DEAD_LETTER_INDEXES.find((index) => Object.keys(index.key)[0] === 'sourceId')?.name).toBe(
      'sourceId_failedAt_letterId',
    );
  });
});
