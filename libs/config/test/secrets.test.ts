import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/load.ts';
import { ConfigError } from '../src/errors.ts';
import type { ConfigIssue } from '../src/errors.ts';

const models = [{ name: 'a', tokensPerMinute: 1, maxBatchTokens: 1, maxBatchRequests: 1 }];
const files: Record<string, string> = { '/s/pass': 'p4ss\n', '/s/key.pem': 'KEY\n', '/s/cert.pem': 'CERT\n', '/s/ca.pem': 'CA\n' };
const readFile = (p: string): string => {
  const c = files[p];
  if (c === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
  return c;
};

function issuesOf(fn: () => unknown): readonly ConfigIssue[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('secrets from files', () => {
  it('reads every *File setting into its field; passwords lose the trailing newline, PEM text is kept', () => {
    const cfg = loadConfig(
      { SWITCHYARD_KAFKA_SASL_PASSWORD_FILE: '/s/pass', SWITCHYARD_PG_SSL: 'true', SWITCHYARD_PG_SSL_CA_FILE: '/s/ca.pem' },
      {
        models,
        kafka: { ssl: { enabled: true, caFile: '/s/ca.pem', certFile: '/s/cert.pem', keyFile: '/s/key.pem' }, sasl: { mechanism: 'plain', username: 'u' } },
        registry: { username: 'r', passwordFile: '/s/pass' },
        postgres: { connectionString: 'postgres://w@db/s', passwordFile: '/s/pass', ssl: { certFile: '/s/cert.pem', keyFile: '/s/key.pem' } },
      },
      { readFile },
    );
    expect(cfg.kafka.sasl).toMatchObject({ password: 'p4ss', passwordFile: '/s/pass' });
    expect(cfg.kafka.ssl).toMatchObject({ ca: 'CA\n', cert: 'CERT\n', key: 'KEY\n' });
    expect(cfg.registry.password).toBe('p4ss');
    expect(cfg.postgres).toMatchObject({ password: 'p4ss', ssl: { enabled: true, ca: 'CA\n', cert: 'CERT\n', key: 'KEY\n', rejectUnauthorized: true } });
  });

  it('reports a missing file by path and reason, without content', () => {
    const issues = issuesOf(() => loadConfig({}, { models, registry: { passwordFile: '/nope' } }, { readFile }));
    expect(issues).toEqual([{ path: 'registry.passwordFile', rule: 'secret_file_unreadable', message: 'cannot read /nope (ENOENT)' }]);
  });

  it('refuses a secret given both inline and as a file', () => {
    const issues = issuesOf(() => loadConfig({ SWITCHYARD_PG_PASSWORD: 'x' }, { models, postgres: { connectionString: 'postgres://w@db/s', passwordFile: '/s/pass' } }, { readFile }));
    expect(issues.map((i) => [i.path, i.rule])).toEqual([['postgres.passwordFile', 'secret_given_twice']]);
  });

  it('requires the SASL password from somewhere', () => {
    const issues = issuesOf(() => loadConfig({}, { models, kafka: { sasl: { mechanism: 'plain', username: 'u' } } }, { readFile }));
    expect(issues.map((i) => i.path)).toEqual(['kafka.sasl.password']);
  });

  it.each([
    ['TLS material while Postgres TLS is off', { connectionString: 'postgres://w@db/s', ssl: { ca: 'CA' } }, 'postgres.ssl.enabled', 'ssl_material_without_ssl'],
    ['sslmode in the URL while postgres.ssl is on', { connectionString: 'postgres://w@db/s?sslmode=require', ssl: { enabled: true } }, 'postgres.connectionString', 'ssl_given_twice'],
    ['Postgres client cert without key', { connectionString: 'postgres://w@db/s', ssl: { enabled: true, cert: 'C' } }, 'postgres.ssl.key', 'custom'],
  ])('refuses %s', (_name, postgres, path, rule) => {
    expect(issuesOf(() => loadConfig({}, { models, postgres }, { readFile })).map((i) => [i.path, i.rule])).toEqual([[path, rule]]);
  });
});
