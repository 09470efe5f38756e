// Per-model topic names. Model names come from vendors ("gpt-4-1106-preview",
// "meta/llama-2-70b-chat", "claude-v1:2") and must become legal Kafka topic names:
// [a-zA-Z0-9._-], at most 249 characters, not "." or ".." (Kafka's Topic.validate).

export const MODEL_PLACEHOLDER = '{model}';
export const TENANT_PLACEHOLDER = '{tenant}';
export const MAX_TOPIC_CHARS = 249;
const illegal = /[^a-zA-Z0-9._-]/g;
const legal = /^[a-zA-Z0-9._-]+$/;

export function isLegalTopicName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_TOPIC_CHARS && name !== '.' && name !== '..' && legal.test(name);
}

// FNV-1a 32-bit: a short stable suffix that keeps truncated names distinct.
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Replaces illegal characters by `_`; names that are too long keep a prefix plus a hash of the full name. */
export function sanitizeTopicComponent(raw: string, maxChars: number): string {
  let out = raw.replace(illegal, '_');
  if (out === '' || out === '.' || out === '..') out = out.replace(/\./g, '_') || '_';
  if (out.length > maxChars) out = `${out.slice(0, Math.max(1, maxChars - 9))}-${fnv1a(raw)}`;
  return out;
}

/** Topic for a model from a template such as `routed.{model}`. */
export function routedTopicName(template: string, model: string): string {
  const fixedChars = template.length - MODEL_PLACEHOLDER.length;
  return template.replace(MODEL_PLACEHOLDER, sanitizeTopicComponent(model, MAX_TOPIC_CHARS - fixedChars));
}

/**
 * Kafka refuses to create two topics whose names differ only by '.' versus '_' (they collide
 * in metric names), so collisions are checked on this normalised form.
 */
export function collisionKey(topic: string): string {
  return topic.replace(/\./g, '_');
}

/** Request topic of a tenant from a template such as `requests.{tenant}` (tenant ids are already legal in topic names). */
export function tenantTopicName(template: string, tenant: string): string {
  return template.replace(TENANT_PLACEHOLDER, tenant);
}
