import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cl100kEstimate, cl100kTokenCounter, tokenPieces, tokensMayExceed } from '../src/index.ts';

describe('bounded token estimate', () => {
  it('never says a text stays within a limit its exact cl100k count exceeds', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.integer({ min: 0, max: 400 }), (text, limit) => {
        if (!tokensMayExceed(text, limit)) expect(cl100kTokenCounter(text)).toBeLessThanOrEqual(limit);
      }),
      { numRuns: 300 },
    );
  });

  it('checks the byte length only when three bytes per code unit could pass the limit', () => {
    expect(tokensMayExceed('abc', 9)).toBe(false);
    expect(tokensMayExceed('abcd', 9)).toBe(false); // 12 > 9, but 4 bytes <= 9
    expect(tokensMayExceed('ééééé', 9)).toBe(true); // 10 bytes
  });

  it('is 0 for empty text and at least 1 otherwise', () => {
    expect(cl100kEstimate('')).toBe(0);
    expect(cl100kEstimate(' ')).toBe(1);
    expect(cl100kEstimate('a')).toBe(1);
  });

  it('counts words, digit groups of three and symbols as pieces', () => {
    expect(tokenPieces('hello world')).toBe(2);
    expect(tokenPieces('1234567')).toBe(3);
    expect(tokenPieces('a+b=c.')).toBe(6);
  });

  it('stays near the exact count on English prose', () => {
    const text = 'The quick brown fox jumps over the lazy dog, and then it runs away into the forest to find its friends. '.repeat(5);
    const exact = cl100kTokenCounter(text);
    expect(Math.abs(cl100kEstimate(text) - exact) / exact).toBeLessThan(0.15);
  });
});
