import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectJsonlFormat, formatOfLine } from '../../src/source/detect.ts';
import { openJobSource } from '../../src/source/open.ts';

describe('formatOfLine', () => {
  it.each([
    ['{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{}}', 'openai'],
    ['{"custom_id":"a","params":{"max_tokens":1}}', 'anthropic'],
    ['{"prompt":"hi"}', 'jsonl'],
    ['{"custom_id":"a","prompt":"hi"}', 'jsonl'],
    ['not json', 'jsonl'],
    ['\ufeff{"custom_id":"a","params":{}}', 'anthropic'],
  ])('%s is %s', (text, format) => {
    expect(formatOfLine(text)).toBe(format);
  });
});

describe('detectJsonlFormat / openJobSource', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('looks at the first non-blank line; an explicit --format is not second-guessed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'detect-'));
    dirs.push(dir);
    const file = join(dir, 'batch.jsonl');
    await writeFile(file, '\n\n{"custom_id":"a","params":{"max_tokens":5,"messages":[]}}\n{"prompt":"x"}\n');
    expect(await detectJsonlFormat(file)).toBe('anthropic');
    expect((await openJobSource(file)).format).toBe('anthropic');
    expect((await openJobSource(file, 'jsonl')).format).toBe('jsonl');
    const empty = join(dir, 'empty.jsonl');
    await writeFile(empty, '');
    expect((await openJobSource(empty)).format).toBe('jsonl');
  });
});
