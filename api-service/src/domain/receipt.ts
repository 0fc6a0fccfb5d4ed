import { EventIdSchema } from '@uap/shared/contract';
import { z } from 'zod';
import type { TokenSigner } from './token-signer';

/** Where the broker put one accepted event: what a receipt vouches for. */
export interface TopicPosition {
  readonly partition: number;
  /** Offsets stay far below 2^53, so a number is exact. */
  readonly offset: number;
}

export interface Receipt extends TopicPosition {
  readonly topic: string;
  readonly eventId: string;
  readonly acceptedAt: Date;
}

/** The highest offset per partition a request touched; a read waits until the group processed past them. */
export interface ConsistencyToken {
  readonly topic: string;
  readonly positions: ReadonlyMap<number, number>;
}

const partition = z.int().min(0).max(1_000_000);
const offset = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
const ReceiptPayload = z.strictObject({
  k: z.literal('r'),
  t: z.string().min(1).max(249),
  p: partition,
  o: offset,
  e: EventIdSchema,
  a: z.int().min(0),
});
const TokenPayload = z.strictObject({
  k: z.literal('c'),
  t: z.string().min(1).max(249),
  // [partition, offset] pairs; a request touches at most as many partitions as the topic has.
  w: z
    .array(z.tuple([partition, offset]))
    .min(1)
    .max(10_000),
});

/** Receipts and consistency tokens, signed (see TokenSigner). */
export class ReceiptCodec {
  constructor(private readonly signer: TokenSigner) {}

  encodeReceipt(receipt: Receipt): string {
    return this.sign({
      k: 'r',
      t: receipt.topic,
      p: receipt.partition,
      o: receipt.offset,
      e: receipt.eventId,
      a: receipt.acceptedAt.getTime(),
    });
  }

  encodeToken(token: ConsistencyToken): string {
    return this.sign({ k: 'c', t: token.topic, w: [...token.positions].sort((a, b) => a[0] - b[0]) });
  }

  /** A receipt, or undefined when the text is not one this API signed. */
  decodeReceipt(text: string): Receipt | undefined {
    const parsed = ReceiptPayload.safeParse(this.verify(text));
    if (!parsed.success) return undefined;
    const { t, p, o, e, a } = parsed.data;
    return { topic: t, partition: p, offset: o, eventId: e, acceptedAt: new Date(a) };
  }

  /** A consistency token or a receipt (as a token for its one position); undefined when forged or malformed. */
  decodeToken(text: string): ConsistencyToken | undefined {
    const payload = this.verify(text);
    const receipt = ReceiptPayload.safeParse(payload);
    if (receipt.success) return { topic: receipt.data.t, positions: new Map([[receipt.data.p, receipt.data.o]]) };
    const token = TokenPayload.safeParse(payload);
    if (!token.success) return undefined;
    const positions = new Map<number, number>();
    for (const [p, o] of token.data.w) positions.set(p, Math.max(o, positions.get(p) ?? 0));
    return { topic: token.data.t, positions };
  }

  private sign(payload: object): string {
    return this.signer.sign(payload);
  }

  private verify(text: string): unknown {
    return this.signer.verify(text);
  }
}
