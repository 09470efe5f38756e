// `npm run stack:status` prints the analyst URL, as the README says it does.
import { describe, expect, it } from 'vitest';
import { parseStackConfig } from '../config.ts';
import { analystUrlOf } from '../postgres.ts';
import { formatStatus } from '../stack.ts';
import type { ComponentStatus } from '../stack.ts';

const redact = (url: string): string => url.replace(/:[^:@/]+@/, ':***@');

describe('stack status', () => {
  it('prints the analyst URL under Postgres, password redacted', () => {
    const config = parseStackConfig({ postgres: { adminUrl: 'postgres://postgres:admin@127.0.0.1:5432/postgres', analystPassword: 's3cret' } });
    const statuses: ComponentStatus[] = [
      { component: 'kafka', ready: true, endpoint: '127.0.0.1:19092', pid: undefined, log: 'k.log' },
      { component: 'postgres', ready: true, endpoint: 'postgres://x', pid: undefined, log: 'p.log', analystUrl: analystUrlOf(config, 'server') },
    ];
    const lines = formatStatus(statuses, redact);
    const analyst = lines.find((l) => l.trim().startsWith('analyst'));
    expect(analyst).toBeDefined();
    expect(analyst).toContain('switchyard_analyst');
    expect(analyst).not.toContain('s3cret');
  });

  it('gives the analyst URL of an external Postgres when one is configured', () => {
    const config = parseStackConfig({ postgres: { externalUrl: 'postgres://w:pw@db:5432/sy', externalAnalystUrl: 'postgres://a:pa@db:5432/sy' } });
    expect(analystUrlOf(config, 'external')).toBe('postgres://a:pa@db:5432/sy');
  });
});
