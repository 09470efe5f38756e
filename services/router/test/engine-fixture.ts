// A slice handler over the real routing engine with fake scoring (model a predicted better),
// an in-memory registry and a two-model config, for the handler's unit tests.
import { AvroSerde, contracts, createMemoryRegistry, createRequestValidator, sampleRequest } from '@switchyard/contracts';
import type { DeadLetterV1, DeferredV3, OutcomeV2, RequestV3, RoutedBatchV3 } from '@switchyard/contracts';
import { loadConfig } from '@switchyard/config';
import { WindowBudgetLedger } from '@switchyard/routing-core';
import { budgetRulesOf, createPolicyHolder, engineOf, resultLength, viewResult } from '@switchyard/routing-engine';
import type { BudgetStorePort, FeedbackHooks, InputRecord, ScoreResult, ScoreTask, SliceResult } from '@switchyard/routing-engine';
import { createSliceHandler } from '../src/slice-handler.ts';
import type { SliceHandlerDeps } from '../src/slice-handler.ts';

export const MINUTE = 60_000;
export const T0 = 10 * MINUTE + 1_000;

const config = loadConfig(
  {},
  {
    postgres: { connectionString: 'postgres://u@localhost/db' },
    topics: { requests: 'req', deferred: 'def', deadLetter: 'dlq', outcomes: 'out', routedTemplate: 'routed.{model}' },
    models: [
      { name: 'a', tokensPerMinute: 300, maxBatchTokens: 200, maxBatchRequests: 2 },
      { name: 'b', tokensPerMinute: 500, maxBatchTokens: 1_000, maxBatchRequests: 10 },
    ],
    budgets: { tenants: { capped: { tokensPerMinute: 100 } } },
    router: { instanceId: 'unit', policy: { policy: 'greedy-perf' }, maxDeferrals: 2 },
  },
);

/** Scores every request: model a is predicted better; every request costs `tokens` on each model. */
function fakeScore(tokens: number) {
  return (task: ScoreTask): Promise<ScoreResult> => {
    const M = 2;
    const dim = task.embeddings.length / task.n;
    const out = new Float64Array(resultLength(task.n, M, dim));
    const v = viewResult(out, task.n, M, dim);
    for (let i = 0; i < task.n; i++) {
      v.promptTokens[i] = task.promptTokens[i]! >= 0 ? task.promptTokens[i]! : 10;
      v.quality.set([0.9, 0.5], i * M);
      v.costUsd.set([0.002, 0.001], i * M);
      v.estimatedTokens.set([tokens, tokens], i * M);
      v.scores.set([0.9, 0.5], i * M);
    }
    return Promise.resolve(v);
  };
}

export async function setup(opts: { maxModelAttempts?: number; tokens?: number; budgetStore?: BudgetStorePort; clock?: () => number; feedback?: FeedbackHooks } & Pick<SliceHandlerDeps, 'usdGate' | 'writeDecisions'> = {}) {
  const registry = createMemoryRegistry();
  const requestSerde = await AvroSerde.forTopic(registry, 'req', contracts.request);
  const deferredSerde = await AvroSerde.forTopic(registry, 'def', contracts.deferred);
  const deadLetterSerde = await AvroSerde.forTopic(registry, 'dlq', contracts.deadLetter);
  const outcomeSerde = await AvroSerde.forTopic(registry, 'out', contracts.outcome);
  const routedSerde = await AvroSerde.forTopic(registry, 'routed.a', contracts.routedBatch);
  const ledger = new WindowBudgetLedger(budgetRulesOf(config), opts.budgetStore ? 'leased' : 'local');
  const policies = await createPolicyHolder({ policy: 'greedy-perf' }, Float64Array.of(1, 1), 1_000);
  const cfg = opts.maxModelAttempts === undefined ? config : { ...config, router: { ...config.router, maxModelAttempts: opts.maxModelAttempts } };
  const engine = engineOf({
    config: cfg,
    modelNames: cfg.models.map((m) => m.name),
    requestSerde,
    deferredSerde,
    deadLetterSerde,
    outcomeSerde,
    routedSerdeFor: () => routedSerde,
    validate: createRequestValidator({ embeddingDim: 4, maxPromptChars: 1_000, maxPromptTokens: 500, knownModels: ['a', 'b'] }),
    score: fakeScore(opts.tokens ?? 100),
    policies,
    ledger,
    usdPerToken: [1e-5, 1e-5],
    embeddingDim: 4,
    chunkRequests: 2,
    clock: opts.clock ?? (() => T0),
    feedback: opts.feedback ?? null,
  }, { policyName: policies.name, leased: opts.budgetStore !== undefined });
  const step = { run: createSliceHandler({ engine, budgetStore: opts.budgetStore ?? null, usdGate: opts.usdGate ?? null, instanceId: 'unit', ...(opts.writeDecisions ? { writeDecisions: opts.writeDecisions } : {}) }) };
  let offset = 0;
  const record = (value: Buffer | null, topic = 'req', key = `k${offset}`): InputRecord => ({
    topic,
    partition: 0,
    offset: String(offset++),
    key: Buffer.from(key),
    value,
    headers: [],
  });
  const request = (id: string, over: Partial<RequestV3> = {}): InputRecord =>
    record(requestSerde.encode(sampleRequest({ requestId: id, embedding: null, allowedModels: null, deadline: null, prompt: 'hello', ...over })), 'req', id);
  const decode = async (result: SliceResult) => {
    const routed: RoutedBatchV3[] = [];
    const deferred: DeferredV3[] = [];
    const dead: DeadLetterV1[] = [];
    const outcomes: OutcomeV2[] = [];
    for (const m of result.messages) {
      if (m.topic === 'def') {
        const d = await deferredSerde.decode(m.value);
        if (d.ok) deferred.push(d.value);
      } else if (m.topic === 'out') {
        const d = await outcomeSerde.decode(m.value);
        if (d.ok) outcomes.push(d.value);
      } else if (m.topic === 'dlq') {
        const d = await deadLetterSerde.decode(m.value);
        if (d.ok) dead.push(d.value);
      } else {
        const d = await routedSerde.decode(m.value);
        if (d.ok) routed.push(d.value);
      }
    }
    return { routed, deferred, dead, outcomes };
  };
  return { step, record, request, decode, deferredSerde, ledger };
}

