import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BudgetLedger,
  createPolicy,
  DEFAULT_FEEDBACK_OPTIONS,
  estimateBatchOf,
  estimateFromNeighbours,
  FeedbackModel,
  kernelInput,
  loadHighsSolver,
  ReferenceSet,
  scoreQuery,
  type FeedbackOptions,
  type LpSolver,
  type ResolvingDualPolicy,
  type ScoreKernel,
} from '../../src/index.ts';

const options: FeedbackOptions = {
  appendRows: true,
  correctCost: true,
  costPriorCount: 0,
  ucb: { dim: 2, lambda: 1, beta: 1, sigma0: 0.5, sigmaPriorCount: 5 },
  bonusTarget: 'score',
};

function coldSet(): ReferenceSet {
  // two models, two rows: model 0 looks good, model 1 looks bad
  return ReferenceSet.fromArrays(['a', 'b'], { quality: Float64Array.from([1, 0, 1, 0]), cost: Float64Array.from([1, 1, 1, 1]) });
}

let solver: LpSolver;
beforeAll(async () => {
  solver = await loadHighsSolver();
});

describe('FeedbackModel', () => {
  it('appends an observed outcome as a row with only the served model filled, and estimates change', () => {
    const ref = coldSet();
    const fb = new FeedbackModel(ref, options);
    const ids = Int32Array.from([0, 1, 2]);
    const before = estimateFromNeighbours(ref, ids, { k: 3 });
    expect(before.quality[1]).toBe(0);
    const id = fb.observe({ model: 1, predicted: { quality: 0, cost: 1 }, observed: { quality: 1, cost: 2, tokens: 40 }, features: [1, 1] });
    expect(id).toBe(2);
    expect(ref.size).toBe(3);
    expect(Number.isNaN(ref.value('quality', 2, 0))).toBe(true);
    expect(ref.value('quality', 2, 1)).toBe(1);
    expect(ref.value('tokens', 2, 1)).toBe(40);
    const after = estimateFromNeighbours(ref, ids, { k: 3 });
    expect(after.quality[1]).toBeCloseTo(1 / 3, 12);
    // model 0 has no value in the new row: its estimate is unchanged
    expect(after.quality[0]).toBe(1);
    expect(fb.appended).toBe(1);
  });

  it('does not append when rows are off, but still learns costs and widths', () => {
    const ref = coldSet();
    const fb = new FeedbackModel(ref, { ...options, appendRows: false });
    expect(fb.observe({ model: 0, predicted: { quality: 1, cost: 1 }, observed: { quality: 1, cost: 3 }, features: [1, 0] })).toBeNull();
    expect(ref.size).toBe(2);
    expect(fb.costs.ratio('cost', 0)).toBe(3);
    expect(fb.ucb.count(0)).toBe(1);
  });

  it('adjust corrects costs and attaches a bonus in score units that shrinks with samples', () => {
    const fb = new FeedbackModel(coldSet(), options);
    const raw = estimateBatchOf(2, Float64Array.from([0.5, 0.5]), Float64Array.from([1, 1]));
    const b0 = fb.adjust(raw, [1, 0], 10);
    expect(b0.bonus![0]).toBeCloseTo(10 * 0.5, 12);
    for (let i = 0; i < 10; i++) fb.observe({ model: 0, predicted: { quality: 0.5, cost: 1 }, observed: { quality: 0.5, cost: 2 }, features: [1, 0] });
    const b1 = fb.adjust(raw, [1, 0], 10);
    expect(b1.bonus![0]).toBeLessThan(b0.bonus![0]! / 3);
    expect(b1.bonus![1]).toBeCloseTo(b0.bonus![1]!, 12);
    expect(Array.from(b1.cost)).toEqual([2, 1]);
    expect(Array.from(raw.cost)).toEqual([1, 1]);
  });

  it("with bonusTarget 'quality' adds the bonus to d^ instead (optimistic estimates) and attaches no score bonus", () => {
    const fb = new FeedbackModel(coldSet(), { ...options, bonusTarget: 'quality' });
    const raw = estimateBatchOf(2, Float64Array.from([0.5, 0.2]), Float64Array.from([1, 1]));
    const b = fb.adjust(raw, [1, 0], 10);
    expect(b.bonus).toBeUndefined();
    expect(b.quality[0]).toBeCloseTo(0.5 + 0.5, 12);
    expect(b.quality[1]).toBeCloseTo(0.2 + 0.5, 12);
    expect(Array.from(raw.quality)).toEqual([0.5, 0.2]);
    const off = new FeedbackModel(coldSet(), { ...options, ucb: { ...options.ucb, beta: 0 } }).adjust(raw, [1, 0], 10);
    expect(off.bonus).toBeUndefined();
    expect(off.quality).toBe(raw.quality);
  });

  it('defaults: rows, drift and exploration on; cost correction, LinUCB, calibration off', () => {
    expect(DEFAULT_FEEDBACK_OPTIONS.ucb.beta).toBe(0);
    expect(DEFAULT_FEEDBACK_OPTIONS.correctCost).toBe(false);
    const supported = (rows: number): ReferenceSet =>
      ReferenceSet.fromArrays(['a', 'b'], { quality: Float64Array.from({ length: 2 * rows }, (_, i) => (i % 2 === 0 ? 1 : 0)), cost: new Float64Array(2 * rows).fill(1) });
    const fb = new FeedbackModel(supported(60), { ...DEFAULT_FEEDBACK_OPTIONS, ucb: { ...DEFAULT_FEEDBACK_OPTIONS.ucb, dim: 2 } });
    expect(fb.calibration).toBeNull();
    expect(fb.imputation).toBeNull();
    expect(fb.drift).not.toBeNull();
    // Five outcomes far below the estimate: too few for the change detector, costs not corrected.
    for (let i = 0; i < 5; i++) fb.observe({ model: 0, predicted: { quality: 1, cost: 1 }, observed: { quality: 0, cost: 2 }, features: [1, 0] });
    const raw = estimateBatchOf(2, Float64Array.from([0.9, 0.2]), Float64Array.from([1, 1]));
    const b = fb.adjust(raw, [1, 0], 10);
    expect(b.bonus).toBeUndefined();
    expect(Array.from(b.quality)).toEqual([0.9, 0.2]);
    expect(Array.from(b.cost)).toEqual([1, 1]);
    expect(fb.appended).toBe(5);
  });

  it('a model without any reference value gets a pessimistic cost prior and an optimistic quality, then learns from its rows', () => {
    const ref = ReferenceSet.fromArrays(['a', 'b', 'new'], {
      quality: Float64Array.from({ length: 3 * 60 }, (_, i) => (i % 3 === 2 ? Number.NaN : i % 3 === 0 ? 0.8 : 0.4)),
      cost: Float64Array.from({ length: 3 * 60 }, (_, i) => (i % 3 === 2 ? Number.NaN : i % 3 === 0 ? 3 : 1)),
    });
    const fb = new FeedbackModel(ref, { ...DEFAULT_FEEDBACK_OPTIONS, explore: { beta: 0.1, supportRows: 50 } });
    const raw = estimateBatchOf(3, Float64Array.from([0.8, 0.4, Number.NaN]), Float64Array.from([3, 1, Number.NaN]));
    const b = fb.adjust(raw, [], 1);
    // Prior: mean of the others' d^ (0.6) plus the full bonus 0.1; the largest of their costs.
    expect(b.quality[2]).toBeCloseTo(0.7, 12);
    expect(b.cost[2]).toBe(3);
    expect(b.quality[0]).toBe(0.8);
    // Its outcomes become rows: the bonus shrinks with its support and the prior is not used again.
    for (let i = 0; i < 25; i++) fb.observe({ model: 2, predicted: { quality: Number.NaN, cost: Number.NaN }, observed: { quality: 1, cost: 0.5 }, features: [] });
    expect(ref.count('quality', 2)).toBe(25);
    const later = fb.adjust(estimateBatchOf(3, Float64Array.from([0.8, 0.4, 1]), Float64Array.from([3, 1, 0.5])), [], 1);
    expect(later.quality[2]).toBeCloseTo(1 + 0.1 * (1 - 25 / 50), 12);
    expect(later.cost[2]).toBe(0.5);
  });

  it('calibrates d^ by the shrunk residual of served outcomes before the bonus, leaving the raw batch alone', () => {
    const fb = new FeedbackModel(coldSet(), { ...options, ucb: { ...options.ucb, beta: 0 }, calibration: { bins: 1, priorCount: 1 } });
    for (let i = 0; i < 3; i++) fb.observe({ model: 0, predicted: { quality: 0.9, cost: 1 }, observed: { quality: 0.5, cost: 1 }, features: [1, 0] });
    const raw = estimateBatchOf(2, Float64Array.from([0.9, 0.2]), Float64Array.from([1, 1]));
    const b = fb.adjust(raw, [1, 0], 10);
    expect(b.quality[0]).toBeCloseTo(0.9 - (3 * 0.4) / 4, 12);
    expect(b.quality[1]).toBe(0.2);
    expect(Array.from(raw.quality)).toEqual([0.9, 0.2]);
  });

  it('completes appended rows by imputation when asked, or appends cost only', () => {
    // model 1 is the opposite of model 0 in the reference rows: slope -1
    const ref = ReferenceSet.fromArrays(['a', 'b'], { quality: Float64Array.from([1, 0, 0, 1, 1, 0, 0, 1]), cost: new Float64Array(8).fill(1) });
    const fb = new FeedbackModel(ref, { ...options, imputeRows: { priorCount: 0 } });
    const id = fb.observe({ model: 0, predicted: { quality: 0.5, cost: 1, qualityAll: [0.5, 0.5] }, observed: { quality: 0, cost: 1 }, features: [1, 0] });
    expect(ref.value('quality', id!, 0)).toBe(0);
    expect(ref.value('quality', id!, 1)).toBeCloseTo(1, 12);
    expect(Number.isNaN(ref.value('cost', id!, 1))).toBe(true);
    // without the estimates of every model the row stays partial
    const partial = fb.observe({ model: 0, predicted: { quality: 0.5, cost: 1 }, observed: { quality: 0, cost: 1 }, features: [1, 0] });
    expect(Number.isNaN(ref.value('quality', partial!, 1))).toBe(true);
    const costOnly = new FeedbackModel(coldSet(), { ...options, appendQuality: false });
    const c = costOnly.observe({ model: 1, predicted: { quality: 0, cost: 1 }, observed: { quality: 1, cost: 3 }, features: [1, 0] });
    expect(Number.isNaN(costOnly.ref.value('quality', c!, 1))).toBe(true);
    expect(costOnly.ref.value('cost', c!, 1)).toBe(3);
  });

  it('feeds the bonus into scores, in float64 and through the kernel input', async () => {
    const raw = estimateBatchOf(2, Float64Array.from([0.5, 0.4]), Float64Array.from([1, 1]));
    const batch = { ...raw, bonus: Float64Array.from([0, 0.3]) };
    const pricing = { version: 1, alpha: 1, prices: Float64Array.from([0, 0]) };
    expect(Array.from(scoreQuery(pricing, { quality: [0.5, 0.4], cost: [1, 1], bonus: [0, 0.3] }))).toEqual([0.5, 0.4 + 0.3]);
    expect(Array.from(kernelInput(batch, pricing).bonus!)).toEqual(Array.from(Float32Array.from([0, 0.3])));
    const seen: (Float32Array | undefined)[] = [];
    const kernel: ScoreKernel = (input) => {
      seen.push(input.bonus);
      const scores = new Float32Array(input.nQueries * input.nModels);
      for (let i = 0; i < scores.length; i++) scores[i] = input.alpha * input.quality[i]! + (input.bonus ? input.bonus[i]! : 0);
      return { scores, best: new Int32Array(input.nQueries) };
    };
    const policy = await createPolicy({ policy: 'greedy-perf' }, { budgets: [10, 10], streamLength: 1 });
    const [d] = policy.chooseBatch(batch, kernel);
    expect(seen[0]).toBeDefined();
    expect(d).toMatchObject({ kind: 'route', model: 1 });
    const [plain] = policy.chooseBatch(raw, kernel);
    expect(plain).toMatchObject({ kind: 'route', model: 0 });
  });

  it('never lets the bonus push resolving-dual past a budget (property)', async () => {
    const stream = fc.record({
      M: fc.integer({ min: 1, max: 4 }),
      budgets: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }),
      queries: fc.array(
        fc.record({
          d: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }),
          g: fc.array(fc.double({ min: 0, max: 0.3, noNaN: true }), { minLength: 4, maxLength: 4 }),
          // bonuses up to 100x any score: large enough to dominate every comparison
          bonus: fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 4, maxLength: 4 }),
          factor: fc.array(fc.double({ min: 0, max: 3, noNaN: true }), { minLength: 4, maxLength: 4 }),
        }),
        { maxLength: 50 },
      ),
    });
    await fc.assert(
      fc.asyncProperty(stream, async ({ M, budgets, queries }) => {
        const B = budgets.slice(0, M);
        const rd = (await createPolicy({ policy: 'resolving-dual', resolveEvery: 4, windowSize: 16 }, { budgets: B, streamLength: queries.length || 1, solver })) as ResolvingDualPolicy;
        const ledger = new BudgetLedger(B);
        for (const q of queries) {
          const batch = { ...estimateBatchOf(M, Float64Array.from(q.d.slice(0, M)), Float64Array.from(q.g.slice(0, M))), bonus: Float64Array.from(q.bonus.slice(0, M)) };
          const [d] = rd.chooseBatch(batch);
          for (let m = 0; m < M; m++) expect(rd.committed(m)).toBeLessThanOrEqual(B[m]! * (1 + 1e-12) + 1e-15);
          if (d?.kind !== 'route') continue;
          const cost = q.g[d.model]! * q.factor[d.model]!;
          if (ledger.serve(d.model, cost).served) rd.recordOutcome({ model: d.model, cost, quality: 0, reservedCost: d.reservedCost });
          else rd.recordLost({ model: d.model, reservedCost: d.reservedCost });
        }
        expect(ledger.exceeded()).toBe(false);
      }),
      { numRuns: 80 },
    );
  });
});
