// The whole app as `sachsong serve` builds it (exchange, durable access log, everything), for load tests.
// argv: <sqlite file | postgres URL> <operator token>
import { buildApp } from '../../src/http/app.js';
import { systemClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';
import { openDatabase } from '../../src/store/database.js';

const [location = '', token = ''] = process.argv.slice(2);
const database = location.startsWith('postgres') ? openDatabase({ databaseUrl: location, poolSize: 16 }) : openDatabase({ sqliteFile: location });
const app = await buildApp({ database, clock: systemClock, operatorToken: token, logger: createLogger('warn') });
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${address}\n`);
process.once('SIGTERM', () => {
  void app.close().then(() => database.close()).then(() => process.exit(0));
});
