import { describe, expect, it } from 'vitest';
import { loadConfig } from '@switchyard/config';
import { fileModeConfig } from '../../src/route/config.ts';

describe('fileModeConfig', () => {
  it('gives every model of the data the same minute budget, a local ledger, and a valid shared config', () => {
    const p = fileModeConfig({ models: ['a', 'meta/b'], reference: { source: 'dataset', path: '/d' }, tokensPerMinute: 5_000, policy: 'port' });
    const cfg = loadConfig({}, p.shared);
    expect(cfg.models.map((m) => [m.name, m.tokensPerMinute])).toEqual([['a', 5_000], ['meta/b', 5_000]]);
    expect(cfg.router.policy).toEqual({ policy: 'port' });
    expect(p.router).toMatchObject({ reference: { source: 'dataset', path: '/d' }, ledger: 'local' });
  });
});
