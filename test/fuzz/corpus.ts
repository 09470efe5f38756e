// A deterministic, seeded corpus of malformed and edge-case request events for the router, each
// with the outcome it must get: routed, or dead-lettered with a given reason at a given stage.
// Shared by the unit test (decode + validate, no stack) and the integration test (the real
// router on the real stack). No data files: everything is generated from the seed.
//
// Stages say where an event is decided:
//   decode   - the Avro serde refuses the bytes (undecodable, unknown_schema, wrong_schema)
//   validate - decodes, but the request validator refuses it
//   route    - passes both; the router refuses it later (token count, batch bounds)
//   ok       - a valid request that must be routed
import avro from 'avsc';
import { contracts, encodeWire } from '@switchyard/contracts';
import type { DeadLetterReason, RequestV3 } from '@switchyard/contracts';
import { createRng } from '@switchyard/routing-core';

export type Stage = 'decode' | 'validate' | 'route';

export type Expectation = { readonly kind: 'routed' } | { readonly kind: 'dead'; readonly stage: Stage; readonly reason: DeadLetterReason };

export interface FuzzEvent {
  /** Unique per event; carried in the `fuzz-id` header, which the dead letter keeps. */
  readonly id: string;
  /** Corpus class, for reporting. */
  readonly cls: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly expect: Expectation;
  /** The request as encoded, when the bytes hold one that decodes (checks of stored values). */
  readonly request: RequestV3 | null;
  /** False when the dead letter cannot hold the original value (a record at the topic's size limit). */
  readonly originalKept?: boolean;
  /** Set for events written to the deferred topic instead of the requests topic. */
  readonly topic?: 'deferred';
}

/** Writer schemas the corpus needs registered; the caller registers them and passes the ids. */
export const FUZZ_WRITER_SCHEMAS = {
  /** Another contract altogether. */
  outcome: contracts.outcome.schemaText,
  /** Not a record. */
  string: JSON.stringify('string'),
  /** Same record name, a field of another type: cannot be read as a Request. */
  requestWrongTypes: JSON.stringify({
    type: 'record',
    name: 'Request',
    namespace: 'switchyard.v1',
    fields: [
      { name: 'requestId', type: 'string' },
      { name: 'jobId', type: 'string' },
      { name: 'tenant', type: 'string' },
      { name: 'maxOutputTokens', type: 'string' },
      { name: 'submittedAt', type: 'long' },
    ],
  }),
  /** An older writer without optional fields: resolves (defaults fill them), so it is valid. */
  requestMinimal: JSON.stringify({
    type: 'record',
    name: 'Request',
    namespace: 'switchyard.v1',
    fields: [
      { name: 'requestId', type: 'string' },
      { name: 'jobId', type: 'string' },
      { name: 'tenant', type: 'string' },
      { name: 'prompt', type: ['null', 'string'], default: null },
      { name: 'maxOutputTokens', type: 'int' },
      { name: 'submittedAt', type: 'long' },
    ],
  }),
} as const;

export type FuzzSchemaName = keyof typeof FUZZ_WRITER_SCHEMAS;

export interface CorpusOptions {
  readonly seed: number;
  /** Prefix of every id (request, job, tenant), so a test finds and cleans up its own rows. */
  readonly prefix: string;
  readonly nowMs: number;
  /** Registry id of the bundled Request schema under the requests subject. */
  readonly requestSchemaId: number;
  readonly schemaIds: Readonly<Record<FuzzSchemaName, number>>;
  readonly limits: {
    readonly embeddingDim: number;
    readonly maxPromptChars: number;
    readonly maxPromptTokens: number;
    /** The largest maxBatchTokens of any model; must be below maxPromptTokens. */
    readonly maxBatchTokens: number;
    readonly models: readonly string[];
  };
  /** Size of the few huge events (the largest record the requests topic accepts, minus headroom). */
  readonly hugeValueBytes: number;
  /** Scale of the corpus (1 = about 1,100 bad and 1,000 good events). */
  readonly scale?: number;
}

