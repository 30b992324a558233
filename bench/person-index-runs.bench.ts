// The tracker's person index as sorted runs merged in tiers (person-index.writer.ts), against the
// B-tree keyed by person it replaced (migration 0006: runs of 16,384 records sorted in JavaScript
// and inserted 128 rows a transaction), on a log that already holds --existing indexed records.
// Both index the next --records records on a connection set up as the writer thread's (WAL,
// synchronous NORMAL, SQLite's default page cache); CPU time a record, wall time, and for the
// runs the time until every due merge is done. The people are random 12-digit numbers, as many as
// the records (a national log: most people appear a few times).
//   npx tsx bench/person-index-runs.bench.ts [--existing 9000000] [--records 1000000] [--dir /tmp]
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';
import { sqlitePersonIndexer } from '../src/audit/person-index.writer.js';
import { openDatabase } from '../src/store/database.js';
import { migrateAccessLogStore } from '../src/store/migrator.js';

const { values } = parseArgs({
  options: {
    existing: { type: 'string', default: '9000000' },
    records: { type: 'string', default: '1000000' },
    dir: { type: 'string', default: '/tmp' },
  },
});
const existing = Number(values.existing);
const records = Number(values.records);
const total = existing + records;

const dir = mkdtempSync(path.join(values.dir, 'sachsong-person-runs-'));
const file = path.join(dir, 'access-log.db');

/** A log of `total` records (the tracker needs only person_id and idx; the leaf is a stand-in of the usual size). */
async function buildLog(): Promise<void> {
  const database = openDatabase({ sqliteFile: file, pageSize: 4_096 });
  await migrateAccessLogStore(database.db, 'sqlite');
  const sqlite = database.sqlite as SQLite.Database;
  const insert = sqlite.prepare('INSERT INTO access_records (idx, person_id, deferred_until, leaf, leaf_hash) VALUES (?, ?, NULL, ?, ?)');
  const leaf = 'x'.repeat(330);
  const hash = Buffer.alloc(32);
  for (let start = 0; start < total; start += 500_000) {
    sqlite.transaction(() => {
      for (let i = start; i < Math.min(start + 500_000, total); i++) {
        insert.run(i, String(100_000_000_000 + ((i * 2_654_435_761) % 899_999_999_999)), leaf, hash);
      }
    })();
  }
  sqlite.prepare('UPDATE access_log_head SET tree_size = ? WHERE id = 1').run(total);
  // The baseline's table, as migration 0006 made it.
  sqlite.exec('CREATE TABLE baseline_person_index (person_id TEXT NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (person_id, idx)) WITHOUT ROWID');
  await database.close();
}

function writerConnection(): SQLite.Database {
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  return sqlite;
}

const cpuNow = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** The 0006 indexer's work for [from, to): runs of 16,384, sorted here, 128 rows a transaction. */
function baselineIndex(sqlite: SQLite.Database, from: number, to: number): void {
  const read = sqlite.prepare('SELECT person_id, idx FROM access_records WHERE idx >= ? AND idx < ?').raw();
  const insert = sqlite.prepare('INSERT OR IGNORE INTO baseline_person_index (person_id, idx) VALUES (?, ?)');
  const slice = sqlite.transaction((rows: readonly (readonly [string, number])[], start: number, end: number) => {
    for (let i = start; i < end; i++) {
      const row = rows[i] as readonly [string, number];
      insert.run(row[0], row[1]);
    }
  });
  for (let run = from; run < to; run += 16_384) {
    const rows = read.all(run, Math.min(run + 16_384, to)) as [string, number][];
    rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
    for (let i = 0; i < rows.length; i += 128) slice.immediate(rows, i, Math.min(i + 128, rows.length));
  }
}

await buildLog();
const results: Record<string, unknown> = {};
{
  const sqlite = writerConnection();
  // The existing records, indexed the fast way (one sorted insert), then the timed ones as the writer did.
  sqlite.prepare('INSERT INTO baseline_person_index SELECT person_id, idx FROM access_records WHERE idx < ? ORDER BY person_id, idx').run(existing);
  const cpu = cpuNow();
  const started = performance.now();
  baselineIndex(sqlite, existing, total);
  results.baselineBtreeByPerson = { cpuUsPerRecord: Math.round(((cpuNow() - cpu) / records) * 100) / 100, seconds: Math.round(performance.now() - started) / 1_000 };
  sqlite.exec('DROP TABLE baseline_person_index');
  sqlite.close();
}
{
  const sqlite = writerConnection();
  // The existing records through the real indexer, so that the runs and tiers are those a log of this size has.
  sqlite.prepare('UPDATE access_log_head SET tree_size = ? WHERE id = 1').run(existing);
  const indexer = sqlitePersonIndexer(sqlite);
  const builtFrom = performance.now();
  while (indexer.step()) { /* everything due */ }
  const buildSeconds = Math.round(performance.now() - builtFrom) / 1_000;
  sqlite.prepare('UPDATE access_log_head SET tree_size = ? WHERE id = 1').run(total);
  const head = sqlite.prepare('SELECT indexed_size FROM access_log_head WHERE id = 1').pluck();
  const cpu = cpuNow();
  const started = performance.now();
  let indexedSeconds = 0;
  let cpuIndexed = 0;
  while (indexer.step()) {
    if (indexedSeconds === 0 && total - (head.get() as number) < 2_048) {
      indexedSeconds = (performance.now() - started) / 1_000;
      cpuIndexed = cpuNow() - cpu;
    }
  }
  const runs = sqlite.prepare('SELECT tier, count(*) AS runs, sum(row_count) AS entries FROM access_person_runs GROUP BY tier ORDER BY tier').all();
  results.sortedRuns = {
    cpuUsPerRecord: Math.round(((cpuNow() - cpu) / records) * 100) / 100,
    seconds: Math.round(performance.now() - started) / 1_000,
    cpuUsPerRecordUntilIndexed: Math.round((cpuIndexed / records) * 100) / 100,
    secondsUntilIndexed: Math.round(indexedSeconds * 1_000) / 1_000,
    existingBuiltSeconds: buildSeconds,
    runs,
  };
  sqlite.close();
}
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ bench: 'person-index-runs', existing, records, ...results }, null, 2));
