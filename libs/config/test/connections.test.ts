import { describe, expect, it } from 'vitest';
import { loadConnections } from '../src/connections.ts';
import { ConfigError } from '../src/errors.ts';
import { redact } from '../src/redact.ts';

const files: Record<string, string> = { '/run/secrets/kafka-pw': 'scram-secret\n', '/run/secrets/ca.pem': 'CA-PEM', '/run/secrets/pg-ca.pem': 'PG-CA' };
const readFile = (path: string): string => {
  const content = files[path];
  if (content === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
  return content;
};

describe('loadConnections', () => {
  it('reads Kafka TLS and SASL/SCRAM from the environment and secret files, without any model', () => {
    const c = loadConnections(
      {
        SWITCHYARD_KAFKA_SSL: 'true',
        SWITCHYARD_KAFKA_SSL_CA_FILE: '/run/secrets/ca.pem',
        SWITCHYARD_KAFKA_SASL_MECHANISM: 'scram-sha-512',
        SWITCHYARD_KAFKA_SASL_USERNAME: 'tenant-a',
        SWITCHYARD_KAFKA_SASL_PASSWORD_FILE: '/run/secrets/kafka-pw',
      },
      { kafkaBrokers: ['b1:9093'] },
      { readFile },
    );
    expect(c.kafka.brokers).toEqual(['b1:9093']);
    expect(c.kafka.ssl).toMatchObject({ enabled: true, ca: 'CA-PEM' });
    expect(c.kafka.sasl).toMatchObject({ mechanism: 'scram-sha-512', username: 'tenant-a', password: 'scram-secret' });
    expect(JSON.stringify(redact(c))).not.toContain('scram-secret');
    expect(c.postgres).toBeUndefined();
  });

  it('lets the overrides win over the environment, and fills the Postgres TLS options', () => {
    const c = loadConnections(
      { SWITCHYARD_PG_URL: 'postgres://env@h/d', SWITCHYARD_PG_SSL_MODE: 'verify-ca', SWITCHYARD_PG_SSL_CA_FILE: '/run/secrets/pg-ca.pem' },
      { postgresUrl: 'postgres://flag@h/d' },
      { readFile },
    );
    expect(c.postgres).toMatchObject({ connectionString: 'postgres://flag@h/d', ssl: { mode: 'verify-ca', enabled: true, rejectUnauthorized: true, verifyHostname: false, ca: 'PG-CA' } });
  });

  it('names the setting of an unreadable secret file, never its content', () => {
    try {
      loadConnections({ SWITCHYARD_KAFKA_SASL_MECHANISM: 'scram-sha-512', SWITCHYARD_KAFKA_SASL_USERNAME: 'u', SWITCHYARD_KAFKA_SASL_PASSWORD_FILE: '/missing' }, {}, { readFile });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues).toEqual([expect.objectContaining({ path: 'kafka.sasl.passwordFile', rule: 'secret_file_unreadable' })]);
    }
  });

  it('refuses TLS material while TLS is off', () => {
    expect(() => loadConnections({ SWITCHYARD_KAFKA_SSL_CA_FILE: '/run/secrets/ca.pem' }, {}, { readFile })).toThrow(/kafka\.ssl\.enabled/);
  });
});
