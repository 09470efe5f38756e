import { describe, expect, it } from 'vitest';
import { costUsd, hasPrice } from '../src/index.ts';

describe('costUsd', () => {
  it('prices prompt and completion tokens per 1,000', () => {
    const price = { costPer1kPromptTokensUsd: 0.5, costPer1kCompletionTokensUsd: 1.5 };
    expect(costUsd(price, { promptTokens: 2000, completionTokens: 1000 })).toBeCloseTo(2.5, 12);
    expect(hasPrice(price)).toBe(true);
  });

  it('counts a missing price as zero and says the price is incomplete', () => {
    const price = { costPer1kPromptTokensUsd: 1 };
    expect(costUsd(price, { promptTokens: 1000, completionTokens: 1000 })).toBe(1);
    expect(hasPrice(price)).toBe(false);
  });
});
