import { describe, expect, it } from 'vitest';
import { endpointsFromFlagsAndEnv, kafkaConfigOf, openPool, postgresTargetOf, registryOf, withConnections } from '../src/endpoints.ts';

describe('endpointsFromFlagsAndEnv', () => {
  it('prefers flags over SWITCHYARD_* variables and leaves the rest to the local stack', () => {
    const env = { SWITCHYARD_KAFKA_BROKERS: 'k1:9092, k2:9092', SWITCHYARD_REGISTRY_URL: 'http://reg' };
    expect(endpointsFromFlagsAndEnv({ registry: 'http://flag' }, env)).toEqual({ kafkaBrokers: ['k1:9092', 'k2:9092'], registryUrl: 'http://flag', postgresUrl: null });
    expect(endpointsFromFlagsAndEnv({ brokers: ' , ' }, {})).toEqual({ kafkaBrokers: null, registryUrl: null, postgresUrl: null });
  });
});

describe('withConnections', () => {
  const base = { kafkaBrokers: ['b:9093'], registryUrl: 'http://reg', postgresUrl: 'postgres://w@db/s' };

  it('gives the CLI the Kafka TLS and SASL settings and the Postgres sslmode the services read', async () => {
    const e = withConnections(base, {
      SWITCHYARD_KAFKA_SSL: 'true',
      SWITCHYARD_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      SWITCHYARD_KAFKA_SASL_USERNAME: 'tenant-a',
      SWITCHYARD_KAFKA_SASL_PASSWORD: 'pw',
      SWITCHYARD_PG_SSL_MODE: 'require',
      SWITCHYARD_REGISTRY_USERNAME: 'r',
      SWITCHYARD_REGISTRY_PASSWORD: 'rp',
    });
    expect(kafkaConfigOf(e)).toMatchObject({ brokers: ['b:9093'], ssl: { enabled: true }, sasl: { mechanism: 'scram-sha-512', username: 'tenant-a' } });
    expect(registryOf(e)).toEqual({ url: 'http://reg', username: 'r', password: 'rp' });
    const pool = openPool(postgresTargetOf(e), 'switchyard-cli', 1);
    try {
      expect((pool as unknown as { options: { ssl: unknown; connectionString: string } }).options).toMatchObject({ ssl: { rejectUnauthorized: false }, connectionString: 'postgres://w@db/s' });
    } finally {
      await pool.end();
    }
  });

  it('turns an invalid setting into a CLI argument error naming it', () => {
    expect(() => withConnections(base, { SWITCHYARD_PG_SSL_MODE: 'sometimes' })).toThrow(expect.objectContaining({ code: 'invalid_arguments', message: expect.stringContaining('postgres.ssl.mode') }));
  });
});
