import { describe, expect, it } from 'vitest';
import { deriveJobId, requestIdFor, toRequest } from '../../src/submit/request.ts';

describe('request ids and job ids', () => {
  it('derives request ids from the job id and line number only', () => {
    expect(requestIdFor('job-1', 17)).toBe('job-1-L17');
    expect(requestIdFor('job-1', 17)).toBe(requestIdFor('job-1', 17));
    expect(requestIdFor('job-1', 17)).not.toBe(requestIdFor('job-2', 17));
  });

  it('gives the same job id for the same tenant and unchanged file, and another when either changes', () => {
    const base = { tenant: 't', path: '/data/job.jsonl', sizeBytes: 100, mtimeMs: 1_700_000_000_123.4 };
    const id = deriveJobId(base);
    expect(id).toMatch(/^job-[0-9a-f]{16}$/);
    expect(deriveJobId({ ...base })).toBe(id);
    expect(deriveJobId({ ...base, tenant: 'u' })).not.toBe(id);
    expect(deriveJobId({ ...base, sizeBytes: 101 })).not.toBe(id);
    expect(deriveJobId({ ...base, mtimeMs: 1_700_000_001_000 })).not.toBe(id);
  });

  it('builds the Avro request with defaults and keeps the submitter id in metadata', () => {
    const r = toRequest(
      { id: 42, prompt: 'p', metadata: { task: 'arc' } },
      { jobId: 'j', tenant: 't', lineNo: 3, defaults: { maxOutputTokens: 256, priority: 1 }, submittedAtMs: 5 },
    );
    expect(r).toEqual({
      requestId: 'j-L3',
      jobId: 'j',
      tenant: 't',
      prompt: 'p',
      embedding: null,
      promptTokens: null,
      maxOutputTokens: 256,
      priority: 1,
      deadline: null,
      allowedModels: null,
      metadata: { task: 'arc', sourceId: '42', line: '3' },
      submittedAt: 5,
      customId: null,
      body: null,
    });
  });

  it('carries the provider fields of a batch line', () => {
    const r = toRequest({ prompt: 'p' }, { jobId: 'j', tenant: 't', lineNo: 1, defaults: { maxOutputTokens: 1, priority: 0 }, submittedAtMs: 0 }, { customId: 'c-1', body: '{"model":"auto"}' });
    expect(r).toMatchObject({ customId: 'c-1', body: '{"model":"auto"}' });
  });
});
