import { describe, expect, it, vi } from 'vitest';
import { createPolicy, parsePolicyConfig, RoutingError, type PolicyConfigInput } from '../../src/index.ts';

describe('policy factory', () => {
  it('fills PORT defaults from its published command and freezes the config', () => {
    const cfg = parsePolicyConfig({ policy: 'port' });
    expect(cfg).toEqual({ policy: 'port', seed: 0, alpha: 1e-4, eps: 0.025, gammaMax: 1 });
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  it('names the path and the rule of an invalid config', () => {
    try {
      parsePolicyConfig({ policy: 'resolving-dual', safetyMargin: -1 });
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
    const names = ['random', 'greedy-perf', 'greedy-cost', 'knn-perf', 'knn-cost', 'port', 'resolving-dual'] as const;
    for (const policy of names) {
      const p = await createPolicy({ policy } as PolicyConfigInput, { budgets: [1, 1], streamLength: 10 });
      expect(p.name).toBe(policy);
      const d = p.choose({ quality: [0.5, 0.9], cost: [0.01, 0.02] });
      expect(['route', 'drop']).toContain(d.kind);
    }
  });

  it('reads the old name "ours" as resolving-dual, with its options, and warns once', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      expect(parsePolicyConfig({ policy: 'ours', windowSize: 32 })).toEqual(parsePolicyConfig({ policy: 'resolving-dual', windowSize: 32 }));
      parsePolicyConfig({ policy: 'ours' });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/"ours" is deprecated.*"resolving-dual"/);
    } finally {
      warn.mockRestore();
    }
  });

  it('rejects an empty model set and a non-positive stream length', async () => {
    await expect(createPolicy({ policy: 'greedy-perf' }, { budgets: [], streamLength: 1 })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(createPolicy({ policy: 'greedy-perf' }, { budgets: [1], streamLength: 0 })).rejects.toMatchObject({ code: 'invalid_input' });
  });
});
