// What a chat-completions request means to the local server: the prompt it asks (the last user
// message, which the data set knows) and the completion it gets back. Shared by the
// per-request route and the batch processor, so a batch line is answered as the same request
// sent alone would be.
import type { Answer } from './answers.ts';

/** The last user message as text: the prompt the dataset knows. */
export function promptOf(messages: unknown): string | null {
  if (!Array.isArray(messages)) return null;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as { role?: unknown; content?: unknown };
    if (m?.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    if (Array.isArray(m.content)) {
      return m.content.map((b: { type?: unknown; text?: unknown }) => (b?.type === 'text' && typeof b.text === 'string' ? b.text : '')).join('\n');
    }
  }
  return null;
}

/** The model and prompt of a chat body, or null when it has no model or no user message. */
export function chatRequestOf(body: unknown): { readonly model: string; readonly prompt: string } | null {
  if (typeof body !== 'object' || body === null) return null;
  const b = body as { model?: unknown; messages?: unknown };
  const prompt = promptOf(b.messages);
  return typeof b.model === 'string' && prompt !== null ? { model: b.model, prompt } : null;
}

export function completion(id: string, model: string, a: Answer, nowMs: number): unknown {
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(nowMs / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: a.text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: a.promptTokens, completion_tokens: a.completionTokens, total_tokens: a.promptTokens + a.completionTokens },
  };
}
