// The metric names the services export, read from their sources, so rules and dashboards can be
// checked against them: a rule on a metric nobody exports never fires and nothing says so.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { repoRoot } from '@switchyard/stack';

const PREFIXES = ['router_', 'outcome_recorder_', 'switchyard_'];
const NAME = new RegExp(`\\b((?:${PREFIXES.join('|')})[a-z0-9_]*[a-z0-9])\\b`, 'g');
const QUOTED = new RegExp(`'((?:${PREFIXES.join('|')})[a-z0-9_]+)'`, 'g');

/** Not registered in this code base: `up` is Prometheus' own per target. */
const EXTERNAL = ['up'];

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
}

/** Names registered by libs/*\/src and services/*\/src, the router's default process metrics, and EXTERNAL. */
export async function registeredMetricNames(): Promise<Set<string>> {
  const known = new Set(EXTERNAL);
  for (const top of ['libs', 'services']) {
    for (const pkg of await readdir(join(repoRoot, top))) {
      for (const file of await sourceFiles(join(repoRoot, top, pkg, 'src'))) {
        for (const m of (await readFile(file, 'utf8')).matchAll(QUOTED)) known.add(m[1]!);
      }
    }
  }
  // The router registers Node's process metrics under its prefix (services/router/src/metrics.ts).
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'router_' });
  for (const m of await registry.getMetricsAsJSON()) known.add(m.name);
  return known;
}

/** Metric names a PromQL text (a rule file, a dashboard) uses; histogram series map to their metric. */
export function metricNamesIn(text: string): Set<string> {
  const used = new Set<string>();
  for (const m of text.matchAll(NAME)) used.add(m[1]!.replace(/_(bucket|sum|count)$/, ''));
  if (/\bup\{/.test(text)) used.add('up');
  return used;
}
