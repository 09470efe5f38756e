import { gaussian, mulberry32 } from './random.ts';
import type { Dataset, DatasetQuery } from './types.ts';

export interface SyntheticDatasetOptions {
  nHistory: number;
  nTest: number;
  models: number;
  /** Number of tasks (topic families), default 3 like the RouterBench subset. */
  tasks?: number;
  seed: number;
  /** Sub-topic clusters per task, default 8. */
  clustersPerTask?: number;
  /** Share of (query, model) quality cells left missing (NaN); default 0.004 as in RouterBench. */
  missingRate?: number;
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ren', 'tu', 'sa', 'vor', 'el', 'qui', 'dan', 'po', 'zy', 'bri', 'un', 'ha', 'te'];
const COMMON = ['the', 'a', 'of', 'which', 'is', 'to', 'and', 'what', 'in', 'answer', 'question', 'most', 'likely'];

function word(rand: () => number): string {
  const n = 2 + Math.floor(rand() * 3);
  let w = '';
  for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(rand() * SYLLABLES.length)];
  return w;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * Deterministic synthetic routing data with the structure routing exploits: tasks split into
 * topic clusters, each with its own vocabulary, so nearby prompts share words; per (model, task)
 * skill and per (model, cluster) deviations, so which model is best depends on the topic;
 * a latent per-query difficulty; 0/1 quality drawn from a logistic model; per-model price per
 * token (log-uniform over two decades, better models dearer on average) and per (model, task)
 * response length, cost = tokens x price. Tokens use the 4 chars/token estimate.
 */
export function generateSyntheticDataset(opts: SyntheticDatasetOptions): Dataset {
  const rand = mulberry32(opts.seed);
  const nTasks = opts.tasks ?? 3;
  const nClusters = opts.clustersPerTask ?? 8;
  const M = opts.models;
  const missingRate = opts.missingRate ?? 0.004;
  if (!(M >= 1 && nTasks >= 1 && nClusters >= 1)) throw new RangeError('models, tasks and clusters must be >= 1');

  const models = Array.from({ length: M }, (_, m) => `synthetic-model-${String(m).padStart(2, '0')}`);
  const baseSkill = Float64Array.from({ length: M }, () => gaussian(rand) * 0.8);
  // Price rises with skill (as in practice) plus noise: USD per token, 1e-7 .. 3e-5.
  const pricePerToken = Float64Array.from(baseSkill, (s) =>
    Math.pow(10, -6.2 + 0.45 * s + 0.35 * gaussian(rand)),
  );
  const taskSkill: Float64Array[] = [];
  const responseLen: Float64Array[] = [];
  const taskWords: string[][] = [];
  const clusterWords: string[][][] = [];
  const clusterSkill: Float64Array[][] = [];
  const clusterDifficulty: number[][] = [];
  for (let t = 0; t < nTasks; t++) {
    taskSkill.push(Float64Array.from({ length: M }, (_, m) => baseSkill[m]! + gaussian(rand) * 0.7));
    const meanLen = 20 + rand() * 300;
    responseLen.push(Float64Array.from({ length: M }, () => meanLen * Math.exp(gaussian(rand) * 0.4)));
    taskWords.push(Array.from({ length: 40 }, () => word(rand)));
    const cw: string[][] = [];
    const cs: Float64Array[] = [];
    const cd: number[] = [];
    for (let c = 0; c < nClusters; c++) {
      cw.push(Array.from({ length: 25 }, () => word(rand)));
      cs.push(Float64Array.from({ length: M }, () => gaussian(rand) * 0.8));
      cd.push(gaussian(rand) * 0.8);
    }
    clusterWords.push(cw);
    clusterSkill.push(cs);
    clusterDifficulty.push(cd);
  }

  const makeQuery = (i: number): DatasetQuery => {
    const t = Math.floor(rand() * nTasks);
    const c = Math.floor(rand() * nClusters);
    const tw = taskWords[t]!;
    const cw = clusterWords[t]![c]!;
    const nWords = 12 + Math.floor(rand() * 40);
    const parts: string[] = [];
    for (let w = 0; w < nWords; w++) {
      const r = rand();
      const pool = r < 0.55 ? cw : r < 0.8 ? tw : COMMON;
      parts.push(pool[Math.floor(rand() * pool.length)]!);
    }
    const prompt = parts.join(' ') + '?';
    const promptTokens = Math.ceil(prompt.length / 4);
    const difficulty = clusterDifficulty[t]![c]! + gaussian(rand) * 0.7;
    const quality = new Float64Array(M);
    const cost = new Float64Array(M);
    const tokens = new Float64Array(M);
    for (let m = 0; m < M; m++) {
      const logit = 1.2 + taskSkill[t]![m]! + clusterSkill[t]![c]![m]! - difficulty;
      quality[m] = rand() < missingRate ? Number.NaN : rand() < sigmoid(logit) ? 1 : 0;
      const out = Math.max(1, Math.round(responseLen[t]![m]! * Math.exp(gaussian(rand) * 0.3)));
      tokens[m] = promptTokens + out;
      cost[m] = tokens[m]! * pricePerToken[m]!;
    }
    return { id: `syn-${i}`, task: `task-${t}`, prompt, quality, cost, tokens, promptTokens };
  };

  const history: DatasetQuery[] = [];
  const test: DatasetQuery[] = [];
  for (let i = 0; i < opts.nHistory; i++) history.push(makeQuery(i));
  for (let i = 0; i < opts.nTest; i++) test.push(makeQuery(opts.nHistory + i));
  return { name: `synthetic-s${opts.seed}`, format: 'jsonl', models, history, test };
}
