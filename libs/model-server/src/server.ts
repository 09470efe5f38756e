// A local OpenAI-compatible chat-completions server (node:http on 127.0.0.1) for the demo and
// tests: POST /v1/chat/completions answers per model from an AnswerBook, with injected faults.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Answer, AnswerBook } from './answers.ts';
import { decideFault } from './faults.ts';
import type { Fault, FaultOptions } from './faults.ts';

export interface ModelServerOptions {
  readonly book: AnswerBook;
  readonly faults?: FaultOptions;
  /** Default 0: a free port. */
  readonly port?: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>` (else 401). */
  readonly apiKey?: string;
  readonly now?: () => number;
}

export interface ModelServerStats {
  /** Answers by kind: ok, down, hang, rate_limited, server_error, malformed, bad_request, unauthorized, unknown_model. */
  readonly byKind: Readonly<Record<string, number>>;
  /** Successful answers per model. */
  readonly okByModel: Readonly<Record<string, number>>;
}

export interface ModelServer {
  /** Base URL including /v1, e.g. http://127.0.0.1:41234/v1. */
  readonly baseUrl: string;
  stats(): ModelServerStats;
  /** Replaces the fault options (down periods keep counting from the server start). */
  setFaults(faults: FaultOptions): void;
  close(): Promise<void>;
}

// Bounded: a batch request holds one prompt; anything larger is a client bug.
const MAX_BODY_BYTES = 4 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        resolve(null);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

const apiError = (message: string, type: string) => ({ error: { message, type, param: null, code: null } });

/** The last user message as text: the prompt the dataset knows. */
function promptOf(messages: unknown): string | null {
  if (!Array.isArray(messages)) return null;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as { role?: unknown; content?: unknown };
    if (m?.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    if (Array.isArray(m.content)) {
      return m.content.map((b: { type?: unknown; text?: unknown }) => (b?.type === 'text' && typeof b.text === 'string' ? b.text : '')).join('\n');
    }
  }
  return null;
}

type Parsed =
  | { readonly ok: true; readonly model: string; readonly prompt: string; readonly text: string }
  | { readonly ok: false; readonly kind: string; readonly status: number; readonly message: string };

/** Route, key and body checks: what a real server refuses before looking at the model. */
async function parseRequest(req: IncomingMessage, apiKey: string | undefined): Promise<Parsed> {
  if (req.method !== 'POST' || req.url?.split('?')[0] !== '/v1/chat/completions') {
    return { ok: false, kind: 'not_found', status: 404, message: `no route ${req.method} ${req.url}` };
  }
  if (apiKey !== undefined && req.headers.authorization !== `Bearer ${apiKey}`) {
    return { ok: false, kind: 'unauthorized', status: 401, message: 'Incorrect API key provided' };
  }
  const text = await readBody(req);
  let body: { model?: unknown; messages?: unknown } | null;
  try {
    body = text === null ? null : (JSON.parse(text) as { model?: unknown; messages?: unknown } | null);
  } catch {
    body = null;
  }
  const prompt = promptOf(body?.messages);
  if (text === null || body === null || typeof body.model !== 'string' || prompt === null) {
    return { ok: false, kind: 'bad_request', status: 400, message: 'body must be JSON with a model and a user message' };
  }
  return { ok: true, model: body.model, prompt, text };
}

function completion(id: number, model: string, a: Answer, nowMs: number): unknown {
  return {
    id: `chatcmpl-local-${id}`,
    object: 'chat.completion',
    created: Math.floor(nowMs / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: a.text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: a.promptTokens, completion_tokens: a.completionTokens, total_tokens: a.promptTokens + a.completionTokens },
  };
}

/** Answers `fault`; a hang registers the response in `hanging` so close() can end it. */
function answerFault(res: ServerResponse, fault: Fault, hanging: Set<ServerResponse>): void {
  switch (fault.kind) {
    case 'down':
      send(res, 503, apiError('The model is overloaded or down', 'server_error'));
      return;
    case 'hang':
      // Kept open until the client aborts or the server closes.
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    case 'rate_limited':
      send(res, 429, apiError('Rate limit reached', 'requests'), { 'retry-after': fault.retryAfter });
      return;
    case 'server_error':
      send(res, fault.status, apiError('The server had an error while processing your request', 'server_error'));
      return;
    case 'malformed':
      send(res, 200, '{"id": "chatcmpl-broken", "choices": [{"message": ');
      return;
  }
}

export async function startModelServer(options: ModelServerOptions): Promise<ModelServer> {
  const now = options.now ?? Date.now;
  const startedAt = now();
  let faults: FaultOptions = options.faults ?? {};
  const attempts = new Map<string, number>();
  const byKind: Record<string, number> = {};
  const okByModel: Record<string, number> = {};
  const hanging = new Set<ServerResponse>();
  let sequence = 0;
  const count = (kind: string): void => {
    byKind[kind] = (byKind[kind] ?? 0) + 1;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = await parseRequest(req, options.apiKey);
    if (!parsed.ok) {
      count(parsed.kind);
      send(res, parsed.status, apiError(parsed.message, 'invalid_request_error'));
      return;
    }
    const { model, prompt, text } = parsed;
    if (!options.book.knows(model)) {
      count('unknown_model');
      send(res, 404, apiError(`The model ${model} does not exist`, 'invalid_request_error'));
      return;
    }
    const key = `${model}\u0000${text}`;
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);
    const fault = decideFault(faults, model, key, attempt, now() - startedAt, now());
    if (faults.latencyMs !== undefined && faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
    if (fault !== null) {
      count(fault.kind);
      answerFault(res, fault, hanging);
      return;
    }
    count('ok');
    okByModel[model] = (okByModel[model] ?? 0) + 1;
    sequence += 1;
    send(res, 200, completion(sequence, model, options.book.answer(model, prompt), now()));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      count('internal');
      if (!res.headersSent) send(res, 500, apiError(err instanceof Error ? err.message : String(err), 'server_error'));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    stats: () => ({ byKind: { ...byKind }, okByModel: { ...okByModel } }),
    setFaults: (f) => {
      faults = f;
    },
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
