// Builds the reference set the router estimates from (past queries with per-model outcomes)
// once, in the main thread, into SharedArrayBuffers: every worker then builds its ANN index
// over the same memory instead of each loading and embedding the dataset again.
import { createHashingEmbedder } from '@switchyard/embedding';
import type { HashingEmbedderState } from '@switchyard/embedding';
import { generateSyntheticDataset, loadDataset } from '@switchyard/datasets';
import type { Dataset } from '@switchyard/datasets';
import type { RouterConfig } from './config.ts';
import { RouterConfigError } from './config.ts';

export interface SharedReference {
  readonly modelIds: readonly string[];
  readonly nRows: number;
  readonly dim: number;
  /** nRows x dim float32, unit length. */
  readonly vectors: SharedArrayBuffer;
  /** nRows x nModels float64 each; NaN = missing. */
  readonly quality: SharedArrayBuffer;
  readonly costUsd: SharedArrayBuffer;
  readonly outputTokens: SharedArrayBuffer;
  readonly embedder: HashingEmbedderState;
  /** Per model: mean USD per token over the reference rows (NaN when unknown). */
  readonly usdPerToken: readonly number[];
  readonly source: string;
}

async function loadSource(config: RouterConfig): Promise<Dataset> {
  const ref = config.service.reference;
  if (ref.source === 'dataset') return loadDataset(ref.path, { seed: ref.seed, countTokens: ref.countTokens });
  return generateSyntheticDataset({ nHistory: ref.nHistory, nTest: 1, models: config.switchyard.models.length, seed: ref.seed });
}

/**
 * Maps configured models to reference columns: `service.modelColumns`, else the same name, else
 * (synthetic data only, whose models are unnamed) the same position.
 */
function columnsOf(config: RouterConfig, data: Dataset): number[] {
  return config.switchyard.models.map((m, i) => {
    const wanted = config.service.modelColumns[m.name] ?? m.name;
    const byName = data.models.indexOf(wanted);
    if (byName >= 0) return byName;
    if (config.service.reference.source === 'synthetic' && i < data.models.length) return i;
    throw new RouterConfigError(`model ${m.name}: reference data has no column "${wanted}" (columns: ${data.models.join(', ')})`);
  });
}

export async function buildSharedReference(config: RouterConfig): Promise<SharedReference> {
  const data = await loadSource(config);
  const history = data.history;
  if (history.length === 0) throw new RouterConfigError('the reference data has no history rows');
  const cols = columnsOf(config, data);
  const M = cols.length;
  const n = history.length;
  const embedder = createHashingEmbedder({
    dim: config.service.embedding.dim,
    ...(config.service.embedding.projectTo !== undefined ? { projectTo: config.service.embedding.projectTo } : {}),
    ...(config.service.embedding.seed !== undefined ? { seed: config.service.embedding.seed } : {}),
  }).fit(history.map((q) => q.prompt));
  const dim = embedder.dim;
  const vectors = new SharedArrayBuffer(n * dim * 4);
  new Float32Array(vectors).set(embedder.embedBatch(history.map((q) => q.prompt)));
  const quality = new SharedArrayBuffer(n * M * 8);
  const costUsd = new SharedArrayBuffer(n * M * 8);
  const outputTokens = new SharedArrayBuffer(n * M * 8);
  const qv = new Float64Array(quality);
  const cv = new Float64Array(costUsd);
  const tv = new Float64Array(outputTokens);
  const costSum = new Float64Array(M);
  const tokenSum = new Float64Array(M);
  history.forEach((q, r) => {
    cols.forEach((c, m) => {
      const total = q.tokens[c] ?? Number.NaN;
      const cost = q.cost[c] ?? Number.NaN;
      qv[r * M + m] = q.quality[c] ?? Number.NaN;
      cv[r * M + m] = cost;
      // Reference tokens are prompt + response; the router adds the request's own prompt
      // tokens, so only the response part is an estimate of what the model will generate.
      tv[r * M + m] = Number.isNaN(total) ? Number.NaN : Math.max(0, total - q.promptTokens);
      if (Number.isFinite(total) && Number.isFinite(cost) && total > 0) {
        costSum[m]! += cost;
        tokenSum[m]! += total;
      }
    });
  });
  return {
    modelIds: config.switchyard.models.map((m) => m.name),
    nRows: n,
    dim,
    vectors,
    quality,
    costUsd,
    outputTokens,
    embedder: embedder.toJSON(),
    usdPerToken: Array.from(costSum, (c, m) => (tokenSum[m]! > 0 ? c / tokenSum[m]! : Number.NaN)),
    source: `${data.name} (${data.format}, ${n} history rows)`,
  };
}
