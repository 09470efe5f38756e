// A routed batch executed as one provider batch (OpenAI Batch API), as a state machine over an
// injected BatchApi, ledger, clock and sleep: write the requests as a JSONL file (custom_id =
// request id), upload it, create the batch and remember its id, poll with a growing jittered
// interval, cancel it when the requests' time runs short, download the output and error
// files, and turn every line into the outcome the per-request path would have produced, at the
// batch price. Requests the provider did not answer go to the per-request path (or end as
// errors with the reason): each request of the routed batch gets exactly one result.
import type { ModelPrice } from '@switchyard/config';
import type { RoutedBatchV2, RoutedRequestV2 } from '@switchyard/contracts';
import type { ExecutionResult } from '@switchyard/executor-kit';
import type { ProviderBatchRecord } from '@switchyard/store';
import type { BatchApiSettings, ModelEndpoint } from './config.ts';
import { CallAborted } from './call.ts';
import { buildChatBody } from './chat-body.ts';
import { BatchApiError, isTerminalStatus } from './batch-client.ts';
import type { BatchApi, ProviderBatchView } from './batch-client.ts';
import { batchPrice, lineVerdict, parseBatchOutput, writeBatchInput } from './batch-file.ts';
import type { BatchInputItem } from './batch-file.ts';
import { failure, handBackFor } from './response.ts';
import type { CallOutcome } from './response.ts';

/** Where provider batch ids are remembered (Postgres in the service, a Map in tests). */
export interface ProviderBatchLedger {
  find(routedBatchId: string, model: string): Promise<ProviderBatchRecord | null>;
  save(record: ProviderBatchRecord): Promise<void>;
  setStatus(record: ProviderBatchRecord, status: string): Promise<void>;
}

export interface ProviderBatchDeps {
  readonly now: () => number;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly random: () => number;
  /** What happened to each provider batch, for the log. */
  readonly onEvent?: (event: ProviderBatchEvent) => void;
}

export type ProviderBatchEvent =
  | { readonly type: 'submitted' | 'resumed'; readonly batchId: string; readonly providerBatchId: string; readonly requests: number }
  | { readonly type: 'not_submitted' | 'gave_up'; readonly batchId: string; readonly detail: string }
  | { readonly type: 'ended'; readonly batchId: string; readonly providerBatchId: string; readonly status: string; readonly answered: number; readonly unanswered: number; readonly unreadableLines: number };

/** The per-request path for the requests the provider batch left unanswered. */
export type PerRequest = (batch: RoutedBatchV2, stop: AbortSignal) => Promise<ExecutionResult[]>;

export type BatchApiChoice = { readonly use: true } | { readonly use: false; readonly why: string };

/** Whether `batch` goes to the provider's batch API: enough requests, and time for the provider's window. Pure. */
export function chooseBatchApi(batch: Pick<RoutedBatchV2, 'requests'>, s: BatchApiSettings | null, nowMs: number): BatchApiChoice {
  if (s === null) return { use: false, why: 'batch API not enabled' };
  if (batch.requests.length < s.minBatchRequests) return { use: false, why: `${batch.requests.length} requests, fewer than minBatchRequests ${s.minBatchRequests}` };
  if (new Set(batch.requests.map((r) => r.requestId)).size !== batch.requests.length) return { use: false, why: 'request ids repeat (custom_id must be unique in a provider batch)' };
  const earliest = earliestDeadline(batch.requests);
  if (earliest !== null && earliest - nowMs < s.minTimeLeftMs) return { use: false, why: `earliest deadline in ${earliest - nowMs} ms, less than minTimeLeftMs ${s.minTimeLeftMs}` };
  return { use: true };
}

function earliestDeadline(requests: readonly Pick<RoutedRequestV2, 'deadline'>[]): number | null {
  let min: number | null = null;
  for (const r of requests) if (r.deadline !== null && (min === null || r.deadline < min)) min = r.deadline;
  return min;
}

/** When to cancel a provider batch submitted at `submittedAtMs`. Pure. */
export function cancelAtMs(requests: readonly Pick<RoutedRequestV2, 'deadline'>[], s: BatchApiSettings, submittedAtMs: number): number {
  const earliest = earliestDeadline(requests);
  return Math.min(submittedAtMs + s.maxWaitMs, earliest === null ? Infinity : earliest - s.fallbackMarginMs);
}

