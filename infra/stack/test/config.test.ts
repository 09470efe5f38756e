import { describe, expect, it } from 'vitest';
import { parseStackConfig, stackConfigFromEnv, StackError } from '../index.ts';

describe('stackConfigFromEnv + parseStackConfig', () => {
  it('defaults to the documented ports and the local Postgres', () => {
    const config = parseStackConfig(stackConfigFromEnv({}));
    expect(config.kafka).toMatchObject({ host: '127.0.0.1', port: 19092, controllerPort: 19093 });
    expect(config.kafka.externalBrokers).toBeUndefined();
    expect(config.registry.port).toBe(18081);
    expect(config.postgres).toMatchObject({ adminUrl: 'postgres://postgres@127.0.0.1:5432/postgres', database: 'switchyard', embedded: 'auto' });
    expect(Object.isFrozen(config.kafka)).toBe(true);
  });

  it('maps SWITCHYARD_* variables onto external endpoints', () => {
    const config = parseStackConfig(
      stackConfigFromEnv({
        SWITCHYARD_KAFKA_BROKERS: ' b1:9092, b2:9092 ,',
        SWITCHYARD_REGISTRY_URL: 'http://r:8081/apis/ccompat/v7',
        SWITCHYARD_PG_URL: 'postgres://w:pw@db:5432/sy',
        SWITCHYARD_PG_ADMIN_URL: 'postgres://admin@db:5432/postgres',
        SWITCHYARD_PG_EMBEDDED: 'never',
      }),
    );
    expect(config.kafka.externalBrokers).toEqual(['b1:9092', 'b2:9092']);
    expect(config.registry.externalUrl).toBe('http://r:8081/apis/ccompat/v7');
    expect(config.postgres).toMatchObject({ externalUrl: 'postgres://w:pw@db:5432/sy', adminUrl: 'postgres://admin@db:5432/postgres', embedded: 'never' });
  });

  it('takes a database name of its own from SWITCHYARD_PG_DATABASE', () => {
    expect(parseStackConfig(stackConfigFromEnv({ SWITCHYARD_PG_DATABASE: 'switchyard_b' })).postgres.database).toBe('switchyard_b');
  });

  it('rejects a bad value with its path instead of ignoring it', () => {
    const attempt = () => parseStackConfig(stackConfigFromEnv({ SWITCHYARD_PG_EMBEDDED: 'sometimes', SWITCHYARD_PG_ADMIN_URL: 'http://x' }));
    expect(attempt).toThrow(StackError);
    expect(attempt).toThrow(/postgres\.embedded/);
    expect(attempt).toThrow(/postgres\.adminUrl/);
  });
});
