// kafkajs client construction from the compiled configuration (TLS, SASL, timeouts).
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaConfig as KafkaJsConfig, LogEntry, SASLOptions } from 'kafkajs';
import type { KafkaConfig } from '@switchyard/config';

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
      onLog({ level: levelName(entry.level), namespace: entry.namespace, message, extra });
    },
  };
}

export function createKafka(config: KafkaConfig, options: CreateKafkaOptions): Kafka {
  return new Kafka(toKafkaJsConfig(config, options));
}
