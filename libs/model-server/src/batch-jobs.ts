// The OpenAI Batch API's state, in memory: uploaded files and batches, and the processing of
// a batch line by line in the background (validating -> in_progress -> finalizing ->
// completed; failed when the input is invalid; expired or cancelled part-way, the lines not
// reached then ending as `batch_expired` / `batch_cancelled` in the error file). Field names
// follow the OpenAI reference (Batch object, request output lines). Each line is answered as
// the same chat-completions request sent alone would be (answers, usage, a model's down time);
// batch faults make lines fail, go missing from both files, or the batch expire.
import type { AnswerBook } from './answers.ts';
import { chatRequestOf, completion } from './chat.ts';
import { draw, permanentFault } from './faults.ts';
import type { FaultOptions } from './faults.ts';

export type BatchStatus = 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';

export interface StoredFile {
  readonly id: string;
  readonly bytes: Buffer;
  readonly filename: string;
  readonly purpose: string;
  readonly createdAt: number;
}

interface InputLine {
  readonly customId: string;
  readonly body: unknown;
}

interface Batch {
  readonly id: string;
  readonly inputFileId: string;
  readonly endpoint: string;
  readonly completionWindow: string;
  readonly metadata: Record<string, string> | null;
  readonly createdAt: number;
  status: BatchStatus;
  /** Unix seconds of each status reached (in_progress_at, completed_at, ...). */
  readonly at: Partial<Record<string, number>>;
  errors: Array<{ code: string; message: string; param: string | null; line: number | null }> | null;
  counts: { total: number; completed: number; failed: number };
  outputFileId: string | null;
  errorFileId: string | null;
  cancelRequested: boolean;
}

export interface BatchJobsOptions {
  readonly book: AnswerBook;
  readonly faults: () => FaultOptions;
  readonly now: () => number;
  readonly startedAt: number;
  readonly count: (kind: string) => void;
}

const seconds = (ms: number): number => Math.floor(ms / 1000);
const TERMINAL: ReadonlySet<BatchStatus> = new Set(['failed', 'completed', 'expired', 'cancelled']);
export const isTerminal = (s: BatchStatus): boolean => TERMINAL.has(s);

/** Parses and checks the input file as the provider's validation step does; a problem fails the whole batch. */
function validate(file: StoredFile | undefined, endpoint: string): { lines: InputLine[] } | { problem: { code: string; message: string; line: number | null } } {
  if (file === undefined) return { problem: { code: 'invalid_file', message: 'input file not found', line: null } };
  const lines: InputLine[] = [];
  const seen = new Set<string>();
  const text = file.bytes.toString('utf8').split('\n');
  for (const [i, raw] of text.entries()) {
    if (raw.trim() === '') continue;
    const line = i + 1;
    let parsed: { custom_id?: unknown; method?: unknown; url?: unknown; body?: unknown };
    try {
      parsed = JSON.parse(raw) as typeof parsed;
    } catch {
      return { problem: { code: 'invalid_json_line', message: 'This line is not parseable as valid JSON.', line } };
    }
    if (typeof parsed.custom_id !== 'string' || parsed.custom_id === '') return { problem: { code: 'missing_required_parameter', message: 'custom_id is required', line } };
    if (parsed.method !== 'POST') return { problem: { code: 'invalid_method', message: 'method must be POST', line } };
    if (parsed.url !== endpoint) return { problem: { code: 'mismatched_endpoint', message: `url ${String(parsed.url)} does not match the batch endpoint ${endpoint}`, line } };
    if (typeof parsed.body !== 'object' || parsed.body === null) return { problem: { code: 'missing_required_parameter', message: 'body must be an object', line } };
    if (seen.has(parsed.custom_id)) return { problem: { code: 'duplicate_custom_id', message: `custom_id ${parsed.custom_id} is not unique`, line } };
    seen.add(parsed.custom_id);
    lines.push({ customId: parsed.custom_id, body: parsed.body });
  }
  if (lines.length === 0) return { problem: { code: 'empty_file', message: 'the input file has no requests', line: null } };
  return { lines };
}

const pause = (ms: number): Promise<void> => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : new Promise((r) => setImmediate(r)));

