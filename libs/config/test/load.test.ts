import { describe, expect, it } from 'vitest';
import { loadConfig, routedTopicFor } from '../src/load.ts';
import { ConfigError } from '../src/errors.ts';
import type { ConfigIssue } from '../src/errors.ts';

const model = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  tokensPerMinute: 10_000,
  maxBatchTokens: 4_000,
  maxBatchRequests: 32,
  ...extra,
});
const file = { models: [model('gpt-4-1106-preview'), model('meta/llama-2-70b-chat')] };

function issuesOf(fn: () => unknown): readonly ConfigIssue[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('fills defaults for the local stack and derives per-model topics', () => {
    const cfg = loadConfig({}, file);
    expect(cfg.kafka.brokers).toEqual(['127.0.0.1:19092']);
    expect(cfg.registry.url).toBe('http://127.0.0.1:18081/apis/ccompat/v7');
    expect(cfg.batching.flushIntervalMs).toBe(1_000);
    expect(cfg.scoring.backend).toBe('auto');
    expect(cfg.router.policy).toEqual({ policy: 'port' });
    expect(cfg.router.instanceId).toBe('switchyard');
    expect(routedTopicFor(cfg, 'meta/llama-2-70b-chat')).toBe('routed.meta_llama-2-70b-chat');
    expect(routedTopicFor(cfg, 'nope')).toBeUndefined();
    expect(routedTopicFor(cfg, 'constructor')).toBeUndefined();
  });

  it('returns a deeply frozen object', () => {
    const cfg = loadConfig({}, file);
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(Object.isFrozen(cfg.kafka.brokers)).toBe(true);
    expect(Object.isFrozen(cfg.models[0])).toBe(true);
    expect(() => {
      (cfg.kafka as { clientId: string }).clientId = 'x';
    }).toThrow(TypeError);
  });

  it('does not mutate the file object it was given', () => {
    const input = structuredClone(file);
    loadConfig({ SWITCHYARD_KAFKA_CLIENT_ID: 'router' }, input);
    expect(input).toEqual(file);
  });

  it('lets SWITCHYARD_* variables override the file, parsed to their types', () => {
    const cfg = loadConfig(
      {
        SWITCHYARD_KAFKA_BROKERS: 'k1:9092, k2:9092',
        SWITCHYARD_KAFKA_SSL: 'true',
        SWITCHYARD_KAFKA_SASL_MECHANISM: 'scram-sha-512',
        SWITCHYARD_KAFKA_SASL_USERNAME: 'svc',
        SWITCHYARD_KAFKA_SASL_PASSWORD: 's3cret',
        SWITCHYARD_BATCH_FLUSH_INTERVAL_MS: '250',
        SWITCHYARD_SCORING_BACKEND: 'gpujs',
        SWITCHYARD_ROUTER_POLICY: 'resolving-dual',
        SWITCHYARD_CONFIG_FILE: '/etc/switchyard.json',
        SWITCHYARD_PG_URL: 'postgres://w@db/s',
        SWITCHYARD_PG_ADMIN_URL: 'postgres://admin@db/s',
        SWITCHYARD_STACK_DIR: '/tmp/stack',
        PATH: '/usr/bin',
      },
      { ...file, kafka: { brokers: ['file:1'], clientId: 'from-file' } },
    );
    expect(cfg.kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(cfg.kafka.clientId).toBe('from-file');
    expect(cfg.kafka.ssl.enabled).toBe(true);
    expect(cfg.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'svc', password: 's3cret' });
    expect(cfg.batching.flushIntervalMs).toBe(250);
    expect(cfg.scoring.backend).toBe('gpujs');
    expect(cfg.router.policy).toEqual({ policy: 'resolving-dual' });
    expect(cfg.postgres?.connectionString).toBe('postgres://w@db/s');
  });

  it('takes models and policy parameters as JSON from the environment', () => {
    const cfg = loadConfig({
      SWITCHYARD_MODELS: JSON.stringify([model('a')]),
      SWITCHYARD_ROUTER_POLICY: '{"policy":"port","alpha":0.001}',
    });
    expect(cfg.models.map((m) => m.name)).toEqual(['a']);
    expect(cfg.router.policy).toEqual({ policy: 'port', alpha: 0.001 });
  });

  it('reports every bad variable by name', () => {
    const issues = issuesOf(() =>
      loadConfig({ SWITCHYARD_KAFKA_BROKRS: 'x:1', SWITCHYARD_WORKER_POOL_SIZE: 'two', SWITCHYARD_KAFKA_SSL: 'maybe', SWITCHYARD_MODELS: '[', SWITCHYARD_ROUTER_POLCY: 'port' }, file),
    );
    expect(issues.map((i) => [i.path, i.rule])).toEqual([
      ['SWITCHYARD_KAFKA_BROKRS', 'unknown_variable'],
      ['SWITCHYARD_WORKER_POOL_SIZE', 'env_int'],
      ['SWITCHYARD_KAFKA_SSL', 'env_bool'],
      ['SWITCHYARD_MODELS', 'env_json'],
      ['SWITCHYARD_ROUTER_POLCY', 'unknown_variable'],
    ]);
  });

  it.each([
    ['no models', {}, 'models', 'invalid_type'],
    ['empty model list', { models: [] }, 'models', 'too_small'],
    ['broker without port', { ...file, kafka: { brokers: ['localhost'] } }, 'kafka.brokers.0', 'invalid_format'],
    ['unknown key (typo)', { ...file, batching: { flushIntervalMS: 5 } }, 'batching', 'unrecognized_keys'],
    ['zero budget', { models: [model('a', { tokensPerMinute: 0 })] }, 'models.0.tokensPerMinute', 'too_small'],
    ['fractional token budget', { models: [model('a', { maxBatchTokens: 1.5 })] }, 'models.0.maxBatchTokens', 'invalid_type'],
    ['day budget below minute budget', { models: [model('a', { tokensPerDay: 10 })] }, 'models.0.tokensPerDay', 'custom'],
    ['unknown SASL mechanism', { ...file, kafka: { sasl: { mechanism: 'gssapi', username: 'u', password: 'p' } } }, 'kafka.sasl.mechanism', 'invalid_value'],
    ['cert without key', { ...file, kafka: { ssl: { enabled: true, cert: 'PEM' } } }, 'kafka.ssl.key', 'custom'],
    ['heartbeat too close to session timeout', { ...file, kafka: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 3_000 } }, 'kafka.heartbeatIntervalMs', 'custom'],
    ['illegal topic name', { ...file, topics: { requests: 'my requests' } }, 'topics.requests', 'custom'],
    ['template without placeholder', { ...file, topics: { routedTemplate: 'routed' } }, 'topics.routedTemplate', 'custom'],
    ['unknown scoring backend', { ...file, scoring: { backend: 'cuda' } }, 'scoring.backend', 'invalid_value'],
    ['policy without a name', { ...file, router: { policy: { alpha: 1 } } }, 'router.policy.policy', 'invalid_type'],
    ['bad registry url', { ...file, registry: { url: 'not a url' } }, 'registry.url', 'invalid_format'],
    ['duplicate model', { models: [model('a'), model('a')] }, 'models.1.name', 'duplicate_model'],
    ['models colliding on one topic', { models: [model('a/b'), model('a:b')] }, 'models.1.name', 'topic_collision'],
    ['model topic colliding on . versus _', { models: [model('x.y'), model('x_y')] }, 'models.1.name', 'topic_collision'],
    ['fixed topics colliding', { ...file, topics: { deferred: 'requests' } }, 'topics.deferred', 'topic_collision'],
    ['TLS material while TLS is off', { ...file, kafka: { ssl: { ca: 'PEM' } } }, 'kafka.ssl.enabled', 'ssl_material_without_ssl'],
  ])('rejects %s, naming the path and the rule', (_name, input, path, rule) => {
    const issues = issuesOf(() => loadConfig({}, input));
    expect(issues).toContainEqual(expect.objectContaining({ path, rule }));
  });

  it('rejects a file that is not an object', () => {
    expect(issuesOf(() => loadConfig({}, [1, 2]))).toEqual([expect.objectContaining({ path: '(root)' })]);
  });

  it('puts every issue in the error message', () => {
    try {
      loadConfig({}, { models: [model('a', { tokensPerMinute: -1, maxBatchRequests: 0 })] });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toContain('models.0.tokensPerMinute');
      expect((err as Error).message).toContain('models.0.maxBatchRequests');
      expect(err).toMatchObject({ code: 'invalid_config', retriable: false });
    }
  });

  it('refuses a dollar cap while a model has no price, since its worst case cannot be reserved', () => {
    const budgets = { tenants: { acme: { usdPerDay: 5 } } };
    const issues = issuesOf(() => loadConfig({}, { ...file, budgets }));
    expect(issues).toEqual([expect.objectContaining({ path: 'budgets.tenants.acme.usdPerDay', rule: 'usd_budget_without_price' })]);
    const priced = { costPer1kPromptTokensUsd: 0.01, costPer1kCompletionTokensUsd: 0.03 };
    const cfg = loadConfig({}, { models: [model('a', priced), model('b', priced)], budgets });
    expect(cfg.budgets.tenants['acme']!.usdPerDay).toBe(5);
  });
});

describe('ops (failure signals)', () => {
  it('defaults to a 15 s readiness bound and no exit, and reads both from the environment', () => {
    expect(loadConfig({}, file).ops).toEqual({ readyFailureMs: 15_000 });
    const cfg = loadConfig({ SWITCHYARD_OPS_READY_FAILURE_MS: '5000', SWITCHYARD_OPS_MAX_FAILURE_DURATION_MS: '60000' }, file);
    expect(cfg.ops).toEqual({ readyFailureMs: 5_000, maxFailureDurationMs: 60_000 });
  });

  it('refuses an exit bound below the readiness bound, naming the path', () => {
    const issues = issuesOf(() => loadConfig({}, { ...file, ops: { readyFailureMs: 20_000, maxFailureDurationMs: 10_000 } }));
    expect(issues.map((i) => i.path)).toEqual(['ops.maxFailureDurationMs']);
  });

  it('caps one Kafka retry delay at 2 s by default, so a service tries again soon after a broker is back', () => {
    expect(loadConfig({}, file).kafka.retry).toEqual({ initialDelayMs: 300, maxDelayMs: 2_000, maxRetries: 5 });
  });
});
