import { describe, expect, it } from 'vitest';
import { loadConfig } from '@switchyard/config';
import { compileExecutorOpenaiConfig, parseExecutorOpenaiConfig, redactedEndpoints } from '../src/config.ts';

const limits = { tokensPerMinute: 100_000, maxBatchTokens: 10_000, maxBatchRequests: 50 };
const shared = loadConfig({}, { models: [{ name: 'gpt-4o', costPer1kPromptTokensUsd: 0.005, costPer1kCompletionTokensUsd: 0.015, ...limits }, { name: 'llama', ...limits }] });
const keys = { env: { OPENAI_KEY: 'sk-env' }, readFile: (p: string) => (p === '/run/key' ? 'sk-file\n' : (() => { throw Object.assign(new Error('x'), { code: 'ENOENT' }); })()) };

describe('executor-openai config', () => {
  it('compiles endpoints with mapped names, keys from env or file, and prices', () => {
    const svc = parseExecutorOpenaiConfig({
      models: {
        'gpt-4o': { baseUrl: 'https://api.openai.com/v1/', apiKeyEnv: 'OPENAI_KEY', upstreamModel: 'gpt-4o-2024-08-06', requestsPerMinute: 500 },
        llama: { baseUrl: 'http://127.0.0.1:8000/v1', apiKeyFile: '/run/key', concurrency: 2 },
      },
    });
    const c = compileExecutorOpenaiConfig(shared, svc, keys);
    expect(c.endpoints.map((e) => [e.model, e.upstreamModel, e.chatCompletionsUrl, e.apiKey, e.concurrency, e.requestsPerMinute])).toEqual([
      ['gpt-4o', 'gpt-4o-2024-08-06', 'https://api.openai.com/v1/chat/completions', 'sk-env', 8, 500],
      ['llama', 'llama', 'http://127.0.0.1:8000/v1/chat/completions', 'sk-file', 2, null],
    ]);
    expect(c.endpoints[0]!.price).toEqual({ costPer1kPromptTokensUsd: 0.005, costPer1kCompletionTokensUsd: 0.015 });
    expect(JSON.stringify(redactedEndpoints(c.endpoints))).not.toMatch(/sk-/);
  });

  it('names the path of every problem and never prints a key', () => {
    expect(() => parseExecutorOpenaiConfig({ models: { a: { baseUrl: 'nope' } } })).toThrow(/executorOpenai\.models\.a\.baseUrl/);
    expect(() => parseExecutorOpenaiConfig({ models: { a: { baseUrl: 'http://x', apiKeyEnv: 'A', apiKeyFile: 'f' } } })).toThrow(/not both/);
    const bad = parseExecutorOpenaiConfig({ models: { nope: { baseUrl: 'http://x' }, 'gpt-4o': { baseUrl: 'http://x', apiKeyEnv: 'MISSING' }, llama: { baseUrl: 'http://x', apiKeyFile: '/none' } } });
    expect(() => compileExecutorOpenaiConfig(shared, bad, keys)).toThrow(/models\.nope: not a configured model.*MISSING is not set.*cannot read \/none \(ENOENT\)/);
    const slow = parseExecutorOpenaiConfig({ models: { llama: { baseUrl: 'http://x' } }, retry: { maxTotalMs: 50_000 } });
    expect(() => compileExecutorOpenaiConfig(shared, slow, keys)).toThrow(/half of kafka.transactionTimeoutMs/);
  });

  it('takes batchApi settings with defaults, only when enabled, and needs Postgres for them', () => {
    const svc = parseExecutorOpenaiConfig({ models: { 'gpt-4o': { baseUrl: 'http://x/v1/', batchApi: { enabled: true, minBatchRequests: 50 } }, llama: { baseUrl: 'http://x', batchApi: { enabled: false } } } });
    expect(() => compileExecutorOpenaiConfig(shared, svc, keys)).toThrow(/models\.gpt-4o\.batchApi: needs the postgres section/);
    const withPg = loadConfig({}, { models: [{ name: 'gpt-4o', costPer1kPromptTokensUsd: 0.005, costPer1kCompletionTokensUsd: 0.015, batchCostPer1kPromptTokensUsd: 0.0025, ...limits }, { name: 'llama', ...limits }], postgres: { connectionString: 'postgres://h/db' } });
    const c = compileExecutorOpenaiConfig(withPg, svc, keys);
    expect(c.endpoints[0]).toMatchObject({ baseUrl: 'http://x/v1', batchApi: { enabled: true, minBatchRequests: 50, minTimeLeftMs: 86_400_000, unanswered: 'per_request' }, price: { batchCostPer1kPromptTokensUsd: 0.0025 } });
    expect(c.endpoints[1]!.batchApi).toBeNull();
    expect(() => parseExecutorOpenaiConfig({ models: { a: { baseUrl: 'http://x', batchApi: { enabled: true, unanswered: 'drop' } } } })).toThrow(/models\.a\.batchApi\.unanswered/);
  });
});
