import { describe, expect, it } from 'vitest';
import { cl100kEstimate, cl100kTokenCounter } from '@switchyard/embedding';
import { promptTokensOf } from '../src/prompt-tokens.ts';

// A prompt whose estimate and exact count differ, so the test sees which one was used.
const prompt = 'Implement quicksort_in_place(arr: list[int]) -> None; e.g. [3,1,2] => [1,2,3]!!';

describe('promptTokensOf', () => {
  it('estimates a prompt whose byte length cannot reach either bound', () => {
    expect(cl100kEstimate(prompt)).not.toBe(cl100kTokenCounter(prompt));
    expect(promptTokensOf(prompt, 256, { exactTokensAbove: 32_000, exactRequestAbove: 64_000 })).toBe(cl100kEstimate(prompt));
  });

  it('counts exactly where the prompt limit could be reached', () => {
    expect(promptTokensOf(prompt, 256, { exactTokensAbove: 40, exactRequestAbove: 64_000 })).toBe(cl100kTokenCounter(prompt));
  });

  it('counts exactly where prompt and output cap could pass the smallest batch bound', () => {
    expect(promptTokensOf(prompt, 256, { exactTokensAbove: 32_000, exactRequestAbove: 300 })).toBe(cl100kTokenCounter(prompt));
  });

  it('counts every prompt exactly in exact mode', () => {
    expect(promptTokensOf(prompt, 256, { exactTokensAbove: -1, exactRequestAbove: -1 })).toBe(cl100kTokenCounter(prompt));
  });
});
