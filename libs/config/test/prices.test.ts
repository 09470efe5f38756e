import { describe, expect, it } from 'vitest';
import { costUsd, hasPrice, worstCaseCostUsd } from '../src/index.ts';

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

describe('batch prices and the worst case', () => {
  const price = { costPer1kPromptTokensUsd: 1, costPer1kCompletionTokensUsd: 2, batchCostPer1kPromptTokensUsd: 0.5 };

  it('prices batch usage at the batch price, falling back to the standard one', () => {
    expect(costUsd(price, { promptTokens: 1000, completionTokens: 1000 }, 'batch')).toBeCloseTo(2.5, 12);
    expect(costUsd(price, { promptTokens: 1000, completionTokens: 1000 })).toBeCloseTo(3, 12);
  });

  it('reserves prompt x input price + max output x output price, at the dearer mode', () => {
    expect(worstCaseCostUsd(price, 2000, 500)).toBeCloseTo(3, 12);
    expect(worstCaseCostUsd({ costPer1kPromptTokensUsd: 1, costPer1kCompletionTokensUsd: 1, batchCostPer1kCompletionTokensUsd: 4 }, 0, 1000)).toBeCloseTo(4, 12);
  });
});
