// The chat-completions body sent for one routed request. Batch-file requests carry the
// submitter's original body: an OpenAI chat-completions body is sent as it is with `model`
// replaced by the upstream name; an Anthropic messages body is converted (system prompt,
// content blocks, stop sequences). Which API a body is written for comes from the request's
// `metadata.bodyFormat` (`openai.chat.completions`, `anthropic.messages`), set by `switchyard
// submit`, else from its shape. Native requests get a one-message chat built from the prompt.
import type { RoutedRequestV2 } from '@switchyard/contracts';

export type ChatBody = Record<string, unknown>;

export type BodyResult = { readonly ok: true; readonly body: ChatBody } | { readonly ok: false; readonly detail: string };

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

// Fields of the Anthropic messages API that chat-completions does not know; dropped after
// conversion so the server does not refuse the call.
const ANTHROPIC_ONLY = ['system', 'stop_sequences', 'top_k', 'metadata', 'anthropic_version', 'anthropic_beta', 'thinking', 'service_tier'];

function textOfBlocks(blocks: unknown, where: string): string | { error: string } {
  if (typeof blocks === 'string') return blocks;
  if (!Array.isArray(blocks)) return { error: `${where} must be a string or an array of content blocks` };
  const parts: string[] = [];
  for (const b of blocks) {
    if (!isObject(b) || b.type !== 'text' || typeof b.text !== 'string') return { error: `${where}: only text blocks can be converted, found ${isObject(b) ? String(b.type) : typeof b}` };
    parts.push(b.text);
  }
  return parts.join('\n');
}

function convertContent(content: unknown, where: string): unknown {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return { error: `${where} must be a string or an array of content blocks` };
  const out: unknown[] = [];
  for (const b of content) {
    if (isObject(b) && b.type === 'text' && typeof b.text === 'string') out.push({ type: 'text', text: b.text });
    else if (isObject(b) && b.type === 'image' && isObject(b.source) && b.source.type === 'base64') {
      out.push({ type: 'image_url', image_url: { url: `data:${String(b.source.media_type)};base64,${String(b.source.data)}` } });
    } else if (isObject(b) && b.type === 'image_url') out.push(b);
    else return { error: `${where}: content block type ${isObject(b) ? String(b.type) : typeof b} cannot be sent to a chat-completions server` };
  }
  return out;
}

// Keys only the Anthropic API has (`metadata` and `service_tier` exist in both).
const ANTHROPIC_MARKERS = ['system', 'stop_sequences', 'top_k', 'anthropic_version', 'anthropic_beta', 'thinking'];

/** Metadata key the submitter sets to the API the body is written for. */
export const BODY_FORMAT_KEY = 'bodyFormat';

function isAnthropic(body: Json, declared: string | undefined): boolean {
  if (declared === 'anthropic.messages') return true;
  if (declared === 'openai.chat.completions') return false;
  // Undeclared: recognise the Anthropic shape.
  if (ANTHROPIC_MARKERS.some((k) => k in body)) return true;
  const messages = Array.isArray(body.messages) ? body.messages : [];
  return messages.some((m) => isObject(m) && Array.isArray(m.content) && m.content.some((b) => isObject(b) && (b.type === 'image' || b.type === 'tool_use' || b.type === 'tool_result')));
}

function fromAnthropic(body: Json): BodyResult {
  const messages: unknown[] = [];
  if (body.system !== undefined) {
    const system = textOfBlocks(body.system, 'system');
    if (typeof system !== 'string') return { ok: false, detail: system.error };
    messages.push({ role: 'system', content: system });
  }
  const source = Array.isArray(body.messages) ? body.messages : [];
  for (const [i, m] of source.entries()) {
    if (!isObject(m) || (m.role !== 'user' && m.role !== 'assistant')) return { ok: false, detail: `messages[${i}]: role must be user or assistant` };
    const content = convertContent(m.content, `messages[${i}].content`);
    if (isObject(content) && 'error' in content) return { ok: false, detail: String(content.error) };
    messages.push({ role: m.role, content });
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(body)) if (!ANTHROPIC_ONLY.includes(k)) out[k] = v;
  out.messages = messages;
  if (Array.isArray(body.stop_sequences)) out.stop = body.stop_sequences;
  return { ok: true, body: out };
}

/** The body to POST to /chat/completions for `item`, addressed to `upstreamModel`. */
export function buildChatBody(item: Pick<RoutedRequestV2, 'prompt' | 'maxOutputTokens' | 'body' | 'metadata'>, upstreamModel: string): BodyResult {
  if (item.body === null || item.body === undefined) {
    if (item.prompt === null) return { ok: false, detail: 'the request has neither a provider body nor a prompt' };
    return { ok: true, body: { model: upstreamModel, messages: [{ role: 'user', content: item.prompt }], max_tokens: item.maxOutputTokens } };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(item.body);
  } catch (err) {
    return { ok: false, detail: `body is not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (!isObject(parsed)) return { ok: false, detail: 'body must be a JSON object' };
  if (!Array.isArray(parsed.messages) || parsed.messages.length === 0) return { ok: false, detail: 'body.messages must be a non-empty array' };
  const converted = isAnthropic(parsed, item.metadata[BODY_FORMAT_KEY]) ? fromAnthropic(parsed) : { ok: true as const, body: { ...parsed } };
  if (!converted.ok) return converted;
  const body = converted.body;
  body.model = upstreamModel;
  // The router reserved budget for maxOutputTokens; a body without a cap could spend more.
  if (body.max_tokens === undefined && body.max_completion_tokens === undefined) body.max_tokens = item.maxOutputTokens;
  // One answer per request: streaming would need another response reader.
  if (body.stream === true) return { ok: false, detail: 'stream: true is not supported for batch requests' };
  return { ok: true, body };
}
