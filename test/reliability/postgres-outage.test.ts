// Postgres unreachable for 30 s in the middle of a job: the router reaches Postgres through a
// TCP proxy that resets every connection and refuses new ones for 30 s. The router must stay
// up, keep its memory bounded, resume by itself once Postgres answers again, and end with
// the same exactly-once invariants as without the outage.
import { describe, expect, it } from 'vitest';
import { stack } from '../support/index.ts';
import { reliabilityJob } from '../support/reliability-job.ts';
import { RouterProcesses, rssKiB, waitFor } from '../support/router-job.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';

const N = 40_000;
const OUTAGE_MS = 30_000;
/** Generous: the router idles at a few hundred MiB; an unbounded buffer of a stalled job would pass it. */
const RSS_BOUND_KIB = 1_536 * 1024;

describe('reliability: Postgres unreachable for 30 s mid-job', () => {
  const rel = reliabilityJob('rel-pg');
  let proxy: TcpProxy | null = null;

  it('backs off, stays up with bounded memory, resumes by itself and loses nothing', { timeout: 300_000 }, async () => {
    const info = stack();
    const pgUrl = new URL(info.postgresUrl);
    proxy = await TcpProxy.start({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
    rel.onClose(async () => proxy?.close());
    const viaProxy = new URL(info.postgresUrl);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    await rel.open();
    const configFile = await rel.routerConfig('pg-outage', { postgresUrl: viaProxy.toString() });
    const job = await rel.produce(N, 9);
    const reader = await rel.reader();

    const child = rel.startRouter(configFile, 'router');
    const pid = child.pid!;
    await waitFor('a quarter of the job routed before the outage', () => reader.finished(), N / 4, 120_000);
    const rssBefore = await rssKiB(pid);

    proxy.cut();
    const cutAt = Date.now();
    const atCut = reader.finished();
    let rssMax = rssBefore;
    while (Date.now() - cutAt < OUTAGE_MS) {
      await new Promise((r) => setTimeout(r, 500));
      expect(RouterProcesses.alive(child), 'router alive during the outage').toBe(true);
      rssMax = Math.max(rssMax, await rssKiB(pid));
    }
    const duringOutage = reader.finished() - atCut;
    proxy.restore();
    const restoredAt = Date.now();
    const atRestore = reader.finished();
    await waitFor('progress after Postgres came back', () => reader.finished(), atRestore + 1, 120_000);
    const resumeMs = Date.now() - restoredAt;

    await waitFor('every request routed or dead-lettered', async () => {
      rssMax = Math.max(rssMax, await rssKiB(pid));
      return reader.finished();
    }, N, 180_000);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(RouterProcesses.alive(child), 'the router never exited').toBe(true);
    const code = await RouterProcesses.stop(child, 'SIGTERM');
    expect(code).toBe(0);

    const report = await rel.check(reader, job);
    console.log(
      `[reliability postgres outage] ${OUTAGE_MS / 1000} s outage after ${atCut} requests; ${duringOutage} more committed during it; ` +
        `first progress ${resumeMs} ms after Postgres came back; connections refused while cut ${proxy.refused}; ` +
        `RSS before ${Math.round(rssBefore / 1024)} MiB, max ${Math.round(rssMax / 1024)} MiB; ` +
        `routed ${report.routed} in ${report.batches} batches, dead letters ${report.deadLetters}`,
    );
    expect(report.problems).toEqual([]);
    // The router did try Postgres while it was gone (it backed off rather than giving up).
    expect(proxy.refused).toBeGreaterThan(0);
    expect(rssMax).toBeLessThan(RSS_BOUND_KIB);
  });
});
