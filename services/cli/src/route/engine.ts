// What file mode needs from the router: its routing step over Kafka-shaped records, the serdes
// of its topics, and a way to close its worker pool. `route.ts` drives any RoutingEngine; the
// router-backed one is built in router-engine.ts.
import type { DeadLetterV1, DeferredV1, HeaderV1, RequestV1, RoutedBatchV1 } from '@switchyard/contracts';

export interface EngineRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly HeaderV1[];
}

export interface EngineMessage {
  readonly topic: string;
  readonly key: Buffer | string | null;
  readonly value: Buffer;
}

/** The columns of switchyard.decisions that file mode reads; the router's rows carry all of them and are written whole. */
export interface EngineDecision {
  readonly requestId: string;
  readonly outcome: 'routed' | 'deferred' | 'rejected';
  readonly model: string | null;
  readonly batchId: string | null;
  readonly estimatedTokens: number | null;
  readonly predictedQuality: number | null;
  readonly reason: string | null;
  readonly deferUntilMs: number | null;
}

export interface EngineResult {
  readonly messages: readonly EngineMessage[];
  readonly decisions: readonly EngineDecision[];
  readonly processed: number;
  readonly pauseUntilMs: number | null;
}

export interface EngineTopics {
  readonly requests: string;
  readonly deferred: string;
  readonly deadLetter: string;
  /** model -> routed topic */
  readonly routedByModel: Readonly<Record<string, string>>;
}

export type EngineDecoded =
  | { readonly kind: 'routed'; readonly batch: RoutedBatchV1 }
  | { readonly kind: 'deferred'; readonly deferred: DeferredV1 }
  | { readonly kind: 'dead_letter'; readonly deadLetter: DeadLetterV1 };

export interface RoutingEngine {
  readonly topics: EngineTopics;
  readonly policy: string;
  encodeRequest(request: RequestV1): Buffer;
  /** One slice of records, decided at the engine's clock. */
  run(records: readonly EngineRecord[]): Promise<EngineResult>;
  decode(message: EngineMessage): Promise<EngineDecoded>;
  close(): Promise<void>;
}
