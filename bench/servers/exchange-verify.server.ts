// The whole app as `sachsong serve` builds it (exchange, durable access log, everything), for load tests.
// argv: <sqlite file | postgres URL> <operator token> [checkpoint-worker | ''] [WAL checkpoint pages]
// `checkpoint-worker` (an experiment, SQLite only): turns off SQLite's automatic WAL checkpoints on
// the serving connection and runs a passive checkpoint every 200 ms from a worker thread with its own
// connection instead, so that copying the WAL back (and its fsync) never runs on the main thread.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { buildApp } from '../../src/http/app.js';
import { systemClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';
import { openDatabase } from '../../src/store/database.js';

const [location = '', token = '', mode = '', checkpointPages = ''] = process.argv.slice(2);
const database = location.startsWith('postgres') ? openDatabase({ databaseUrl: location, poolSize: 16 }) : openDatabase({ sqliteFile: location });
// bench --checkpoint-pages: the WAL threshold of this run (SQLite's default is 1,000 pages).
if (/^\d+$/.test(checkpointPages)) database.sqlite?.pragma(`wal_autocheckpoint = ${checkpointPages}`);
let checkpointer: Worker | undefined;
if (mode === 'checkpoint-worker' && database.sqlite !== undefined) {
  database.sqlite.pragma('wal_autocheckpoint = 0');
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  checkpointer = new Worker(`
    const { workerData } = require('node:worker_threads');
    const db = new (require(workerData.driver))(workerData.file);
    db.pragma('busy_timeout = 5000');
    setInterval(() => db.pragma('wal_checkpoint(PASSIVE)'), 200);
  `, { eval: true, workerData: { driver, file: location } });
  checkpointer.unref();
}
const app = await buildApp({ database, clock: systemClock, operatorToken: token, logger: createLogger('warn') });
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${address}\n`);
process.once('SIGTERM', () => {
  void (checkpointer?.terminate() ?? Promise.resolve()).then(() => app.close()).then(() => database.close()).then(() => process.exit(0));
});
