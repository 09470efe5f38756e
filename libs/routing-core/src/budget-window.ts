// Token budgets per time window, and the rescheduling decision taken when a window is spent.
// Pure: the caller passes the clock in; the ledger is plain in-memory state.
//
// Windows are FIXED and aligned to the Unix epoch (a minute window is [k*60s, (k+1)*60s), a day
// window is a UTC day). Fixed windows give every instance the same window boundaries without
// coordination, so a durable ledger row can be keyed by (rule, subject, windowStartMs) and leased
// across router instances, and a deferred request knows exactly when budget comes back
// (`retryAtMs` = end of the blocking window). The known cost of fixed windows is the boundary
// burst: up to twice a window's budget can be spent in one sliding window that straddles a
// boundary (the "fixed window counter" trade-off of rate limiters); budgets here are spend caps
// per calendar window, not smoothing limits, so that trade-off is accepted.
//
// Leasing: in `local` mode a window may use its rule's whole `limitTokens`. In `leased` mode a
// window may only use what was granted to this instance (`grant`), never more than the limit;
// the shell leases from the shared ledger before deciding and returns the surplus after, so any
// number of instances together stay within every limit.

export type BudgetScope =
  | { readonly kind: 'model'; readonly model: string }
  /** `tenant: '*'` gives every tenant its own window of this size. */
  | { readonly kind: 'tenant'; readonly tenant: string }
  /** `jobId: '*'` gives every job its own window of this size. */
  | { readonly kind: 'job'; readonly jobId: string };

export interface BudgetRule {
  /** Stable identifier; part of the durable ledger key, so never reuse one for a different rule. */
  readonly id: string;
  readonly scope: BudgetScope;
  readonly windowMs: number;
  readonly limitTokens: number;
}

export interface ReservationInput {
  readonly model: string;
  readonly tenant: string;
  readonly jobId: string;
  readonly tokens: number;
}

export interface WindowUsage {
  readonly key: string;
  readonly ruleId: string;
  readonly scope: BudgetScope;
  /** The model, tenant or job this window counts for. */
  readonly subject: string;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly limitTokens: number;
  /** What this instance may use: the limit in `local` mode, the granted lease in `leased` mode. */
  readonly capacityTokens: number;
  readonly usedTokens: number;
}

export interface Reservation {
  readonly tokens: number;
  readonly windowKeys: readonly string[];
}

export type ReserveFailure = 'window_exhausted' | 'exceeds_window_limit' | 'invalid_tokens';

export type ReserveResult =
  | { readonly ok: true; readonly reservation: Reservation }
  | {
      readonly ok: false;
      readonly reason: ReserveFailure;
      readonly ruleId: string;
      /**
       * Earliest time every blocking window has reset; null when no reset can help (the request
       * alone is larger than a window's limit, or its token count is invalid).
       */
      readonly retryAtMs: number | null;
    };

export type LedgerMode = 'local' | 'leased';

interface WindowState {
  readonly rule: BudgetRule;
  readonly subject: string;
  readonly windowStartMs: number;
  used: number;
  granted: number;
}

export function windowStartOf(nowMs: number, windowMs: number): number {
  return Math.floor(nowMs / windowMs) * windowMs;
}

function checkRule(rule: BudgetRule): void {
  if (!Number.isSafeInteger(rule.windowMs) || rule.windowMs <= 0) {
    throw new RangeError(`budget rule ${rule.id}: windowMs must be a positive integer, got ${rule.windowMs}`);
  }
  if (!Number.isFinite(rule.limitTokens) || rule.limitTokens < 0) {
    throw new RangeError(`budget rule ${rule.id}: limitTokens must be finite and >= 0, got ${rule.limitTokens}`);
  }
}

function subjectOf(rule: BudgetRule, input: Pick<ReservationInput, 'model' | 'tenant' | 'jobId'>): string | null {
  switch (rule.scope.kind) {
    case 'model':
      return rule.scope.model === input.model ? input.model : null;
    case 'tenant':
      return rule.scope.tenant === '*' || rule.scope.tenant === input.tenant ? input.tenant : null;
    case 'job':
      return rule.scope.jobId === '*' || rule.scope.jobId === input.jobId ? input.jobId : null;
  }
}

export function windowKey(ruleId: string, subject: string, windowStartMs: number): string {
  return `${ruleId}|${subject}|${windowStartMs}`;
}

export class WindowBudgetLedger {
  readonly mode: LedgerMode;
  readonly rules: readonly BudgetRule[];
  readonly #windows = new Map<string, WindowState>();

