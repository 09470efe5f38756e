// One line of an OpenAI Batch input file (https://platform.openai.com/docs/guides/batch):
//   {"custom_id": "...", "method": "POST", "url": "/v1/chat/completions", "body": {...}}
// Only Chat Completions is routed: it is the endpoint whose requests are interchangeable across
// models. The body is kept whole (every parameter the submitter set reaches the executor), but
// the fields switchyard reads are checked: model, messages, max_tokens / max_completion_tokens.
import { z } from 'zod';
import { contentTexts, routingText, splitSystemTurns } from './messages.ts';
import type { ChatTurn } from './messages.ts';
import { describeIssues } from './job-line.ts';
import { modelName, pinnedModel, required, tokenLimit, wellFormed } from './provider-line.ts';
import type { ProviderCheck } from './provider-line.ts';

export const OPENAI_CHAT_URL = '/v1/chat/completions';
const OPENAI_ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function'] as const;

const customId = z.string(required('a string')).min(1, 'must not be empty').max(512, 'must be at most 512 characters').refine(wellFormed, 'must be well-formed Unicode');

const openAiLineSchema = z
  .object({
    custom_id: customId,
    method: z.literal('POST', { error: 'must be "POST"' }),
    url: z.literal(OPENAI_CHAT_URL, { error: `must be "${OPENAI_CHAT_URL}" (the only endpoint switchyard routes)` }),
    body: z.looseObject(
      {
        model: modelName,
        messages: z
          .array(z.looseObject({ role: z.enum(OPENAI_ROLES, { error: `must be one of ${OPENAI_ROLES.join(', ')}` }), content: z.unknown().optional() }), required('an array of messages'))
          .min(1, 'must hold at least one message'),
        max_tokens: tokenLimit,
        max_completion_tokens: tokenLimit,
      },
      required('an object'),
    ),
  })
  .strict();

export function checkOpenAiLine(raw: unknown): ProviderCheck {
  const parsed = openAiLineSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, error: describeIssues(parsed.error) };
  const { body } = parsed.data;
  const turns: ChatTurn[] = [];
  for (let i = 0; i < body.messages.length; i++) {
    const m = body.messages[i]!;
    const texts = contentTexts(m.content, `body.messages.${i}.content`);
    if (!texts.ok) return texts;
    turns.push({ role: m.role, texts: texts.texts });
  }
  const { system, conversation } = splitSystemTurns(turns);
  const prompt = routingText(system, conversation);
  if (prompt === null) return { ok: false, error: 'body.messages: no text content (only images, audio, files or tool calls); switchyard routes on text' };
  if (!wellFormed(prompt)) return { ok: false, error: 'body.messages: text must be well-formed Unicode (no lone surrogates)' };
  // max_completion_tokens replaced max_tokens in the OpenAI API; when both are set it is the one the API obeys.
  const limit = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  // The body as written (the raw value: the parsed one has its keys in schema order).
  return {
    ok: true,
    line: { customId: parsed.data.custom_id, model: pinnedModel(body.model), maxOutputTokens: limit, prompt, body: JSON.stringify((raw as Record<string, unknown>)['body']) },
  };
}
