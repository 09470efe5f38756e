// Secrets never reach logs: services log redact(config), never the config itself.
import type { SwitchyardConfig } from './load.ts';

export const REDACTED = '[redacted]';

const secretKeys: ReadonlySet<string> = new Set(['password', 'key', 'token', 'secret']);

function redactUrl(value: string): string {
  // postgres://user:secret@host/db -> postgres://user:[redacted]@host/db
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, `$1:${REDACTED}@`);
}

function walk(value: unknown, key: string | null): unknown {
  if (key !== null && secretKeys.has(key) && typeof value === 'string') return REDACTED;
  if (typeof value === 'string') return redactUrl(value);
  if (Array.isArray(value)) return value.map((v) => walk(v, null));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
  }
  return value;
}

/** A deep copy with passwords, private keys and URL credentials replaced by "[redacted]". */
export function redact(config: SwitchyardConfig): unknown {
  return walk(config, null);
}
