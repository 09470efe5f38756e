// Secrets from files: a `<name>File` setting (e.g. kafka.sasl.passwordFile, a mounted Kubernetes
// or Docker secret) is read and its content becomes `<name>` before validation, so the rest of
// the configuration (and every client built from it) sees one field whatever the source. The
// path stays in the configuration (it is not a secret); the content is redacted like any secret.
import type { ConfigIssue } from './errors.ts';

export type ReadSecretFile = (path: string) => string;

interface SecretFileField {
  /** Object holding both fields, e.g. ['kafka', 'sasl']. */
  readonly at: readonly string[];
  readonly field: string;
  /** Passwords lose one trailing newline (`echo secret > file`); PEM text is kept as it is. */
  readonly trimNewline: boolean;
}

const tls = (at: string[]): SecretFileField[] => ['ca', 'cert', 'key'].map((field) => ({ at, field, trimNewline: false }));

export const SECRET_FILE_FIELDS: readonly SecretFileField[] = [
  { at: ['kafka', 'sasl'], field: 'password', trimNewline: true },
  ...tls(['kafka', 'ssl']),
  { at: ['registry'], field: 'password', trimNewline: true },
  { at: ['postgres'], field: 'password', trimNewline: true },
  ...tls(['postgres', 'ssl']),
];

function objectAt(root: Record<string, unknown>, path: readonly string[]): Record<string, unknown> | null {
  let node: unknown = root;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return null;
    node = (node as Record<string, unknown>)[key];
  }
  return typeof node === 'object' && node !== null && !Array.isArray(node) ? (node as Record<string, unknown>) : null;
}

/** Fills `<field>` from `<field>File` in place (on a copy the caller owns); problems come back as issues. */
export function resolveSecretFiles(raw: Record<string, unknown>, read: ReadSecretFile): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const { at, field, trimNewline } of SECRET_FILE_FIELDS) {
    const node = objectAt(raw, at);
    const fileKey = `${field}File`;
    if (node === null || node[fileKey] === undefined) continue;
    const path = [...at, fileKey].join('.');
    const file = node[fileKey];
    if (typeof file !== 'string' || file.length === 0) continue; // the schema reports the type
    if (node[field] !== undefined) {
      issues.push({ path, rule: 'secret_given_twice', message: `give ${[...at, field].join('.')} or ${fileKey}, not both` });
      continue;
    }
    let content: string;
    try {
      content = read(file);
    } catch (err) {
      // The reason (ENOENT, EACCES) and the path only; never the content.
      const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : 'unreadable';
      issues.push({ path, rule: 'secret_file_unreadable', message: `cannot read ${file} (${code})` });
      continue;
    }
    node[field] = trimNewline ? content.replace(/\r?\n$/, '') : content;
  }
  return issues;
}
