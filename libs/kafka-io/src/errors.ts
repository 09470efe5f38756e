// One error class for the library, and the single place where kafkajs errors are mapped to
// it. Classification uses data kafkajs attaches to its errors (the class `name`, the broker
// protocol error `type` from the Kafka error-code table, and `retriable`), never message text.
// Broker codes: https://kafka.apache.org/protocol.html#protocol_error_codes

import { CodedError } from '@switchyard/config';

export type KafkaIoErrorCode =
  | 'connection' // broker unreachable, connection closed, no broker available
  | 'timeout' // request or lock timed out
  | 'rebalance' // group is rebalancing / generation moved on; the batch must be given up
  | 'coordinator' // group or transaction coordinator moved or is loading
  | 'concurrent_transactions' // previous transaction for this id still completing
  | 'fenced' // a newer producer with the same transactional id exists (zombie fencing)
  | 'unknown_topic' // topic or partition not (yet) known to the broker
  | 'authentication' // SASL failure
  | 'authorization' // ACLs deny the operation
  | 'invalid_request' // the request itself is wrong (bad config, message too large, ...)
  | 'handler_failed' // the batch handler threw repeatedly
  | 'stopped' // operation attempted on a stopped runner
  | 'unknown';

const retriableCodes: ReadonlySet<KafkaIoErrorCode> = new Set([
  'connection',
  'timeout',
  'rebalance',
  'coordinator',
  'concurrent_transactions',
  'unknown_topic',
]);

/**
 * Codes that mean the cluster cannot serve: what a dependency's failure clock counts. A
 * rebalance, a fenced zombie or a busy transaction id are the group working as designed.
 */
const outageCodes: ReadonlySet<KafkaIoErrorCode> = new Set(['connection', 'timeout', 'coordinator', 'unknown_topic', 'authentication', 'authorization']);

export function isKafkaOutage(error: KafkaIoError): boolean {
  return outageCodes.has(error.code);
}

export class KafkaIoError extends CodedError<KafkaIoErrorCode> {
  override readonly name = 'KafkaIoError';
  /** Broker protocol error type when the failure came from the broker (e.g. `INVALID_PRODUCER_EPOCH`). */
  readonly brokerType: string | undefined;

  constructor(code: KafkaIoErrorCode, message: string, options?: { cause?: unknown; brokerType?: string; retriable?: boolean }) {
    super(code, message, options?.retriable ?? retriableCodes.has(code), options?.cause === undefined ? undefined : { cause: options.cause });
    this.brokerType = options?.brokerType;
  }
}

const byBrokerType: Readonly<Record<string, KafkaIoErrorCode>> = {
  REBALANCE_IN_PROGRESS: 'rebalance',
  ILLEGAL_GENERATION: 'rebalance',
  UNKNOWN_MEMBER_ID: 'rebalance',
  FENCED_INSTANCE_ID: 'rebalance',
  NOT_COORDINATOR: 'coordinator',
  NOT_COORDINATOR_FOR_GROUP: 'coordinator',
  COORDINATOR_NOT_AVAILABLE: 'coordinator',
  GROUP_COORDINATOR_NOT_AVAILABLE: 'coordinator',
  COORDINATOR_LOAD_IN_PROGRESS: 'coordinator',
  GROUP_LOAD_IN_PROGRESS: 'coordinator',
  NOT_LEADER_FOR_PARTITION: 'coordinator',
  NOT_LEADER_OR_FOLLOWER: 'coordinator',
  LEADER_NOT_AVAILABLE: 'coordinator',
  CONCURRENT_TRANSACTIONS: 'concurrent_transactions',
  INVALID_PRODUCER_EPOCH: 'fenced',
  PRODUCER_FENCED: 'fenced',
  TRANSACTION_COORDINATOR_FENCED: 'fenced',
  INVALID_PRODUCER_ID_MAPPING: 'fenced',
  OUT_OF_ORDER_SEQUENCE_NUMBER: 'fenced',
  UNKNOWN_TOPIC_OR_PARTITION: 'unknown_topic',
  REQUEST_TIMED_OUT: 'timeout',
  NETWORK_EXCEPTION: 'connection',
  SASL_AUTHENTICATION_FAILED: 'authentication',
  ILLEGAL_SASL_STATE: 'authentication',
  UNSUPPORTED_SASL_MECHANISM: 'authentication',
  TOPIC_AUTHORIZATION_FAILED: 'authorization',
  GROUP_AUTHORIZATION_FAILED: 'authorization',
  CLUSTER_AUTHORIZATION_FAILED: 'authorization',
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 'authorization',
  INVALID_TXN_STATE: 'invalid_request',
  INVALID_TRANSACTION_TIMEOUT: 'invalid_request',
  MESSAGE_TOO_LARGE: 'invalid_request',
  RECORD_LIST_TOO_LARGE: 'invalid_request',
  INVALID_TOPIC_EXCEPTION: 'invalid_request',
  INVALID_PARTITIONS: 'invalid_request',
  INVALID_REPLICATION_FACTOR: 'invalid_request',
  INVALID_CONFIG: 'invalid_request',
  UNSUPPORTED_VERSION: 'invalid_request',
};