const rethrowStop = (err: unknown): void => {
  if (err instanceof CallAborted || !(err instanceof BatchApiError)) throw err;
};

type Polled = { readonly view: ProviderBatchView } | { readonly gaveUp: string };

interface Unanswered {
  readonly request: RoutedRequestV2;
  readonly detail: string;
}

/** Outcomes of the answered lines, and the requests left unanswered with why. */
async function collect(api: BatchApi, price: ModelPrice, now: () => number, view: ProviderBatchView, record: ProviderBatchRecord, sent: readonly RoutedRequestV2[], stop: AbortSignal): Promise<{ answered: ExecutionResult[]; unanswered: Unanswered[]; unreadableLines: number }> {
  const files: string[] = [];
  let unreadable: string | null = view.status === 'failed' ? `provider batch failed${view.errors !== null ? `: ${view.errors}` : ''}` : null;
  for (const id of [view.outputFileId, view.errorFileId]) {
    if (id === null || unreadable !== null) continue;
    try {
      files.push(await api.fileContent(id, stop));
    } catch (err) {
      rethrowStop(err);
      unreadable = `file ${id} not downloaded: ${(err as Error).message}`;
    }
  }
  if (unreadable !== null) return { answered: [], unanswered: sent.map((request) => ({ request, detail: unreadable })), unreadableLines: 0 };
  const parsed = parseBatchOutput(files);
  const completedAt = view.endedAtMs ?? now();
  const latencyMs = Math.max(0, completedAt - record.submittedAtMs);
  const answered: ExecutionResult[] = [];
  const unanswered: Unanswered[] = [];
  for (const request of sent) {
    const verdict = lineVerdict(parsed.lines.get(request.requestId), price);
    if (verdict.kind === 'final') answered.push(resultOf(request, verdict.outcome, latencyMs, completedAt));
    else unanswered.push({ request, detail: `${verdict.detail} (provider batch ${view.id}, ${view.status})` });
  }
  // An unreadable line is never dropped silently: its request counts as missing (unanswered).
  return { answered, unanswered, unreadableLines: parsed.problems.length };
}

export interface ProviderBatchRunner {
  /** chooseBatchApi, except that a routed batch already submitted (found in the ledger) is always resumed. */
  decide(batch: RoutedBatchV2): Promise<BatchApiChoice>;
  run(batch: RoutedBatchV2, stop: AbortSignal): Promise<ExecutionResult[]>;
}

