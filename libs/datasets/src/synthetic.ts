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

/** Logit margin by which the designated best model of a task kind beats every other model there. */
const KIND_LEAD = 0.6;

/**
 * Model tiers: price and general skill rise together (quality costs money), with diminishing
 * returns in skill. Price per token is log-spaced over about two decades (1e-7 .. 2e-5 USD),
 * with jitter too small to reorder neighbours.
 */
function modelTiers(rand: () => number, M: number): { skill: Float64Array; pricePerToken: Float64Array } {
  const tier = (m: number): number => (M === 1 ? 1 : m / (M - 1));
  const skill = Float64Array.from({ length: M }, (_, m) => -1 + 2.2 * Math.pow(tier(m), 0.8));
  const pricePerToken = Float64Array.from({ length: M }, (_, m) => Math.pow(10, -7 + 2.3 * tier(m) + 0.05 * gaussian(rand)));
  return { skill, pricePerToken };
}

/**
 * Per task kind, each model's skill: its tier skill scaled by how much paying more helps on that
 * kind, plus per-kind noise. Every other kind has a specialist, a model below the top tier that
 * leads there (a cheap code model, a mid-size math model); on the other kinds the top tier
 * leads. So no model is best on every kind once there are two kinds and two models, and the
 * dearest model is still the best on average.
 */
function kindSkills(rand: () => number, base: Float64Array, nTasks: number): Float64Array[] {
  const M = base.length;
  const top = M - 1;
  const out: Float64Array[] = [];
  for (let t = 0; t < nTasks; t++) {
    const payoff = 0.5 + rand(); // 0.5 .. 1.5: how much the tier matters on this kind
    const skills = Float64Array.from(base, (b) => b * payoff + gaussian(rand) * 0.25);
    const leader = M > 1 && t % 2 === 1 ? Math.floor(rand() * top) : top;
    let rival = -Infinity;
    for (let m = 0; m < M; m++) if (m !== leader) rival = Math.max(rival, skills[m]!);
    skills[leader] = Math.max(skills[leader]!, rival + KIND_LEAD);
    out.push(skills);
  }
  return out;
}

/**
 * Deterministic synthetic routing data with the trade-off real model pools have: tasks (kinds of
 * query) split into topic clusters, each with its own vocabulary, so nearby prompts share words;
 * model tiers where quality costs money (price and general skill rise together); task kinds on
 * which paying more helps more or less, and kinds where a cheaper specialist beats the top tier,
 * so no model is best on every kind; per (model, cluster) deviations; a latent per-query
 * difficulty (kinds and clusters differ in difficulty); 0/1 quality from a logistic model;
 * per (model, task) response length, cost = tokens x price. Tokens use the 4 chars/token
 * estimate. Model parameters are drawn before any query, so every caller with the same seed and
 * model count (router reference, executor simulator) sees the same models whatever the sizes.
 */
export function generateSyntheticDataset(opts: SyntheticDatasetOptions): Dataset {
  const rand = mulberry32(opts.seed);
  const nTasks = opts.tasks ?? 3;
  const nClusters = opts.clustersPerTask ?? 8;
  const M = opts.models;
  const missingRate = opts.missingRate ?? 0.004;
  if (!(M >= 1 && nTasks >= 1 && nClusters >= 1)) throw new RangeError('models, tasks and clusters must be >= 1');

  const models = Array.from({ length: M }, (_, m) => `synthetic-model-${String(m).padStart(2, '0')}`);
  const { skill, pricePerToken } = modelTiers(rand, M);
  const taskSkill = kindSkills(rand, skill, nTasks);
  const responseLen: Float64Array[] = [];
  const taskWords: string[][] = [];
  const clusterWords: string[][][] = [];
  const clusterSkill: Float64Array[][] = [];
  const clusterDifficulty: number[][] = [];
  for (let t = 0; t < nTasks; t++) {
    const meanLen = 20 + rand() * 300;
    responseLen.push(Float64Array.from({ length: M }, () => meanLen * Math.exp(gaussian(rand) * 0.4)));
    taskWords.push(Array.from({ length: 40 }, () => word(rand)));
    const kindDifficulty = (rand() - 0.5) * 2; // easy kinds leave little for dear models to add
    const cw: string[][] = [];
    const cs: Float64Array[] = [];
    const cd: number[] = [];
    for (let c = 0; c < nClusters; c++) {
      cw.push(Array.from({ length: 25 }, () => word(rand)));
      cs.push(Float64Array.from({ length: M }, () => gaussian(rand) * 0.3));
      cd.push(kindDifficulty + gaussian(rand) * 0.6);
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
      const logit = 0.5 + taskSkill[t]![m]! + clusterSkill[t]![c]![m]! - difficulty;
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
