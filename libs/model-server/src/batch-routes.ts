// The OpenAI Files and Batches routes of the local server: upload a JSONL file (multipart,
// purpose=batch), read it and its content back, create a batch over it, read and cancel the
// batch. The state and the processing live in batch-jobs.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BatchJobs } from './batch-jobs.ts';
import type { BatchJobsOptions, StoredFile } from './batch-jobs.ts';
import { apiError, readBody, readBytes, send } from './http.ts';

// A batch input file holds up to 50,000 requests at the provider; a local test needs far less.
const MAX_FILE_BYTES = 64 * 1024 * 1024;
const MAX_JSON_BYTES = 64 * 1024;

const fileObject = (f: StoredFile) => ({ id: f.id, object: 'file', bytes: f.bytes.length, created_at: f.createdAt, filename: f.filename, purpose: f.purpose, status: 'processed' });
const invalid = (res: ServerResponse, message: string, status = 400): void => send(res, status, apiError(message, 'invalid_request_error'));

async function upload(jobs: BatchJobs, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('multipart/form-data')) return invalid(res, 'files are uploaded as multipart/form-data');
  const bytes = await readBytes(req, MAX_FILE_BYTES);
  if (bytes === null) return invalid(res, `file larger than ${MAX_FILE_BYTES} bytes`, 413);
  let form: FormData;
  try {
    // undici's multipart parser, the one fetch uses for Response.formData().
    form = await new Response(bytes, { headers: { 'content-type': type } }).formData();
  } catch (err) {
    return invalid(res, `unreadable multipart body: ${err instanceof Error ? err.message : String(err)}`);
  }
  const purpose = form.get('purpose');
  const file = form.get('file');
  if (purpose !== 'batch') return invalid(res, `purpose must be batch, got ${String(purpose)}`);
  if (file === null || typeof file === 'string') return invalid(res, 'a file part named "file" is required');
  send(res, 200, fileObject(jobs.addFile(Buffer.from(await file.arrayBuffer()), file.name, purpose)));
}

async function createBatch(jobs: BatchJobs, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const text = await readBody(req, MAX_JSON_BYTES);
  let body: { input_file_id?: unknown; endpoint?: unknown; completion_window?: unknown; metadata?: unknown };
  try {
    body = JSON.parse(text ?? '') as typeof body;
  } catch {
    return invalid(res, 'body must be JSON');
  }
  if (typeof body.input_file_id !== 'string') return invalid(res, 'input_file_id is required');
  const file = jobs.file(body.input_file_id);
  if (file === undefined) return invalid(res, `No such File object: ${body.input_file_id}`, 404);
  if (file.purpose !== 'batch') return invalid(res, `file ${file.id} was not uploaded with purpose batch`);
  if (body.endpoint !== '/v1/chat/completions') return invalid(res, `endpoint ${String(body.endpoint)} is not supported here; use /v1/chat/completions`);
  if (body.completion_window !== '24h') return invalid(res, 'completion_window must be 24h');
  const metadata = typeof body.metadata === 'object' && body.metadata !== null ? (body.metadata as Record<string, string>) : null;
  send(res, 200, jobs.create(file.id, body.endpoint, body.completion_window, metadata));
}

/** Answers a Files or Batches route; false when the path is none of them. */
export interface BatchRoutes {
  handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean>;
  created(): ReturnType<BatchJobs['created']>;
  close(): Promise<void>;
}

export function batchRoutes(options: BatchJobsOptions): BatchRoutes {
  const jobs = new BatchJobs(options);
  async function handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const m = /^\/v1\/(files|batches)(?:\/([^/]+))?(?:\/(content|cancel))?$/.exec(path);
    if (m === null) return false;
    const [, kind, id, action] = m;
    const method = req.method ?? 'GET';
    if (kind === 'files' && id === undefined && method === 'POST') await upload(jobs, req, res);
    else if (kind === 'batches' && id === undefined && method === 'POST') await createBatch(jobs, req, res);
    else if (kind === 'files' && id !== undefined && method === 'GET') {
      const file = jobs.file(id);
      if (file === undefined) invalid(res, `No such File object: ${id}`, 404);
      else if (action === 'content') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(file.bytes);
      } else if (action === undefined) send(res, 200, fileObject(file));
      else return false;
    } else if (kind === 'batches' && id !== undefined && action === undefined && method === 'GET') {
      const batch = jobs.batch(id);
      if (batch === undefined) invalid(res, `No batch found with id '${id}'.`, 404);
      else send(res, 200, batch);
    } else if (kind === 'batches' && id !== undefined && action === 'cancel' && method === 'POST') {
      const r = jobs.cancel(id);
      if (r.ok) send(res, 200, r.batch);
      else invalid(res, r.message, r.status);
    } else return false;
    return true;
  }
  return { handle, created: () => jobs.created(), close: () => jobs.close() };
}
