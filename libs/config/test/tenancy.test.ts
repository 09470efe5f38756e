import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/load.ts';
import { ConfigError } from '../src/errors.ts';
import type { ConfigIssue } from '../src/errors.ts';

const file = { models: [{ name: 'm', tokensPerMinute: 10_000, maxBatchTokens: 4_000, maxBatchRequests: 32 }] };

function issuesOf(fn: () => unknown): readonly ConfigIssue[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('tenancy', () => {
  it('trusts the shared topic when no tenant has a topic of its own (the behaviour before tenant topics)', () => {
    const cfg = loadConfig({}, file);
    expect(cfg.tenancy.sharedTopic).toBe('trusted');
    expect(cfg.tenancy.tenantByTopic).toEqual({});
  });

  it('maps each tenant topic to its tenant and turns the shared topic off unless it is allowed', () => {
    const cfg = loadConfig({}, { ...file, tenancy: { tenants: ['acme', 'globex'], topicTemplate: 'switchyard.requests.{tenant}' } });
    expect(cfg.tenancy.tenantByTopic).toEqual({ 'switchyard.requests.acme': 'acme', 'switchyard.requests.globex': 'globex' });
    expect(cfg.tenancy.sharedTopic).toBe('off');
    const both = loadConfig({}, { ...file, tenancy: { tenants: ['acme'], sharedTopic: 'trusted' } });
    expect(both.tenancy.sharedTopic).toBe('trusted');
    expect(both.tenancy.tenantByTopic).toEqual({ 'requests.acme': 'acme' });
  });

  it('reads the tenants and the shared-topic rule from the environment', () => {
    const cfg = loadConfig({ SWITCHYARD_TENANCY_TENANTS: 'a, b', SWITCHYARD_TENANCY_SHARED_TOPIC: 'trusted' }, file);
    expect(cfg.tenancy.tenants).toEqual(['a', 'b']);
    expect(cfg.tenancy.sharedTopic).toBe('trusted');
  });

  it.each([
    ['no topic at all', { sharedTopic: 'off' }, 'tenancy.sharedTopic', 'no_request_topic'],
    ['a tenant id that is not a topic-name component', { tenants: ['a/b'] }, 'tenancy.tenants.0', 'invalid_format'],
    ['a tenant listed twice', { tenants: ['a', 'a'] }, 'tenancy.tenants.1', 'duplicate_tenant'],
    ['a template without {tenant}', { tenants: ['a'], topicTemplate: 'requests' }, 'tenancy.topicTemplate', 'custom'],
    // requests.{tenant} for tenant "deferred" is the default deferred topic.
    ['a tenant topic equal to another topic', { tenants: ['deferred'] }, 'tenancy.tenants.0', 'topic_collision'],
  ])('rejects %s', (_name, tenancy, path, rule) => {
    expect(issuesOf(() => loadConfig({}, { ...file, tenancy }))).toContainEqual(expect.objectContaining({ path, rule }));
  });
});
