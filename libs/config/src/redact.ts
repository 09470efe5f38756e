// Secrets never reach logs: services log redact(config), never the config itself.
// Secret fields are found by name, so a secret added to the schema later is covered when it is
// named like one (password, key, token, secret, ...); `*File` settings are paths and stay visible.
export const REDACTED = '[redacted]';

const secretKeys: ReadonlySet<string> = new Set(['password', 'key', 'token', 'secret']);
const secretSuffix = /(password|passwd|secret|token|apikey|privatekey)$/i;

function isSecretKey(key: string): boolean {
  return secretKeys.has(key) || secretSuffix.test(key);
}

function redactUrl(value: string): string {
  // postgres://user:secret@host/db -> postgres://user:[redacted]@host/db. Up to the last '@', so
  // a password holding an unescaped '/' or '@' is still covered (at worst more is hidden).
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):\S*@/i, `$1:${REDACTED}@`);
}

function walk(value: unknown, key: string | null): unknown {
  if (key !== null && isSecretKey(key) && typeof value === 'string') return REDACTED;
  if (typeof value === 'string') return redactUrl(value);
  if (Array.isArray(value)) return value.map((v) => walk(v, null));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
  }
  return value;
}

/**
 * A deep copy with passwords, private keys and URL credentials replaced by "[redacted]": the
 * form in which a configuration (shared or a service's own section) may be logged or printed.
 */
export function redact(config: unknown): unknown {
  return walk(config, null);
}
