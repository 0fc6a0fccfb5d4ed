/** The consumer group's position on one partition of the topic it reads, as the broker has it. */
export interface GroupPartitionOffset {
  topic: string;
  partition: number;
  /** The group's committed offset; -1 when it never committed on this partition. */
  committedOffset: number;
  /** Messages past it (past the log start when nothing is committed). */
  lag: number;
}

/** Reads every partition's position from the broker; bounded in time, rejects when the broker does not answer. */
export type GroupOffsetsReader = () => Promise<GroupPartitionOffset[]>;
