import { EmbeddingError } from './errors.ts';
import { combine, fmix32, fnvStep, FNV_OFFSET } from './hash.ts';
import { mulberry32Float } from './random.ts';
import type { Embedder } from './types.ts';

export interface HashingEmbedderOptions {
  /** Output dimension of the hashed vector (before any projection). */
  dim?: number;
  /** Word n-grams 1..wordNgramMax (0 disables word features). */
  wordNgramMax?: number;
  /** Character n-grams within words (`<word>` with boundary marks), lengths min..max; max 0 disables. */
  charNgramMin?: number;
  charNgramMax?: number;
  /** 1 + ln(tf) instead of raw counts (Manning et al., IR book, 6.4.1). */
  sublinearTf?: boolean;
  /** Weight features by IDF fitted with `fit(corpus)`; ignored until fitted. */
  idf?: boolean;
  /** Weight of character n-gram features relative to word features. */
  charWeight?: number;
  seed?: number;
  /** Dense Gaussian random projection of the hashed vector to this many dimensions. */
  projectTo?: number;
}

export interface HashingEmbedderState {
  version: 1;
  options: Required<Omit<HashingEmbedderOptions, 'projectTo'>> & { projectTo: number };
  nDocs: number;
  /** Buckets with non-zero document frequency and their counts (sparse IDF table). */
  dfBuckets: number[];
  dfCounts: number[];
}

export interface HashingEmbedder extends Embedder {
  readonly options: Readonly<HashingEmbedderState['options']>;
  readonly fitted: boolean;
  /** Fits IDF weights on the reference prompts (the history); replaces any earlier fit. */
  fit(corpus: Iterable<string>): this;
  toJSON(): HashingEmbedderState;
}

/**
 * Defaults chosen with bench/embedding on the RouterBench subset (2225 history -> 953 test,
 * k = 5, exact search; table in bench/embedding/RESULTS.md): character 3..5-grams alone, IDF
 * on, 256 dimensions. Word n-grams did worse (uni+bigrams: AUC of d^ 0.620, MAE 0.385) and so
 * did words+chars (0.617); chars 3..5 reached AUC 0.642 / MAE 0.373, within about one standard
 * error (~0.005) of the best 256-dim variants (chars 3..6 0.645, words1+chars 0.645), which
 * embed more slowly. IDF beat no IDF (0.636): RouterBench prompts share few-shot preambles and
 * IDF removes them. 128 dims scored the same on this 3-task subset and 512/1024 about one
 * standard error better at 2x/4x the k-NN cost; 256 keeps headroom for datasets with more tasks.
 */
export const DEFAULT_HASHING_OPTIONS: Readonly<HashingEmbedderState['options']> = Object.freeze({
  dim: 256,
  wordNgramMax: 0,
  charNgramMin: 3,
  charNgramMax: 5,
  sublinearTf: true,
  idf: true,
  charWeight: 1,
  seed: 0x5eed,
  projectTo: 0,
});

/**
 * Features are first hashed into 2^20 fine buckets, where collisions are rare enough for the
 * IDF of a bucket to be the IDF of its n-gram, then folded into `dim` outputs with a signed
 * hash (the "hashing trick", Weinberger et al., ICML 2009): the fold is a sparse random
 * projection that preserves inner products in expectation, so IDF weighting survives a small
 * output dimension that keeps k-NN search cheap.
 */
const FINE_BITS = 20;
const FINE_SIZE = 1 << FINE_BITS;
const WORD_SEED = 0x2545f491;
const FOLD_SEED = 0x27d4eb2f;

interface CharEntry {
  idx: Int32Array;
  val: Float32Array;
}
const CHAR_SEED = 0x7f4a7c15;

/**
 * Word characters: letters, digits and combining marks of any script (after lowercasing), plus
 * surrogate halves so astral-plane letters are not split. Classified once per UTF-16 code unit
 * into a lazily filled table: the Unicode regex is too slow to run per character.
 */
const WORD_CLASS = new Uint8Array(65536); // 0 unknown, 1 word, 2 other
for (let c = 0; c < 128; c++) WORD_CLASS[c] = (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90) ? 1 : 2;

