// What the slice functions share: the config, the serdes of the topics, the validator, the
// scoring port, the policy holder, the budget ledger and the clock. Built once by createEngine
// (or by a test with fakes).
import type { AvroSerde, DeadLetterV1, DeferredV3, OutcomeV2, RequestV3, RequestValidator, RoutedBatchV3 } from '@switchyard/contracts';
import type { SwitchyardConfig } from '@switchyard/config';
import type { WindowBudgetLedger } from '@switchyard/routing-core';
import type { FeedbackHooks } from './feedback-loop.ts';
import type { PolicyHolder } from './policy-holder.ts';
import type { ScoreResult, ScoreTask } from './scoring-task.ts';

export interface EngineParts {
  readonly config: SwitchyardConfig;
  /** config.models' names, in config order. */
  readonly modelNames: readonly string[];
  readonly requestSerde: AvroSerde<RequestV3>;
  readonly deferredSerde: AvroSerde<DeferredV3>;
  readonly deadLetterSerde: AvroSerde<DeadLetterV1>;
  /** The outcomes topic: a rerouted request that no model is left for ends there (reroute.ts). */
  readonly outcomeSerde: AvroSerde<OutcomeV2>;
  /** Per routed topic: each has its own `<topic>-value` subject. */
  readonly routedSerdeFor: (model: string) => AvroSerde<RoutedBatchV3>;
  readonly validate: RequestValidator;
  readonly score: (task: ScoreTask) => Promise<ScoreResult>;
  readonly policies: PolicyHolder;
  /** 'leased' mode: the shell leases window budgets from a shared store around each decide. */
  readonly ledger: WindowBudgetLedger;
  /** Mean USD per token per model, to express dual prices per token. */
  readonly usdPerToken: readonly number[];
  readonly embeddingDim: number;
  readonly chunkRequests: number;
  /** How the workers count prompt tokens (routerService.promptTokens); absent: bounded-estimate. */
  readonly promptTokens?: 'bounded-estimate' | 'exact';
  readonly clock: () => number;
  /** Outcome feedback (adjusted estimates, decision features); absent or null: off. */
  readonly feedback?: FeedbackHooks | null;
}
