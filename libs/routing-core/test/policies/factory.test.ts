import { describe, expect, it } from 'vitest';
import { createPolicy, parsePolicyConfig, RoutingError, type PolicyConfigInput } from '../../src/index.ts';

describe('policy factory', () => {
  it('fills PORT defaults from its published command and freezes the config', () => {
    const cfg = parsePolicyConfig({ policy: 'port' });
    expect(cfg).toEqual({ policy: 'port', seed: 0, alpha: 1e-4, eps: 0.025, gammaMax: 1 });
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  it('names the path and the rule of an invalid config', () => {
    try {
      parsePolicyConfig({ policy: 'ours', safetyMargin: -1 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RoutingError);
      expect((e as RoutingError).code).toBe('invalid_config');
      expect((e as RoutingError).message).toContain('safetyMargin');
    }
    expect(() => parsePolicyConfig({ policy: 'nope' })).toThrowError(RoutingError);
    expect(() => parsePolicyConfig({ policy: 'random', extra: 1 })).toThrowError(/extra|unrecognized/i);
  });

  it('builds every policy behind the one interface', async () => {
    const names = ['random', 'greedy-perf', 'greedy-cost', 'knn-perf', 'knn-cost', 'port', 'ours'] as const;
    for (const policy of names) {
      const p = await createPolicy({ policy } as PolicyConfigInput, { budgets: [1, 1], streamLength: 10 });
      expect(p.name).toBe(policy);
      const d = p.choose({ quality: [0.5, 0.9], cost: [0.01, 0.02] });
      expect(['route', 'drop']).toContain(d.kind);
    }
  });

  it('rejects an empty model set and a non-positive stream length', async () => {
    await expect(createPolicy({ policy: 'greedy-perf' }, { budgets: [], streamLength: 1 })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(createPolicy({ policy: 'greedy-perf' }, { budgets: [1], streamLength: 0 })).rejects.toMatchObject({ code: 'invalid_input' });
  });
});
