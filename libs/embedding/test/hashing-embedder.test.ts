import { describe, expect, it } from 'vitest';
import {
  createHashingEmbedder,
  dot,
  EmbeddingError,
  hashingEmbedderFromJSON,
  type HashingEmbedderState,
} from '../src/index.ts';

const norm = (v: Float32Array): number => Math.sqrt(dot(v, v));

const PREAMBLE = 'Please answer with the letter of the correct answer. Print only a single choice. Answer:';
const corpus = [
  `${PREAMBLE} Which planet is closest to the sun? A) Mercury B) Mars`,
  `${PREAMBLE} Which gas do plants absorb for photosynthesis? A) oxygen B) carbon dioxide`,
  `${PREAMBLE} The cat chased the mouse because _ was hungry. A) cat B) mouse`,
  `${PREAMBLE} Which metal is attracted by a magnet? A) iron B) copper`,
  'Write a python function to reverse a linked list.',
  'Write a python function to find the maximum of a list.',
];

describe('hashing embedder', () => {
  it('is deterministic across instances and unit length', () => {
    const a = createHashingEmbedder().embed('Write a function to sort a list');
    const b = createHashingEmbedder().embed('Write a function to sort a list');
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(norm(a)).toBeCloseTo(1, 5);
    expect(a.length).toBe(256);
  });

  it.each([
    ['chars only (default)', {}],
    ['words only', { wordNgramMax: 2, charNgramMax: 0 }],
    ['words and chars', { wordNgramMax: 1, charNgramMin: 3, charNgramMax: 5 }],
  ])('puts paraphrases closer than unrelated text: %s', (_, opts) => {
    const e = createHashingEmbedder(opts).fit(corpus);
    const q = e.embed('Write a python function to reverse a list');
    const near = e.embed('Write a python function to reverse a linked list.');
    const far = e.embed(`${PREAMBLE} Which gas do plants absorb? A) oxygen B) nitrogen`);
    expect(dot(q, near)).toBeGreaterThan(dot(q, far) + 0.2);
  });

  it('gives n-grams shared by every fitted document no weight once fitted (IDF)', () => {
    const a = `${PREAMBLE} zebra quartz`;
    const b = `${PREAMBLE} violin marsh`;
    const raw = createHashingEmbedder();
    const before = dot(raw.embed(a), raw.embed(b));
    const fitted = createHashingEmbedder().fit(corpus.slice(0, 4));
    const after = dot(fitted.embed(a), fitted.embed(b));
    expect(before).toBeGreaterThan(0.5);
    expect(Math.abs(after)).toBeLessThan(0.25);
    expect(fitted.fitted).toBe(true);
    // IDF can be switched off.
    const off = createHashingEmbedder({ idf: false }).fit(corpus.slice(0, 4));
    expect(dot(off.embed(a), off.embed(b))).toBeCloseTo(before, 5);
  });

  it('falls back to TF weights for a text made only of corpus-wide n-grams', () => {
    const e = createHashingEmbedder().fit(['same words here', 'same words here', 'same words here']);
    const v = e.embed('same words here');
    expect(norm(v)).toBeCloseTo(1, 5);
  });

  it('embeds text without letters or digits to the zero vector', () => {
    const v = createHashingEmbedder().embed(' ?!... ');
    expect(norm(v)).toBe(0);
  });

  it('tokenises non-ASCII scripts', () => {
    const e = createHashingEmbedder();
    const a = e.embed('日本語の文章です');
    const b = e.embed('日本語の文章です');
    const c = e.embed('naïve café résumé');
    expect(norm(a)).toBeCloseTo(1, 5);
    expect(dot(a, b)).toBeCloseTo(1, 5);
    expect(Math.abs(dot(a, c))).toBeLessThan(0.3);
  });

  it('fills row-major batches identical to single embeds, and writes into a given buffer', () => {
    const e = createHashingEmbedder({ dim: 64 }).fit(corpus);
    const batch = e.embedBatch(corpus);
    expect(batch.length).toBe(corpus.length * 64);
    corpus.forEach((t, i) => expect(Array.from(batch.subarray(i * 64, (i + 1) * 64))).toEqual(Array.from(e.embed(t))));
    const out = new Float32Array(64);
    expect(e.embed(corpus[0]!, out)).toBe(out);
    expect(() => e.embed('x', new Float32Array(3))).toThrow(EmbeddingError);
  });

  it('round-trips options and fitted IDF through JSON', () => {
    const e = createHashingEmbedder({ dim: 128, wordNgramMax: 2 }).fit(corpus);
    const state = JSON.parse(JSON.stringify(e.toJSON())) as HashingEmbedderState;
    const back = hashingEmbedderFromJSON(state);
    expect(back.name).toBe(e.name);
    expect(back.dim).toBe(128);
    for (const t of [...corpus, 'unseen words entirely']) expect(Array.from(back.embed(t))).toEqual(Array.from(e.embed(t)));
    expect(() => hashingEmbedderFromJSON({ ...state, version: 2 } as unknown as HashingEmbedderState)).toThrow(EmbeddingError);
  });

  it('projects to a smaller dimension keeping unit length and rough similarity', () => {
    const full = createHashingEmbedder({ dim: 1024 }).fit(corpus);
    const proj = createHashingEmbedder({ dim: 1024, projectTo: 128 }).fit(corpus);
    expect(proj.dim).toBe(128);
    const [x, y] = [corpus[4]!, corpus[5]!];
    const v = proj.embed(x);
    expect(norm(v)).toBeCloseTo(1, 5);
    expect(dot(v, proj.embed(y))).toBeCloseTo(dot(full.embed(x), full.embed(y)), 0);
  });

  it('rejects meaningless options with a coded error', () => {
    expect(() => createHashingEmbedder({ dim: 1 })).toThrow(EmbeddingError);
    expect(() => createHashingEmbedder({ wordNgramMax: 0, charNgramMax: 0 })).toThrow(/no features/);
    expect(() => createHashingEmbedder({ charNgramMin: 5, charNgramMax: 3 })).toThrow(EmbeddingError);
  });
});
