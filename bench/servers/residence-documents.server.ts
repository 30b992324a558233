// The registry as `sachsong serve` builds it (access log in its own SQLite file, writer thread),
// for the residence-documents bench: issuance under /api and the public verify API.
// argv: <sqlite file> <access log file>
import { openAccessLogStore } from '../../src/audit/access-log.store.js';
import { buildApp } from '../../src/http/app.js';
import { systemClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';
import { openDatabase } from '../../src/store/database.js';

const [location = '', logFile = ''] = process.argv.slice(2);
const database = openDatabase({ sqliteFile: location });
const accessLogStore = await openAccessLogStore(database, logFile);
const app = await buildApp({ database, accessLogStore, clock: systemClock, operatorToken: 'bench-operator-token-0123456789abcdef', logger: createLogger('warn'), publicUrl: 'https://registry.example.vn', documents: { verifyPerMinute: 10_000_000 } });
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${address}\n`);
process.once('SIGTERM', () => {
  void app.close().then(() => accessLogStore.close()).then(() => process.exit(0));
});