function isWordChar(c: number): boolean {
  let v = WORD_CLASS[c]!;
  if (v === 0) {
    v = (c >= 0xd800 && c <= 0xdfff) || NON_ASCII_WORD.test(String.fromCharCode(c)) ? 1 : 2;
    WORD_CLASS[c] = v;
  }
  return v === 1;
}
const NON_ASCII_WORD = /[\p{L}\p{N}\p{M}]/u;

class HashingEmbedderImpl implements HashingEmbedder {
  readonly name: string;
  readonly dim: number;
  readonly options: Readonly<HashingEmbedderState['options']>;
  private nDocs = 0;
  private df: Uint32Array | undefined;
  private idfTable: Float32Array | undefined;
  private readonly acc = new Float32Array(FINE_SIZE);
  private touched = new Int32Array(4096);
  /** Subword vector of the word whose unigram first touched slot t (undefined for other features). */
  private readonly touchedChars: (CharEntry | undefined)[] = new Array<CharEntry | undefined>(4096);
  /** Marks unigram buckets that only carry subwords (word features disabled). */
  private readonly wordless = new Uint8Array(FINE_SIZE);
  /**
   * Subword vectors cached per word, direct-mapped by the word's fine bucket and checked against
   * its full 32-bit hash: one array read instead of a Map probe per word, and memory bounded by
   * construction (a colliding word evicts the other).
   */
  private readonly charCache: (CharEntry | undefined)[] = new Array<CharEntry | undefined>(FINE_SIZE).fill(undefined);
  private readonly charCacheHash = new Int32Array(FINE_SIZE);
  /** [start, end) in the lowercased text of the word owning slot t, for the no-IDF fallback. */
  private wordSpans = new Int32Array(8192);
  private nTouched = 0;
  private readonly hashed: Float32Array;
  private readonly projection: Float32Array | undefined;
  private readonly wordHashes: Int32Array;

  constructor(options: HashingEmbedderState['options']) {
    const o = options;
    if (!Number.isInteger(o.dim) || o.dim < 2) throw new EmbeddingError('bad_options', `dim must be an integer >= 2, got ${o.dim}`);
    if (!Number.isInteger(o.wordNgramMax) || o.wordNgramMax < 0 || o.wordNgramMax > 4) {
      throw new EmbeddingError('bad_options', `wordNgramMax must be 0..4, got ${o.wordNgramMax}`);
    }
    if (o.charNgramMax > 0 && !(Number.isInteger(o.charNgramMin) && o.charNgramMin >= 1 && o.charNgramMax >= o.charNgramMin && o.charNgramMax <= 8)) {
      throw new EmbeddingError('bad_options', `need 1 <= charNgramMin <= charNgramMax <= 8, got ${o.charNgramMin}..${o.charNgramMax}`);
    }
    if (o.wordNgramMax === 0 && o.charNgramMax === 0) throw new EmbeddingError('bad_options', 'no features enabled');
    if (!Number.isInteger(o.projectTo) || o.projectTo < 0) throw new EmbeddingError('bad_options', `projectTo must be a non-negative integer`);
    this.options = Object.freeze({ ...o });
    this.dim = o.projectTo > 0 ? o.projectTo : o.dim;
    this.hashed = new Float32Array(o.dim);
    this.wordHashes = new Int32Array(Math.max(1, o.wordNgramMax));
    if (o.projectTo > 0) {
      // Gaussian entries scaled by 1/sqrt(k) (Johnson-Lindenstrauss; Achlioptas 2003).
      const g = mulberry32Float(o.seed ^ 0x51ed270b);
      const p = new Float32Array(o.dim * o.projectTo);
      const scale = 1 / Math.sqrt(o.projectTo);
      for (let i = 0; i < p.length; i += 2) {
        const u = Math.max(g(), 1e-12);
        const v = g();
        const r = Math.sqrt(-2 * Math.log(u));
        p[i] = r * Math.cos(2 * Math.PI * v) * scale;
        if (i + 1 < p.length) p[i + 1] = r * Math.sin(2 * Math.PI * v) * scale;
      }
      this.projection = p;
    }
    this.name =
      `hashing(d=${o.dim},w${o.wordNgramMax > 0 ? `1-${o.wordNgramMax}` : 'off'},c${o.charNgramMax > 0 ? `${o.charNgramMin}-${o.charNgramMax}` : 'off'}` +
      `,${o.sublinearTf ? 'logtf' : 'tf'},${o.idf ? 'idf' : 'noidf'}${o.charWeight !== 1 ? `,cw=${o.charWeight}` : ''}` +
      `${o.projectTo > 0 ? `,rp=${o.projectTo}` : ''})`;
  }

