import { RestError } from '@confluentinc/schemaregistry/dist/rest-error.js';
import { describe, expect, it } from 'vitest';
import { reportingRegistry } from '../src/index.ts';
import type { RegistryPort, SchemaInfo } from '../src/index.ts';

function port(outcome: () => Promise<number>): RegistryPort {
  return {
    register: outcome,
    getId: outcome,
    getBySubjectAndId: async () => ({ schema: '"string"' }) as SchemaInfo,
  };
}

describe('reportingRegistry', () => {
  it('reports answers (4xx included) as successes and network errors, timeouts and 5xx as failures, passing results and errors through', async () => {
    const log: string[] = [];
    const health = { succeeded: () => log.push('ok'), failed: () => log.push('failed') };
    const schema = { schema: '"string"' } as SchemaInfo;

    await expect(reportingRegistry(port(async () => 7), health).register('s', schema)).resolves.toBe(7);
    await expect(reportingRegistry(port(() => Promise.reject(new RestError('not found', 404, 40401))), health).getId('s', schema)).rejects.toBeInstanceOf(RestError);
    await expect(reportingRegistry(port(() => Promise.reject(new RestError('incompatible', 409, 409))), health).register('s', schema)).rejects.toThrow('incompatible');
    expect(log).toEqual(['ok', 'ok', 'ok']);

    const connRefused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    await expect(reportingRegistry(port(() => Promise.reject(connRefused)), health).register('s', schema)).rejects.toBe(connRefused);
    await expect(reportingRegistry(port(() => Promise.reject(new RestError('unavailable', 503, 50301))), health).getId('s', schema)).rejects.toThrow();
    await expect(reportingRegistry(port(() => Promise.reject(new RestError('timeout', 408, 408))), health).getId('s', schema)).rejects.toThrow();
    expect(log.slice(3)).toEqual(['failed', 'failed', 'failed']);

    await expect(reportingRegistry(port(async () => 1), health).getBySubjectAndId('s', 1)).resolves.toEqual({ schema: '"string"' });
    expect(log.at(-1)).toBe('ok');
  });
});
