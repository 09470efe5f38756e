// Closed sets of reason codes carried as Avro strings (see the doc of DeadLetter.reason and
// Deferred.reason). They are strings on the wire so that old readers survive new codes; in
// TypeScript they are closed unions so every producer of a dead letter names a known reason.
// The budget_usd_* codes are the router's dollar gate: a dollar budget spent (exhausted; a
// deferral while reservations may come back or a day cap reopens), a request whose worst case
// is above the whole budget (too_small), or a budgeted request none of whose models is priced.
// tenant_mismatch: a request read from a tenant's own topic (tenancy.tenants) whose body names
// another tenant.

export const DEAD_LETTER_REASONS = [
  'undecodable',
  'unknown_schema',
  'wrong_schema',
  'invalid_field',
  'missing_input',
  'nan_embedding',
  'wrong_dimension',
  'oversized_prompt',
  'unknown_model',
  'deadline_passed',
  'no_feasible_model',
  'max_deferrals_exceeded',
  'processing_failed',
  'unreadable_batch',
  'budget_usd_exhausted',
  'budget_usd_too_small',
  'budget_usd_unpriced_models',
  'tenant_mismatch',
] as const;

export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

// model_failed: written by an executor, not the router: the request failed permanently on a model
// and comes back to be routed to another (excludedModels, failedAttempts in request.v3).
export const DEFER_REASONS = ['budget_exhausted', 'rate_limited', 'capacity', 'budget_usd_exhausted', 'model_failed'] as const;

export type DeferReason = (typeof DEFER_REASONS)[number];

const deadLetterReasonSet: ReadonlySet<string> = new Set(DEAD_LETTER_REASONS);
const deferReasonSet: ReadonlySet<string> = new Set(DEFER_REASONS);

export function isDeadLetterReason(value: string): value is DeadLetterReason {
  return deadLetterReasonSet.has(value);
}

export function isDeferReason(value: string): value is DeferReason {
  return deferReasonSet.has(value);
}
