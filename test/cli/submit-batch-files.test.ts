// `switchyard submit` of provider batch files (OpenAI Batch, Anthropic Message Batches) against
// the real stack, the format told from the file's first line. Checked on what a read_committed
// consumer of the requests topic decodes with the latest Request schema and on Postgres:
// - each good line becomes one Request v2 carrying its custom_id and its body as written;
// - the routing text comes from the messages, max_tokens becomes maxOutputTokens, and a named
//   model is the only allowed one while "auto" is routed;
// - bad lines (wrong url, missing max_tokens, no text, a repeated custom_id) are reported by
//   line number and stored, and the job records its format.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer, Kafka } from 'kafkajs';
import { AvroSerde, contracts, createRegistryClient } from '@switchyard/contracts';
import type { RequestV2 } from '@switchyard/contracts';
import { runSubmit } from '@switchyard/cli';
import type { SubmitCommandOptions } from '@switchyard/cli';
import { createKafka, deleteSubject, eventually, stack, uniqueName, withClient } from '../support/index.ts';

const OPENAI_BODY = (n: number, model: string): Record<string, unknown> => ({
  model,
  messages: [
    { role: 'system', content: 'You answer in one word.' },
    { role: 'user', content: [{ type: 'text', text: `Capital of country ${n}?` }] },
  ],
  max_completion_tokens: 16 + n,
  temperature: 0,
});

function openAiFile(): { text: string; bodies: Map<string, string> } {
  const bodies = new Map<string, string>();
  const line = (id: string, body: Record<string, unknown>, url = '/v1/chat/completions'): string => {
    if (!bodies.has(id)) bodies.set(id, JSON.stringify(body));
    return JSON.stringify({ custom_id: id, method: 'POST', url, body });
  };
  const lines = [
    line('q-1', OPENAI_BODY(1, 'auto')), // 1
    line('q-2', OPENAI_BODY(2, 'gpt-4o-mini')), // 2
    line('q-3', OPENAI_BODY(3, 'auto'), '/v1/embeddings'), // 3: wrong url
    line('q-1', OPENAI_BODY(4, 'auto')), // 4: repeats line 1
    '{"custom_id": "q-5", "method": "POST"', // 5: not JSON
    line('q-6', { model: 'auto', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }] }), // 6: no text
    line('q-7', OPENAI_BODY(7, 'auto')), // 7
  ];
  return { text: `${lines.join('\n')}\n`, bodies };
}

function anthropicFile(): string {
  const lines = [
    JSON.stringify({ custom_id: 'a-1', params: { model: 'auto', max_tokens: 100, system: 'Be brief.', messages: [{ role: 'user', content: 'Name a prime.' }] } }),
    JSON.stringify({ custom_id: 'a-2', params: { model: 'claude-x', messages: [{ role: 'user', content: 'No max_tokens here.' }] } }), // 2: missing max_tokens
    JSON.stringify({ custom_id: 'a-3', params: { max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }, { role: 'user', content: 'Bye' }] } }),
  ];
  return `${lines.join('\n')}\n`;
}