  get fitted(): boolean {
    return this.idfTable !== undefined;
  }

  private touch(h: number, w: number): number {
    const b = (h ^ this.options.seed) >>> (32 - FINE_BITS);
    if (this.acc[b] === 0) {
      if (this.nTouched === this.touched.length) {
        const t = new Int32Array(this.touched.length * 2);
        t.set(this.touched);
        this.touched = t;
        this.touchedChars.length = t.length;
        const spans = new Int32Array(t.length * 2);
        spans.set(this.wordSpans);
        this.wordSpans = spans;
      }
      this.touchedChars[this.nTouched] = undefined;
      this.touched[this.nTouched++] = b;
    }
    this.acc[b]! += w;
    return b;
  }

  /** Fine bucket of every feature of `text`, each once (document frequency for `fit`). */
  private extractForFit(text: string): void {
    this.scan(text, true);
  }

  /**
   * Tokenises `text` into words (letters, digits and marks of any script, lowercased) and
   * accumulates word n-gram counts in the fine buckets. Character n-grams are not counted per
   * document but per word: each distinct word carries a cached vector of its IDF-weighted
   * n-grams (fastText's subword sum, Bojanowski et al., TACL 2017) scaled by the word's
   * sublinear TF in `finish`, so a frequent word costs one table look-up instead of ~3 hashes
   * per character. When `forFit`, the n-grams themselves are touched so their DF can be counted.
   */
  private scan(text: string, forFit: boolean): string {
    const o = this.options;
    const s = text.toLowerCase();
    const n = s.length;
    const maxW = o.wordNgramMax;
    const charOn = o.charNgramMax > 0;
    const wh = this.wordHashes;
    const wordOn = maxW > 0 ? 1 : 0;
    let nWords = 0;
    let i = 0;
    while (i < n) {
      while (i < n && !isWordChar(s.charCodeAt(i))) i++;
      if (i >= n) break;
      const start = i;
      let h = FNV_OFFSET;
      while (i < n && isWordChar(s.charCodeAt(i))) h = fnvStep(h, s.charCodeAt(i++));
      const end = i;
      const wordHash = fmix32(h ^ WORD_SEED) | 0;
      // With word features off the unigram bucket still counts the word (weight 0 marks it),
      // because the word's character n-grams hang off that slot.
      const slotBefore = this.nTouched;
      const b = this.touch(wordHash, 1);
      if (!wordOn) this.wordless[b] = 1;
      if (charOn) {
        if (forFit) this.charNgrams(s, start, end);
        else if (this.nTouched > slotBefore) {
          this.touchedChars[slotBefore] = this.charEntry(s, start, end, wordHash, b);
          this.wordSpans[2 * slotBefore] = start;
          this.wordSpans[2 * slotBefore + 1] = end;
        }
      }
      if (maxW > 1) {
        for (let k = maxW - 1; k > 0; k--) wh[k] = wh[k - 1]!;
        wh[0] = wordHash;
        nWords++;
        let g = wordHash;
        for (let k = 1; k < maxW && k < nWords; k++) {
          g = combine(wh[k]!, g) | 0;
          this.touch(fmix32(g ^ (k * 0x3c6ef372)), 1);
        }
      }
    }
    return s;
  }

  /** Character n-grams of `<word>`, with '<' and '>' marking word boundaries (fastText style). */
  private charNgrams(s: string, start: number, end: number): void {
    const { charNgramMin: lo, charNgramMax: hi } = this.options;
    const len = end - start + 2;
    for (let p = 0; p < len; p++) {
      let h = CHAR_SEED;
      for (let q = p; q < len && q - p < hi; q++) {
        const c = q === 0 ? 60 : q === len - 1 ? 62 : s.charCodeAt(start + q - 1);
        h = fnvStep(h, c);
        const size = q - p + 1;
        if (size >= lo) this.touch(fmix32(h ^ size), 1);
      }
    }
  }

