// Which answer a model gives to a prompt: the dataset's recorded response and token counts
// when the prompt is one of its queries (RouterBench keeps every model's response text), else a
// generated answer that depends only on the model and the prompt, so reruns agree.
import { createHash } from 'node:crypto';
import type { Dataset, DatasetQuery } from '@switchyard/datasets';

export interface Answer {
  readonly text: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** True when the text is the dataset's recorded response. */
  readonly recorded: boolean;
}

export interface AnswerBook {
  /** Models the book knows by name (dataset columns and aliases); any name gets generated answers when `anyModel`. */
  knows(model: string): boolean;
  answer(model: string, prompt: string): Answer;
}

const estimateTokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4));

export function generatedAnswer(model: string, prompt: string): Answer {
  const digest = createHash('sha256').update(model).update('\u0000').update(prompt).digest('hex');
  const text = `Answer from ${model} (generated, ${digest.slice(0, 12)}): ${prompt.slice(0, 40).replace(/\s+/g, ' ')}`;
  return { text, promptTokens: estimateTokens(prompt), completionTokens: estimateTokens(text), recorded: false };
}

export interface AnswerBookOptions {
  /** Served model name -> dataset column; identity for names not listed. */
  readonly modelColumns?: Readonly<Record<string, string>>;
  /** Answer models the dataset does not have with generated answers instead of 404. Default true. */
  readonly anyModel?: boolean;
}

/** A book over `data` (null: generated answers only). Recorded responses need `loadDataset(..., { keepResponses: true })`. */
export function createAnswerBook(data: Dataset | null, options: AnswerBookOptions = {}): AnswerBook {
  const byPrompt = new Map<string, DatasetQuery>();
  for (const q of [...(data?.history ?? []), ...(data?.test ?? [])]) if (!byPrompt.has(q.prompt)) byPrompt.set(q.prompt, q);
  const columnOf = (model: string): number => data?.models.indexOf(options.modelColumns?.[model] ?? model) ?? -1;
  const anyModel = options.anyModel ?? true;
  return {
    knows: (model) => anyModel || columnOf(model) >= 0,
    answer(model, prompt) {
      const k = columnOf(model);
      const q = byPrompt.get(prompt);
      const text = k >= 0 ? q?.responses?.[k] : undefined;
      if (q === undefined || text === undefined) return generatedAnswer(model, prompt);
      const total = q.tokens[k]!;
      const completionTokens = Number.isFinite(total) ? Math.max(0, total - q.promptTokens) : estimateTokens(text);
      return { text, promptTokens: q.promptTokens, completionTokens, recorded: true };
    },
  };
}