describe('switchyard submit of provider batch files', () => {
  const prefix = uniqueName('cli-batch');
  const tenant = `${prefix}-tenant`;
  let dir: string;
  let kafka: Kafka;
  const consumers: Consumer[] = [];
  const topics: string[] = [];

  function options(file: string, topic: string, jobId: string): { opts: SubmitCommandOptions; err: () => string } {
    const info = stack();
    const stderr = new PassThrough();
    let text = '';
    stderr.on('data', (c: Buffer) => (text += c.toString('utf8')));
    topics.push(topic);
    return {
      opts: {
        file,
        jobId,
        tenant,
        topic,
        partitions: 2,
        replicationFactor: 1,
        maxOutputTokens: 256,
        priority: 0,
        force: false,
        progress: false,
        printBadLines: 20,
        keepBadLines: 1_000,
        chunkMessages: 2,
        endpoints: { kafkaBrokers: info.kafkaBrokers, registryUrl: info.registryUrl, postgresUrl: info.postgresUrl },
        stderr,
      },
      err: () => text,
    };
  }

  async function readAll(topic: string, expected: number): Promise<Map<string, RequestV2>> {
    const serde = await AvroSerde.forTopic(createRegistryClient({ url: stack().registryUrl }), topic, contracts.request, { autoRegister: false });
    const seen = new Map<string, RequestV2>();
    let total = 0;
    const consumer = kafka.consumer({ groupId: uniqueName(`${prefix}-read`) });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const decoded = await serde.decode(message.value);
        if (!decoded.ok) throw new Error(`undecodable record: ${decoded.detail}`);
        seen.set(decoded.value.requestId, decoded.value);
        total += 1;
      },
    });
    await eventually(`${expected} records in ${topic}`, () => total >= expected, 60_000);
    await new Promise((r) => setTimeout(r, 1_000));
    await consumer.disconnect();
    expect(total).toBe(expected);
    return seen;
  }

  async function jobRow(jobId: string): Promise<{ format: string; bad: number[] }> {
    return withClient(stack().adminUrl, async (c) => {
      const job = await c.query<{ source_format: string }>('SELECT source_format FROM switchyard.jobs WHERE job_id = $1', [jobId]);
      const bad = await c.query<{ line_no: string }>('SELECT line_no FROM switchyard.job_bad_lines WHERE job_id = $1 ORDER BY line_no', [jobId]);
      return { format: job.rows[0]!.source_format, bad: bad.rows.map((r) => Number(r.line_no)) };
    });
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-batch-'));
    kafka = createKafka(prefix);
  });

  afterAll(async () => {
    for (const c of consumers) await c.disconnect().catch(() => undefined);
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
    for (const t of topics) await deleteSubject(stack(), `${t}-value`).catch(() => undefined);
    await withClient(stack().adminUrl, async (c) => {
      await c.query('DELETE FROM switchyard.jobs WHERE job_id LIKE $1', [`${prefix}%`]);
    });
    await rm(dir, { recursive: true, force: true });
  });

  it('sends an OpenAI Batch file as Request v2 records with custom_id and body, bad lines by number', async () => {
    const { text, bodies } = openAiFile();
    const file = join(dir, 'openai.jsonl');
    await writeFile(file, text);
    const jobId = `${prefix}-openai`;
    const { opts, err } = options(file, `${prefix}.openai.requests`, jobId);
    const result = await runSubmit(opts);
    expect(result).toMatchObject({ kind: 'submitted', linesRead: 7, produced: 3, bad: 4 });
    expect(err()).toContain('line 3: url: must be "/v1/chat/completions"');
    expect(err()).toContain('line 4: custom_id "q-1" repeats line 1');
    expect(err()).toMatch(/line 5: not valid JSON/);
    expect(err()).toContain('line 6: body.messages: no text content');

    const seen = await readAll(opts.topic, 3);
    const r1 = seen.get(`${jobId}-L1`)!;
    expect(r1).toMatchObject({ customId: 'q-1', prompt: 'Capital of country 1?\n\nYou answer in one word.', maxOutputTokens: 17, allowedModels: null, metadata: { bodyFormat: 'openai.chat.completions', line: '1' } });
    expect(r1.body).toBe(bodies.get('q-1'));
    expect(seen.get(`${jobId}-L2`)).toMatchObject({ customId: 'q-2', allowedModels: ['gpt-4o-mini'], body: bodies.get('q-2') });
    expect(seen.get(`${jobId}-L7`)).toMatchObject({ customId: 'q-7', maxOutputTokens: 23 });
    expect(await jobRow(jobId)).toEqual({ format: 'openai', bad: [3, 4, 5, 6] });
  });

  it('sends an Anthropic Message Batches file the same way', async () => {
    const file = join(dir, 'anthropic.jsonl');
    await writeFile(file, anthropicFile());
    const jobId = `${prefix}-anthropic`;
    const { opts, err } = options(file, `${prefix}.anthropic.requests`, jobId);
    const result = await runSubmit(opts);
    expect(result).toMatchObject({ kind: 'submitted', linesRead: 3, produced: 2, bad: 1 });
    expect(err()).toContain('line 2: params.max_tokens: is required');

    const seen = await readAll(opts.topic, 2);
    expect(seen.get(`${jobId}-L1`)).toMatchObject({ customId: 'a-1', prompt: 'Name a prime.\n\nBe brief.', maxOutputTokens: 100, allowedModels: null, metadata: { bodyFormat: 'anthropic.messages' } });
    const r3 = seen.get(`${jobId}-L3`)!;
    expect(r3).toMatchObject({ customId: 'a-3', prompt: 'Bye\n\nHi\n\nHello', maxOutputTokens: 50 });
    expect(JSON.parse(r3.body!)).toEqual({ max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }, { role: 'user', content: 'Bye' }] });
    expect(await jobRow(jobId)).toEqual({ format: 'anthropic', bad: [2] });
  });
});
