/**
 * Child process of procedures-kill.test.ts: over the store given as argument (a SQLite file or a
 * postgres:// URL) it runs the linked procedures' runner, as `serve` does, until killed.
 */
import { systemClock } from '../src/shared/clock.js';
import { openDatabase } from '../src/store/database.js';
import { procedureStack } from './procedures.harness.js';

const [target = ''] = process.argv.slice(2);
const database = target.startsWith('postgres') ? openDatabase({ databaseUrl: target, poolSize: 4 }) : openDatabase({ sqliteFile: target });
const stack = procedureStack(database, systemClock, { backoffMs: () => 50, onError: (error) => { process.stderr.write(`runner: ${String(error)}\n`); } });
stack.runner.start();
process.stdout.write('started\n');
