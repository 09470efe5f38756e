import { describe, expect, it } from 'vitest';
import { logLevel } from 'kafkajs';
import { loadConfig } from '@switchyard/config';
import { toKafkaJsConfig } from '../src/client.ts';

const models = [{ name: 'm', tokensPerMinute: 1, maxBatchTokens: 1, maxBatchRequests: 1 }];

describe('toKafkaJsConfig', () => {
  it('maps plaintext defaults and tags the client id with the role', () => {
    const cfg = toKafkaJsConfig(loadConfig({}, { models }).kafka, { role: 'router' });
    expect(cfg).toMatchObject({ clientId: 'switchyard-router', brokers: ['127.0.0.1:19092'], connectionTimeout: 3_000, requestTimeout: 30_000 });
    expect(cfg.ssl).toBeUndefined();
    expect(cfg.sasl).toBeUndefined();
  });

  it('maps TLS material and SASL/SCRAM credentials', () => {
    const kafka = loadConfig({}, {
      models,
      kafka: {
        ssl: { enabled: true, ca: 'CA', cert: 'CERT', key: 'KEY', rejectUnauthorized: false },
        sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
      },
    }).kafka;
    const cfg = toKafkaJsConfig(kafka, { role: 'cli' });
    expect(cfg.ssl).toEqual({ rejectUnauthorized: false, ca: ['CA'], cert: 'CERT', key: 'KEY' });
    expect(cfg.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'u', password: 'p' });
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'] as const)('maps SASL %s with the password read from a file', (mechanism) => {
    const kafka = loadConfig(
      { SWITCHYARD_KAFKA_SASL_PASSWORD_FILE: '/run/secrets/kafka' },
      { models, kafka: { ssl: { enabled: true, caFile: '/run/secrets/ca.pem' }, sasl: { mechanism, username: 'svc' } } },
      { readFile: (p) => (p === '/run/secrets/kafka' ? 'from-file\n' : 'CA-PEM') },
    ).kafka;
    const cfg = toKafkaJsConfig(kafka, { role: 'router' });
    expect(cfg.sasl).toEqual({ mechanism, username: 'svc', password: 'from-file' });
    expect(cfg.ssl).toEqual({ rejectUnauthorized: true, ca: ['CA-PEM'] });
  });

  it('enables TLS with system roots when only enabled is set', () => {
    const cfg = toKafkaJsConfig(loadConfig({ SWITCHYARD_KAFKA_SSL: 'true' }, { models }).kafka, { role: 'x' });
    expect(cfg.ssl).toEqual({ rejectUnauthorized: true });
  });

  it('forwards kafkajs log records to the given sink', () => {
    const records: unknown[] = [];
    const cfg = toKafkaJsConfig(loadConfig({}, { models }).kafka, { role: 'x', onLog: (r) => records.push(r) });
    const creator = cfg.logCreator;
    if (creator === undefined) throw new Error('logCreator missing');
    const log = creator(logLevel.WARN);
    log({ namespace: 'Consumer', level: logLevel.WARN, label: 'WARN', log: { message: 'hello', timestamp: 't', groupId: 'g' } });
    expect(records).toEqual([{ level: 'warn', namespace: 'Consumer', message: 'hello', extra: { timestamp: 't', groupId: 'g' } }]);
  });

  it('drops kafkajs\' warning about limited idempotent retries (no producer is reused after a failed send) and passes every other record', () => {
    const seen: string[] = [];
    const cfg = toKafkaJsConfig(loadConfig({}, { models }).kafka, { role: 'r', onLog: (r) => seen.push(`${r.namespace}: ${r.message}`) });
    const log = cfg.logCreator!(logLevel.WARN);
    const entry = (namespace: string, message: string) => ({ namespace, level: logLevel.WARN, label: 'WARN', log: { timestamp: 't', message } });
    log(entry('Producer', 'Limiting retries for the idempotent producer may invalidate EoS guarantees'));
    log(entry('Producer', 'something else'));
    log(entry('Consumer', 'Limiting retries for the idempotent producer may invalidate EoS guarantees'));
    expect(seen).toEqual(['Producer: something else', 'Consumer: Limiting retries for the idempotent producer may invalidate EoS guarantees']);
  });

  it('redacts secrets kafkajs puts in a log record', () => {
    const records: { extra: unknown }[] = [];
    const cfg = toKafkaJsConfig(loadConfig({}, { models }).kafka, { role: 'x', onLog: (r) => records.push(r) });
    const log = cfg.logCreator!(logLevel.ERROR);
    log({ namespace: 'Connection', level: logLevel.ERROR, label: 'ERROR', log: { message: 'auth failed', timestamp: 't', sasl: { mechanism: 'scram-sha-512', username: 'svc', password: 'hunter2' }, ssl: { key: 'PEM KEY' } } });
    expect(JSON.stringify(records)).not.toContain('hunter2');
    expect(JSON.stringify(records)).not.toContain('PEM KEY');
    expect(records[0]!.extra).toMatchObject({ sasl: { username: 'svc', password: '[redacted]' } });
  });
});
