// The text the router sees for a chat request given as provider messages (OpenAI Chat
// Completions or Anthropic Messages). The router uses one string for two things: it embeds it
// to find the nearest reference prompts (which pick the model), and it counts its tokens for the
// budget reservation. So the text holds every text part of every turn (all of them are input
// tokens the provider bills), ordered so that what decides the model comes first:
//   1. the last user turn: it is the question actually asked of the model, and the reference
//      prompts (RouterBench) are single questions like it;
//   2. the system prompt (top-level `system` for Anthropic; `system`/`developer` turns for OpenAI):
//      it sets the task kind (a grader, a translator, a coder);
//   3. the earlier turns in conversation order (context; assistant turns are input too).
// Parts separated by a blank line. Non-text parts (images, audio, files, tool calls) carry no
// text the router can embed or count; they are skipped, and a request with no text at all is
// refused, since it could neither be routed on content nor budgeted.

export interface ChatTurn {
  readonly role: string;
  /** Text parts of the turn, in order; empty when the turn holds only non-text parts. */
  readonly texts: readonly string[];
}

export type ContentText = { readonly ok: true; readonly texts: string[] } | { readonly ok: false; readonly error: string };

const SYSTEM_ROLES: ReadonlySet<string> = new Set(['system', 'developer']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Text of a message `content`: a string, or an array of parts of which `{type: "text", text}`
 * ones are kept (Anthropic `tool_result` parts nest their own content, which is read the same
 * way). `null` content (an OpenAI assistant turn that only calls tools) has no text.
 */
export function contentTexts(content: unknown, where: string): ContentText {
  if (content === null || content === undefined) return { ok: true, texts: [] };
  if (typeof content === 'string') return { ok: true, texts: content.trim() === '' ? [] : [content] };
  if (!Array.isArray(content)) return { ok: false, error: `${where}: content must be a string or an array of parts` };
  const texts: string[] = [];
  for (let i = 0; i < content.length; i++) {
    const part: unknown = content[i];
    if (!isRecord(part) || typeof part['type'] !== 'string') return { ok: false, error: `${where}.${i}: a content part must be an object with a type` };
    if (part['type'] === 'text') {
      if (typeof part['text'] !== 'string') return { ok: false, error: `${where}.${i}: a text part needs a string text` };
      if (part['text'].trim() !== '') texts.push(part['text']);
    } else if (part['type'] === 'tool_result') {
      const nested = contentTexts(part['content'], `${where}.${i}.content`);
      if (!nested.ok) return nested;
      texts.push(...nested.texts);
    }
  }
  return { ok: true, texts };
}

/** The routing text of a conversation (order explained at the top of this file); null when it has no text. */
export function routingText(system: readonly string[], turns: readonly ChatTurn[]): string | null {
  let lastUser = -1;
  for (let i = turns.length - 1; i >= 0; i--) {
    if (turns[i]!.role === 'user' && turns[i]!.texts.length > 0) {
      lastUser = i;
      break;
    }
  }
  const parts: string[] = [];
  if (lastUser >= 0) parts.push(...turns[lastUser]!.texts);
  parts.push(...system);
  turns.forEach((t, i) => {
    if (i !== lastUser) parts.push(...t.texts);
  });
  return parts.length === 0 ? null : parts.join('\n\n');
}

/** Splits OpenAI-style turns into system text (system/developer roles) and the conversation. */
export function splitSystemTurns(turns: readonly ChatTurn[]): { system: string[]; conversation: ChatTurn[] } {
  const system: string[] = [];
  const conversation: ChatTurn[] = [];
  for (const t of turns) {
    if (SYSTEM_ROLES.has(t.role)) system.push(...t.texts);
    else conversation.push(t);
  }
  return { system, conversation };
}