/** SQL-looking text: must be stored verbatim through parameterised queries. */
export const SQL_PAYLOADS: readonly string[] = [
  "'; DROP TABLE switchyard.decisions; --",
  "x'); DELETE FROM switchyard.jobs WHERE ('1'='1",
  '" OR 1=1 --',
  "\\'; TRUNCATE switchyard.outcomes; --",
  '$1; SELECT pg_sleep(10); --',
  "'||(SELECT current_user)||'",
  '%_% LIKE wildcards',
  '/* comment */ UNION SELECT * FROM pg_shadow --',
];

/** Unicode that is valid text: routed unchanged. */
export const VALID_UNICODE: readonly string[] = [
  'emoji 👩‍👩‍👧‍👦 🏳️‍🌈 🇫🇷',
  'combining Z̸̡̛̗̲a̶̗͎l̴̻̓g̷̪̈o̵͖͊',
  'right-to-left \u202Eevil.exe\u202C and \u200F\u05E9\u05DC\u05D5\u05DD',
  'zero width \u200B\u200C\u200D joiners and BOM \uFEFF',
  'NUL \u0000 inside the prompt',
  'replacement character \uFFFD written on purpose',
  'noncharacters \uFFFE \uFFFF and U+10FFFF \u{10FFFF}',
  'astral 𝕳𝖊𝖑𝖑𝖔 𓀀 𠜎',
  'line\r\nbreaks\u2028and\u2029separators\ttabs',
  'mixed ελληνικά русский 中文 العربية हिन्दी',
];

/** Bytes that are not UTF-8, inside an Avro string: CESU-8 lone surrogates, overlong NUL, 0xFF, cut sequences. */
const INVALID_UTF8: readonly number[][] = [
  [0xed, 0xa0, 0x80], // lone high surrogate U+D800 as CESU-8 (what a writer makes of a lone surrogate)
  [0xed, 0xbf, 0xbf], // lone low surrogate U+DFFF
  [0xc0, 0x80], // overlong NUL (Java's modified UTF-8)
  [0xff],
  [0xfe, 0xfe],
  [0xe2, 0x82], // cut three-byte sequence
  [0x80], // lone continuation byte
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
];

/** Avro long as zig-zag varint. */
function varint(n: number): Buffer {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (z >= 0x80) {
    out.push((z % 0x80) | 0x80);
    z = Math.floor(z / 0x80);
  }
  out.push(z);
  return Buffer.from(out);
}

