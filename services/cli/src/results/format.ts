// A stored result as one line of a provider's batch output file, pure. OpenAI
// (https://platform.openai.com/docs/guides/batch): `id`, `custom_id`, `response: {status_code,
// request_id, body}`, `error: {code, message}`. Anthropic (Message Batches results):
// `custom_id`, `result: {type: succeeded, message} | {type: errored, error}`. Every line also
// carries `x_switchyard: {model, costUsd, latencyMs, promptTokens, completionTokens}`: which
// model answered and what it cost.
import type { StoredResult } from '@switchyard/store';

export type ResultsFormat = 'openai' | 'anthropic';

export interface FormattedLine {
  /** true: an answer (output file); false: an error (errors file). */
  readonly ok: boolean;
  readonly line: string;
}

interface Extension {
  readonly model: string;
  readonly costUsd: number | null;
  readonly latencyMs: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
}

const extension = (r: StoredResult): Extension => ({
  model: r.model,
  costUsd: r.costUsd,
  latencyMs: r.latencyMs,
  promptTokens: r.promptTokens,
  completionTokens: r.completionTokens,
});

/** `<reason>: <detail>` as stored by executors, split into a code and a message. */
export function splitError(error: string): { code: string; message: string } {
  const m = /^([a-z][a-z0-9_]*): ([\s\S]*)$/.exec(error);
  return m === null ? { code: 'execution_failed', message: error } : { code: m[1]!, message: m[2]! };
}

// Native requests have no custom_id; their request id stands in, so every line can be matched.
const customIdOf = (r: StoredResult): string => r.customId ?? r.requestId;

export function formatOpenai(r: StoredResult): FormattedLine {
  const response = r.statusCode === null ? null : { status_code: r.statusCode, request_id: r.requestId, body: r.response };
  const error = r.error === null ? null : splitError(r.error);
  return { ok: r.error === null, line: JSON.stringify({ id: r.requestId, custom_id: customIdOf(r), response, error, x_switchyard: extension(r) }) };
}

interface ChatCompletion {
  id?: unknown;
  model?: unknown;
  choices?: Array<{ message?: { content?: unknown }; finish_reason?: unknown }>;
}

const STOP_REASONS: Readonly<Record<string, string>> = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use', content_filter: 'refusal' };

/** A chat completion as an Anthropic message (the answering server spoke chat-completions). */
export function toAnthropicMessage(r: StoredResult): unknown {
  const body = (r.response ?? {}) as ChatCompletion;
  const choice = body.choices?.[0];
  const text = typeof choice?.message?.content === 'string' ? choice.message.content : '';
  const finish = typeof choice?.finish_reason === 'string' ? choice.finish_reason : 'stop';
  return {
    id: typeof body.id === 'string' ? body.id : r.requestId,
    type: 'message',
    role: 'assistant',
    model: typeof body.model === 'string' ? body.model : r.model,
    content: [{ type: 'text', text }],
    stop_reason: STOP_REASONS[finish] ?? 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: r.promptTokens, output_tokens: r.completionTokens },
  };
}

export function formatAnthropic(r: StoredResult): FormattedLine {
  if (r.error === null) {
    return { ok: true, line: JSON.stringify({ custom_id: customIdOf(r), result: { type: 'succeeded', message: toAnthropicMessage(r) }, x_switchyard: extension(r) }) };
  }
  const { code, message } = splitError(r.error);
  const error = { type: 'error', error: { type: code, message } };
  return { ok: false, line: JSON.stringify({ custom_id: customIdOf(r), result: { type: 'errored', error }, x_switchyard: extension(r) }) };
}

export function formatResult(format: ResultsFormat, r: StoredResult): FormattedLine {
  return format === 'openai' ? formatOpenai(r) : formatAnthropic(r);
}
