import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareOffsets, nextOffset, planCommit, transactionalIdFor } from '../src/offsets.ts';

describe('offset arithmetic', () => {
  it('adds one beyond 2^53 without losing precision', () => {
    expect(nextOffset('9007199254740993')).toBe('9007199254740994');
    expect(compareOffsets('10', '9')).toBe(1);
    expect(compareOffsets('9', '10')).toBe(-1);
    expect(compareOffsets('7', '7')).toBe(0);
  });
});

describe('planCommit', () => {
  it('commits last processed + 1 when the whole batch is done', () => {
    expect(planCommit(['5', '6', '7'], '7')).toEqual({ kind: 'commit', resolveOffset: '7', commitOffset: '8', processed: 3 });
  });

  it('commits past trailing transaction control records', () => {
    // Input written transactionally: offset 8 is the commit marker kafkajs filters out.
    expect(planCommit(['5', '6', '7'], '8')).toMatchObject({ commitOffset: '9', resolveOffset: '7' });
  });

  it('commits only the processed prefix when the handler stopped early', () => {
    expect(planCommit(['5', '6', '7'], '7', '6')).toEqual({ kind: 'commit', resolveOffset: '6', commitOffset: '7', processed: 2 });
  });

  it('commits nothing when nothing was processed', () => {
    expect(planCommit(['5', '6'], '6', '4')).toEqual({ kind: 'nothing' });
    expect(planCommit([], '6')).toEqual({ kind: 'nothing' });
  });

  it('rejects a processed offset beyond the batch', () => {
    expect(planCommit(['5', '6'], '6', '9')).toMatchObject({ kind: 'invalid' });
  });

  it('always commits exactly one past the last processed message (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 1, max: 50 }), fc.nat(), (start, n, pick) => {
        const offsets = Array.from({ length: n }, (_, i) => String(start + i));
        const done = offsets[pick % n]!;
        const plan = planCommit(offsets, offsets[n - 1]!, done);
        expect(plan).toMatchObject({ kind: 'commit', commitOffset: String(Number(done) + 1), processed: (pick % n) + 1 });
      }),
    );
  });
});

describe('transactionalIdFor', () => {
  it('is stable and distinct per group, topic and partition', () => {
    const ids = new Set([
      transactionalIdFor('router', 'g', 'requests', 0),
      transactionalIdFor('router', 'g', 'requests', 1),
      transactionalIdFor('router', 'g', 'deferred', 0),
      transactionalIdFor('router', 'h', 'requests', 0),
    ]);
    expect(ids.size).toBe(4);
    expect(transactionalIdFor('router', 'g', 'requests', 3)).toBe(transactionalIdFor('router', 'g', 'requests', 3));
  });
});
