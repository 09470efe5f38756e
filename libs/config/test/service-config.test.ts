import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineServiceConfig } from '../src/index.ts';

class SectionError extends Error {}
const schema = z.object({ port: z.number().int().default(1), nested: z.object({ k: z.number().default(2) }).strict().default({ k: 2 }) }).strict();

describe('defineServiceConfig', () => {
  it('parses an absent section as all defaults and deep-freezes it', () => {
    const parse = defineServiceConfig(schema, { section: 'svc', label: 'demo service', error: (m, o) => new SectionError(m, o) });
    const c = parse(undefined);
    expect(c).toEqual({ port: 1, nested: { k: 2 } });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.nested)).toBe(true);
  });

  it('freezes only the top level when asked', () => {
    const parse = defineServiceConfig(schema, { section: 'svc', label: 'demo', error: (m, o) => new SectionError(m, o), freeze: 'shallow' });
    const c = parse({});
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.nested)).toBe(false);
  });

  it('throws the service\'s error naming every issue by its path under the section', () => {
    const parse = defineServiceConfig(schema, { section: 'svc', label: 'demo service', error: (m, o) => new SectionError(m, o) });
    let caught: unknown;
    try {
      parse({ port: 1.5, extra: true });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SectionError);
    const message = (caught as Error).message;
    expect(message.startsWith('invalid demo service config: ')).toBe(true);
    expect(message).toContain('svc.port: ');
    expect(message).toContain('svc.(root): ');
    expect((caught as Error).cause).toBeInstanceOf(z.ZodError);
  });
});