const byErrorName: Readonly<Record<string, KafkaIoErrorCode>> = {
  KafkaJSConnectionError: 'connection',
  KafkaJSConnectionClosedError: 'connection',
  KafkaJSNoBrokerAvailableError: 'connection',
  KafkaJSBrokerNotFound: 'connection',
  KafkaJSRequestTimeoutError: 'timeout',
  KafkaJSTimeout: 'timeout',
  KafkaJSLockTimeout: 'timeout',
  KafkaJSGroupCoordinatorNotFound: 'coordinator',
  KafkaJSSASLAuthenticationError: 'authentication',
  KafkaJSMetadataNotLoaded: 'unknown_topic',
  KafkaJSTopicMetadataNotLoaded: 'unknown_topic',
  KafkaJSStaleTopicMetadataAssignment: 'rebalance',
  KafkaJSFetcherRebalanceError: 'rebalance',
  KafkaJSServerDoesNotSupportApiKey: 'invalid_request',
  KafkaJSNotImplemented: 'invalid_request',
};

interface KafkaJsLike {
  name?: unknown;
  type?: unknown;
  retriable?: unknown;
  cause?: unknown;
  originalError?: unknown;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/**
 * Maps any error thrown by kafkajs (or already a KafkaIoError) to a KafkaIoError.
 * kafkajs wraps protocol errors in retry errors (`KafkaJSNumberOfRetriesExceeded`,
 * `KafkaJSNonRetriableError` with `cause`/`originalError`), so the chain is followed to the
 * innermost broker error type.
 */
export function classifyKafkaError(err: unknown): KafkaIoError {
  if (err instanceof KafkaIoError) return err;
  let node: unknown = err;
  for (let depth = 0; depth < 8 && typeof node === 'object' && node !== null; depth++) {
    const e = node as KafkaJsLike;
    if (typeof e.type === 'string') {
      const code = byBrokerType[e.type];
      if (code !== undefined) return new KafkaIoError(code, describe(err), { cause: err, brokerType: e.type });
      return new KafkaIoError('unknown', describe(err), {
        cause: err,
        brokerType: e.type,
        retriable: e.retriable === true,
      });
    }
    if (typeof e.name === 'string' && e.name in byErrorName) {
      // Keep looking for a more specific broker type underneath a generic wrapper.
      const inner = e.cause ?? e.originalError;
      if (inner !== undefined && inner !== node) {
        const deeper = classifyKafkaError(inner);
        if (deeper.code !== 'unknown') return new KafkaIoError(deeper.code, describe(err), { cause: err, ...(deeper.brokerType !== undefined ? { brokerType: deeper.brokerType } : {}) });
      }
      return new KafkaIoError(byErrorName[e.name]!, describe(err), { cause: err });
    }
    node = e.cause ?? e.originalError;
  }
  const retriable = typeof err === 'object' && err !== null && (err as KafkaJsLike).retriable === true;
  return new KafkaIoError('unknown', describe(err), { cause: err, retriable });
}

/** kafkajs' own restart rule (consumer/index.js onCrash), which the runner applies itself since it turns kafkajs' restart off. */
export function wouldKafkaJsRestart(err: unknown): boolean {
  let node: unknown = err;
  if (typeof node === 'object' && node !== null && (node as { name?: unknown }).name === 'KafkaJSNumberOfRetriesExceeded') return true;
  for (let depth = 0; depth < 8 && typeof node === 'object' && node !== null && (node as { cause?: unknown }).cause !== undefined; depth++) node = (node as { cause?: unknown }).cause;
  return typeof node === 'object' && node !== null && (node as { retriable?: unknown }).retriable === true;
}
