// The router's own routing step, reference set, scoring worker pool and policy, wired for file
// mode: serdes over an in-memory registry, a local budget ledger, and the virtual clock of
// route.ts. Nothing is re-implemented here; this is the router's wiring minus Kafka and Postgres.
import { AvroSerde, contracts, createRequestValidator } from '@switchyard/contracts';
import type { DeadLetterV1, DeferredV1, RequestV1, RoutedBatchV1 } from '@switchyard/contracts';
import { WindowBudgetLedger } from '@switchyard/routing-core';
import { CliError } from '../errors.ts';
import {
  budgetRulesOf,
  buildSharedReference,
  createPolicyHolder,
  createScoringPool,
  embeddingDimOf,
  policyBudgetsUsd,
  resolveBackend,
  RoutingStep,
} from '../demo/services.ts';
import type { RouterConfig } from '../demo/services.ts';
import type { EngineDecoded, EngineMessage, RoutingEngine } from './engine.ts';
import { createMemoryRegistry } from './memory-registry.ts';

export interface RouterEngineInfo {
  readonly reference: string;
  readonly backend: string;
}

export async function createRouterEngine(config: RouterConfig, clock: () => number): Promise<{ engine: RoutingEngine; info: RouterEngineInfo }> {
  const sy = config.switchyard;
  const svc = config.service;
  const reference = await buildSharedReference(config);
  const backend = resolveBackend(sy.scoring.backend, { nQueries: svc.scoreChunkRequests, nModels: reference.modelIds.length });
  const pool = await createScoringPool({ reference, ann: svc.ann, backend: backend.kind, threads: sy.workers.poolSize, maxQueue: svc.poolMaxQueue });
  try {
    const registry = createMemoryRegistry();
    const requestSerde = await AvroSerde.forTopic(registry, sy.topics.requests, contracts.request);
    const deferredSerde = await AvroSerde.forTopic(registry, sy.topics.deferred, contracts.deferred);
    const deadLetterSerde = await AvroSerde.forTopic(registry, sy.topics.deadLetter, contracts.deadLetter);
    const routedSerdes = new Map<string, AvroSerde<RoutedBatchV1>>();
    const serdeOfTopic = new Map<string, AvroSerde<RoutedBatchV1>>();
    for (const m of sy.models) {
      const topic = sy.topics.routedByModel[m.name]!;
      const serde = await AvroSerde.forTopic(registry, topic, contracts.routedBatch);
      routedSerdes.set(m.name, serde);
      serdeOfTopic.set(topic, serde);
    }
    const policies = await createPolicyHolder(sy.router.policy, policyBudgetsUsd(sy.models, reference.usdPerToken), svc.expectedRequestsPerDay, { clock });
    const step = new RoutingStep({
      config: sy,
      requestSerde,
      deferredSerde,
      deadLetterSerde,
      routedSerdeFor: (model: string) => routedSerdes.get(model)!,
      validate: createRequestValidator({
        embeddingDim: embeddingDimOf(config),
        maxPromptChars: sy.router.maxPromptChars,
        maxPromptTokens: sy.router.maxPromptTokens,
        knownModels: sy.models.map((m) => m.name),
      }),
      score: (task) => pool.score(task),
      policies,
      // One process routes the whole file: budgets are counted here, as with ledger "local".
      ledger: new WindowBudgetLedger(budgetRulesOf(sy), 'local'),
      budgetStore: null,
      usdPerToken: reference.usdPerToken,
      embeddingDim: embeddingDimOf(config),
      chunkRequests: svc.scoreChunkRequests,
      clock,
    });
    const decodeOrFail = async <T>(serde: AvroSerde<T>, m: EngineMessage): Promise<T> => {
      const r = await serde.decode(m.value);
      if (!r.ok) throw new CliError('source_invalid', `the routing step wrote an undecodable record to ${m.topic}: ${r.detail}`);
      return r.value;
    };
    const engine: RoutingEngine = {
      topics: { requests: sy.topics.requests, deferred: sy.topics.deferred, deadLetter: sy.topics.deadLetter, routedByModel: sy.topics.routedByModel },
      policy: policies.name,
      encodeRequest: (r: RequestV1) => requestSerde.encode(r),
      run: (records) => step.run(records),
      async decode(m: EngineMessage): Promise<EngineDecoded> {
        if (m.topic === sy.topics.deferred) return { kind: 'deferred', deferred: await decodeOrFail<DeferredV1>(deferredSerde, m) };
        if (m.topic === sy.topics.deadLetter) return { kind: 'dead_letter', deadLetter: await decodeOrFail<DeadLetterV1>(deadLetterSerde, m) };
        const serde = serdeOfTopic.get(m.topic);
        if (serde === undefined) throw new CliError('source_invalid', `the routing step wrote to an unknown topic ${m.topic}`);
        return { kind: 'routed', batch: await decodeOrFail(serde, m) };
      },
      close: () => pool.destroy(),
    };
    return { engine, info: { reference: reference.source, backend: backend.kind } };
  } catch (err) {
    await pool.destroy();
    throw err;
  }
}
