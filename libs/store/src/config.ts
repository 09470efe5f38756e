import { z } from 'zod';
import type { SwitchyardConfig } from '@switchyard/config';
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
  /** Overrides a password in the URL (secrets from env or files stay out of URLs). */
  password: z.string().min(1).optional(),
  /** TLS to the server: false for none, else node's TLS options (PEM strings). */
  ssl: z
    .union([
      z.literal(false),
      z.object({
        ca: z.string().optional(),
        cert: z.string().optional(),
        key: z.string().optional(),
        rejectUnauthorized: z.boolean().default(true),
        /** False: the chain is verified, the host name is not (libpq's verify-ca). */
        verifyHostname: z.boolean().default(true),
      }).strict(),
    ])
    .default(false),
});

export type PostgresConfigInput = z.input<typeof PostgresConfigSchema>;
export type PostgresConfig = Readonly<z.output<typeof PostgresConfigSchema>>;

type SharedPostgres = NonNullable<SwitchyardConfig['postgres']>;

/** The services' `postgres` configuration section as this library's pool configuration. */
export function postgresConfigOf(shared: SharedPostgres, applicationName: string, poolMax: number = shared.maxConnections): PostgresConfigInput {
  const tls = shared.ssl;
  return {
    url: shared.connectionString,
    applicationName,
    poolMax,
    ...(shared.password !== undefined ? { password: shared.password } : {}),
    ssl: tls.enabled
      ? {
          rejectUnauthorized: tls.rejectUnauthorized,
          verifyHostname: tls.verifyHostname,
          ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
          ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
          ...(tls.key !== undefined ? { key: tls.key } : {}),
        }
      : false,
  };
}

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
