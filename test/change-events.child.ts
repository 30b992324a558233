/**
 * Child process of change-events-faults.test.ts: over the store given as argument (a SQLite file
 * or a postgres:// URL) it runs the dispatcher and webhook deliveries to the receiver URL, and in
 * `record` mode records moves for ever as well. With NATS_URL set (read by the config module, as
 * `sachsong serve` reads it) it publishes through JetStream and fans out from its consumer.
 * It never stops by itself: the test kills it.
 */
import { loadConfig } from '../src/config/config.js';
import { JetStreamLink } from '../src/events/jetstream.link.js';
import { openDatabase } from '../src/store/database.js';
import { recordMoves, startDispatch } from './change-events.harness.js';

const [target = '', mode = 'drain'] = process.argv.slice(2);
const { natsUrl } = loadConfig();
const database = target.startsWith('postgres') ? openDatabase({ databaseUrl: target, poolSize: 4 }) : openDatabase({ sqliteFile: target });
const link = natsUrl === undefined ? undefined : await JetStreamLink.open(natsUrl, { ackWaitMs: 2_000 });
startDispatch(database, { ...(link === undefined ? {} : { link }), onError: (error, loop) => { process.stderr.write(`${loop}: ${String(error)}\n`); } });
process.stdout.write(`started${link === undefined ? '' : ' jetstream'}\n`);
if (mode === 'record') await recordMoves(database, undefined);
