// A local OpenAI-compatible server (node:http on 127.0.0.1) for the demo and tests:
// POST /v1/chat/completions answers per model from an AnswerBook, with injected faults; the
// Files and Batches routes (batch-routes.ts) answer whole batch files the same way.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AnswerBook } from './answers.ts';
import { chatRequestOf, completion } from './chat.ts';
import { batchRoutes } from './batch-routes.ts';
import { apiError, readBody, send } from './http.ts';
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
  /** Answers by kind: ok, down, hang, rate_limited, server_error, malformed, bad_request, unauthorized, unknown_model, not_found; batch lines as batch_<kind> (batch_ok, batch_line_error, batch_missing, batch_expired, batch_cancelled, ...). */
  readonly byKind: Readonly<Record<string, number>>;
  /** Successful answers per model. */
  readonly okByModel: Readonly<Record<string, number>>;
  /** Batches created through POST /v1/batches, in order, with the metadata they were given. */
  readonly batchesCreated: ReadonlyArray<{ readonly id: string; readonly metadata: Readonly<Record<string, string>> | null }>;
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

type Parsed =
  | { readonly ok: true; readonly model: string; readonly prompt: string; readonly text: string }
  | { readonly ok: false; readonly kind: string; readonly status: number; readonly message: string };

/** Body checks: what a real server refuses before looking at the model. */
async function parseRequest(req: IncomingMessage): Promise<Parsed> {
  const text = await readBody(req, MAX_BODY_BYTES);
  let chat: ReturnType<typeof chatRequestOf> = null;
  try {
    chat = text === null ? null : chatRequestOf(JSON.parse(text));
  } catch {
    chat = null;
  }
  if (text === null || chat === null) {
    return { ok: false, kind: 'bad_request', status: 400, message: 'body must be JSON with a model and a user message' };
  }
  return { ok: true, ...chat, text };
}

/** The OpenAI error body of a permanent fault: 404 reads as the model not existing. */
export function permanentError(status: number): ReturnType<typeof apiError> {
  return status === 404 ? apiError('The model does not exist or you do not have access to it', 'invalid_request_error', 'model_not_found') : apiError(`The request was refused (HTTP ${status})`, 'invalid_request_error');
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
    case 'permanent':
      send(res, fault.status, permanentError(fault.status));
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

  const batches = batchRoutes({ book: options.book, faults: () => faults, now, startedAt, count });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url?.split('?')[0] ?? '';
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      count('unauthorized');
      send(res, 401, apiError('Incorrect API key provided', 'invalid_request_error'));
      return;
    }
    if (await batches.handle(req, res, path)) return;
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      count('not_found');
      send(res, 404, apiError(`no route ${req.method} ${req.url}`, 'invalid_request_error'));
      return;
    }
    const parsed = await parseRequest(req);
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
    send(res, 200, completion(`chatcmpl-local-${sequence}`, model, options.book.answer(model, prompt), now()));
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
    stats: () => ({ byKind: { ...byKind }, okByModel: { ...okByModel }, batchesCreated: batches.created() }),
    setFaults: (f) => {
      faults = f;
    },
    close: async () => {
      for (const res of hanging) res.destroy();
      await batches.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
