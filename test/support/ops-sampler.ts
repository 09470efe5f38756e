import type { Kafka } from 'kafkajs';
// Samples a router's ops endpoints while a test runs: the committed-transaction count from
// /metrics and the /readyz answer, with the time of each sample.
export interface OpsSample {
  readonly atMs: number;
  readonly committed: number | null;
  readonly readyStatus: number | null;
  readonly readyBody: unknown;
}

export async function committedTransactions(port: number): Promise<number | null> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => null);
  if (text === null) return null;
  const m = /^router_transactions_total\{result="committed"\} (\d+)/m.exec(text);
  return m === null ? 0 : Number(m[1]);
}

export class OpsSampler {
  readonly samples: OpsSample[] = [];
  #stopped = false;
  #loop: Promise<void> | null = null;

  constructor(private readonly port: number, private readonly everyMs = 100) {}

  start(): void {
    this.#loop = (async () => {
      while (!this.#stopped) {
        const atMs = Date.now();
        const [committed, ready] = await Promise.all([
          committedTransactions(this.port),
          fetch(`http://127.0.0.1:${this.port}/readyz`).then(async (r) => ({ status: r.status, body: (await r.json()) as unknown }), () => null),
        ]);
        this.samples.push({ atMs, committed, readyStatus: ready?.status ?? null, readyBody: ready?.body ?? null });
        await new Promise((r) => setTimeout(r, this.everyMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }

  /** First sample at or after `fromMs` whose committed count exceeds `count`. */
  firstCommitAfter(count: number, fromMs = 0): OpsSample | undefined {
    return this.samples.find((s) => s.atMs >= fromMs && s.committed !== null && s.committed > count);
  }
}

/**
 * Resolves with the time the broker first answers for consumer group `groupId` (its coordinator
 * loaded, so a member could join), trying every 200 ms: the moment a restarted broker is back
 * for the router, which the stack's own readiness check may notice only much later on a loaded
 * machine.
 */
export async function firstGroupAnswer(kafka: Kafka, groupId: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const admin = kafka.admin({ retry: { retries: 0 } });
    try {
      await admin.connect();
      await admin.describeGroups([groupId]);
      return Date.now();
    } catch {
      if (Date.now() > deadline) throw new Error(`the broker did not answer for group ${groupId} within ${timeoutMs} ms`);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
