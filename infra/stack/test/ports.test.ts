// A port held by something that is not our component must fail fast with port_in_use, before
// any download or JVM start, and name the port.
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStackConfig } from '../config.ts';
import { ensureKafka } from '../kafka.ts';
import { layoutOf } from '../layout.ts';
import { ensureRegistry } from '../registry.ts';

describe('a foreign process on a stack port', () => {
  let server: Server;
  const sockets = new Set<Socket>();
  let port: number;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'sy-stack-'));
    // Accepts connections and answers garbage: neither Kafka nor HTTP.
    server = createServer((socket) => {
      sockets.add(socket);
      // Probes hang up abruptly; a reset on this side is expected, not a failure.
      socket.on('error', () => undefined);
      socket.end('not a kafka broker\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((r) => server.close(r));
    await rm(stateDir, { recursive: true, force: true });
  });

  it('stops the Kafka start with port_in_use', async () => {
    const config = parseStackConfig({ stateDir, startTimeoutMs: 5_000, kafka: { port, controllerPort: port } });
    await expect(ensureKafka(config, layoutOf(config), () => undefined)).rejects.toMatchObject({
      code: 'port_in_use',
      message: expect.stringContaining(String(port)),
    });
  });

  it('stops the registry start with port_in_use', async () => {
    const config = parseStackConfig({ stateDir, startTimeoutMs: 5_000, registry: { port } });
    await expect(ensureRegistry(config, layoutOf(config), () => undefined)).rejects.toMatchObject({
      code: 'port_in_use',
      message: expect.stringContaining(String(port)),
    });
  });
});
