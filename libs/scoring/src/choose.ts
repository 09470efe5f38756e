import { ScoringError } from './errors.ts';
import { createScoringBackend } from './factory.ts';
import type { GpujsBackendOptions } from './gpujs-backend.ts';
import type { ScoreInput, ScoringBackend, ScoringBackendKind } from './types.ts';

export interface BackendMeasurement {
  name: string;
  mode: string;
  /** scoreBatch calls on the sample per second, steady state (the first, compiling call is not timed). */
  opsPerSec: number;
}

export interface ChooseOptions {
  /** Timed scoreBatch calls per backend after one untimed warm-up call; default 5. */
  repeats?: number;
  /** Backends to compare, in order of preference on equal speed; default ['ts', 'gpujs']. */
  kinds?: readonly ScoringBackendKind[];
  gpujs?: GpujsBackendOptions;
  /** Millisecond clock; default performance.now. */
  now?: () => number;
  /** Backend constructor; default createScoringBackend. */
  create?: (kind: ScoringBackendKind) => ScoringBackend;
}

export interface ChooseResult {
  backend: ScoringBackend;
  measurements: BackendMeasurement[];
  /** Backends left out of the comparison and why (could not start, or chose differently from the first). */
  excluded: Array<{ name: string; code: string; message: string }>;
}

function sameInt32(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Measures each available backend on `sample` and returns the fastest, disposing the others, so
 * the router's backend is a measured choice on the machine it runs on, never an assumption.
 * A backend whose argmax differs from the first backend's on the sample is excluded: speed does
 * not buy a different decision.
 */
export function chooseFastestBackend(sample: ScoreInput, opts: ChooseOptions = {}): ChooseResult {
  const repeats = opts.repeats ?? 5;
  if (!Number.isSafeInteger(repeats) || repeats < 1) {
    throw new ScoringError('bad_shape', `repeats must be a positive integer, got ${opts.repeats}`);
  }
  const kinds = opts.kinds ?? (['ts', 'gpujs'] as const);
  const now = opts.now ?? (() => performance.now());
  const create = opts.create ?? ((kind: ScoringBackendKind) => createScoringBackend(kind, opts.gpujs));

  const measured: Array<{ backend: ScoringBackend; measurement: BackendMeasurement }> = [];
  const excluded: ChooseResult['excluded'] = [];
  let reference: Int32Array | undefined;
  try {
    for (const kind of kinds) {
      let backend: ScoringBackend;
      try {
        backend = create(kind);
      } catch (err) {
        if (err instanceof ScoringError && err.code === 'backend_unavailable') {
          excluded.push({ name: kind, code: err.code, message: err.message });
          continue;
        }
        throw err;
      }
      let keep = false;
      try {
        const { best } = backend.scoreBatch(sample);
        if (reference !== undefined && !sameInt32(reference, best)) {
          excluded.push({ name: kind, code: 'disagrees', message: `${kind} (${backend.mode}) chose a different model than ${kinds[0]} on the sample` });
          continue;
        }
        reference ??= best;
        const start = now();
        for (let r = 0; r < repeats; r++) backend.scoreBatch(sample);
        const elapsedMs = now() - start;
        const opsPerSec = elapsedMs > 0 ? (repeats * 1000) / elapsedMs : Number.POSITIVE_INFINITY;
        measured.push({ backend, measurement: { name: backend.name, mode: backend.mode, opsPerSec } });
        keep = true;
      } finally {
        if (!keep) backend.dispose();
      }
    }
  } catch (err) {
    for (const { backend } of measured) backend.dispose();
    throw err;
  }
  let winner = measured[0];
  if (winner === undefined) {
    throw new ScoringError('backend_unavailable', `no scoring backend could run: ${excluded.map((e) => `${e.name}: ${e.message}`).join('; ')}`);
  }
  for (const candidate of measured) {
    if (candidate.measurement.opsPerSec > winner.measurement.opsPerSec) winner = candidate;
  }
  for (const { backend } of measured) if (backend !== winner.backend) backend.dispose();
  return { backend: winner.backend, measurements: measured.map((m) => m.measurement), excluded };
}
