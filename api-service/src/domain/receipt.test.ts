import { randomUUID } from 'node:crypto';
import { ReceiptCodec, type Receipt } from './receipt';
import { TokenSigner } from './token-signer';

const codec = new ReceiptCodec(new TokenSigner(Buffer.from('test-secret-test-secret-test-secret')));
const aReceipt = (overrides: Partial<Receipt> = {}): Receipt => ({
  topic: 'user-activities',
  partition: 3,
  offset: 1_234_567,
  eventId: randomUUID(),
  acceptedAt: new Date('2026-11-28T12:00:00.123Z'),
  ...overrides,
});

describe('ReceiptCodec', () => {
  it('when a receipt is encoded, then it decodes to the same position, event and time', () => {
    const receipt = aReceipt();
    expect(codec.decodeReceipt(codec.encodeReceipt(receipt))).toEqual(receipt);
  });

  it('when a receipt is sent as a consistency token, then it stands for its one position', () => {
    const token = codec.decodeToken(codec.encodeReceipt(aReceipt({ partition: 5, offset: 9 })));
    expect(token).toEqual({ topic: 'user-activities', positions: new Map([[5, 9]]) });
  });

  it('when a consistency token is encoded, then it decodes to its positions', () => {
    const positions = new Map([
      [0, 10],
      [4, 2],
    ]);
    expect(codec.decodeToken(codec.encodeToken({ topic: 't', positions }))).toEqual({ topic: 't', positions });
  });

  it.each([
    [
      'its payload is altered',
      (r: string) =>
        `${Buffer.from(JSON.stringify({ k: 'r', t: 'user-activities', p: 3, o: 0, e: randomUUID(), a: 0 })).toString('base64url')}.${r.split('.')[1]}`,
    ],
    ['its signature is altered', (r: string) => `${r.slice(0, -2)}${r.endsWith('AA') ? 'BB' : 'AA'}`],
    [
      'it was signed with another secret',
      () => new ReceiptCodec(new TokenSigner(Buffer.from('other'))).encodeReceipt(aReceipt()),
    ],
    ['it is not a receipt at all', () => 'hello'],
    ['it is empty', () => ''],
    ['it is huge', () => `${'a'.repeat(300_000)}.${'b'.repeat(43)}`],
  ])('when %s, then it is refused', (_label, forge) => {
    const forged = forge(codec.encodeReceipt(aReceipt()));
    expect(codec.decodeReceipt(forged)).toBeUndefined();
    expect(codec.decodeToken(forged)).toBeUndefined();
  });

  it('when a consistency token is sent where a receipt is expected, then it is refused', () => {
    expect(codec.decodeReceipt(codec.encodeToken({ topic: 't', positions: new Map([[0, 1]]) }))).toBeUndefined();
  });
});