  /** Invalid rules are a configuration bug, so they throw (RangeError) instead of returning a value. */
  constructor(rules: readonly BudgetRule[], mode: LedgerMode = 'local') {
    const ids = new Set<string>();
    for (const rule of rules) {
      checkRule(rule);
      if (ids.has(rule.id)) throw new RangeError(`budget rule id ${rule.id} is used twice`);
      ids.add(rule.id);
    }
    this.rules = Object.freeze(rules.map((r) => Object.freeze({ ...r })));
    this.mode = mode;
  }

  /** The rules that a request for `model` from this tenant and job counts against. */
  rulesFor(input: Pick<ReservationInput, 'model' | 'tenant' | 'jobId'>): { rule: BudgetRule; subject: string }[] {
    const out: { rule: BudgetRule; subject: string }[] = [];
    for (const rule of this.rules) {
      const subject = subjectOf(rule, input);
      if (subject !== null) out.push({ rule, subject });
    }
    return out;
  }

  /**
   * Reserves `tokens` in every window the request counts against, all or nothing. On failure
   * nothing is reserved and `retryAtMs` tells when the blocking windows reset.
   */
  tryReserve(input: ReservationInput, nowMs: number): ReserveResult {
    this.#prune(nowMs);
    const applicable = this.rulesFor(input);
    if (!Number.isFinite(input.tokens) || input.tokens < 0) {
      return { ok: false, reason: 'invalid_tokens', ruleId: applicable[0]?.rule.id ?? '', retryAtMs: null };
    }
    const states: WindowState[] = [];
    let blocking: { ruleId: string; retryAtMs: number } | null = null;
    for (const { rule, subject } of applicable) {
      if (input.tokens > rule.limitTokens) {
        return { ok: false, reason: 'exceeds_window_limit', ruleId: rule.id, retryAtMs: null };
      }
      const state = this.#window(rule, subject, nowMs);
      if (state.used + input.tokens > this.#capacity(state)) {
        const resetAtMs = state.windowStartMs + rule.windowMs;
        if (blocking === null || resetAtMs > blocking.retryAtMs) blocking = { ruleId: rule.id, retryAtMs: resetAtMs };
      }
      states.push(state);
    }
    if (blocking !== null) return { ok: false, reason: 'window_exhausted', ...blocking };
    for (const state of states) state.used += input.tokens;
    return {
      ok: true,
      reservation: { tokens: input.tokens, windowKeys: states.map((s) => windowKey(s.rule.id, s.subject, s.windowStartMs)) },
    };
  }

  /** Gives back a reservation not acted on (windows that already ended are gone and ignored). */
  release(reservation: Reservation): void {
    for (const key of reservation.windowKeys) {
      const state = this.#windows.get(key);
      if (state !== undefined) state.used = Math.max(0, state.used - reservation.tokens);
    }
  }

  /** `leased` mode: adds tokens granted by the shared ledger to this instance's share of a window. */
  grant(ruleId: string, subject: string, windowStartMs: number, tokens: number): void {
    const rule = this.rules.find((r) => r.id === ruleId);
    if (rule === undefined) throw new RangeError(`unknown budget rule ${ruleId}`);
    if (!Number.isFinite(tokens) || tokens < 0) throw new RangeError(`grant must be finite and >= 0, got ${tokens}`);
    const state = this.#window(rule, subject, windowStartMs);
    state.granted = Math.min(rule.limitTokens, state.granted + tokens);
  }

  /**
   * `leased` mode: shrinks every window's grant to what was used and returns the surplus per
   * window, for the shell to hand back to the shared ledger.
   */
  settle(): { key: string; ruleId: string; subject: string; windowStartMs: number; surplusTokens: number }[] {
    const out: { key: string; ruleId: string; subject: string; windowStartMs: number; surplusTokens: number }[] = [];
    for (const [key, state] of this.#windows) {
      const surplus = state.granted - state.used;
      if (surplus > 0) {
        state.granted = state.used;
        out.push({ key, ruleId: state.rule.id, subject: state.subject, windowStartMs: state.windowStartMs, surplusTokens: surplus });
      }
    }
    return out;
  }

