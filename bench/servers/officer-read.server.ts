// The registry API as `sachsong serve` builds it (the access log in its own SQLite file beside the
// registry's, batches on its writer thread), for the officer-read bench.
// argv: <sqlite file | postgres URL> <access log file (SQLite only)> [no-record: reads recorded nowhere, to size the record's share]
import { openAccessLogStore } from '../../src/audit/access-log.store.js';
import { buildApp } from '../../src/http/app.js';
import { systemClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';
import { openDatabase } from '../../src/store/database.js';

const [location = '', logFile = '', variant = ''] = process.argv.slice(2);
const database = location.startsWith('postgres') ? openDatabase({ databaseUrl: location, poolSize: 16 }) : openDatabase({ sqliteFile: location });
const accessLogStore = await openAccessLogStore(database, location.startsWith('postgres') ? undefined : logFile);
const app = await buildApp({ database, accessLogStore, clock: systemClock, operatorToken: 'bench-operator-token-0123456789abcdef', logger: createLogger('warn'), ...(variant === 'no-record' ? { officialReads: { record: () => Promise.resolve() } } : {}) });
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${address}\n`);
process.once('SIGTERM', () => {
  void app.close().then(() => accessLogStore.close()).then(() => process.exit(0));
});
