import { describe, expect, it } from 'vitest';
import { ScoringError, TsScoringBackend, chooseFastestBackend } from '../src/index.ts';
import type { ScoreInput, ScoreOutput, ScoringBackend, ScoringBackendKind } from '../src/index.ts';
import { randomBatch } from './fixtures.ts';

/**
 * A backend that advances a fake clock by a fixed cost per call, so the comparison is decided by
 * the declared costs and never by the wall clock of the test machine.
 */
class FakeBackend implements ScoringBackend {
  readonly mode: string;
  disposed = false;
  readonly #inner = new TsScoringBackend();

  constructor(
    readonly name: ScoringBackendKind,
    private readonly clock: { t: number },
    private readonly costMs: number,
    private readonly flipBest = false,
  ) {
    this.mode = `fake-${name}`;
  }

  scoreBatch(input: ScoreInput): ScoreOutput {
    this.clock.t += this.costMs;
    const out = this.#inner.scoreBatch(input);
    if (this.flipBest) out.best[0] = out.best[0] === 0 ? 1 : 0;
    return out;
  }

  rankBatch(input: ScoreInput): Int32Array {
    return this.#inner.rankBatch(input);
  }

  dispose(): void {
    this.disposed = true;
  }
}

const sample = randomBatch({ seed: 1, nQueries: 64, nModels: 4 });

describe('chooseFastestBackend', () => {
  it('picks the backend with the highest measured rate and disposes the others', () => {
    const clock = { t: 0 };
    const made: FakeBackend[] = [];
    const create = (kind: ScoringBackendKind): FakeBackend => {
      const backend = new FakeBackend(kind, clock, kind === 'ts' ? 4 : 1);
      made.push(backend);
      return backend;
    };
    const result = chooseFastestBackend(sample, { repeats: 10, now: () => clock.t, create });
    expect(result.backend.name).toBe('gpujs');
    expect(result.measurements).toEqual([
      { name: 'ts', mode: 'fake-ts', opsPerSec: 250 },
      { name: 'gpujs', mode: 'fake-gpujs', opsPerSec: 1000 },
    ]);
    expect(made.map((b) => b.disposed)).toEqual([true, false]);
  });

  it('keeps the first preference on equal rates', () => {
    const clock = { t: 0 };
    const result = chooseFastestBackend(sample, { now: () => clock.t, create: (kind) => new FakeBackend(kind, clock, 2) });
    expect(result.backend.name).toBe('ts');
  });

  it('leaves out a backend that cannot start, and one whose decisions differ', () => {
    const clock = { t: 0 };
    const unavailable = chooseFastestBackend(sample, {
      now: () => clock.t,
      create: (kind) => {
        if (kind === 'gpujs') throw new ScoringError('backend_unavailable', 'no gpu.js here');
        return new FakeBackend(kind, clock, 5);
      },
    });
    expect(unavailable.backend.name).toBe('ts');
    expect(unavailable.excluded).toEqual([{ name: 'gpujs', code: 'backend_unavailable', message: 'no gpu.js here' }]);

    const made: FakeBackend[] = [];
    const disagreeing = chooseFastestBackend(sample, {
      now: () => clock.t,
      create: (kind) => {
        const backend = new FakeBackend(kind, clock, kind === 'ts' ? 5 : 1, kind === 'gpujs');
        made.push(backend);
        return backend;
      },
    });
    expect(disagreeing.backend.name).toBe('ts');
    expect(disagreeing.excluded.map((e) => e.code)).toEqual(['disagrees']);
    expect(made[1]?.disposed).toBe(true);
  });

  it('fails with backend_unavailable when nothing can run', () => {
    expect(() =>
      chooseFastestBackend(sample, {
        create: () => {
          throw new ScoringError('backend_unavailable', 'none');
        },
      }),
    ).toThrow(expect.objectContaining({ code: 'backend_unavailable' }) as ScoringError);
  });

  it('measures the real backends and returns a working one', () => {
    const result = chooseFastestBackend(sample, { repeats: 2 });
    try {
      expect(result.measurements.map((m) => m.name).sort()).toEqual(['gpujs', 'ts']);
      for (const m of result.measurements) expect(m.opsPerSec).toBeGreaterThan(0);
      expect(Array.from(result.backend.scoreBatch(sample).best)).toEqual(Array.from(new TsScoringBackend().scoreBatch(sample).best));
    } finally {
      result.backend.dispose();
    }
  });
});
