// Offset arithmetic for the transactional runner, kept pure so the invariants are unit-tested:
// the committed offset is the NEXT offset to read (last processed + 1), per KIP-98's
// sendOffsetsToTransaction contract; int64 offsets travel as decimal strings (kafkajs).

export function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString();
}

export function compareOffsets(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export type CommitPlan =
  | { readonly kind: 'nothing' }
  | {
      readonly kind: 'commit';
      /** Offset to hand to kafkajs' resolveOffset (the last processed message). */
      readonly resolveOffset: string;
      /** Offset to commit in the transaction: the next one to read. */
      readonly commitOffset: string;
      /** Number of input messages the commit covers. */
      readonly processed: number;
    };

export type CommitPlanError = { readonly kind: 'invalid'; readonly detail: string };

/**
 * @param offsets offsets of the messages given to the handler, ascending
 * @param batchLastOffset kafkajs' batch.lastOffset(): may exceed the last message offset when
 *   the batch ends in transaction control records, which must be committed past as well
 * @param lastProcessedOffset what the handler reported as done (default: all)
 */
export function planCommit(offsets: readonly string[], batchLastOffset: string, lastProcessedOffset?: string): CommitPlan | CommitPlanError {
  if (offsets.length === 0) return { kind: 'nothing' };
  const first = offsets[0]!;
  const last = offsets[offsets.length - 1]!;
  const done = lastProcessedOffset ?? last;
  if (compareOffsets(done, first) < 0) return { kind: 'nothing' };
  if (compareOffsets(done, last) > 0) {
    return { kind: 'invalid', detail: `lastProcessedOffset ${done} is beyond the batch's last offset ${last}` };
  }
  const processed = offsets.filter((o) => compareOffsets(o, done) <= 0).length;
  const commitFrom = done === last && compareOffsets(batchLastOffset, last) > 0 ? batchLastOffset : done;
  return { kind: 'commit', resolveOffset: done, commitOffset: nextOffset(commitFrom), processed };
}

/**
 * Transactional id per input partition. kafkajs does not implement KIP-447 (TxnOffsetCommit
 * carrying the consumer group generation), so a zombie that lost a partition can only be
 * fenced if the new owner uses the SAME transactional id for that partition: its
 * InitProducerId bumps the epoch and aborts or completes the zombie's open transaction
 * (KIP-98, "transactional.id per input partition"; tulios/kafkajs#1046 for the rebalance
 * duplicates this avoids).
 */
export function transactionalIdFor(prefix: string, groupId: string, topic: string, partition: number): string {
  return `${prefix}.${groupId}.${topic}.${partition}`;
}
