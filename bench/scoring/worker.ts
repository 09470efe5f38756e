import { TsScoringBackend } from '@switchyard/scoring';
import type { ScoreInput } from '@switchyard/scoring';

const backend = new TsScoringBackend();

/** Piscina task: score one batch with the TypeScript kernel and hand back the argmax only. */
export default function scoreInWorker(input: ScoreInput): Int32Array {
  return backend.scoreBatch(input).best;
}
