import { describe, expect, it } from 'vitest';
import { DEFAULT_FEEDBACK_OPTIONS } from '@switchyard/routing-core';
import type { RoutingPolicy, ServedOutcome } from '@switchyard/routing-core';
import { decodeEmbeddingInt8, encodeEmbeddingInt8 } from '@switchyard/embedding';
import type { FeedbackOutcome } from '../src/feedback-loop.ts';
import { FeedbackLoop } from '../src/feedback-loop.ts';
import { appendFeedbackRow, createFeedbackLog, publishedRows, readFeedbackRows } from '../src/feedback-log.ts';
import type { SharedReference } from '../src/reference.ts';
import { resultLength, viewResult } from '../src/scoring-task.ts';

const DIM = 4;
const MODELS = ['a', 'b'];

function reference(rows: number): SharedReference {
  const M = MODELS.length;
  const vectors = new SharedArrayBuffer(rows * DIM * 4);
  const v = new Float32Array(vectors);
  for (let r = 0; r < rows; r++) v[r * DIM + (r % DIM)] = 1;
  const filled = (x: number): SharedArrayBuffer => {
    const b = new SharedArrayBuffer(rows * M * 8);
    new Float64Array(b).fill(x);
    return b;
  };
  return {
    modelIds: MODELS,
    nRows: rows,
    dim: DIM,
    vectors,
    quality: filled(0.5),
    costUsd: filled(0.001),
    outputTokens: filled(50),
    embedder: {} as SharedReference['embedder'],
    usdPerToken: [1e-5, 1e-5],
    source: 'test',
  };
}

function outcome(requestId: string, over: Partial<FeedbackOutcome> = {}): FeedbackOutcome {
  return {
    requestId,
    model: 'b',
    reward: 1,
    costUsd: 0.002,
    completionTokens: 100,
    embedding: encodeEmbeddingInt8(Float32Array.of(0, 0.6, 0.8, 0)),
    rawQuality: 0.5,
    rawCostUsd: 0.001,
    rawOutputTokens: 50,
    ...over,
  };
}

const settings = { model: { ...DEFAULT_FEEDBACK_OPTIONS, ucb: { ...DEFAULT_FEEDBACK_OPTIONS.ucb, beta: 0 } }, maxRows: 3, projectionSeed: 1 };

describe('int8 decision embeddings', () => {
  it('round-trip within half a quantisation step, in 4 + dim bytes', () => {
    const v = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i) / 4);
    const bytes = encodeEmbeddingInt8(v);
    expect(bytes.length).toBe(4 + 64);
    const back = decodeEmbeddingInt8(bytes);
    const step = Math.max(...Array.from(v, Math.abs)) / 127;
    for (let i = 0; i < v.length; i++) expect(Math.abs(back[i]! - v[i]!)).toBeLessThanOrEqual(step / 2 + 1e-7);
  });
});

describe('feedback log (shared memory)', () => {
  it('publishes complete rows in order and stops at its capacity', () => {
    const log = createFeedbackLog(DIM, 2, 2);
    expect(appendFeedbackRow(log, [1, 0, 0, 0], { quality: [0.1, Number.NaN], cost: [1, Number.NaN], tokens: [5, Number.NaN] })).toBe(0);
    expect(appendFeedbackRow(log, [0, 1, 0, 0], { quality: [Number.NaN, 0.9], cost: [Number.NaN, 2], tokens: [Number.NaN, 6] })).toBe(1);
    expect(appendFeedbackRow(log, [0, 0, 1, 0], { quality: [0, 0], cost: [0, 0], tokens: [0, 0] })).toBeNull();
    expect(publishedRows(log)).toBe(2);
    const rows = readFeedbackRows(log, 1, 2);
    expect(Array.from(rows.vectors)).toEqual([0, 1, 0, 0]);
    expect(Array.from(rows.quality)).toEqual([Number.NaN, 0.9]);
    expect(Array.from(rows.cost)).toEqual([Number.NaN, 2]);
    expect(Array.from(rows.tokens)).toEqual([Number.NaN, 6]);
  });
});

