import { describe, expect, it } from 'vitest';
import { unreadableDeadLetter } from '../src/dead-letters.ts';
import { isDeadLetterReason } from '../src/reasons.ts';
import { contracts } from '../src/schemas.ts';

describe('unreadableDeadLetter', () => {
  const letter = unreadableDeadLetter(
    { topic: 'requests', partition: 3, offset: '1042', batch: { firstOffset: '1040', lastOffset: '1079', codecId: 3, detail: 'Error: bad LZ4 frame' } },
    'router/r1',
    1_767_225_600_000,
  );

  it('is a valid DeadLetter for one offset, with no key or value, naming the batch and the cause', () => {
    expect(contracts.deadLetter.type.isValid(letter)).toBe(true);
    expect(letter).toMatchObject({ reason: 'unreadable_batch', sourceTopic: 'requests', sourcePartition: 3, sourceOffset: 1042, originalKey: null, originalValue: null, originalHeaders: [] });
    expect(letter.detail).toBe('record batch 1040-1079 (lz4) of requests[3] could not be decoded: Error: bad LZ4 frame');
    expect(isDeadLetterReason(letter.reason)).toBe(true);
  });

  it('names a codec id Kafka does not define', () => {
    const other = unreadableDeadLetter({ topic: 't', partition: 0, offset: '0', batch: { firstOffset: '0', lastOffset: '0', codecId: 6, detail: 'x' } }, 's', 0);
    expect(other.detail).toContain('unknown codec id 6');
  });
});