  /**
   * Folded vector of a word's character n-grams: sum of idf(g) * sign(g) * e_fold(g) over the
   * word's n-grams, divided by sqrt(count) so long words do not outweigh short ones.
   */
  private charEntry(s: string, start: number, end: number, wordHash: number, bucket: number): CharEntry {
    const cached = this.charCache[bucket];
    if (cached !== undefined && this.charCacheHash[bucket] === wordHash) return cached;
    const entry = this.buildCharEntry(s, start, end, this.options.idf ? this.idfTable : undefined);
    this.charCache[bucket] = entry;
    this.charCacheHash[bucket] = wordHash;
    return entry;
  }

  private buildCharEntry(s: string, start: number, end: number, idf: Float32Array | undefined): CharEntry {
    const { charNgramMin: lo, charNgramMax: hi, dim, seed } = this.options;
    const len = end - start + 2;
    const idx: number[] = [];
    const val: number[] = [];
    let count = 0;
    for (let p = 0; p < len; p++) {
      let h = CHAR_SEED;
      for (let q = p; q < len && q - p < hi; q++) {
        const c = q === 0 ? 60 : q === len - 1 ? 62 : s.charCodeAt(start + q - 1);
        h = fnvStep(h, c);
        const size = q - p + 1;
        if (size < lo) continue;
        count++;
        const b = (fmix32(h ^ size) ^ seed) >>> (32 - FINE_BITS);
        const w = idf === undefined ? 1 : idf[b]!;
        if (w === 0) continue;
        const f = fmix32(b ^ FOLD_SEED);
        const j = f % dim;
        const signed = (f & 0x80000000) === 0 ? w : -w;
        const at = idx.indexOf(j);
        if (at >= 0) val[at]! += signed;
        else {
          idx.push(j);
          val.push(signed);
        }
      }
    }
    const scale = count > 0 ? 1 / Math.sqrt(count) : 0;
    return { idx: Int32Array.from(idx), val: Float32Array.from(val, (v) => v * scale) };
  }

  private finish(out: Float32Array, lowered: string): Float32Array {
    const o = this.options;
    const hashed = this.hashed;
    const idf = o.idf ? this.idfTable : undefined;
    const dim = o.dim;
    const acc = this.acc;
    const touched = this.touched;
    const chars = this.touchedChars;
    const wordless = this.wordless;
    const cw = o.charWeight;
    for (let pass = 0; pass < 2; pass++) {
      // Pass 1 drops IDF: a text made only of corpus-wide n-grams has zero weight everywhere
      // under IDF and would otherwise embed to the zero vector.
      const useIdf = pass === 0 && idf !== undefined;
      hashed.fill(0);
      let mass = 0;
      for (let t = 0; t < this.nTouched; t++) {
        const b = touched[t]!;
        const tf = acc[b]!;
        const w = o.sublinearTf && tf !== 1 ? 1 + Math.log(tf) : tf;
        const own = wordless[b] === 1 ? 0 : useIdf ? w * idf[b]! : w;
        if (own !== 0) {
          const f = fmix32(b ^ FOLD_SEED);
          hashed[f % dim]! += (f & 0x80000000) === 0 ? own : -own;
          mass += own;
        }
        let ce = chars[t];
        if (ce !== undefined && !useIdf && idf !== undefined) {
          ce = this.buildCharEntry(lowered, this.wordSpans[2 * t]!, this.wordSpans[2 * t + 1]!, undefined);
        }
        if (ce !== undefined) {
          const a = w * cw;
          const { idx, val } = ce;
          for (let j = 0; j < idx.length; j++) hashed[idx[j]!]! += a * val[j]!;
          mass += idx.length;
        }
      }
      if (mass > 0 || idf === undefined) break;
    }
    for (let t = 0; t < this.nTouched; t++) {
      const b = touched[t]!;
      acc[b] = 0;
      wordless[b] = 0;
      chars[t] = undefined;
    }
    this.nTouched = 0;
    if (this.projection === undefined) {
      out.set(hashed);
    } else {
      const k = this.dim;
      const p = this.projection;
      out.fill(0);
      for (let i = 0; i < dim; i++) {
        const x = hashed[i]!;
        if (x === 0) continue;
        const row = i * k;
        for (let j = 0; j < k; j++) out[j]! += x * p[row + j]!;
      }
    }
    let sq = 0;
    for (let i = 0; i < out.length; i++) sq += out[i]! * out[i]!;
    if (sq > 0) {
      const inv = 1 / Math.sqrt(sq);
      for (let i = 0; i < out.length; i++) out[i]! *= inv;
    }
    return out;
  }

