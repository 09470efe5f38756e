// Latent semantic analysis over the hashing embedder (Deerwester et al., "Indexing by latent
// semantic analysis", JASIS 1990): the TF-IDF vectors of the reference prompts, hashed into a
// wide space, are projected onto their top right singular vectors (truncated SVD, fitted on the
// reference set), so prompts that share co-occurring n-grams land close together even when
// they share few n-grams themselves, and the dimensions k-NN search pays for carry the
// reference set's main directions of variation instead of random folds.
import { EmbeddingError } from './errors.ts';
import { createHashingEmbedder, hashingEmbedderFromJSON } from './hashing-embedder.ts';
import type { HashingEmbedder, HashingEmbedderOptions, HashingEmbedderState } from './hashing-embedder.ts';
import { truncatedSvd } from './truncated-svd.ts';
import type { Embedder } from './types.ts';
import { l2normalize } from './vector.ts';

export interface LsaEmbedderOptions {
  /** The TF-IDF features: the hashing embedder's options; its `dim` is the width the SVD reads. */
  readonly base?: HashingEmbedderOptions;
  /** Output dimension (singular vectors kept). */
  readonly dim?: number;
  /** At most this many corpus prompts (an even stride through it) are used to fit the SVD. */
  readonly maxFitRows?: number;
  readonly powerIterations?: number;
  readonly seed?: number;
}

export interface LsaEmbedderState {
  readonly version: 1;
  readonly kind: 'lsa';
  readonly base: HashingEmbedderState;
  readonly dim: number;
  /** dim x base.dim, row-major. Null before fit. */
  readonly components: Float32Array | null;
}

export interface LsaEmbedder extends Embedder {
  readonly fitted: boolean;
  /** Fits IDF and the projection on the reference prompts; replaces any earlier fit. */
  fit(corpus: Iterable<string>): this;
  toJSON(): LsaEmbedderState;
}

export const DEFAULT_LSA_OPTIONS = Object.freeze({ baseDim: 2048, dim: 256, maxFitRows: 4000, powerIterations: 2, seed: 0x15a });

class LsaEmbedderImpl implements LsaEmbedder {
  readonly dim: number;
  readonly #base: HashingEmbedder;
  readonly #opts: Required<Pick<LsaEmbedderOptions, 'maxFitRows' | 'powerIterations' | 'seed'>>;
  #components: Float32Array | null = null;
  readonly #scratch: Float32Array;

  constructor(base: HashingEmbedder, dim: number, opts: Required<Pick<LsaEmbedderOptions, 'maxFitRows' | 'powerIterations' | 'seed'>>, components: Float32Array | null) {
    if (!(Number.isInteger(dim) && dim >= 1 && dim <= base.dim)) throw new EmbeddingError('bad_options', `LSA dim must be in 1..${base.dim}, got ${dim}`);
    if (components !== null && components.length !== dim * base.dim) throw new EmbeddingError('bad_state', `LSA components hold ${components.length} values, expected ${dim * base.dim}`);
    this.#base = base;
    this.dim = dim;
    this.#opts = opts;
    this.#components = components;
    this.#scratch = new Float32Array(base.dim);
  }

  get name(): string {
    return `lsa(${this.dim} of ${this.#base.name})`;
  }

  get fitted(): boolean {
    return this.#components !== null;
  }

  fit(corpus: Iterable<string>): this {
    const texts = [...corpus];
    this.#base.fit(texts);
    const stride = Math.max(1, texts.length / this.#opts.maxFitRows);
    const sample: string[] = [];
    for (let i = 0; i < texts.length && sample.length < this.#opts.maxFitRows; i = Math.floor((sample.length + 1) * stride)) sample.push(texts[i]!);
    const x = this.#base.embedBatch(sample);
    const svd = truncatedSvd(x, sample.length, this.#base.dim, { rank: this.dim, powerIterations: this.#opts.powerIterations, seed: this.#opts.seed });
    // Fewer fit rows than dims: the missing components stay zero (they carry no variation).
    const components = new Float32Array(this.dim * this.#base.dim);
    components.set(svd.components);
    this.#components = components;
    return this;
  }

  embed(text: string, out: Float32Array = new Float32Array(this.dim)): Float32Array {
    const c = this.#components;
    if (c === null) throw new EmbeddingError('bad_state', 'the LSA embedder must be fitted before it embeds');
    const x = this.#base.embed(text, this.#scratch);
    const D = this.#base.dim;
    for (let r = 0; r < this.dim; r++) {
      let s = 0;
      const o = r * D;
      for (let d = 0; d < D; d++) s += c[o + d]! * x[d]!;
      out[r] = s;
    }
    return l2normalize(out);
  }

  embedBatch(texts: readonly string[]): Float32Array {
    const out = new Float32Array(texts.length * this.dim);
    for (let i = 0; i < texts.length; i++) this.embed(texts[i]!, out.subarray(i * this.dim, (i + 1) * this.dim));
    return out;
  }

  toJSON(): LsaEmbedderState {
    return { version: 1, kind: 'lsa', base: this.#base.toJSON(), dim: this.dim, components: this.#components };
  }
}

export function createLsaEmbedder(opts: LsaEmbedderOptions = {}): LsaEmbedder {
  const base = createHashingEmbedder({ dim: DEFAULT_LSA_OPTIONS.baseDim, ...opts.base });
  return new LsaEmbedderImpl(
    base,
    opts.dim ?? DEFAULT_LSA_OPTIONS.dim,
    { maxFitRows: opts.maxFitRows ?? DEFAULT_LSA_OPTIONS.maxFitRows, powerIterations: opts.powerIterations ?? DEFAULT_LSA_OPTIONS.powerIterations, seed: opts.seed ?? DEFAULT_LSA_OPTIONS.seed },
    null,
  );
}

/** Restores an embedder saved with `toJSON()` (structured clone keeps the Float32Array). */
export function lsaEmbedderFromJSON(state: LsaEmbedderState): LsaEmbedder {
  if (state?.version !== 1 || state.kind !== 'lsa') throw new EmbeddingError('bad_state', 'not a version-1 LSA embedder state');
  return new LsaEmbedderImpl(hashingEmbedderFromJSON(state.base), state.dim, { ...DEFAULT_LSA_OPTIONS }, state.components);
}
