import { z } from 'zod';
import { StoreError } from './errors.ts';

const postgresUrl = z
  .string()
  .refine((s) => /^postgres(ql)?:\/\//.test(s) && URL.canParse(s), {
    message: 'must be a postgres:// or postgresql:// URL',
  });

export const PostgresConfigSchema = z.object({
  url: postgresUrl,
  applicationName: z.string().min(1).default('switchyard'),
  poolMax: z.number().int().min(1).max(200).default(10),
  connectionTimeoutMs: z.number().int().min(1).default(5_000),
  idleTimeoutMs: z.number().int().min(0).default(10_000),
  // Server-side guard so a runaway query cannot hold locks forever (0 disables it).
  statementTimeoutMs: z.number().int().min(0).default(30_000),
});

export type PostgresConfigInput = z.input<typeof PostgresConfigSchema>;
export type PostgresConfig = Readonly<z.output<typeof PostgresConfigSchema>>;

export function parsePostgresConfig(input: unknown): PostgresConfig {
  const result = PostgresConfigSchema.safeParse(input);
  if (!result.success) {
    const detail = result.error.issues
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    throw new StoreError('config_invalid', `invalid Postgres config: ${detail}`, { cause: result.error });
  }
  return Object.freeze(result.data);
}

/** The URL with any password replaced, for logs and error messages. */
export function redactUrl(url: string): string {
  if (!URL.canParse(url)) return '<unparseable url>';
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}