describe('FeedbackLoop', () => {
  it('applies each request once, skips what it cannot learn from, and publishes one row per applied outcome', () => {
    const loop = new FeedbackLoop(reference(8), settings);
    expect(loop.referenceRows).toBe(8);
    const r = loop.apply([
      outcome('r1'),
      outcome('r1'),
      outcome('r2', { embedding: null }),
      outcome('r3', { model: 'zzz' }),
      outcome('r4', { reward: null }),
      outcome('r5', { model: 'a', reward: 0 }),
    ]);
    expect(r.applied).toBe(2);
    expect(Object.fromEntries(r.skipped)).toEqual({ duplicate: 1, no_features: 1, unknown_model: 1, no_reward: 1 });
    expect(loop.referenceRows).toBe(10);
    expect(loop.apply([outcome('r1'), outcome('r5')]).applied).toBe(0);
    const rows = readFeedbackRows(loop.log, 0, 2);
    // The served model's observed quality, cost and tokens; the other model's cells missing.
    expect(Array.from(rows.quality)).toEqual([Number.NaN, 1, 0, Number.NaN]);
    expect(Array.from(rows.cost)).toEqual([Number.NaN, 0.002, 0.002, Number.NaN]);
    // Unit length again after quantisation.
    const v = rows.vectors.subarray(0, DIM);
    expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    expect(v[2]! / v[1]!).toBeCloseTo(0.8 / 0.6, 2);
    // Capacity 3: one more row fits, then outcomes are skipped.
    const more = loop.apply([outcome('r6'), outcome('r7')]);
    expect(more.applied).toBe(1);
    expect(more.skipped.get('capacity')).toBe(1);
  });

  it('corrects costs and tokens by what outcomes showed, and rescores under the same prices', () => {
    // Cost correction as it was before forgetting: on, cumulative, absolute; no optimism, no drift.
    const model = { ...settings.model, correctCost: true, costDiscount: 1, costRelative: false, explore: null, drift: null };
    const loop = new FeedbackLoop(reference(8), { ...settings, model, maxRows: 100 });
    // Model b cost twice its prediction on 40 outcomes (prior 20 at ratio 1: shrunk ratio 5/3).
    loop.apply(Array.from({ length: 40 }, (_, i) => outcome(`c${i}`, { costUsd: 0.002, rawCostUsd: 0.001, completionTokens: 100, rawOutputTokens: 50 })));
    const n = 1;
    const M = 2;
    const r = viewResult(new Float64Array(resultLength(n, M, DIM)), n, M, DIM);
    r.promptTokens[0] = 10;
    r.quality.set([0.5, 0.5]);
    r.costUsd.set([0.001, 0.001]);
    r.expectedOutputTokens.set([50, 50]);
    r.embeddings.set([1, 0, 0, 0]);
    loop.adjust(r, { maxOutputTokens: Int32Array.of(1_000), alpha: 1, prices: Float32Array.of(100, 100) });
    const ratio = (40 * 2 + 20) / (40 + 20);
    expect(r.costUsd[0]).toBeCloseTo(0.001, 12);
    expect(r.costUsd[1]).toBeCloseTo(0.001 * ratio, 12);
    expect(r.estimatedTokens[0]).toBe(10 + 50);
    expect(r.estimatedTokens[1]).toBe(10 + Math.ceil(50 * ratio));
    expect(r.scores[0]).toBeCloseTo(0.5 - 100 * 0.001, 5);
    expect(r.scores[1]).toBeCloseTo(0.5 - 100 * 0.001 * ratio, 5);
    expect(loop.modelStates().map((m) => [m.model, Number(m.costRatio.toFixed(9))])).toEqual([['a', 1], ['b', Number(ratio.toFixed(9))]]);
  });

  it('reports per model the drift correction, its alarms and the cost ratio (what the metrics and the analyst see)', () => {
    const loop = new FeedbackLoop(reference(8), { ...settings, maxRows: 1_000 });
    // Model b met its estimate 0.5 on 100 outcomes, then fails all of them: a regression.
    loop.apply(Array.from({ length: 100 }, (_, i) => outcome(`s${i}`, { reward: i % 2 })));
    expect(loop.modelStates()[1]).toMatchObject({ model: 'b', driftAlarms: 0, qualityCorrection: 0 });
    loop.apply(Array.from({ length: 60 }, (_, i) => outcome(`f${i}`, { reward: 0 })));
    const b = loop.modelStates()[1]!;
    expect(b.driftAlarms).toBeGreaterThanOrEqual(1);
    expect(b.qualityCorrection).toBeLessThan(-0.2);
    expect(loop.modelStates()[0]).toMatchObject({ model: 'a', driftAlarms: 0, qualityCorrection: 0 });
  });

  it('tracks the observed cost ratio and the quality residual per model with cost correction off (what a price change shows first)', () => {
    const loop = new FeedbackLoop(reference(8), { ...settings, maxRows: 1_000 });
    expect(settings.model.correctCost).toBe(false);
    // Model b costs what was predicted and meets its estimate, then its price triples.
    loop.apply(Array.from({ length: 60 }, (_, i) => outcome(`p${i}`, { costUsd: 0.001, reward: 0.5 })));
    const before = loop.modelStates()[1]!;
    expect(before.outcomes).toBe(60);
    expect(before.observedCostRatio).toBeCloseTo(1, 9);
    expect(before.qualityResidual).toBeCloseTo(0, 9);
    loop.apply(Array.from({ length: 40 }, (_, i) => outcome(`q${i}`, { costUsd: 0.003, reward: 0 })));
    const after = loop.modelStates()[1]!;
    // Discount 0.97 per outcome: weights ~8 at ratio 1 and ~24 at ratio 3 (raw 2.5), shrunk toward 1 by 20: ~1.9.
    expect(after.observedCostRatio).toBeGreaterThan(1.8);
    expect(after.observedCostRatio).toBeLessThan(2.5);
    expect(after.qualityResidual).toBeLessThan(-0.4);
    // Nothing of it acts on the estimates while the correction is off.
    expect(after.costRatio).toBe(1);
    expect(loop.modelStates()[0]).toMatchObject({ model: 'a', outcomes: 0, observedCostRatio: 1, qualityResidual: 0 });
  });

  it("settles the policy's reservation with the observed cost, once, for requests this process routed", () => {
    const loop = new FeedbackLoop(reference(8), { ...settings, maxRows: 100 });
    const served: ServedOutcome[] = [];
    const policy = { recordOutcome: (o: ServedOutcome) => void served.push(o) } as unknown as RoutingPolicy;
    loop.reserved('mine', { policy, model: 1, reservedCost: 0.0011 });
    loop.apply([outcome('mine', { costUsd: 0.004, reward: 0.75 }), outcome('theirs'), outcome('mine')]);
    expect(served).toEqual([{ model: 1, cost: 0.004, quality: 0.75, reservedCost: 0.0011 }]);
    expect(loop.settledReservations).toBe(1);
  });
});
