// File mode's router: the routing engine (reference set, scoring workers, policy) wired with
// serdes over an in-memory schema registry, a local budget ledger and the virtual clock of
// route.ts. Nothing is re-implemented here; this is the router's engine minus Kafka and
// Postgres. `route.ts` drives any FileRouter, so its tests can pass a fake.
import { createMemoryRegistry } from '@switchyard/contracts';
import type { AvroSerde, DeadLetterV1, DeferredV2, RequestV2, RoutedBatchV2 } from '@switchyard/contracts';
import { hasPrice } from '@switchyard/config';
import { InMemoryUsdGate, createEngine, pricedCostsUsd } from '@switchyard/routing-engine';
import type { InputRecord, OutputMessage, RouterConfig, RoutingDecision, Scored, SliceResult, UsdJobPace, UsdSettleMode } from '@switchyard/routing-engine';
import { CliError } from '../errors.ts';

/** The decision fields file mode reads (the engine's decisions carry all of them). */
export type FileDecision = Pick<RoutingDecision, 'requestId' | 'outcome' | 'model' | 'batchId' | 'estimatedTokens' | 'predictedQuality' | 'reason' | 'deferUntilMs'>;

export interface FileRouterResult extends Pick<SliceResult, 'processed' | 'pauseUntilMs'> {
  readonly messages: readonly OutputMessage[];
  readonly decisions: readonly FileDecision[];
}

export interface FileRouterTopics {
  readonly requests: string;
  readonly deferred: string;
  readonly deadLetter: string;
  /** model -> routed topic */
  readonly routedByModel: Readonly<Record<string, string>>;
}

export type DecodedOutput =
  | { readonly kind: 'routed'; readonly batch: RoutedBatchV2 }
  | { readonly kind: 'deferred'; readonly deferred: DeferredV2 }
  | { readonly kind: 'dead_letter'; readonly deadLetter: DeadLetterV1 };

export interface FileRouter {
  readonly topics: FileRouterTopics;
  readonly policy: string;
  encodeRequest(request: RequestV2): Buffer;
  /** One slice of records, decided at the engine's clock. */
  run(records: readonly InputRecord[]): Promise<FileRouterResult>;
  decode(message: OutputMessage): Promise<DecodedOutput>;
  close(): Promise<void>;
}

export interface FileRouterInfo {
  readonly reference: string;
  readonly backend: string;
  /** With a dollar budget: what the run's ledger holds (worst cases, or estimated costs once settled). */
  readonly committedUsd: () => number | null;
}

/** A dollar budget for the whole run (`route --budget-usd`, `plan`). */
export interface FileRouterUsd {
  readonly budgetUsd: number;
  /** Epoch ms (of the virtual clock) by which the job should be done; null for none. */
  readonly deadlineMs: number | null;
  /** Requests in the file (counted before routing), which the budget's dual price is paced over. */
  readonly expectedRequests: number | null;
  /**
   * 'estimate': each routed request settles at its estimated cost (plan); 'never': worst cases
   * stay held (route); a true cost per request: settled at it once decided (the quality benchmark's
   * replay of a data set with recorded outcomes).
   */
  readonly settle: UsdSettleMode;
}

export interface FileRouterOptions {
  readonly usd?: FileRouterUsd | undefined;
  /** Sees every admitted request with its estimates before it is decided (plan keeps them for the quote). */
  readonly onScored?: ((admitted: readonly Scored[]) => void) | undefined;
}

/**
 * `usd`: one dollar budget for the whole run, enforced with the router's rules over an
 * in-memory ledger (InMemoryUsdGate) and paced as the router paces a job's budget (the engine's
 * UsdJobPacing); every model needs a price, or nothing could be reserved.
 */
export async function createFileRouter(config: RouterConfig, clock: () => number, opts: FileRouterOptions = {}): Promise<{ router: FileRouter; info: FileRouterInfo }> {
  const sy = config.switchyard;
  const budget = opts.usd;
  let usd: InMemoryUsdGate | null = null;
  if (budget !== undefined) {
    const unpriced = sy.models.filter((m) => !hasPrice(m)).map((m) => m.name);
    if (unpriced.length > 0) throw new CliError('invalid_arguments', `--budget-usd needs a price on every model (costPer1kPromptTokensUsd and costPer1kCompletionTokensUsd in --config); unpriced: ${unpriced.join(', ')}`);
    usd = new InMemoryUsdGate(budget.budgetUsd, new Map(sy.models.map((m) => [m.name, m])), budget.settle);
  }
  // One process routes the whole file: budgets are counted here, as with ledger "local".
  const engine = await createEngine(config, { clock, registry: createMemoryRegistry(), ledger: 'local', feedback: false });
  const modelOfTopic = new Map(sy.models.map((m) => [sy.topics.routedByModel[m.name]!, m.name]));
  const decodeOrFail = async <T>(serde: AvroSerde<T>, m: OutputMessage): Promise<T> => {
    const r = await serde.decode(m.value);
    if (!r.ok) throw new CliError('source_invalid', `the routing step wrote an undecodable record to ${m.topic}: ${r.detail}`);
    return r.value;
  };
  const router: FileRouter = {
    topics: { requests: sy.topics.requests, deferred: sy.topics.deferred, deadLetter: sy.topics.deadLetter, routedByModel: sy.topics.routedByModel },
    policy: engine.policyName,
    encodeRequest: (r) => engine.encodeRequest(r),
    async run(records) {
      const prepared = await engine.prepare(records);
      opts.onScored?.(prepared.admitted);
      const plan = await engine.plan(prepared);
      if (usd === null || budget === undefined) return engine.decide(prepared, plan);
      const pace: UsdJobPace = { budgetUsd: budget.budgetUsd, committedUsd: usd.committedUsd(), deadlineMs: budget.deadlineMs, expectedRequests: budget.expectedRequests };
      const paces = new Map(prepared.admitted.map((s) => [s.request.jobId, pace]));
      const result = engine.decide(prepared, { ...plan, usd: usd.verdicts(engine.usdAsks(prepared, paces)) });
      // Settled at the estimate in the ledger's terms (the model's price on the estimated tokens).
      const scored = new Map(prepared.admitted.map((s) => [s.request.requestId, s]));
      const modelIndex = (name: string | null): number => (name === null ? -1 : sy.models.findIndex((m) => m.name === name));
      usd.keep(
        result.decisions.map((d) => {
          const s = scored.get(d.requestId);
          const m = modelIndex(d.model);
          return s === undefined || m < 0 ? d : { ...d, predictedCostUsd: pricedCostsUsd(sy.models, s)[m]! };
        }),
      );
      return result;
    },
    async decode(m) {
      if (m.topic === sy.topics.deferred) return { kind: 'deferred', deferred: await decodeOrFail(engine.serdes.deferred, m) };
      if (m.topic === sy.topics.deadLetter) return { kind: 'dead_letter', deadLetter: await decodeOrFail(engine.serdes.deadLetter, m) };
      const model = modelOfTopic.get(m.topic);
      if (model === undefined) throw new CliError('source_invalid', `the routing step wrote to an unknown topic ${m.topic}`);
      return { kind: 'routed', batch: await decodeOrFail(engine.serdes.routed(model), m) };
    },
    close: () => engine.close(),
  };
  return { router, info: { reference: engine.startup.referenceSource, backend: engine.startup.backend.chosen, committedUsd: () => usd?.committedUsd() ?? null } };
}
