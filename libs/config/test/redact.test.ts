import { describe, expect, it } from 'vitest';
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
