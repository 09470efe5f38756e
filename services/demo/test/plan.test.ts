import { describe, expect, it } from 'vitest';
import { loadConfig } from '@switchyard/config';
import { checkJobLine, checkOpenAiLine } from '@switchyard/cli';
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
      policy: 'ours',
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
});
