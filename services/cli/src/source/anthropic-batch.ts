// One request of an Anthropic Message Batch (https://docs.anthropic.com/en/api/creating-message-batches),
// one per line as in the results file:  {"custom_id": "...", "params": {"model", "max_tokens", "messages", "system", ...}}
// `params` is kept whole as the body; switchyard reads model, max_tokens (required by the
// Messages API), system and messages.
import { z } from 'zod';
import { contentTexts, routingText } from './messages.ts';
import type { ChatTurn } from './messages.ts';
import { describeIssues } from './job-line.ts';
import { modelName, pinnedModel, required, requiredTokenLimit, wellFormed } from './provider-line.ts';
import type { ProviderCheck } from './provider-line.ts';

/** The Message Batches API's own rule for custom_id. */
const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;

const anthropicLineSchema = z
  .object({
    custom_id: z.string(required('a string')).regex(CUSTOM_ID, 'must be 1 to 64 letters, digits, "_" or "-"'),
    params: z.looseObject(
      {
        model: modelName,
        max_tokens: requiredTokenLimit,
        system: z.unknown().optional(),
        messages: z
          .array(z.looseObject({ role: z.enum(['user', 'assistant'], { error: 'must be user or assistant' }), content: z.unknown().optional() }), required('an array of messages'))
          .min(1, 'must hold at least one message'),
      },
      required('an object'),
    ),
  })
  .strict();

export function checkAnthropicLine(raw: unknown): ProviderCheck {
  const parsed = anthropicLineSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, error: describeIssues(parsed.error) };
  const { params } = parsed.data;
  const system = contentTexts(params.system, 'params.system');
  if (!system.ok) return system;
  const turns: ChatTurn[] = [];
  for (let i = 0; i < params.messages.length; i++) {
    const m = params.messages[i]!;
    const texts = contentTexts(m.content, `params.messages.${i}.content`);
    if (!texts.ok) return texts;
    turns.push({ role: m.role, texts: texts.texts });
  }
  const prompt = routingText(system.texts, turns);
  if (prompt === null) return { ok: false, error: 'params.messages: no text content (only images, documents or tool calls); switchyard routes on text' };
  if (!wellFormed(prompt)) return { ok: false, error: 'params.messages: text must be well-formed Unicode (no lone surrogates)' };
  // The body as written (the raw value: the parsed one has its keys in schema order).
  return {
    ok: true,
    line: { customId: parsed.data.custom_id, model: pinnedModel(params.model), maxOutputTokens: params.max_tokens, prompt, body: JSON.stringify((raw as Record<string, unknown>)['params']) },
  };
}
