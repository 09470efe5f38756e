import { describe, expect, it } from 'vitest';
import { endpointsFromFlagsAndEnv } from '../src/endpoints.ts';

describe('endpointsFromFlagsAndEnv', () => {
  it('prefers flags over SWITCHYARD_* variables and leaves the rest to the local stack', () => {
    const env = { SWITCHYARD_KAFKA_BROKERS: 'k1:9092, k2:9092', SWITCHYARD_REGISTRY_URL: 'http://reg' };
    expect(endpointsFromFlagsAndEnv({ registry: 'http://flag' }, env)).toEqual({ kafkaBrokers: ['k1:9092', 'k2:9092'], registryUrl: 'http://flag', postgresUrl: null });
    expect(endpointsFromFlagsAndEnv({ brokers: ' , ' }, {})).toEqual({ kafkaBrokers: null, registryUrl: null, postgresUrl: null });
  });
});
