// Piscina worker: builds the ANN index and the reference set once from shared memory, then
// per task embeds the prompts (or takes the submitted embeddings), counts or estimates prompt tokens (prompt-tokens.ts), finds
// the k nearest past queries, estimates quality / cost / output tokens per model (PORT's k-NN
// means, arXiv 2509.02718 Sec. 4) and runs the batch scoring kernel under the pricing snapshot
// the main thread sent. With feedback on, it first appends the rows the feedback loop published
// since its last task (feedback-log.ts), and estimates per model over a wider search so partial
// rows do not crowd out complete ones (estimatePerModel).
import { move, workerData } from 'piscina';
import { createIndex } from '@switchyard/ann';
import { hashingEmbedderFromJSON } from '@switchyard/embedding';
import { ReferenceSet, estimateFromNeighbours, estimatePerModel } from '@switchyard/routing-core';
import { createScoringBackend } from '@switchyard/scoring';
import { publishedRows, readFeedbackRows } from './feedback-log.ts';
import { promptTokensOf } from './prompt-tokens.ts';
import type { ScoreTask, ScoringWorkerData } from './scoring-task.ts';
import { resultLength } from './scoring-task.ts';

const data = workerData as ScoringWorkerData;
const ref = data.reference;
const M = ref.modelIds.length;
const embedder = hashingEmbedderFromJSON(ref.embedder);
const index = createIndex(data.ann.kind, { dim: ref.dim, capacity: ref.nRows });
index.add(new Float32Array(ref.vectors));
const referenceSet = ReferenceSet.fromArrays(ref.modelIds, {
  quality: new Float64Array(ref.quality),
  cost: new Float64Array(ref.costUsd),
  tokens: new Float64Array(ref.outputTokens),
});
const backend = createScoringBackend(data.backend);
let appliedFeedbackRows = 0;

/** Appends the feedback rows published since the last call; ids stay equal in index and set. */
function catchUpFeedback(): void {
  const log = data.feedbackLog;
  if (log === null) return;
  const published = publishedRows(log);
  if (published <= appliedFeedbackRows) return;
  const rows = readFeedbackRows(log, appliedFeedbackRows, published);
  const n = published - appliedFeedbackRows;
  const firstId = referenceSet.appendRows(n, rows.quality, rows.cost, rows.tokens);
  const firstIndexId = index.add(rows.vectors);
  if (firstId !== firstIndexId) throw new Error(`feedback rows out of step: reference id ${firstId}, index id ${firstIndexId}`);
  appliedFeedbackRows = published;
}

export default function score(task: ScoreTask): unknown {
  catchUpFeedback();
  const { n, prompts, hasEmbedding, embeddings } = task;
  const dim = ref.dim;
  const queries = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    if (hasEmbedding[i] === 1) {
      const row = embeddings.subarray(i * dim, (i + 1) * dim);
      let norm = 0;
      for (const v of row) norm += v * v;
      norm = Math.sqrt(norm);
      // Submitted embeddings are L2-normalised here so inner product is cosine, like the index.
      for (let j = 0; j < dim; j++) queries[i * dim + j] = norm > 0 ? row[j]! / norm : 0;
    } else {
      embedder.embed(prompts[i] ?? '', queries.subarray(i * dim, (i + 1) * dim));
    }
  }
  const size = referenceSet.size;
  const k = Math.min(data.ann.k, size);
  let est;
  if (appliedFeedbackRows > 0) {
    const searched = Math.min(size, k * Math.max(1, data.widen));
    est = estimatePerModel(referenceSet, index.searchBatch(queries, searched).ids, searched, k);
  } else {
    const found = index.searchBatch(queries, k);
    est = estimateFromNeighbours(referenceSet, found.ids, { k, scores: found.scores, weighting: data.ann.weighting });
  }

  const out = new Float64Array(resultLength(n, M, dim));
  const nm = n * M;
  for (let i = 0; i < n; i++) {
    const given = task.promptTokens[i]!;
    out[i] = given >= 0 ? given : promptTokensOf(prompts[i] ?? '', task.maxOutputTokens[i]!, task);
  }
  out.set(est.quality, n);
  out.set(est.cost, n + nm);
  for (let i = 0; i < n; i++) {
    const prompt = out[i]!;
    const cap = task.maxOutputTokens[i]!;
    for (let m = 0; m < M; m++) {
      const expected = est.tokens[i * M + m]!;
      const output = Number.isFinite(expected) ? Math.min(cap, Math.ceil(expected)) : cap;
      out[n + 2 * nm + i * M + m] = prompt + output;
    }
  }
  const quality = Float32Array.from(est.quality, (v) => (Number.isFinite(v) ? v : 0));
  const cost = Float32Array.from(est.cost, (v) => (Number.isFinite(v) ? v : 0));
  const { scores } = backend.scoreBatch({ nQueries: n, nModels: M, quality, cost, prices: task.prices, alpha: task.alpha });
  out.set(scores, n + 3 * nm);
  out.set(est.tokens, n + 4 * nm);
  new Float32Array(out.buffer, (n + 5 * nm) * 8, n * dim).set(queries);
  return move(out);
}
