import { describe, expect, it } from 'vitest';
import { forgedTenant } from '../src/tenancy.ts';

const byTopic = { 'requests.acme': 'acme', 'requests.globex': 'globex' };

describe('forgedTenant', () => {
  it('believes a body that names the owner of the topic it was read from', () => {
    expect(forgedTenant(byTopic, 'requests.acme', 'acme')).toBeNull();
  });

  it('refuses a body that names another tenant, saying which topic and which names', () => {
    const why = forgedTenant(byTopic, 'requests.acme', 'globex');
    expect(why).toContain('requests.acme');
    expect(why).toContain('"acme"');
    expect(why).toContain('"globex"');
  });

  it('leaves records of other topics (the shared one) to the body', () => {
    expect(forgedTenant(byTopic, 'requests', 'globex')).toBeNull();
  });

  it('is not fooled by inherited property names', () => {
    expect(forgedTenant(byTopic, 'constructor', 'x')).toBeNull();
    expect(forgedTenant(byTopic, 'toString', 'x')).toBeNull();
  });
});
