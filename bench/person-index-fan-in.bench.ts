// The tracker's person index (person-index.writer.ts) under different run sizes and fan-ins, side
// by side on copies of one log: every record indexed as the writer thread does it (a step after
// each fold of --per-fold records), with every merge that falls due; CPU time a record and the
// runs left per tier. The people are random 12-digit numbers, one a record.
//   npx tsx bench/person-index-fan-in.bench.ts [--records 1000000] [--per-fold 900] [--settings 2048x8x1024,4096x16x2048]
// A setting is <run size>x<fan-in>x<slice size>.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';
import { personIndexDefaults, sqlitePersonIndexer } from '../src/audit/person-index.writer.js';
import { openDatabase } from '../src/store/database.js';
import { migrateAccessLogStore } from '../src/store/migrator.js';

const defaults = `${personIndexDefaults.runSize}x${personIndexDefaults.fanIn}x${personIndexDefaults.sliceSize}`;
const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    'per-fold': { type: 'string', default: '900' },
    settings: { type: 'string', default: `2048x8x1024,${defaults}` },
  },
});
const records = Number(values.records);
const perFold = Number(values['per-fold']);
const settings = values.settings.split(',').map((s) => {
  const [runSize, fanIn, sliceSize] = s.split('x').map(Number);
  if (runSize === undefined || fanIn === undefined || sliceSize === undefined || [runSize, fanIn, sliceSize].some((n) => !Number.isSafeInteger(n) || n < 2)) throw new Error(`--settings: ${s} is not <run size>x<fan-in>x<slice size>`);
  return { name: s, runSize, fanIn, sliceSize };
});

const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-person-index-fan-in-'));
try {
  // One log of `records` records (a leaf of the officer read's size), copied for each setting.
  const base = path.join(dir, 'base.db');
  const database = openDatabase({ sqliteFile: base, pageSize: 4_096 });
  await migrateAccessLogStore(database.db, 'sqlite');
  const sqlite = database.sqlite as SQLite.Database;
  const insert = sqlite.prepare('INSERT INTO access_records (idx, person_id, deferred_until, leaf, leaf_hash) VALUES (?, ?, NULL, ?, ?)');
  const leaf = 'x'.repeat(742);
  const hash = Buffer.alloc(32);
  sqlite.transaction(() => {
    for (let i = 0; i < records; i++) insert.run(i, String(100_000_000_000 + ((i * 2_654_435_761) % 899_999_999_999)), leaf, hash);
  })();
  await database.close();
  const results = [];
  for (const setting of settings) {
    const file = path.join(dir, `${setting.name}.db`);
    copyFileSync(base, file);
    // The writer thread's connection (access-log.worker.ts).
    const log = new SQLite(file);
    log.pragma('journal_mode = WAL');
    log.pragma('synchronous = NORMAL');
    log.pragma('wal_autocheckpoint = 10000');
    const indexer = sqlitePersonIndexer(log, setting);
    const setSize = log.prepare('UPDATE access_log_head SET tree_size = ? WHERE id = 1');
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let size = 0; size < records;) {
      size = Math.min(records, size + perFold);
      setSize.run(size);
      while (indexer.step()) { /* every due run and merge */ }
    }
    const used = process.cpuUsage(cpu);
    const tiers = log.prepare('SELECT tier, count(*) AS runs FROM access_person_runs GROUP BY tier ORDER BY tier').all();
    const indexed = log.prepare('SELECT indexed_size FROM access_log_head WHERE id = 1').pluck().get() as number;
    log.close();
    results.push({ setting: setting.name, cpuMicrosPerRecord: Math.round(((used.user + used.system) / records) * 100) / 100, seconds: Math.round(performance.now() - started) / 1_000, indexed, runsByTier: tiers });
  }
  console.log(JSON.stringify({ bench: 'person-index-fan-in', records, perFold, defaults, results }, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
