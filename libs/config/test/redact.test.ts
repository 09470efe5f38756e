import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { loadConfig } from '../src/load.ts';
import { redact, REDACTED } from '../src/redact.ts';

describe('redact', () => {
  const cfg = loadConfig(
    { SWITCHYARD_PG_URL: 'postgres://app:pg-pass@db:5432/switchyard' },
    {
      models: [{ name: 'a', tokensPerMinute: 1, maxBatchTokens: 1, maxBatchRequests: 1 }],
      kafka: {
        ssl: { enabled: true, ca: 'CA-PEM', cert: 'CERT-PEM', key: 'KEY-PEM' },
        sasl: { mechanism: 'plain', username: 'svc', password: 'kafka-pass' },
      },
      registry: { username: 'reg', password: 'reg-pass' },
    },
  );

  it('removes every secret from the logged form', () => {
    const text = JSON.stringify(redact(cfg));
    for (const secret of ['pg-pass', 'KEY-PEM', 'kafka-pass', 'reg-pass']) expect(text).not.toContain(secret);
    expect(text).toContain(REDACTED);
  });

  it('keeps what an operator needs to see', () => {
    const out = redact(cfg) as { kafka: { sasl: { username: string }; ssl: { ca: string } }; postgres: { connectionString: string } };
    expect(out.kafka.sasl.username).toBe('svc');
    expect(out.kafka.ssl.ca).toBe('CA-PEM');
    expect(out.postgres.connectionString).toBe(`postgres://app:${REDACTED}@db:5432/switchyard`);
  });

  it('leaves the config itself untouched', () => {
    redact(cfg);
    expect(cfg.kafka.sasl?.password).toBe('kafka-pass');
  });
});

describe('redact: nothing secret reaches a log line', () => {
  // Every secret the configuration can hold, each from a different source: file object,
  // environment, and secret files (read through a fake reader).
  const secrets = {
    saslFile: 'sasl-from-file-Zq81',
    keyFile: '-----BEGIN PRIVATE KEY-----\nKAFKA-KEY-FROM-FILE-x7\n-----END PRIVATE KEY-----\n',
    registry: 'registry-env-pass-Y2',
    pgUrl: 'url-pass/with@odd:chars',
    pgFile: 'pg-pass-from-file-Q9',
    pgKey: 'PG-CLIENT-KEY-PEM-w4',
  };
  const files: Record<string, string> = {
    '/run/secrets/sasl': `${secrets.saslFile}\n`,
    '/run/secrets/kafka.key': secrets.keyFile,
    '/run/secrets/pg': `${secrets.pgFile}\n`,
  };
  const cfg = loadConfig(
    {
      SWITCHYARD_REGISTRY_PASSWORD: secrets.registry,
      SWITCHYARD_PG_URL: `postgres://writer:${secrets.pgUrl}@db.internal:5432/switchyard`,
      SWITCHYARD_KAFKA_SASL_PASSWORD_FILE: '/run/secrets/sasl',
      SWITCHYARD_PG_PASSWORD_FILE: '/run/secrets/pg',
    },
    {
      models: [{ name: 'a', tokensPerMinute: 1, maxBatchTokens: 1, maxBatchRequests: 1 }],
      kafka: {
        ssl: { enabled: true, ca: 'CA-PEM', cert: 'CERT-PEM', keyFile: '/run/secrets/kafka.key' },
        sasl: { mechanism: 'scram-sha-256', username: 'svc' },
      },
      registry: { username: 'reg' },
      postgres: { connectionString: 'postgres://placeholder@x/db', ssl: { enabled: true, cert: 'PG-CERT', key: secrets.pgKey } },
    },
    { readFile: (p) => files[p] ?? (() => { throw Object.assign(new Error('missing'), { code: 'ENOENT' }); })() },
  );

  it('has the secrets in the configuration itself (the test would prove nothing otherwise)', () => {
    expect(cfg.kafka.sasl?.password).toBe(secrets.saslFile);
    expect(cfg.kafka.ssl.key).toBe(secrets.keyFile);
    expect(cfg.postgres?.password).toBe(secrets.pgFile);
  });

  it('logs the configuration through pino as the services do, without any secret', () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    log.info({ config: redact(cfg), service: { httpPort: 9464 } }, 'configuration loaded');
    const out = lines.join('');
    expect(out).toContain('configuration loaded');
    for (const secret of [secrets.saslFile, 'KAFKA-KEY-FROM-FILE-x7', secrets.registry, secrets.pgUrl, 'with@odd', secrets.pgFile, secrets.pgKey]) {
      expect(out, secret).not.toContain(secret);
    }
    // Paths of the secret files and the public parts stay visible to the operator.
    expect(out).toContain('/run/secrets/kafka.key');
    expect(out).toContain('db.internal:5432/switchyard');
    expect(out).toContain('CERT-PEM');
  });

  it('catches a secret logged without redact (the check can fail)', () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    log.info({ config: cfg }, 'configuration loaded');
    expect(lines.join('')).toContain(secrets.pgFile);
  });

  it('redacts secret-named fields of any object, such as a service section', () => {
    expect(redact({ apiToken: 't', clientSecret: 's', nested: [{ password: 'p', passwordFile: '/f' }] })).toEqual({
      apiToken: REDACTED,
      clientSecret: REDACTED,
      nested: [{ password: REDACTED, passwordFile: '/f' }],
    });
  });
});
