import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { classifyOutcomeWrite, compareOutcomeVersions, isValidSegment, latestPerRequest, outcomeDigest, rewardOf } from '../src/index.ts';
import type { OutcomeRecord } from '../src/index.ts';

const base: OutcomeRecord = {
  requestId: 'r1',
  jobId: 'j1',
  tenant: 't1',
  model: 'm1',
  batchId: 'b1',
  segment: 'task-0',
  quality: 0.5,
  success: null,
  promptTokens: 10,
  completionTokens: 20,
  latencyMs: 30,
  error: null,
  costUsd: 0.001,
  costSource: 'reported',
  completedAtMs: 1_767_225_600_000,
  sourceTopic: 'outcomes',
  sourcePartition: 0,
  sourceOffset: '7',
};

describe('rewardOf', () => {
  it('prefers quality, then the success flag, then 0 for a failure, else unknown', () => {
    expect(rewardOf({ quality: 0.25, success: false, error: 'x' })).toBe(0.25);
    expect(rewardOf({ quality: null, success: true, error: null })).toBe(1);
    expect(rewardOf({ quality: null, success: false, error: null })).toBe(0);
    expect(rewardOf({ quality: null, success: null, error: 'timeout' })).toBe(0);
    expect(rewardOf({ quality: null, success: null, error: null })).toBeNull();
  });
});

describe('outcomeDigest', () => {
  it('ignores where the event was read from and changes with its content', () => {
    expect(outcomeDigest({ ...base, sourcePartition: 3, sourceOffset: '99' })).toBe(outcomeDigest(base));
    expect(outcomeDigest({ ...base, quality: 0.6 })).not.toBe(outcomeDigest(base));
    expect(outcomeDigest({ ...base, segment: null })).not.toBe(outcomeDigest(base));
  });
});

describe('classifyOutcomeWrite', () => {
  const v = { completedAtMs: 100, digest: 'b' };
  it('inserts, drops duplicates and stale events, replaces with newer ones', () => {
    expect(classifyOutcomeWrite(null, v)).toBe('inserted');
    expect(classifyOutcomeWrite(v, { ...v })).toBe('duplicate');
    expect(classifyOutcomeWrite(v, { completedAtMs: 99, digest: 'z' })).toBe('stale');
    expect(classifyOutcomeWrite(v, { completedAtMs: 101, digest: 'a' })).toBe('replaced');
    // Same completion time: the digest breaks the tie, the same way on every recorder.
    expect(classifyOutcomeWrite(v, { completedAtMs: 100, digest: 'c' })).toBe('replaced');
    expect(classifyOutcomeWrite(v, { completedAtMs: 100, digest: 'a' })).toBe('stale');
  });

  it('is a total order: antisymmetric and transitive', () => {
    const version = fc.record({ completedAtMs: fc.integer({ min: 0, max: 5 }), digest: fc.constantFrom('a', 'b', 'c') });
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        expect(Math.sign(compareOutcomeVersions(a, b)) + Math.sign(compareOutcomeVersions(b, a))).toBe(0);
        if (compareOutcomeVersions(a, b) <= 0 && compareOutcomeVersions(b, c) <= 0) expect(compareOutcomeVersions(a, c)).toBeLessThanOrEqual(0);
      }),
    );
  });
});

describe('latestPerRequest', () => {
  it('keeps the same event per request whatever the arrival order', () => {
    const event = fc.record({
      requestId: fc.constantFrom('r1', 'r2', 'r3'),
      completedAtMs: fc.integer({ min: 0, max: 3 }),
      quality: fc.constantFrom(0, 0.5, 1),
    });
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 12 }), fc.func(fc.integer()), (events, key) => {
        const rows = events.map((e) => ({ ...base, ...e }));
        const shuffled = [...rows].sort((a, b) => key(a) - key(b));
        const pick = (rs: OutcomeRecord[]) => latestPerRequest(rs).kept.map((p) => outcomeDigest(p.record));
        expect(pick(shuffled)).toEqual(pick(rows));
        const { kept, duplicates, stale } = latestPerRequest(rows);
        expect(kept.length + duplicates + stale).toBe(rows.length);
        expect(kept.length).toBe(new Set(rows.map((r) => r.requestId)).size);
      }),
    );
  });
});

describe('isValidSegment', () => {
  it('rejects the all-segments marker, empty and overlong values', () => {
    expect(isValidSegment('task-1')).toBe(true);
    expect(isValidSegment('*')).toBe(false);
    expect(isValidSegment('')).toBe(false);
    expect(isValidSegment('x'.repeat(129))).toBe(false);
  });
});