export function createProviderBatchRunner(endpoint: ModelEndpoint, s: BatchApiSettings, api: BatchApi, ledger: ProviderBatchLedger, perRequest: PerRequest, deps: ProviderBatchDeps): ProviderBatchRunner {
  const price = batchPrice(endpoint.price);

  async function submit(batch: RoutedBatchV2, items: readonly BatchInputItem[], stop: AbortSignal): Promise<ProviderBatchRecord | string> {
    const found = await ledger.find(batch.batchId, endpoint.model);
    if (found !== null) {
      deps.onEvent?.({ type: 'resumed', batchId: batch.batchId, providerBatchId: found.providerBatchId, requests: found.requests });
      return found;
    }
    try {
      const inputFileId = await api.uploadFile(writeBatchInput(items), `${batch.batchId}.jsonl`, stop);
      const view = await api.createBatch(inputFileId, { switchyard_batch_id: batch.batchId, switchyard_model: endpoint.model }, stop);
      // A crash between create and save resubmits on the next consumption (paid twice, answered once).
      const record: ProviderBatchRecord = { routedBatchId: batch.batchId, model: endpoint.model, providerBatchId: view.id, inputFileId, requests: items.length, status: view.status, submittedAtMs: deps.now() };
      await ledger.save(record);
      deps.onEvent?.({ type: 'submitted', batchId: batch.batchId, providerBatchId: view.id, requests: items.length });
      return record;
    } catch (err) {
      rethrowStop(err);
      const detail = `provider batch not submitted: ${(err as Error).message}`;
      deps.onEvent?.({ type: 'not_submitted', batchId: batch.batchId, detail });
      return detail;
    }
  }

  async function poll(record: ProviderBatchRecord, cancelAt: number, stop: AbortSignal): Promise<Polled> {
    let interval = s.pollIntervalMs;
    let cancelledAt: number | null = null;
    for (;;) {
      try {
        const view = await api.getBatch(record.providerBatchId, stop);
        if (isTerminalStatus(view.status)) return { view };
      } catch (err) {
        rethrowStop(err);
        // A batch the provider no longer knows will not come back; a transient failure may.
        if (!(err as BatchApiError).retriable) return { gaveUp: `provider batch ${record.providerBatchId} unreadable: ${(err as Error).message}` };
      }
      const t = deps.now();
      if (cancelledAt === null && t >= cancelAt) {
        await api.cancelBatch(record.providerBatchId, stop).catch(rethrowStop);
        cancelledAt = t;
      }
      // Cancelling can take a while at the provider; the fallback's share of the margin is kept.
      if (cancelledAt !== null && t - cancelledAt >= s.fallbackMarginMs / 2) return { gaveUp: `provider batch ${record.providerBatchId} cancelled and not ended after ${t - cancelledAt} ms` };
      const jittered = Math.round(interval * (0.75 + deps.random() / 2));
      await deps.sleep(Math.max(1, cancelledAt === null ? Math.min(jittered, cancelAt - t) : jittered), stop);
      if (stop.aborted) throw new CallAborted('executor stopping');
      interval = Math.min(s.maxPollIntervalMs, interval * 1.5);
    }
  }

  async function run(batch: RoutedBatchV2, stop: AbortSignal): Promise<ExecutionResult[]> {
    const results: ExecutionResult[] = [];
    const items: BatchInputItem[] = [];
    const sent: RoutedRequestV2[] = [];
    for (const request of batch.requests) {
      const body = buildChatBody(request, endpoint.upstreamModel);
      if (!body.ok) results.push(resultOf(request, failure('invalid_body', body.detail), 0, deps.now()));
      else {
        items.push({ customId: request.requestId, body: body.body });
        sent.push(request);
      }
    }
    if (sent.length === 0) return results;
    const record = await submit(batch, items, stop);
    let unanswered: Unanswered[];
    if (typeof record === 'string') unanswered = sent.map((request) => ({ request, detail: record }));
    else {
      const polled = await poll(record, cancelAtMs(sent, s, record.submittedAtMs), stop);
      if ('gaveUp' in polled) {
        unanswered = sent.map((request) => ({ request, detail: polled.gaveUp }));
        deps.onEvent?.({ type: 'gave_up', batchId: batch.batchId, detail: polled.gaveUp });
      } else {
        const got = await collect(api, price, deps.now, polled.view, record, sent, stop);
        results.push(...got.answered);
        unanswered = got.unanswered;
        deps.onEvent?.({ type: 'ended', batchId: batch.batchId, providerBatchId: record.providerBatchId, status: polled.view.status, answered: got.answered.length, unanswered: unanswered.length, unreadableLines: got.unreadableLines });
      }
      await ledger.setStatus(record, 'gaveUp' in polled ? 'abandoned' : polled.view.status);
    }
    if (unanswered.length === 0) return results;
    if (s.unanswered === 'error') {
      results.push(...unanswered.map((u) => resultOf(u.request, failure('provider_batch_unanswered', u.detail), 0, deps.now())));
      return results;
    }
    results.push(...(await perRequest({ ...batch, requests: unanswered.map((u) => u.request) }, stop)));
    return results;
  }

  async function decide(batch: RoutedBatchV2): Promise<BatchApiChoice> {
    const choice = chooseBatchApi(batch, s, deps.now());
    // Consumed again after a stop, a routed batch already submitted is resumed even when its
    // deadline is now too near for a new submission: the provider batch is paid for, and
    // run() cancels it in time for the per-request path.
    if (choice.use || (await ledger.find(batch.batchId, endpoint.model)) === null) return choice;
    return { use: true };
  }

  return { decide, run };
}

function resultOf(request: RoutedRequestV2, o: CallOutcome, latencyMs: number, completedAt: number): ExecutionResult {
  return {
    requestId: request.requestId,
    success: o.success,
    promptTokens: o.promptTokens,
    completionTokens: o.completionTokens,
    latencyMs,
    error: o.error,
    costUsd: o.costUsd,
    statusCode: o.statusCode,
    response: o.response,
    completedAt,
    // A line the provider batch answered is one call: a permanent 4xx there goes back to the router.
    handBack: handBackFor(o, 1),
  };
}
