// kafkajs client construction from the compiled configuration (TLS, SASL, timeouts).
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaConfig as KafkaJsConfig, LogEntry, SASLOptions } from 'kafkajs';
import { redact } from '@switchyard/config';
import type { KafkaConfig } from '@switchyard/config';
import { registerCodecs } from './codecs.ts';
import { installUnreadableBatchGuard } from './unreadable.ts';

export type KafkaLogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

export interface KafkaLogRecord {
  readonly level: KafkaLogLevel;
  readonly namespace: string;
  readonly message: string;
  readonly extra: Readonly<Record<string, unknown>>;
}

export interface CreateKafkaOptions {
  /** Appended to `kafka.clientId` so broker logs and quotas tell services apart. */
  readonly role: string;
  readonly logLevel?: KafkaLogLevel;
  /** Receives kafkajs log records (the service bridges them to its logger). Default: dropped. */
  readonly onLog?: (record: KafkaLogRecord) => void;
}

/**
 * kafkajs warns this for every idempotent producer whose retries are finite (ours inherit the
 * client's `retry.maxRetries`). The risk it names is reusing a producer after a send it gave up
 * on: the next send could carry a sequence number the broker already accepted. No producer in
 * the project is reused after a failed send or transaction (the runner discards it, the outcome
 * reporter and `submit` replace or close it), so the warning is dropped here, by its exact text
 * from kafkajs' producer/index.js, rather than repeated for every producer.
 */
const SAFE_WARNING = { namespace: 'Producer', message: 'Limiting retries for the idempotent producer may invalidate EoS guarantees' };

export function isKnownSafeWarning(namespace: string, message: string): boolean {
  return namespace === SAFE_WARNING.namespace && message === SAFE_WARNING.message;
}

const levels: Readonly<Record<KafkaLogLevel, logLevel>> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

function levelName(level: logLevel): KafkaLogLevel {
  switch (level) {
    case logLevel.ERROR:
      return 'error';
    case logLevel.WARN:
      return 'warn';
    case logLevel.INFO:
      return 'info';
    case logLevel.DEBUG:
      return 'debug';
    default:
      return 'nothing';
  }
}

function sasl(config: KafkaConfig): SASLOptions | undefined {
  const s = config.sasl;
  if (s === undefined) return undefined;
  switch (s.mechanism) {
    case 'plain':
      return { mechanism: 'plain', username: s.username, password: s.password };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', username: s.username, password: s.password };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', username: s.username, password: s.password };
  }
}

/** Pure mapping from our configuration to kafkajs' client configuration (unit-tested). */
export function toKafkaJsConfig(config: KafkaConfig, options: CreateKafkaOptions): KafkaJsConfig {
  const ssl = config.ssl.enabled
    ? {
        rejectUnauthorized: config.ssl.rejectUnauthorized,
        ...(config.ssl.ca !== undefined ? { ca: [config.ssl.ca] } : {}),
        ...(config.ssl.cert !== undefined ? { cert: config.ssl.cert } : {}),
        ...(config.ssl.key !== undefined ? { key: config.ssl.key } : {}),
      }
    : undefined;
  const saslOptions = sasl(config);
  const onLog = options.onLog;
  return {
    clientId: `${config.clientId}-${options.role}`,
    brokers: [...config.brokers],
    connectionTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    ...(ssl !== undefined ? { ssl } : {}),
    ...(saslOptions !== undefined ? { sasl: saslOptions } : {}),
    // kafkajs' own retrier covers single requests; batch-level retries use our retry module.
    retry: { initialRetryTime: config.retry.initialDelayMs, maxRetryTime: config.retry.maxDelayMs, retries: config.retry.maxRetries },
    logLevel: levels[options.logLevel ?? 'warn'],
    logCreator: () => (entry: LogEntry) => {
      if (onLog === undefined) return;
      const { message, ...extra } = entry.log;
      if (isKnownSafeWarning(entry.namespace, message)) return;
      // kafkajs logs request and connection details as it sees fit; whatever of them is named
      // like a secret (a SASL password, a TLS key) is redacted before it reaches a logger.
      onLog({ level: levelName(entry.level), namespace: entry.namespace, message, extra: redact(extra) as Record<string, unknown> });
    },
  };
}

/** Every client of the project is built here, so every consumer reads every codec (codecs.ts) and survives unreadable batches (unreadable.ts). */
export function createKafka(config: KafkaConfig, options: CreateKafkaOptions): Kafka {
  registerCodecs();
  installUnreadableBatchGuard();
  return new Kafka(toKafkaJsConfig(config, options));
}
