// Operational endpoints every service exposes: /metrics (Prometheus text), /healthz (the
// process works), /readyz (the service says it is ready: consuming, not stopping, and no
// dependency failing for longer than ops.readyFailureMs).
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { DEPENDENCIES } from './dependency-health.ts';
import type { DependencyHealth } from './dependency-health.ts';

export interface Probe {
  readonly live: () => boolean;
  /** The service's own readiness: booted, consuming, not stopping. */
  readonly ready: () => boolean;
  /** Failure clocks of the service's dependencies; without them only `ready` decides. */
  readonly health?: DependencyHealth;
}

export interface ReadyReport {
  readonly ok: boolean;
  /** Every dependency failing now (not only those past readyFailureMs), longest first. */
  readonly failing: readonly { readonly dependency: string; readonly failingForMs: number; readonly failingSince: string; readonly error: string }[];
  readonly readyFailureMs?: number;
}

/** What /readyz answers: ready when the service says so and no dependency has failed for longer than readyFailureMs. */
export function readinessOf(probe: Probe): ReadyReport {
  const health = probe.health;
  if (health === undefined) return { ok: probe.ready(), failing: [] };
  const failing = health.failing().map((f) => ({ dependency: f.dependency, failingForMs: f.failingForMs, failingSince: new Date(f.failingSinceMs).toISOString(), error: f.lastError }));
  return { ok: probe.ready() && health.ready(), failing, readyFailureMs: health.readyFailureMs };
}

/**
 * switchyard_ready (1/0, what /readyz says) and switchyard_dependency_failing_seconds (0 while
 * healthy): alert rules and dashboards are written against these names.
 */
function registerReadinessMetrics(registry: Registry, probe: Probe): void {
  new Gauge({
    name: 'switchyard_ready',
    help: '1 while /readyz answers 200: the service is running and no dependency has been failing for longer than ops.readyFailureMs.',
    registers: [registry],
    collect() {
      this.set(readinessOf(probe).ok ? 1 : 0);
    },
  });
  const health = probe.health;
  if (health === undefined) return;
  new Gauge({
    name: 'switchyard_dependency_failing_seconds',
    help: 'How long each dependency (kafka, registry, postgres) has been failing with no success in between; 0 while healthy.',
    labelNames: ['dependency'],
    registers: [registry],
    collect() {
      for (const dependency of DEPENDENCIES) this.set({ dependency }, health.failingSeconds(dependency));
    },
  });
}

export interface OpsServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Serves the endpoints and adds the readiness gauges to `registry` (one ops server per registry). */
export async function startOpsServer(host: string, port: number, registry: Registry, probe: Probe): Promise<OpsServer> {
  registerReadinessMetrics(registry, probe);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    if (path === '/metrics') {
      registry
        .metrics()
        .then((body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body))
        .catch((err: unknown) => res.writeHead(500).end(String(err)));
      return;
    }
    if (path === '/healthz') {
      const ok = probe.live();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ok }));
      return;
    }
    if (path === '/readyz') {
      const report = readinessOf(probe);
      res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(report));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
