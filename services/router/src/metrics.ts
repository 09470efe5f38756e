// Prometheus metrics of one router instance, on its own registry so several routers can run in
// one process (tests) without clashing on the global default registry.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { WindowUsage } from '@switchyard/routing-core';
import type { SliceStats } from '@switchyard/routing-engine';

export interface RouterMetrics {
  readonly registry: Registry;
  observeStep(stats: SliceStats, inputTopic: string): void;
  observeTransaction(result: 'committed' | 'aborted' | 'fenced' | 'repositioned'): void;
  /** Offsets of an undecodable record batch, dead-lettered as unreadable_batch. */
  observeUnreadable(topic: string, offsets: number): void;
  observeDecisionsWritten(n: number, seconds: number): void;
}

export interface MetricSources {
  readonly queueDepth: () => number;
  readonly budgetUsage: () => readonly WindowUsage[];
}

export function createRouterMetrics(sources: MetricSources, defaultMetrics = true): RouterMetrics {
  const registry = new Registry();
  if (defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'router_' });
  const consumed = new Counter({ name: 'router_consumed_total', help: 'Input records handled, by topic.', labelNames: ['topic'], registers: [registry] });
  const routed = new Counter({ name: 'router_routed_total', help: 'Requests routed, by model.', labelNames: ['model'], registers: [registry] });
  const deferred = new Counter({ name: 'router_deferred_total', help: 'Requests deferred to a later budget window.', registers: [registry] });
  const allModelsFailed = new Counter({ name: 'router_all_models_failed_total', help: 'Requests handed back by executors that ended with an all_models_failed outcome (every eligible model failed them, or router.maxModelAttempts).', registers: [registry] });
  const deadLetters = new Counter({ name: 'router_dead_letters_total', help: 'Records dead-lettered, by reason.', labelNames: ['reason'], registers: [registry] });
  const unreadable = new Counter({ name: 'router_unreadable_records_total', help: 'Input offsets in record batches that could not be decoded (dead-lettered as unreadable_batch), by topic.', labelNames: ['topic'], registers: [registry] });
  const batchRequests = new Histogram({
    name: 'router_batch_requests',
    help: 'Requests per routed batch.',
    labelNames: ['model'],
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers: [registry],
  });
  const batchTokens = new Histogram({
    name: 'router_batch_tokens',
    help: 'Estimated tokens per routed batch.',
    labelNames: ['model'],
    buckets: [256, 1_024, 4_096, 16_384, 65_536, 262_144, 1_048_576],
    registers: [registry],
  });
  const scoring = new Histogram({
    name: 'router_scoring_seconds',
    help: 'Latency of one scoring task in the worker pool (queue wait included).',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const transactions = new Counter({ name: 'router_transactions_total', help: 'Kafka transactions, by result.', labelNames: ['result'], registers: [registry] });
  const decisionsWritten = new Counter({ name: 'router_decisions_written_total', help: 'Decision rows upserted into Postgres.', registers: [registry] });
  const decisionWrite = new Histogram({ name: 'router_decision_write_seconds', help: 'Time to upsert one slice of decisions.', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1], registers: [registry] });
  new Gauge({
    name: 'router_pool_queue_depth',
    help: 'Scoring tasks waiting for a worker.',
    registers: [registry],
    collect() {
      this.set(sources.queueDepth());
    },
  });
  const used = new Gauge({ name: 'router_budget_used_tokens', help: 'Tokens used in the current window of each budget rule by this instance.', labelNames: ['rule', 'subject'], registers: [registry] });
  const limit = new Gauge({ name: 'router_budget_limit_tokens', help: 'Limit of the current window of each budget rule.', labelNames: ['rule', 'subject'], registers: [registry] });
  const refreshBudgets = (): void => {
    used.reset();
    limit.reset();
    for (const u of sources.budgetUsage()) {
      used.set({ rule: u.ruleId, subject: u.subject }, u.usedTokens);
      limit.set({ rule: u.ruleId, subject: u.subject }, u.limitTokens);
    }
  };
  new Gauge({
    name: 'router_budget_windows',
    help: 'Budget windows currently tracked.',
    registers: [registry],
    collect() {
      refreshBudgets();
      this.set(sources.budgetUsage().length);
    },
  });
  return {
    registry,
    observeStep(stats, inputTopic) {
      consumed.inc({ topic: inputTopic }, stats.consumed);
      for (const [model, n] of stats.routedByModel) routed.inc({ model }, n);
      deferred.inc(stats.deferred);
      allModelsFailed.inc(stats.allModelsFailed);
      for (const [reason, n] of stats.deadLetters) deadLetters.inc({ reason }, n);
      for (const b of stats.batches) {
        batchRequests.observe({ model: b.model }, b.requests);
        batchTokens.observe({ model: b.model }, b.tokens);
      }
      for (const ms of stats.scoringMs) scoring.observe(ms / 1_000);
    },
    observeTransaction(result) {
      transactions.inc({ result });
    },
    observeUnreadable(topic, offsets) {
      unreadable.inc({ topic }, offsets);
    },
    observeDecisionsWritten(n, seconds) {
      decisionsWritten.inc(n);
      decisionWrite.observe(seconds);
    },
  };
}
