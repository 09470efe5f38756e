import { describe, expect, it } from 'vitest';
import { sampleRequest } from '@switchyard/contracts';
import type { FailedAttemptV3 } from '@switchyard/contracts';
import { allModelsFailedError, isRerouted, rerouteVerdict } from '../src/reroute.ts';

const models = ['a', 'b', 'c'];
const attempt = (model: string): FailedAttemptV3 => ({ model, reason: 'model_failed_permanently', statusCode: 404, detail: 'gone', batchId: 'x', failedAt: 1 });
const back = (failed: string[], allowedModels: string[] | null = null) =>
  sampleRequest({ allowedModels, excludedModels: failed, failedAttempts: failed.map(attempt) });

describe('rerouteVerdict', () => {
  it('leaves a request as submitted unchanged (same object: nothing copied on the hot path)', () => {
    const r = sampleRequest();
    expect(isRerouted(r)).toBe(false);
    expect(rerouteVerdict(models, 3, r)).toEqual({ kind: 'route', request: r });
    expect(rerouteVerdict(models, 3, r).kind === 'route' && (rerouteVerdict(models, 3, r) as { request: unknown }).request).toBe(r);
  });

  it('narrows the allow-list to the configured models not failed on, in config order', () => {
    expect(rerouteVerdict(models, 3, back(['b']))).toMatchObject({ kind: 'route', request: { allowedModels: ['a', 'c'] } });
    expect(rerouteVerdict(models, 3, back(['a'], ['c', 'a', 'gone']))).toMatchObject({ kind: 'route', request: { allowedModels: ['c'] } });
  });

  it('fails when nothing is left, or when the attempts are used up', () => {
    expect(rerouteVerdict(models, 5, back(['a', 'b', 'c']))).toMatchObject({ kind: 'fail', why: expect.stringContaining('no configured model is left') });
    expect(rerouteVerdict(models, 5, back(['a'], ['a']))).toMatchObject({ kind: 'fail', why: expect.stringContaining('no allowed model is left') });
    expect(rerouteVerdict(models, 2, back(['a', 'b']))).toMatchObject({ kind: 'fail', why: expect.stringContaining('maxModelAttempts 2') });
  });

  it('excludes a model named only in failedAttempts too (a writer that left excludedModels empty)', () => {
    const r = sampleRequest({ failedAttempts: [attempt('a')] });
    expect(rerouteVerdict(models, 3, r)).toMatchObject({ kind: 'route', request: { allowedModels: ['b', 'c'] } });
  });

  it('words the error with the reason first and every attempt, bounded', () => {
    const text = allModelsFailedError(back(['a', 'b']), 'why');
    expect(text).toBe('all_models_failed: why; attempts: a (model_failed_permanently HTTP 404: gone); b (model_failed_permanently HTTP 404: gone)');
    expect(allModelsFailedError(back(Array.from({ length: 200 }, (_, i) => `m${i}`)), 'why').length).toBeLessThanOrEqual(2_000);
  });
});
