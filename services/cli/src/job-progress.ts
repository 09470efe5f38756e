// How far a job is: of the requests submit sent, how many have finished, that is have an
// answer or a final error (counted by finishedCounts in libs/store). A request finishes when
//   - an executor reported its outcome (switchyard.outcomes; a failed call is an outcome with
//     an error), or a result row holds its answer (switchyard.results), or
//   - the router rejected it (switchyard.decisions, outcome 'rejected': no model can take it).
// Each request counts once, whichever of these it has; it succeeded when any of them says so
// (an outcome that failed and a later retry that succeeded is a success). Dead-lettered
// requests (invalid for the router, e.g. a model outside the pool) are in the dead-letter
// topic, not in Postgres, so they stay "unaccounted": a job with dead letters does not reach
// `completed`, and the command says where to look.
import type { FinishedCounts } from '@switchyard/store';

export interface JobProgress {
  /** Requests submit sent (Kafka acknowledged). */
  readonly sent: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Sent, not finished yet: still being routed or executed, or dead-lettered. */
  readonly unfinished: number;
  /** Every sent request has finished (and the submission itself is over). */
  readonly completed: boolean;
}

/** Pure: progress from the counts. A submission still running or failed is never complete. */
export function progressOf(sent: number, submission: 'submitting' | 'submitted' | 'failed', finished: FinishedCounts): JobProgress {
  const done = finished.succeeded + finished.failed;
  return {
    sent,
    succeeded: finished.succeeded,
    failed: finished.failed,
    unfinished: Math.max(0, sent - done),
    completed: submission === 'submitted' && done >= sent,
  };
}
