/**
 * Child process of change-events-faults.test.ts: over the store given as argument (a SQLite file
 * or a postgres:// URL) it runs the dispatcher and webhook deliveries to the receiver URL, and in
 * `record` mode records moves for ever as well. It never stops by itself: the test kills it.
 */
import { openDatabase } from '../src/store/database.js';
import { recordMoves, startDispatch } from './change-events.harness.js';

const [target = '', mode = 'drain'] = process.argv.slice(2);
const database = target.startsWith('postgres') ? openDatabase({ databaseUrl: target, poolSize: 4 }) : openDatabase({ sqliteFile: target });
startDispatch(database, { onError: (error, loop) => { process.stderr.write(`${loop}: ${String(error)}\n`); } });
process.stdout.write('started\n');
if (mode === 'record') await recordMoves(database, undefined);