export function buildCorpus(o: CorpusOptions): FuzzEvent[] {
  const rnd = createRng(o.seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;
  const scale = o.scale ?? 1;
  const n = (count: number): number => Math.max(1, Math.round(count * scale));
  const { embeddingDim: dim, maxPromptChars, maxPromptTokens, maxBatchTokens, models } = o.limits;
  if (maxBatchTokens >= maxPromptTokens) throw new RangeError('maxBatchTokens must be below maxPromptTokens for the no_feasible_model class');
  const requestType = contracts.request.type;
  const writer = Object.fromEntries(Object.entries(FUZZ_WRITER_SCHEMAS).map(([k, s]) => [k, avro.Type.forSchema(JSON.parse(s) as avro.Schema)])) as Record<FuzzSchemaName, avro.Type>;
  const events: FuzzEvent[] = [];
  let seq = 0;
  const goodJob = `${o.prefix}-job`;
  const badJob = `${o.prefix}-badjob`;

  const words = ['route', 'batch', 'token', 'model', 'budget', 'prompt', 'quality', 'cost', 'window', 'kafka', 'avro', 'latency'];
  const sentence = (): string => Array.from({ length: int(4, 30) }, () => pick(words)).join(' ');
  const base = (over: Partial<RequestV3> = {}): RequestV3 => ({
    requestId: `${o.prefix}-r${seq}`,
    jobId: goodJob,
    tenant: `${o.prefix}-t${seq % 3}`,
    prompt: sentence(),
    embedding: null,
    promptTokens: null,
    maxOutputTokens: int(16, 256),
    priority: int(-2, 2),
    deadline: null,
    allowedModels: null,
    metadata: { n: String(seq) },
    submittedAt: o.nowMs,
    customId: null,
    body: null,
    excludedModels: [],
    failedAttempts: [],
    ...over,
  });
  const encode = (r: RequestV3, schemaId = o.requestSchemaId): Buffer => encodeWire(schemaId, requestType.toBuffer(r));
  const add = (cls: string, key: Buffer | null, value: Buffer | null, expect: Expectation, request: RequestV3 | null): void => {
    events.push({ id: `${o.prefix}-f${events.length}`, cls, key, value, expect, request });
  };
  const good = (cls: string, over: Partial<RequestV3> = {}, key?: Buffer | null): void => {
    seq += 1;
    const r = base(over);
    add(cls, key === undefined ? Buffer.from(r.requestId) : key, encode(r), { kind: 'routed' }, r);
  };
  const bad = (cls: string, stage: Stage, reason: DeadLetterReason, over: Partial<RequestV3> = {}): void => {
    seq += 1;
    const r = base({ jobId: badJob, ...over });
    add(cls, Buffer.from(`${o.prefix}-k${seq}`), encode(r), { kind: 'dead', stage, reason }, r);
  };
  const badBytes = (cls: string, value: Buffer | null, reason: DeadLetterReason, key: Buffer | null = Buffer.from(`${o.prefix}-k${++seq}`)): void => {
    add(cls, key, value, { kind: 'dead', stage: 'decode', reason }, null);
  };
  const validBytes = (): Buffer => {
    seq += 1;
    return encode(base({ jobId: badJob }));
  };
  const randomBytes = (len: number): Buffer => Buffer.from(Array.from({ length: len }, () => int(0, 255)));
  // float32 values, so a decoded vector equals the encoded one.
  const vector = (len: number): number[] => Array.from({ length: len }, () => Math.fround(rnd() * 2 - 1));

  // ---- decode stage -------------------------------------------------------------------------
  for (let i = 0; i < n(100); i++) {
    const b = randomBytes(int(1, 200));
    b[0] = int(1, 255); // any first byte but the magic 0
    badBytes('garbage', b, 'undecodable');
  }
  for (let i = 0; i < n(80); i++) {
    const b = validBytes();
    b[0] = int(1, 255);
    badBytes('wrong_magic_byte', b, 'undecodable');
  }
  for (let i = 0; i < n(150); i++) {
    const b = validBytes();
    // Every cut loses at least the last field (submittedAt), so none can decode.
    badBytes('truncated_avro', b.subarray(0, int(1, b.length - 1)), 'undecodable');
  }
  for (let i = 0; i < n(30); i++) badBytes('trailing_bytes', Buffer.concat([validBytes(), randomBytes(int(1, 16))]), 'undecodable');
  for (let i = 0; i < n(40); i++) {
    // requestId's length varint promises more bytes than the record holds.
    badBytes('length_past_end', encodeWire(o.requestSchemaId, Buffer.concat([varint(int(1_000, 1e9)), randomBytes(int(0, 40))])), 'undecodable');
  }
  for (let i = 0; i < n(20); i++) {
    // A negative string length (odd zig-zag varint) where requestId's length goes.
    badBytes('negative_length', encodeWire(o.requestSchemaId, Buffer.concat([varint(-int(1, 1_000)), randomBytes(int(0, 40))])), 'undecodable');
  }
  for (let i = 0; i < n(20); i++) badBytes('tombstone', null, 'undecodable');
  for (let i = 0; i < n(10); i++) badBytes('empty_value', Buffer.alloc(0), 'undecodable');
  for (let i = 0; i < n(10); i++) badBytes('header_only', encodeWire(o.requestSchemaId, Buffer.alloc(0)), 'undecodable');
  for (let i = 0; i < n(80); i++) {
    const b = validBytes();
    // Ids far above anything a registry hands out.
    b.writeUInt32BE(int(1_000_000_000, 0xffffffff), 1);
    badBytes('unknown_schema_id', b, 'unknown_schema');
  }
  for (let i = 0; i < n(30); i++) {
    const outcome = { requestId: `${o.prefix}-o${i}`, jobId: badJob, tenant: null, model: pick(models), batchId: 'b', quality: rnd(), success: true, promptTokens: 1, completionTokens: 1, latencyMs: 1, error: null, costUsd: null, completedAt: o.nowMs };
    badBytes('wrong_schema_outcome', encodeWire(o.schemaIds.outcome, writer.outcome.toBuffer(outcome)), 'wrong_schema');
  }
  for (let i = 0; i < n(30); i++) badBytes('wrong_schema_string', encodeWire(o.schemaIds.string, writer.string.toBuffer(sentence())), 'wrong_schema');
  for (let i = 0; i < n(30); i++) {
    const v = { requestId: `${o.prefix}-w${i}`, jobId: badJob, tenant: 't', maxOutputTokens: 'lots', submittedAt: o.nowMs };
    badBytes('wrong_schema_field_types', encodeWire(o.schemaIds.requestWrongTypes, writer.requestWrongTypes.toBuffer(v)), 'wrong_schema');
  }
  for (let i = 0; i < n(64); i++) {
    // Replace the prompt's bytes with text holding a sequence that is not UTF-8.
    seq += 1;
    const marker = `@@prompt-${seq}@@`;
    const r = base({ jobId: badJob, prompt: marker });
    const body = requestType.toBuffer(r);
    const markerBytes = Buffer.concat([varint(Buffer.byteLength(marker)), Buffer.from(marker)]);
    const at = body.indexOf(markerBytes);
    const text = Buffer.concat([Buffer.from(`before ${sentence()} `), Buffer.from(INVALID_UTF8[i % INVALID_UTF8.length]!), Buffer.from(' after')]);
    const patched = Buffer.concat([body.subarray(0, at), varint(text.length), text, body.subarray(at + markerBytes.length)]);
    badBytes('invalid_utf8', encodeWire(o.requestSchemaId, patched), 'undecodable');
  }

  // ---- validate stage -----------------------------------------------------------------------
  const longId = (): string => `${o.prefix}-${'x'.repeat(int(257, 600))}`;
  const nul = (s: string): string => `${s}\u0000${pick(['', 'tail', "'; --"])}`;
  for (let i = 0; i < n(20); i++) bad('empty_request_id', 'validate', 'invalid_field', { requestId: '' });
  for (let i = 0; i < n(15); i++) bad('empty_job_id', 'validate', 'invalid_field', { jobId: '' });
  for (let i = 0; i < n(15); i++) bad('empty_tenant', 'validate', 'invalid_field', { tenant: '' });
  for (let i = 0; i < n(20); i++) bad('long_id', 'validate', 'invalid_field', pick([{ requestId: longId() }, { jobId: longId() }, { tenant: longId() }]));
  // Postgres text cannot hold NUL, and ids are stored: refused, never half-written.
  for (let i = 0; i < n(30); i++) {
    const id = `${o.prefix}-nul${i}`;
    bad('nul_in_id', 'validate', 'invalid_field', pick([{ requestId: nul(id) }, { jobId: nul(badJob) }, { tenant: nul(`${o.prefix}-t`) }]));
  }
  for (let i = 0; i < n(25); i++) bad('negative_prompt_tokens', 'validate', 'invalid_field', { promptTokens: -int(1, 2 ** 31) });
  for (let i = 0; i < n(25); i++) bad('non_positive_max_output', 'validate', 'invalid_field', { maxOutputTokens: -int(0, 2 ** 31) });
  for (let i = 0; i < n(10); i++) bad('negative_submitted_at', 'validate', 'invalid_field', { submittedAt: -int(1, 1e12) });
  for (let i = 0; i < n(10); i++) bad('negative_deadline', 'validate', 'invalid_field', { deadline: -int(1, 1e12) });
  for (let i = 0; i < n(10); i++) bad('empty_allowed_model', 'validate', 'invalid_field', { allowedModels: [''] });
  for (let i = 0; i < n(30); i++) bad('missing_input', 'validate', 'missing_input', { prompt: null, embedding: null });
  const nonFinite = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (let i = 0; i < n(60); i++) {
    const e = vector(dim);
    e[int(0, dim - 1)] = nonFinite[i % 3]!;
    bad('non_finite_embedding', 'validate', 'nan_embedding', { prompt: i % 2 === 0 ? null : sentence(), embedding: e });
  }
  for (let i = 0; i < n(50); i++) {
    const len = pick([0, 1, dim - 1, dim + 1, dim * 2, int(2, dim * 3)].filter((x) => x !== dim));
    // An empty embedding breaks the request rule shared with submit before any dimension check.
    if (len === 0) bad('empty_embedding', 'validate', 'invalid_field', { prompt: null, embedding: [] });
    else bad('wrong_embedding_dimension', 'validate', 'wrong_dimension', { prompt: null, embedding: vector(len) });
  }
  for (let i = 0; i < n(30); i++) bad('prompt_over_char_limit', 'validate', 'oversized_prompt', { prompt: 'y'.repeat(maxPromptChars + int(1, maxPromptChars)) });
  for (let i = 0; i < n(30); i++) bad('prompt_tokens_over_limit', 'validate', 'oversized_prompt', { promptTokens: pick([maxPromptTokens + 1, int(maxPromptTokens + 1, 2 ** 31 - 1), 2 ** 31 - 1]) });
  for (let i = 0; i < n(30); i++) bad('unknown_model', 'validate', 'unknown_model', { allowedModels: pick([['no-such-model'], ['gpt-∞', "'; DROP TABLE x; --"], [models[0]!.toUpperCase() + '-x']]) });
  for (let i = 0; i < n(30); i++) bad('deadline_passed', 'validate', 'deadline_passed', { deadline: pick([0, o.nowMs - int(1, 86_400_000)]) });
  // The largest values the topic accepts: one huge prompt each (far above the character limit).
  for (let i = 0; i < 3; i++) {
    seq += 1;
    const r = base({ jobId: badJob, prompt: '' });
    const c = ['z', 'é', '語', '🙂'][(o.seed + i) % 4]!;
    // 8 bytes of headroom for the longer length varint.
    const count = Math.floor((o.hugeValueBytes - encode(r).length - 8) / Buffer.byteLength(c));
    const req = { ...r, prompt: c.repeat(count) };
    if (req.prompt.length <= maxPromptChars) throw new RangeError('hugeValueBytes must exceed the character limit');
    add('huge_prompt', Buffer.from(`${o.prefix}-k${seq}`), encode(req), { kind: 'dead', stage: 'validate', reason: 'oversized_prompt' }, req);
  }

  // ---- route stage ----------------------------------------------------------------------------
  for (let i = 0; i < n(10); i++) {
    // Under the character limit, above the token limit once the router counts the tokens.
    const distinct = Array.from({ length: Math.ceil(maxPromptTokens * 0.8) }, (_, j) => `w${j * 7 + i}q`).join(' ');
    bad('prompt_counted_over_token_limit', 'route', 'oversized_prompt', { prompt: distinct.slice(0, maxPromptChars) });
  }
  for (let i = 0; i < n(20); i++) {
    // Declared tokens within the prompt limit but above every model's batch bound.
    bad('larger_than_any_batch', 'route', 'no_feasible_model', { promptTokens: int(maxBatchTokens + 1, maxPromptTokens) });
  }

  // ---- valid edge cases: routed ---------------------------------------------------------------
  for (let i = 0; i < n(600); i++) good('plain');
  for (let i = 0; i < n(100); i++) {
    const text = VALID_UNICODE[i % VALID_UNICODE.length]!;
    good('unicode_prompt', { prompt: `${text} ${sentence()}`, metadata: { note: text } });
  }
  for (let i = 0; i < n(30); i++) {
    // Ids keep any well-formed text but NUL: RTL overrides, emoji, combining marks.
    const text = VALID_UNICODE[i % VALID_UNICODE.length]!.replace(/\u0000/g, '');
    good('unicode_ids', { requestId: `${o.prefix}-u${i}-${text}`, tenant: `${o.prefix}-${text}` });
  }
  for (let i = 0; i < n(40); i++) {
    const sql = SQL_PAYLOADS[i % SQL_PAYLOADS.length]!;
    const over: Partial<RequestV3>[] = [
      { metadata: { [sql]: sql, note: sql } },
      { tenant: `${o.prefix}-${sql}` },
      { jobId: `${goodJob}-${sql}` },
      { requestId: `${o.prefix}-s${i}-${sql}` },
      { prompt: sql },
    ];
    good('sql_looking_text', over[i % over.length]!);
  }
  for (let i = 0; i < n(20); i++) good('empty_key', {}, Buffer.alloc(0));
  for (let i = 0; i < n(20); i++) good('null_key', {}, null);
  for (let i = 0; i < n(30); i++) good('embedding_only', { prompt: null, embedding: vector(dim) });
  for (let i = 0; i < n(20); i++) good('huge_max_output_tokens', { maxOutputTokens: pick([2 ** 31 - 1, 1e9, 65_536]) });
  for (let i = 0; i < n(20); i++) good('zero_prompt_tokens', { promptTokens: 0 });
  for (let i = 0; i < n(20); i++) good('extreme_priority', { priority: pick([2 ** 31 - 1, -(2 ** 31)]) });
  // Blank prompts are refused by submit and dead-lettered by the router: one rule for both.
  for (let i = 0; i < n(20); i++) bad('blank_prompt', 'validate', 'invalid_field', { prompt: pick(['', ' ', '\t\n', '\u00a0\u3000']) });
  for (let i = 0; i < n(20); i++) good('prompt_with_surrounding_whitespace', { prompt: ` \n${sentence()}\t ` });
  for (let i = 0; i < n(20); i++) good('future_deadline', { deadline: o.nowMs + 86_400_000 });
  for (let i = 0; i < n(20); i++) good('allowed_models_mixed', { allowedModels: [pick(models), 'no-such-model'] });
  for (let i = 0; i < n(20); i++) good('many_metadata_keys', { metadata: Object.fromEntries(Array.from({ length: 200 }, (_, j) => [`k${j}`, `v${j}`])) });
  for (let i = 0; i < n(5); i++) good('long_valid_prompt', { prompt: `${sentence()} `.repeat(60).slice(0, Math.min(maxPromptChars, maxBatchTokens)) });
  for (let i = 0; i < n(20); i++) {
    // An older writer schema that resolves to the current Request: valid.
    seq += 1;
    const r = base();
    const v = { requestId: r.requestId, jobId: r.jobId, tenant: r.tenant, prompt: r.prompt, maxOutputTokens: r.maxOutputTokens, submittedAt: r.submittedAt };
    const decoded: RequestV3 = { ...r, priority: 0, metadata: {} };
    add('older_writer_schema', Buffer.from(r.requestId), encodeWire(o.schemaIds.requestMinimal, writer.requestMinimal.toBuffer(v)), { kind: 'routed' }, decoded);
  }

  // Shuffle (Fisher-Yates, seeded) so bad events sit between good ones in every slice.
  for (let i = events.length - 1; i > 0; i--) {
    const j = int(0, i);
    [events[i], events[j]] = [events[j]!, events[i]!];
  }
  return events;
}

/** Counts per class and expectation, for reports. */
export function summarize(events: readonly FuzzEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) {
    const k = `${e.cls} -> ${e.expect.kind === 'routed' ? 'routed' : e.expect.reason}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/**
 * Events the producer must send in ONE call to ONE partition (same key): a large undecodable
 * record and many small ones, `totalBytes` in all (a produce batch the topic accepts). Their
 * dead letters are larger than they are (each wraps the original bytes in an envelope), so
 * written as one batch they would exceed the limit the input batch met.
 */
export function packedBatch(o: { readonly prefix: string; readonly totalBytes: number; readonly small?: number }): FuzzEvent[] {
  const key = Buffer.from(`${o.prefix}-packed`);
  const nSmall = o.small ?? 200;
  const smallEvents: FuzzEvent[] = Array.from({ length: nSmall }, (_, i) => ({
    id: `${o.prefix}-p${i + 1}`,
    cls: 'packed_small_garbage',
    key,
    value: Buffer.from(`\u0001small-${i}`),
    expect: { kind: 'dead', stage: 'decode', reason: 'undecodable' },
    request: null,
  }));
  // Leave room for the small records and every record's framing within totalBytes.
  const large = Buffer.alloc(Math.max(1, o.totalBytes - nSmall * 100), 0x41);
  large[0] = 0x01;
  return [{ id: `${o.prefix}-p0`, cls: 'packed_large_garbage', key, value: large, expect: { kind: 'dead', stage: 'decode', reason: 'undecodable' }, request: null }, ...smallEvents];
}

/**
 * One undecodable record as large as the topic takes (`valueBytes`, sent alone): its dead letter
 * cannot also hold its bytes within the limit, so it must arrive without them, saying where they are.
 */
export function atTopicLimit(o: { readonly prefix: string; readonly valueBytes: number }): FuzzEvent {
  const value = Buffer.alloc(o.valueBytes, 0x42);
  value[0] = 0x7f;
  return { id: `${o.prefix}-limit`, cls: 'record_at_topic_limit', key: Buffer.from(`${o.prefix}-limit`), value, expect: { kind: 'dead', stage: 'decode', reason: 'undecodable' }, request: null, originalKept: false };
}

/**
 * Events on the deferred topic, which only the router writes but which it reads like any input:
 * garbage, deferred requests that break today's rules (NUL or empty ids), and valid ones due now.
 */
export function deferredTopicEvents(o: { readonly prefix: string; readonly nowMs: number; readonly deferredSchemaId: number }): FuzzEvent[] {
  const type = contracts.deferred.type;
  const out: FuzzEvent[] = [];
  const deferred = (cls: string, request: RequestV3, expect: Expectation): void => {
    const value = encodeWire(o.deferredSchemaId, type.toBuffer({ request, deferUntil: o.nowMs - 1_000, reason: 'rate_limited', detail: null, attempts: 1, deferredAt: o.nowMs - 61_000 }));
    out.push({ id: `${o.prefix}-d${out.length}`, cls, key: Buffer.from(`${o.prefix}-dk${out.length}`), value, expect, request, topic: 'deferred' });
  };
  const request = (i: number, over: Partial<RequestV3> = {}): RequestV3 => ({
    requestId: `${o.prefix}-dr${i}`, jobId: `${o.prefix}-job`, tenant: `${o.prefix}-t0`, prompt: `deferred request ${i}`, embedding: null, promptTokens: null,
    maxOutputTokens: 32, priority: 0, deadline: null, allowedModels: null, metadata: {}, submittedAt: o.nowMs - 61_000, customId: null, body: null, ...over,
  });
  for (let i = 0; i < 10; i++) {
    out.push({ id: `${o.prefix}-d${out.length}`, cls: 'deferred_garbage', key: Buffer.from(`${o.prefix}-dk${out.length}`), value: Buffer.from(`\u0003deferred-garbage-${i}`), expect: { kind: 'dead', stage: 'decode', reason: 'undecodable' }, request: null, topic: 'deferred' });
  }
  for (let i = 0; i < 5; i++) deferred('deferred_nul_in_id', request(100 + i, { requestId: `${o.prefix}-dr${100 + i}\u0000x`, jobId: `${o.prefix}-badjob` }), { kind: 'dead', stage: 'validate', reason: 'invalid_field' });
  for (let i = 0; i < 5; i++) deferred('deferred_empty_tenant', request(200 + i, { tenant: '', jobId: `${o.prefix}-badjob` }), { kind: 'dead', stage: 'validate', reason: 'invalid_field' });
  for (let i = 0; i < 5; i++) deferred('deferred_due', request(300 + i), { kind: 'routed' });
  return out;
}
