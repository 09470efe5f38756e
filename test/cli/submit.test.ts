// `switchyard submit` against the real stack: a small JSONL job with bad lines mixed in.
// Checked on what a read_committed consumer of the requests topic sees and on Postgres:
// - bad lines are reported with their line numbers and stored, the good ones go on;
// - every good line is produced exactly once, with the id derived from job id + line number;
// - running the same job again sends nothing; forcing it sends the same ids again, none new.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import { AvroSerde, contracts, createRegistryClient } from '@switchyard/contracts';
import type { RequestV1 } from '@switchyard/contracts';
import { runSubmit } from '@switchyard/cli';
import type { SubmitCommandOptions } from '@switchyard/cli';
import { createKafka, deleteSubject, eventually, stack, uniqueName, withClient } from '../support/index.ts';

const GOOD_LINES = [1, 2, 4, 7, 9, 10];
const BAD_LINES = new Map<number, string>([
  [3, 'not valid JSON'],
  [5, 'prompt: must not be empty'],
  [6, 'unknown field maxOutputTokns'],
  [8, 'maxOutputTokens'],
  [11, 'must be a JSON object'],
]);

function jobText(): string {
  const lines: string[] = [];
  for (let n = 1; n <= 11; n++) {
    if (GOOD_LINES.includes(n)) lines.push(JSON.stringify({ prompt: `question ${n}`, metadata: { n: String(n) }, ...(n === 4 ? { maxOutputTokens: 64 } : {}) }));
    else if (n === 3) lines.push('{"prompt": "truncated');
    else if (n === 5) lines.push(JSON.stringify({ prompt: '' }));
    else if (n === 6) lines.push(JSON.stringify({ prompt: 'typo', maxOutputTokns: 5 }));
    else if (n === 8) lines.push(JSON.stringify({ prompt: 'neg', maxOutputTokens: -1 }));
    else if (n === 11) lines.push('[1, 2]');
  }
  return `${lines.join('\n')}\n`;
}

