// The fuzz corpus (corpus.ts) through the router's decode and validation, without
// Kafka: every event's bytes go through the same AvroSerde and request validator the router
// builds, against an in-memory registry holding the corpus' writer schemas. Each event must
// fail at the stage and with the reason the corpus names, or pass both.
import { describe, expect, it } from 'vitest';
import { RestError } from '@confluentinc/schemaregistry/dist/rest-error.js';
import { AvroSerde, DEAD_LETTER_REASONS, contracts, createRequestValidator } from '@switchyard/contracts';
import type { RegistryPort, SchemaInfo } from '@switchyard/contracts';
import { FUZZ_WRITER_SCHEMAS, atTopicLimit, buildCorpus, packedBatch, summarize } from './corpus.ts';
import type { FuzzSchemaName } from './corpus.ts';

class MemoryRegistry implements RegistryPort {
  readonly #byId = new Map<number, SchemaInfo>();
  readonly #ids = new Map<string, number>();
  register(subject: string, schema: SchemaInfo): Promise<number> {
    const key = `${subject}\u0000${schema.schema}`;
    let id = this.#ids.get(key);
    if (id === undefined) {
      id = this.#byId.size + 1;
      this.#ids.set(key, id);
      this.#byId.set(id, schema);
    }
    return Promise.resolve(id);
  }
  getId(subject: string, schema: SchemaInfo): Promise<number> {
    return this.register(subject, schema);
  }
  getBySubjectAndId(_subject: string, id: number): Promise<SchemaInfo> {
    const s = this.#byId.get(id);
    return s === undefined ? Promise.reject(new RestError('not found', 404, 40403)) : Promise.resolve(s);
  }
}

const NOW = 1_800_000_000_000;
const limits = { embeddingDim: 16, maxPromptChars: 20_000, maxPromptTokens: 4_000, maxBatchTokens: 3_000, models: ['m-a', 'm-b'] };

async function setup() {
  const registry = new MemoryRegistry();
  const serde = await AvroSerde.forTopic(registry, 'fuzz.requests', contracts.request);
  const schemaIds = {} as Record<FuzzSchemaName, number>;
  for (const [name, schema] of Object.entries(FUZZ_WRITER_SCHEMAS)) {
    schemaIds[name as FuzzSchemaName] = await registry.register(`fuzz-${name}-value`, { schemaType: 'AVRO', schema });
  }
  const validate = createRequestValidator({ ...limits, knownModels: limits.models });
  const corpus = [
    ...buildCorpus({ seed: 20_261_123, prefix: 'fz', nowMs: NOW, requestSchemaId: serde.schemaId, schemaIds, limits, hugeValueBytes: 1_000_000 }),
    ...packedBatch({ prefix: 'fz', totalBytes: 1_000_000 }),
    atTopicLimit({ prefix: 'fz', valueBytes: 1_000_000 }),
  ];
  return { serde, validate, corpus };
}

describe('fuzz corpus through decode and validation', () => {
  it('holds at least 1,000 malformed events and covers every input-side reason', async () => {
    const { corpus } = await setup();
    const bad = corpus.filter((e) => e.expect.kind === 'dead');
    expect(bad.length).toBeGreaterThanOrEqual(1_000);
    expect(corpus.length - bad.length).toBeGreaterThanOrEqual(1_000);
    const reasons = new Set(bad.map((e) => (e.expect.kind === 'dead' ? e.expect.reason : '')));
    // Every reason an input can earn by itself (the others depend on budgets and deferrals, or,
    // for unreadable_batch, on the record batch rather than the record: test/router/codecs.test.ts;
    // for tenant_mismatch, on the topic it was read from: test/security/secured-pipeline.test.ts).
    const inputReasons = DEAD_LETTER_REASONS.filter((r) => !['max_deferrals_exceeded', 'processing_failed', 'unreadable_batch', 'budget_usd_exhausted', 'budget_usd_too_small', 'budget_usd_unpriced_models', 'tenant_mismatch'].includes(r));
    expect([...reasons].sort()).toEqual([...inputReasons].sort());
    expect(new Set(corpus.map((e) => e.id)).size).toBe(corpus.length);
  });

  it('is the same corpus for the same seed', async () => {
    const a = (await setup()).corpus;
    const b = (await setup()).corpus;
    expect(a.map((e) => [e.id, e.value?.toString('base64') ?? null])).toEqual(b.map((e) => [e.id, e.value?.toString('base64') ?? null]));
  });

  it('fails every bad event at its stage with its reason and passes every good one', async () => {
    const { serde, validate, corpus } = await setup();
    const mismatches: unknown[] = [];
    const seen: Record<string, number> = {};
    for (const e of corpus) {
      const decoded = await serde.decode(e.value);
      let got: string;
      if (!decoded.ok) {
        got = `decode:${decoded.reason}`;
      } else {
        const v = validate(decoded.value, NOW);
        got = v.ok ? 'pass' : `validate:${v.reason}`;
        // What decodes is exactly what was encoded (no silent rewriting of text).
        if (e.request !== null && JSON.stringify(decoded.value) !== JSON.stringify(e.request)) mismatches.push({ id: e.id, cls: e.cls, problem: 'decoded value differs' });
      }
      const want = e.expect.kind === 'routed' || e.expect.stage === 'route' ? 'pass' : `${e.expect.stage}:${e.expect.reason}`;
      seen[`${e.cls} -> ${got}`] = (seen[`${e.cls} -> ${got}`] ?? 0) + 1;
      if (got !== want) mismatches.push({ id: e.id, cls: e.cls, want, got, detail: decoded.ok ? undefined : decoded.detail });
    }
    const byClass: Record<string, number> = {};
    for (const m of mismatches as { cls: string; want?: string; got?: string; problem?: string }[]) {
      const k = `${m.cls}: ${m.problem ?? `want ${m.want}, got ${m.got}`}`;
      byClass[k] = (byClass[k] ?? 0) + 1;
    }
    expect(byClass).toEqual({});
    console.log(`[fuzz corpus] ${corpus.length} events: ${JSON.stringify(summarize(corpus))}`);
  });
});
