import { describe, expect, it } from 'vitest';
import { normaliseRow } from '../../src/source/row.ts';

describe('normaliseRow', () => {
  it('drops empty cells, converts typed Parquet values and parses embedding text', () => {
    expect(normaliseRow({ prompt: 'p', promptTokens: 12n, embedding: '[0.5, 1]', deadline: '1700000000000', 'metadata.n': 3, extra: '' })).toEqual({
      prompt: 'p',
      promptTokens: 12,
      embedding: [0.5, 1],
      deadline: 1_700_000_000_000,
      metadata: { n: '3' },
    });
  });

  it('keeps unknown columns so the strict line schema reports them', () => {
    expect(normaliseRow({ prompt: 'p', colour: 'red' })).toEqual({ prompt: 'p', colour: 'red' });
  });
});