  /** Current windows (those not yet ended at `nowMs`), for metrics and the durable ledger. */
  usage(nowMs: number): WindowUsage[] {
    this.#prune(nowMs);
    return [...this.#windows.entries()].map(([key, s]) => ({
      key,
      ruleId: s.rule.id,
      scope: s.rule.scope,
      subject: s.subject,
      windowStartMs: s.windowStartMs,
      windowEndMs: s.windowStartMs + s.rule.windowMs,
      limitTokens: s.rule.limitTokens,
      capacityTokens: this.#capacity(s),
      usedTokens: s.used,
    }));
  }

  #capacity(state: WindowState): number {
    return this.mode === 'local' ? state.rule.limitTokens : Math.min(state.rule.limitTokens, state.granted);
  }

  #window(rule: BudgetRule, subject: string, atMs: number): WindowState {
    const start = windowStartOf(atMs, rule.windowMs);
    const key = windowKey(rule.id, subject, start);
    let state = this.#windows.get(key);
    if (state === undefined) {
      state = { rule, subject, windowStartMs: start, used: 0, granted: 0 };
      this.#windows.set(key, state);
    }
    return state;
  }

  /** Ended windows can never be reserved in again; dropping them keeps the ledger bounded. */
  #prune(nowMs: number): void {
    for (const [key, state] of this.#windows) {
      if (state.windowStartMs + state.rule.windowMs <= nowMs) this.#windows.delete(key);
    }
  }
}

export interface RankedCandidate {
  readonly model: string;
  /** Estimated tokens on this model (prompt + expected output); models differ in output length. */
  readonly estimatedTokens: number;
}

export interface RescheduleInput {
  /** Best first, as ranked by the policy. */
  readonly ranked: readonly RankedCandidate[];
  readonly tenant: string;
  readonly jobId: string;
  readonly deadlineMs: number | null;
  readonly nowMs: number;
  /** Longest a request may be deferred; beyond it the request is rejected `no_budget`. */
  readonly maxDeferMs?: number;
}

export interface SkippedCandidate {
  readonly model: string;
  readonly reason: ReserveFailure;
  readonly ruleId: string;
  readonly retryAtMs: number | null;
}

export type BudgetRejectReason = 'deadline_passed' | 'deadline_unreachable' | 'no_budget';

export type RescheduleDecision =
  | {
      readonly kind: 'route';
      readonly model: string;
      readonly estimatedTokens: number;
      /** 0 = the policy's first choice, 1 = its second, ... */
      readonly fallbackRank: number;
      readonly reservation: Reservation;
      readonly skipped: readonly SkippedCandidate[];
    }
  | { readonly kind: 'defer'; readonly untilMs: number; readonly skipped: readonly SkippedCandidate[] }
  | { readonly kind: 'reject'; readonly reason: BudgetRejectReason; readonly detail: string; readonly skipped: readonly SkippedCandidate[] };

/**
 * Routes to the first ranked model whose windows all have budget (reserving it); otherwise
 * defers to the earliest moment some ranked model's blocking windows reset, if that is no later
 * than the deadline; otherwise rejects. A request already past its deadline is rejected
 * without reserving anything: serving it late would spend budget on an answer nobody waits for.
 */
export function routeWithinBudget(ledger: WindowBudgetLedger, input: RescheduleInput): RescheduleDecision {
  const skipped: SkippedCandidate[] = [];
  if (input.deadlineMs !== null && input.nowMs > input.deadlineMs) {
    return { kind: 'reject', reason: 'deadline_passed', detail: `deadline ${input.deadlineMs} < now ${input.nowMs}`, skipped };
  }
  let earliestRetry: number | null = null;
  for (let rank = 0; rank < input.ranked.length; rank++) {
    const candidate = input.ranked[rank];
    if (candidate === undefined) continue;
    const result = ledger.tryReserve(
      { model: candidate.model, tenant: input.tenant, jobId: input.jobId, tokens: candidate.estimatedTokens },
      input.nowMs,
    );
    if (result.ok) {
      return {
        kind: 'route',
        model: candidate.model,
        estimatedTokens: candidate.estimatedTokens,
        fallbackRank: rank,
        reservation: result.reservation,
        skipped,
      };
    }
    skipped.push({ model: candidate.model, reason: result.reason, ruleId: result.ruleId, retryAtMs: result.retryAtMs });
    if (result.retryAtMs !== null && (earliestRetry === null || result.retryAtMs < earliestRetry)) {
      earliestRetry = result.retryAtMs;
    }
  }
  if (earliestRetry === null) {
    return { kind: 'reject', reason: 'no_budget', detail: 'no ranked model can ever fit this request in its windows', skipped };
  }
  if (input.deadlineMs !== null && earliestRetry > input.deadlineMs) {
    return {
      kind: 'reject',
      reason: 'deadline_unreachable',
      detail: `budget returns at ${earliestRetry}, after the deadline ${input.deadlineMs}`,
      skipped,
    };
  }
  if (input.maxDeferMs !== undefined && earliestRetry - input.nowMs > input.maxDeferMs) {
    return {
      kind: 'reject',
      reason: 'no_budget',
      detail: `budget returns at ${earliestRetry}, beyond the longest deferral of ${input.maxDeferMs} ms`,
      skipped,
    };
  }
  return { kind: 'defer', untilMs: earliestRetry, skipped };
}
