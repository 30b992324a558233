// The registry API as `sachsong serve` builds it (the access log in its own SQLite file beside the
// registry's, batches on its writer thread), for the officer-read bench. It runs the compiled
// code under dist, as `sachsong serve` does: the bench compiles src first (bench/built-code.ts).
// argv: <sqlite file | postgres URL> <access log file (SQLite only)> [no-record: reads recorded nowhere, to size the record's share]
import type * as AccessLogStoreModule from '../../src/audit/access-log.store.js';
import type * as AppModule from '../../src/http/app.js';
import type * as ClockModule from '../../src/shared/clock.js';
import type * as LoggerModule from '../../src/shared/logger.js';
import type * as DatabaseModule from '../../src/store/database.js';
import { builtModule } from '../built-code.js';

const { openAccessLogStore } = (await import(builtModule('audit/access-log.store.js'))) as typeof AccessLogStoreModule;
const { buildApp } = (await import(builtModule('http/app.js'))) as typeof AppModule;
const { systemClock } = (await import(builtModule('shared/clock.js'))) as typeof ClockModule;
const { createLogger } = (await import(builtModule('shared/logger.js'))) as typeof LoggerModule;
const { openDatabase } = (await import(builtModule('store/database.js'))) as typeof DatabaseModule;

const [location = '', logFile = '', variant = ''] = process.argv.slice(2);
const database = location.startsWith('postgres') ? openDatabase({ databaseUrl: location, poolSize: 16 }) : openDatabase({ sqliteFile: location });
const accessLogStore = await openAccessLogStore(database, location.startsWith('postgres') ? undefined : logFile);
const app = await buildApp({ database, accessLogStore, clock: systemClock, operatorToken: 'bench-operator-token-0123456789abcdef', logger: createLogger('warn'), ...(variant === 'no-record' ? { officialReads: { record: () => Promise.resolve() } } : {}) });
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${address}\n`);
process.once('SIGTERM', () => {
  void app.close().then(() => accessLogStore.close()).then(() => process.exit(0));
});
