// Pure pieces of `switchyard label`: reading a labels file, and turning labels and the stored
// outcomes into the outcome events that carry them. A label is a newer version of the
// request's outcome event (same model, usage and cost; quality = the label; completedAt after
// the stored one), so the outcome recorder replaces the row and moves the statistics by the
// difference, and the router's feedback sees it like any outcome. A second label is again a
// newer version: it replaces the first. Its completedAt is the stored one + 1 ms, not the time
// of labelling, so it stays on the day the request ran in the daily rollup (a version that
// moves a request to another day is refused by outcome_daily's checks).
import type { OutcomeV1 } from '@switchyard/contracts';
import type { LabelRecord, StoredOutcome } from '@switchyard/store';

const DAY_MS = 86_400_000;

export type LabelKey = { readonly kind: 'request'; readonly id: string } | { readonly kind: 'custom'; readonly id: string };

export interface LabelLine {
  readonly lineNo: number;
  readonly key: LabelKey;
  readonly quality: number;
}

export interface BadLabelLine {
  readonly lineNo: number;
  readonly error: string;
}

/** Parses JSONL labels: `{"custom_id": ..., "quality": q}` or `{"request_id": ..., "quality": q}`, q in [0, 1]. */
export function parseLabelLines(text: string): { labels: LabelLine[]; bad: BadLabelLine[] } {
  const labels: LabelLine[] = [];
  const bad: BadLabelLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const lineNo = i + 1;
    if (raw.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      bad.push({ lineNo, error: 'not valid JSON' });
      return;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      bad.push({ lineNo, error: 'must be a JSON object' });
      return;
    }
    const o = v as Record<string, unknown>;
    const requestId = o['request_id'] ?? o['requestId'];
    const customId = o['custom_id'];
    const q = o['quality'];
    if (typeof q !== 'number' || !Number.isFinite(q) || q < 0 || q > 1) {
      bad.push({ lineNo, error: 'quality must be a number in [0, 1]' });
      return;
    }
    if (typeof requestId === 'string' && requestId.length > 0) labels.push({ lineNo, key: { kind: 'request', id: requestId }, quality: q });
    else if ((typeof customId === 'string' && customId.length > 0) || (typeof customId === 'number' && Number.isInteger(customId))) {
      labels.push({ lineNo, key: { kind: 'custom', id: String(customId) }, quality: q });
    } else bad.push({ lineNo, error: 'needs request_id or custom_id' });
  });
  return { labels, bad };
}

export interface LabelPlan {
  /** Outcome events to send, with the segment header of the stored outcome. */
  readonly events: { readonly outcome: OutcomeV1; readonly segment: string | null }[];
  readonly records: LabelRecord[];
  /** Labels of requests with no outcome yet (or of another job): not applied, reported. */
  readonly missing: { readonly lineNo: number; readonly requestId: string; readonly why: string }[];
  /** Labels already applied with the same quality: nothing to send. */
  readonly unchanged: number;
}

/**
 * What to send and record for `labels` (request ids resolved; the last label of a request in
 * the file wins). `existing` is the label already recorded per request.
 */
export function planLabels(
  jobId: string,
  labels: readonly { readonly lineNo: number; readonly requestId: string; readonly quality: number }[],
  stored: ReadonlyMap<string, StoredOutcome>,
  existing: ReadonlyMap<string, number>,
): LabelPlan {
  const last = new Map<string, (typeof labels)[number]>();
  for (const l of labels) last.set(l.requestId, l);
  const plan: LabelPlan = { events: [], records: [], missing: [], unchanged: 0 };
  let unchanged = 0;
  for (const l of last.values()) {
    const o = stored.get(l.requestId);
    if (o === undefined) {
      plan.missing.push({ lineNo: l.lineNo, requestId: l.requestId, why: 'no outcome recorded yet; label it again once it has run' });
      continue;
    }
    if (o.jobId !== jobId) {
      plan.missing.push({ lineNo: l.lineNo, requestId: l.requestId, why: `belongs to job ${o.jobId}` });
      continue;
    }
    // The label is the next version of the outcome: 1 ms after the stored one, on the same
    // execution day, so the daily rollup keeps the request on the day it ran.
    const completedAt = o.completedAtMs + 1;
    if (Math.floor(completedAt / DAY_MS) !== Math.floor(o.completedAtMs / DAY_MS)) {
      plan.missing.push({ lineNo: l.lineNo, requestId: l.requestId, why: 'completed on the last millisecond of a UTC day; its outcome version cannot move on that day' });
      continue;
    }
    if (o.quality === l.quality && existing.get(l.requestId) === l.quality) {
      unchanged++;
      continue;
    }
    plan.records.push({ requestId: l.requestId, jobId, quality: l.quality, executorQuality: o.quality });
    if (o.quality === l.quality) continue;
    plan.events.push({
      segment: o.segment,
      outcome: {
        requestId: o.requestId,
        jobId: o.jobId,
        tenant: o.tenant,
        model: o.model,
        batchId: o.batchId,
        quality: l.quality,
        success: o.success,
        promptTokens: o.promptTokens,
        completionTokens: o.completionTokens,
        latencyMs: o.latencyMs,
        error: o.error,
        costUsd: o.costUsd,
        completedAt,
      },
    });
  }
  return { ...plan, unchanged };
}