export class BatchJobs {
  readonly #o: BatchJobsOptions;
  readonly #files = new Map<string, StoredFile>();
  readonly #batches = new Map<string, Batch>();
  readonly #running = new Set<Promise<void>>();
  #seq = 0;
  #closed = false;

  constructor(options: BatchJobsOptions) {
    this.#o = options;
  }

  #id(prefix: string): string {
    this.#seq += 1;
    return `${prefix}${this.#seq.toString(36).padStart(6, '0')}`;
  }

  /** Every batch created, in order: id and metadata (tests check what was submitted, and how often). */
  created(): Array<{ readonly id: string; readonly metadata: Record<string, string> | null }> {
    return [...this.#batches.values()].map((b) => ({ id: b.id, metadata: b.metadata }));
  }

  addFile(bytes: Buffer, filename: string, purpose: string): StoredFile {
    const file = { id: this.#id('file-local'), bytes, filename, purpose, createdAt: seconds(this.#o.now()) };
    this.#files.set(file.id, file);
    return file;
  }

  file(id: string): StoredFile | undefined {
    return this.#files.get(id);
  }

  batch(id: string): unknown {
    const b = this.#batches.get(id);
    return b === undefined ? undefined : view(b);
  }

  create(inputFileId: string, endpoint: string, completionWindow: string, metadata: Record<string, string> | null): unknown {
    const b: Batch = {
      id: this.#id('batch_local'), inputFileId, endpoint, completionWindow, metadata, createdAt: seconds(this.#o.now()),
      status: 'validating', at: {}, errors: null, counts: { total: 0, completed: 0, failed: 0 }, outputFileId: null, errorFileId: null, cancelRequested: false,
    };
    this.#batches.set(b.id, b);
    // Tracked, and awaited by close(); a failure of the processor fails the batch, never the server.
    const run = this.#process(b).catch((err: unknown) => {
      this.#finish(b, 'failed', [], []);
      b.errors = [{ code: 'server_error', message: err instanceof Error ? err.message : String(err), param: null, line: null }];
    });
    this.#running.add(run);
    void run.finally(() => this.#running.delete(run));
    return view(b);
  }

  /** Asks a batch to stop: answered lines are kept, the others end as batch_cancelled. */
  cancel(id: string): { readonly ok: true; readonly batch: unknown } | { readonly ok: false; readonly status: number; readonly message: string } {
    const b = this.#batches.get(id);
    if (b === undefined) return { ok: false, status: 404, message: `No batch found with id '${id}'.` };
    if (b.status === 'cancelled' || b.status === 'cancelling') return { ok: true, batch: view(b) };
    if (isTerminal(b.status)) return { ok: false, status: 409, message: `Cannot cancel a batch with status '${b.status}'.` };
    b.cancelRequested = true;
    b.status = 'cancelling';
    b.at.cancelling_at = seconds(this.#o.now());
    return { ok: true, batch: view(b) };
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#running]);
  }

  async #process(b: Batch): Promise<void> {
    const faults = (): FaultOptions['batch'] => this.#o.faults().batch;
    await pause(faults()?.validatingMs ?? 0);
    const checked = validate(this.#files.get(b.inputFileId), b.endpoint);
    if ('problem' in checked) {
      b.errors = [{ ...checked.problem, param: null }];
      this.#finish(b, 'failed', [], []);
      return;
    }
    const { lines } = checked;
    b.counts.total = lines.length;
    if (!b.cancelRequested) {
      b.status = 'in_progress';
      b.at.in_progress_at = seconds(this.#o.now());
    }
    const output: string[] = [];
    const errors: string[] = [];
    let done = 0;
    for (const line of lines) {
      const expireAfter = faults()?.expireAfterLines;
      if (b.cancelRequested || this.#closed || (expireAfter !== undefined && done >= expireAfter)) break;
      await pause(faults()?.lineMs ?? 0);
      const answer = this.#answer(b, line);
      done += 1;
      if (answer === null) continue;
      (answer.status >= 200 && answer.status < 300 ? output : errors).push(JSON.stringify({ id: this.#id('batch_req_'), custom_id: line.customId, response: { status_code: answer.status, request_id: this.#id('req_'), body: answer.body }, error: null }));
      if (answer.status >= 200 && answer.status < 300) b.counts.completed += 1;
      else b.counts.failed += 1;
    }
    const ending: BatchStatus = done === lines.length ? 'completed' : b.cancelRequested || this.#closed ? 'cancelled' : 'expired';
    const code = ending === 'expired' ? 'batch_expired' : 'batch_cancelled';
    for (const line of lines.slice(done)) {
      this.#o.count(`batch_${code.slice(6)}`);
      errors.push(JSON.stringify({ id: this.#id('batch_req_'), custom_id: line.customId, response: null, error: { code, message: ending === 'expired' ? 'This request could not be executed before the completion window expired.' : 'The batch was cancelled before this request was executed.' } }));
      b.counts.failed += 1;
    }
    if (ending === 'completed') {
      b.status = 'finalizing';
      b.at.finalizing_at = seconds(this.#o.now());
    }
    this.#finish(b, ending, output, errors);
  }

  /** One line's answer, as the chat route would give it; null when a fault drops it from both files. */
  #answer(b: Batch, line: InputLine): { status: number; body: unknown } | null {
    const f = this.#o.faults();
    const key = `${line.customId}\u0000${JSON.stringify(line.body)}`;
    const chat = chatRequestOf(line.body);
    const fail = (status: number, kind: string, message: string, type: string) => {
      this.#o.count(`batch_${kind}`);
      return { status, body: { error: { message, type, param: null, code: null } } };
    };
    if (chat === null) return fail(400, 'bad_request', 'body must have a model and a user message', 'invalid_request_error');
    if (!this.#o.book.knows(chat.model)) return fail(404, 'unknown_model', `The model ${chat.model} does not exist`, 'invalid_request_error');
    const elapsed = this.#o.now() - this.#o.startedAt;
    if (f.down?.some((d) => d.model === chat.model && elapsed >= d.fromMs && elapsed < d.fromMs + d.forMs)) return fail(503, 'down', 'The model is overloaded or down', 'server_error');
    const permanent = permanentFault(f, chat.model, key);
    if (permanent !== null) return fail(permanent.status, 'permanent', 'The model does not exist or you do not have access to it', 'invalid_request_error');
    if (f.batch?.missing !== undefined && draw(key, 'batch_missing') < f.batch.missing.share) {
      this.#o.count('batch_missing');
      return null;
    }
    if (f.batch?.lineErrors !== undefined && draw(key, 'batch_line_error') < f.batch.lineErrors.share) {
      return fail(f.batch.lineErrors.status ?? 500, 'line_error', 'The server had an error while processing your request', 'server_error');
    }
    this.#o.count('batch_ok');
    return { status: 200, body: completion(this.#id('chatcmpl-batch-'), chat.model, this.#o.book.answer(chat.model, chat.prompt), this.#o.now()) };
  }

  #finish(b: Batch, status: BatchStatus, output: readonly string[], errors: readonly string[]): void {
    const jsonl = (rows: readonly string[]): Buffer => Buffer.from(rows.map((r) => `${r}\n`).join(''), 'utf8');
    // As the provider does: a file only when it has lines.
    if (output.length > 0) b.outputFileId = this.addFile(jsonl(output), `${b.id}_output.jsonl`, 'batch_output').id;
    if (errors.length > 0) b.errorFileId = this.addFile(jsonl(errors), `${b.id}_error.jsonl`, 'batch_output').id;
    b.status = status;
    b.at[`${status}_at`] = seconds(this.#o.now());
  }
}

function view(b: Batch): unknown {
  const at = (k: string): number | null => b.at[k] ?? null;
  return {
    id: b.id,
    object: 'batch',
    endpoint: b.endpoint,
    errors: b.errors === null ? null : { object: 'list', data: b.errors },
    input_file_id: b.inputFileId,
    completion_window: b.completionWindow,
    status: b.status,
    output_file_id: b.outputFileId,
    error_file_id: b.errorFileId,
    created_at: b.createdAt,
    in_progress_at: at('in_progress_at'),
    expires_at: b.createdAt + 24 * 3600,
    finalizing_at: at('finalizing_at'),
    completed_at: at('completed_at'),
    failed_at: at('failed_at'),
    expired_at: at('expired_at'),
    cancelling_at: at('cancelling_at'),
    cancelled_at: at('cancelled_at'),
    request_counts: { ...b.counts },
    metadata: b.metadata,
  };
}
