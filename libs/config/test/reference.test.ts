import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigReference } from '../src/reference.ts';
import { ENV_BINDINGS } from '../src/env.ts';

describe('configuration reference', () => {
  const text = renderConfigReference();

  it('documents every environment variable and the main options', () => {
    for (const b of ENV_BINDINGS) expect(text).toContain(`\`${b.name}\``);
    for (const path of ['kafka.brokers', 'kafka.sasl.mechanism', 'models[].tokensPerMinute', 'batching.flushIntervalMs', 'scoring.backend']) {
      expect(text).toContain(`\`${path}\``);
    }
  });

  it('is up to date in docs/configuration.md (run npm run docs:config)', () => {
    const committed = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
    expect(committed).toBe(text);
  });
});