  /** A text without any letter or digit embeds to the zero vector (similarity 0 to everything). */
  embed(text: string, out?: Float32Array): Float32Array {
    const target = out ?? new Float32Array(this.dim);
    if (target.length !== this.dim) throw new EmbeddingError('bad_options', `out has length ${target.length}, need ${this.dim}`);
    const lowered = this.scan(text, false);
    return this.finish(target, lowered);
  }

  embedBatch(texts: readonly string[]): Float32Array {
    const d = this.dim;
    const out = new Float32Array(texts.length * d);
    for (let i = 0; i < texts.length; i++) this.embed(texts[i]!, out.subarray(i * d, (i + 1) * d));
    return out;
  }

  fit(corpus: Iterable<string>): this {
    const df = new Uint32Array(FINE_SIZE);
    let nDocs = 0;
    for (const text of corpus) {
      this.extractForFit(text);
      for (let t = 0; t < this.nTouched; t++) {
        const b = this.touched[t]!;
        df[b]!++;
        this.acc[b] = 0;
        this.wordless[b] = 0;
      }
      this.nTouched = 0;
      nDocs++;
    }
    this.setDf(df, nDocs);
    return this;
  }

  private setDf(df: Uint32Array, nDocs: number): void {
    this.df = df;
    this.nDocs = nDocs;
    // ln((1 + N) / (1 + df)): zero for an n-gram in every document (the few-shot preambles that
    // RouterBench prompts share), largest for unseen ones. No "+1" as in scikit-learn's smooth
    // IDF, so shared boilerplate contributes nothing to similarity.
    const idf = new Float32Array(FINE_SIZE);
    const top = Math.log(1 + nDocs);
    for (let b = 0; b < FINE_SIZE; b++) idf[b] = top - Math.log(1 + df[b]!);
    this.idfTable = idf;
    this.charCache.fill(undefined);
  }

  toJSON(): HashingEmbedderState {
    const dfBuckets: number[] = [];
    const dfCounts: number[] = [];
    if (this.df !== undefined) {
      for (let b = 0; b < FINE_SIZE; b++) {
        if (this.df[b]! > 0) {
          dfBuckets.push(b);
          dfCounts.push(this.df[b]!);
        }
      }
    }
    return { version: 1, options: { ...this.options }, nDocs: this.df === undefined ? 0 : this.nDocs, dfBuckets, dfCounts };
  }

  static fromJSON(state: HashingEmbedderState): HashingEmbedderImpl {
    if (state?.version !== 1 || state.dfBuckets.length !== state.dfCounts.length) {
      throw new EmbeddingError('bad_state', 'not a version-1 hashing embedder state');
    }
    const e = new HashingEmbedderImpl({ ...DEFAULT_HASHING_OPTIONS, ...state.options });
    if (state.nDocs > 0) {
      const df = new Uint32Array(FINE_SIZE);
      state.dfBuckets.forEach((b, i) => {
        if (!(Number.isInteger(b) && b >= 0 && b < FINE_SIZE)) throw new EmbeddingError('bad_state', `bucket ${b} out of range`);
        df[b] = state.dfCounts[i]!;
      });
      e.setDf(df, state.nDocs);
    }
    return e;
  }
}

export function createHashingEmbedder(opts: HashingEmbedderOptions = {}): HashingEmbedder {
  const defined = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
  return new HashingEmbedderImpl({ ...DEFAULT_HASHING_OPTIONS, ...defined });
}

/** Restores an embedder saved with `toJSON()` (options and fitted IDF). */
export function hashingEmbedderFromJSON(state: HashingEmbedderState): HashingEmbedder {
  return HashingEmbedderImpl.fromJSON(state);
}