describe('switchyard submit', () => {
  const prefix = uniqueName('cli');
  const topic = `${prefix}.requests`;
  const tenant = `${prefix}-tenant`;
  const jobId = `${prefix}-job`;
  let dir: string;
  let file: string;
  let kafka: Kafka;
  let admin: Admin;
  const consumers: Consumer[] = [];

  function options(over: Partial<SubmitCommandOptions> = {}): { opts: SubmitCommandOptions; err: () => string } {
    const info = stack();
    const stderr = new PassThrough();
    let text = '';
    stderr.on('data', (c: Buffer) => (text += c.toString('utf8')));
    return {
      opts: {
        file,
        jobId,
        tenant,
        topic,
        partitions: 3,
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
        ...over,
      },
      err: () => text,
    };
  }

  /** Every request id in the topic (read_committed, from the start), with how often it appears. */
  async function readAll(expected: number): Promise<Map<string, RequestV1[]>> {
    const serde = await AvroSerde.forTopic(createRegistryClient({ url: stack().registryUrl }), topic, contracts.request, { autoRegister: false });
    const seen = new Map<string, RequestV1[]>();
    let total = 0;
    const consumer = kafka.consumer({ groupId: uniqueName(`${prefix}-read`) });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const decoded = await serde.decode(message.value);
        if (!decoded.ok) throw new Error(`undecodable record: ${decoded.detail}`);
        expect(message.key?.toString('utf8')).toBe(decoded.value.requestId);
        const list = seen.get(decoded.value.requestId) ?? [];
        list.push(decoded.value);
        seen.set(decoded.value.requestId, list);
        total += 1;
      },
    });
    await eventually(`${expected} records in ${topic}`, () => total >= expected, 60_000);
    // Nothing beyond the expected count arrives (a duplicate would show up here).
    await new Promise((r) => setTimeout(r, 1_500));
    await consumer.disconnect();
    expect(total).toBe(expected);
    return seen;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-cli-'));
    file = join(dir, 'job.jsonl');
    await writeFile(file, jobText());
    kafka = createKafka(prefix);
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    for (const c of consumers) await c.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    await deleteSubject(stack(), `${topic}-value`).catch(() => undefined);
    await withClient(stack().adminUrl, async (c) => {
      await c.query('DELETE FROM switchyard.jobs WHERE job_id LIKE $1', [`${prefix}%`]);
    });
    await rm(dir, { recursive: true, force: true });
  });

  it('reports bad lines by number, produces each good line once, and records the job', async () => {
    const deadlineMs = Date.parse('2030-01-02T03:04:05Z');
    const { opts, err } = options({ budgetUsd: 12.5, deadlineMs });
    // Written zstd-compressed; every consumer of the project reads it back (readAll).
    const result = await runSubmit({ ...opts, compression: 'zstd' });
    expect(result).toMatchObject({ kind: 'submitted', jobId, attempt: 'new', linesRead: 11, produced: GOOD_LINES.length, bad: BAD_LINES.size });
    for (const [line, reason] of BAD_LINES) expect(err()).toMatch(new RegExp(`line ${line}: .*${reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));

    const seen = await readAll(GOOD_LINES.length);
    expect([...seen.keys()].sort()).toEqual(GOOD_LINES.map((n) => `${jobId}-L${n}`).sort());
    const r4 = seen.get(`${jobId}-L4`)![0]!;
    expect(r4).toMatchObject({ jobId, tenant, prompt: 'question 4', maxOutputTokens: 64, metadata: { n: '4', line: '4' } });
    expect(seen.get(`${jobId}-L1`)![0]!.maxOutputTokens).toBe(256);

    await withClient(stack().adminUrl, async (c) => {
      const job = await c.query('SELECT tenant, topic, status, attempts, lines_read, lines_produced, lines_rejected FROM switchyard.jobs WHERE job_id = $1', [jobId]);
      expect(job.rows).toEqual([{ tenant, topic, status: 'submitted', attempts: 1, lines_read: '11', lines_produced: '6', lines_rejected: '5' }]);
      const budget = await c.query<{ budget_usd: number; deadline_at: Date }>('SELECT budget_usd, deadline_at FROM switchyard.jobs WHERE job_id = $1', [jobId]);
      expect(budget.rows[0]!.budget_usd).toBe(12.5);
      expect(budget.rows[0]!.deadline_at.getTime()).toBe(deadlineMs);
      const bad = await c.query('SELECT line_no FROM switchyard.job_bad_lines WHERE job_id = $1 ORDER BY line_no', [jobId]);
      expect(bad.rows.map((r: { line_no: string }) => Number(r.line_no))).toEqual([...BAD_LINES.keys()]);
    });
  });

  it('sends nothing when the same job is run again, and only the same ids when forced', async () => {
    const again = await runSubmit(options().opts);
    expect(again).toEqual({ kind: 'already_submitted', jobId, produced: GOOD_LINES.length });

    const forced = await runSubmit(options({ force: true }).opts);
    expect(forced).toMatchObject({ kind: 'submitted', attempt: 'resubmitted', produced: GOOD_LINES.length });
    const seen = await readAll(2 * GOOD_LINES.length);
    expect([...seen.keys()].sort()).toEqual(GOOD_LINES.map((n) => `${jobId}-L${n}`).sort());
    for (const copies of seen.values()) expect(copies).toHaveLength(2);

    await withClient(stack().adminUrl, async (c) => {
      const job = await c.query('SELECT status, attempts FROM switchyard.jobs WHERE job_id = $1', [jobId]);
      expect(job.rows).toEqual([{ status: 'submitted', attempts: 2 }]);
    });
  });

  it('refuses the same job id for another tenant', async () => {
    await expect(runSubmit(options({ tenant: `${tenant}-other` }).opts)).rejects.toMatchObject({ code: 'job_conflict' });
  });
});
