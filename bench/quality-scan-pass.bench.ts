/**
 * A full scan's read-and-evaluate pass in this thread against the same pass on worker threads
 * (runScanPass: cross-record and per-record rules on two threads), alternately on one store, so
 * that a host whose speed drifts slows both alike.
 *
 *   npx tsx bench/quality-scan-pass.bench.ts --store <SQLite file with persons> [--rounds 2]
 *
 * A store: the quality bench's population, e.g. from `sachsong generate --people 1000000`.
 */
import { parseArgs } from 'node:util';
import { evaluateStore, runScanPass } from '../src/quality/quality-scan.runner.js';
import { openDatabase } from '../src/store/database.js';

const { values } = parseArgs({ options: { store: { type: 'string' }, rounds: { type: 'string', default: '2' } } });
if (values.store === undefined) throw new Error('give --store <SQLite file>');
const database = openDatabase({ sqliteFile: values.store });
const settings = { today: '2026-01-01', staleYears: 15 };
const runs: { way: string; seconds: number; findings: number }[] = [];
try {
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const [way, pass] of [['workers', runScanPass], ['one thread', evaluateStore]] as const) {
      const started = performance.now();
      const result = await pass(database, settings);
      runs.push({ way, seconds: Math.round(performance.now() - started) / 1000, findings: result.findings.length });
    }
  }
} finally {
  await database.close();
}
console.log(JSON.stringify({ bench: 'quality-scan-pass', store: values.store, runs }, null, 2));
