// Embedded Postgres for machines without a server: PGlite (Postgres compiled to wasm) served
// over the wire protocol so `pg` and `psql` connect to it like to any server. Started detached
// by the stack; stops on SIGTERM/SIGINT after closing the database cleanly.
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '15432' },
    'max-connections': { type: 'string', default: '32' },
  },
});
if (values.data === undefined) throw new Error('--data <dir> is required');

const db = await PGlite.create(values.data);
// Every client shares this one session, so the search_path a server would set per role
// (ALTER ROLE ... SET) is set once here instead.
await db.exec('SET search_path TO switchyard, public');
const server = new PGLiteSocketServer({
  db,
  host: values.host,
  port: Number(values.port),
  maxConnections: Number(values['max-connections']),
});
await server.start();
console.log(`pglite listening on ${values.host}:${values.port} data=${values.data}`);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`pglite stopping on ${signal}`);
  await server.stop();
  await db.close();
  process.exit(0);
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    shutdown(signal).catch((error: unknown) => {
      console.error('pglite shutdown failed', error);
      process.exit(1);
    });
  });
}
