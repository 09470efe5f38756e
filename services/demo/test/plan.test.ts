import { describe, expect, it } from 'vitest';
import { loadConfig } from '@switchyard/config';
import { checkJobLine, checkOpenAiLine } from '@switchyard/cli';
import { pricesFromHistory } from '@switchyard/datasets';
import { demoRunId, demoServiceConfig, demoTopics, jobLineOf, openaiBatchLineOf } from '../src/plan.ts';

describe('demo plan', () => {
  it('names runs uniquely and derives every topic from the run id', () => {
    const a = demoRunId(1_700_000_000_000, () => 0.1);
    const b = demoRunId(1_700_000_000_000, () => 0.2);
    expect(a).toMatch(/^demo-[0-9a-z]+-[0-9a-f]{4}$/);
    expect(a).not.toBe(b);
    const t = demoTopics(a);
    expect(Object.values(t).every((name) => name.startsWith(`${a}.`))).toBe(true);
    expect(new Set(Object.values(t)).size).toBe(5);
  });

  it('builds a configuration the shared config accepts, with one routed topic per model', () => {
    const plan = demoServiceConfig({
      runId: 'demo-x-0001',
      kafkaBrokers: ['127.0.0.1:19092'],
      registryUrl: 'http://127.0.0.1:18081/apis/ccompat/v7',
      postgresUrl: 'postgres://u:p@127.0.0.1:5432/switchyard',
      models: ['gpt-4-1106-preview', 'meta/llama-2-70b-chat'],
      reference: { source: 'dataset', path: '/data/rb' },
      tokensPerMinute: 60_000,
      policy: 'resolving-dual',
      partitions: 3,
    });
    const cfg = loadConfig({}, plan.shared);
    expect(cfg.topics.requests).toBe('demo-x-0001.requests');
    expect(Object.keys(cfg.topics.routedByModel)).toEqual(['gpt-4-1106-preview', 'meta/llama-2-70b-chat']);
    expect(cfg.models.every((m) => m.tokensPerMinute === 60_000)).toBe(true);
    expect(plan.router.reference).toEqual({ source: 'dataset', path: '/data/rb' });
  });

  it('writes job lines that pass submit validation and carry the dataset id for the executor simulator', () => {
    const line = JSON.parse(jobLineOf({ id: 'arc.test.1', task: 'arc', prompt: 'Which?' }, 256)) as unknown;
    const checked = checkJobLine(line);
    expect(checked).toEqual({ ok: true, line: { prompt: 'Which?', maxOutputTokens: 256, metadata: { datasetId: 'arc.test.1', task: 'arc' } } });
  });

  it('writes OpenAI Batch lines that submit accepts: the dataset id as custom_id, routed ("auto"), the output limit kept', () => {
    const checked = checkOpenAiLine(JSON.parse(openaiBatchLineOf({ id: 'arc.test.1', task: 'arc', prompt: 'Which?' }, 256)) as unknown);
    expect(checked).toMatchObject({ ok: true, line: { customId: 'arc.test.1', model: null, maxOutputTokens: 256, prompt: 'Which?' } });
  });

  it("prices each model at its recorded cost per 1,000 tokens, skipping missing cells and leaving unpriced models out", () => {
    const history = [
      { cost: [0.002, Number.NaN, Number.NaN], tokens: [1_000, 500, Number.NaN] },
      { cost: [0.006, 0.001, Number.NaN], tokens: [1_000, 2_000, Number.NaN] },
    ];
    const prices = pricesFromHistory(['a', 'b', 'c'], history);
    expect(prices['a']).toBeCloseTo(0.004, 12);
    expect(prices['b']).toBeCloseTo(0.0005, 12);
    expect('c' in prices).toBe(false);
    const cfg = loadConfig({}, demoServiceConfig({ runId: 'demo-x-0002', kafkaBrokers: ['k:1'], registryUrl: 'http://r', postgresUrl: 'postgres://u@h/d', models: ['a', 'c'], reference: { source: 'synthetic', nHistory: 10, nTest: 5, seed: 1 }, tokensPerMinute: 1_000, policy: 'resolving-dual', partitions: 1, pricesPer1kTokensUsd: prices }).shared);
    expect(cfg.models.find((m) => m.name === 'a')).toMatchObject({ costPer1kPromptTokensUsd: prices['a'], costPer1kCompletionTokensUsd: prices['a'] });
    expect(cfg.models.find((m) => m.name === 'c')?.costPer1kPromptTokensUsd).toBeUndefined();
  });
});
