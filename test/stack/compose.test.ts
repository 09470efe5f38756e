// docker-compose.yml is for machines with a Docker engine; none runs here, but the compose CLI
// parses and validates the file without one. The Kafka settings must match the ones the
// stack CLI writes, so both ways of running the stack behave the same.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { kafkaServerProperties, parseStackConfig, repoRoot } from '@switchyard/stack';

const run = promisify(execFile);
const composeFile = join(repoRoot, 'docker-compose.yml');

/** `docker compose` (v2 plugin) or the standalone `docker-compose`, whichever parses here. */
async function findComposeCli(): Promise<{ cmd: string; args: string[] } | undefined> {
  for (const candidate of [
    { cmd: 'docker', args: ['compose'] },
    { cmd: 'docker-compose', args: [] },
  ]) {
    try {
      await run(candidate.cmd, [...candidate.args, 'version'], { timeout: 20_000 });
      return candidate;
    } catch {
      // Not installed (ENOENT) or `compose` is not a docker subcommand here: try the next.
    }
  }
  return undefined;
}

const cli = await findComposeCli();

describe('docker-compose.yml', () => {
  const title =
    cli === undefined
      ? 'is accepted by `compose config` [skipped: neither `docker compose` nor `docker-compose` is installed]'
      : `is accepted by \`${[cli.cmd, ...cli.args].join(' ')} config\` (no Docker engine needed)`;
  it.skipIf(cli === undefined)(title, async () => {
    const { cmd, args } = cli!;
    const { stdout } = await run(cmd, [...args, '-f', composeFile, 'config'], { timeout: 60_000 });
    for (const service of ['kafka:', 'registry:', 'postgres:', 'prometheus:', 'grafana:']) expect(stdout).toContain(service);
    for (const port of ['19092', '18081', '5432', '9090', '3000']) expect(stdout).toContain(port);
  });

  it('sets every broker property the stack CLI sets, to the same value', async () => {
    const text = await readFile(composeFile, 'utf8');
    const env = new Map<string, string>();
    for (const match of text.matchAll(/^\s+(KAFKA_[A-Z0-9_]+):\s*"([^"]*)"\s*$/gm)) env.set(match[1]!, match[2]!);
    // Listener addresses and the data path are container-specific by design.
    const containerSpecific = new Set(['listeners', 'controller.quorum.voters', 'log.dirs']);
    const props = kafkaServerProperties(parseStackConfig({}), '/unused')
      .trim()
      .split('\n')
      .map((line) => line.split(/=(.*)/s) as [string, string])
      .filter(([key]) => !containerSpecific.has(key));
    expect(props.length).toBeGreaterThan(20);
    for (const [key, value] of props) {
      // apache/kafka maps KAFKA_FOO_BAR to foo.bar.
      const name = `KAFKA_${key.toUpperCase().replace(/\./g, '_')}`;
      expect({ [name]: env.get(name) }).toEqual({ [name]: value });
    }
  });
});
