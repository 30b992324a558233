// Why the access log's person index is written behind the appends: the cost of a group commit of
// access records with and without a B-tree index on person, at 16 KiB and 4 KiB pages, on a log
// that already holds --existing records (random people). Raw better-sqlite3, the log's own table
// shapes, one BEGIN IMMEDIATE transaction a batch as the writer does; CPU time and wall time a record.
//   npx tsx bench/person-index.bench.ts [--existing 1000000] [--batch 32] [--batches 3000] [--dir /tmp]
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';

const { values } = parseArgs({
  options: {
    existing: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '32' },
    batches: { type: 'string', default: '3000' },
    dir: { type: 'string', default: '/tmp' },
  },
});
const existing = Number(values.existing);
const batch = Number(values.batch);
const batches = Number(values.batches);
const people = Array.from({ length: 200_000 }, (_, i) => String(100_000_000_000 + ((i * 4_999) % 899_999_999_999)).padStart(12, '0'));

function leaf(person: string, i: number): string {
  return JSON.stringify({
    at: new Date(Date.UTC(2026, 10, 1) + i).toISOString(), caseReference: 'BENCH-0001', clientId: 'VN/COM/BENCHBANK/ekyc',
    fields: ['birthDate', 'fullName', 'sex'], legalBasis: 'consent', officerId: 'bench-officer', personId: person,
    purpose: 'Mở tài khoản', receivingAgency: 'Bench Bank', requestId: `req-${i}`, service: 'VN/GOV/MPS/registry/verify', visibility: 'public',
  });
}

function run(pageSize: number, personIndex: boolean): { cpuUs: number; wallUs: number } {
  const dir = mkdtempSync(path.join(values.dir, 'sachsong-person-index-'));
  try {
    const db = new SQLite(path.join(dir, 'log.db'));
    db.pragma(`page_size = ${pageSize}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`CREATE TABLE access_records (idx INTEGER PRIMARY KEY, person_id TEXT NOT NULL, deferred_until TEXT, leaf TEXT NOT NULL, leaf_hash BLOB NOT NULL);
      CREATE TABLE access_log_nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;
      CREATE TABLE access_log_head (id INTEGER PRIMARY KEY, tree_size INTEGER NOT NULL); INSERT INTO access_log_head VALUES (1, 0);`);
    if (personIndex) db.exec('CREATE INDEX access_records_person_idx ON access_records (person_id)');
    const insert = db.prepare('INSERT INTO access_records VALUES (?, ?, NULL, ?, ?)');
    const node = db.prepare('INSERT INTO access_log_nodes VALUES (?, ?, ?)');
    const head = db.prepare('UPDATE access_log_head SET tree_size = ? WHERE id = 1');
    let size = 0;
    // Records and (about) the subtree rows a real batch writes: one at level 1 every 2 leaves, level 2 every 4.
    const write = db.transaction((rows: readonly (readonly [string, string, Buffer])[]) => {
      for (const [person, text, hash] of rows) {
        insert.run(size, person, text, hash);
        size++;
        if (size % 2 === 0) node.run(1, size / 2, hash);
        if (size % 4 === 0) node.run(2, size / 4, hash);
      }
      head.run(size);
    });
    const rows = (n: number): (readonly [string, string, Buffer])[] => Array.from({ length: n }, (_, j) => {
      const person = people[Math.floor(Math.random() * people.length)] ?? '';
      const text = leaf(person, size + j);
      return [person, text, createHash('sha256').update(text).digest()] as const;
    });
    for (let done = 0; done < existing; done += 5_000) write.immediate(rows(Math.min(5_000, existing - done)));
    const inputs = Array.from({ length: batches }, () => rows(batch));
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (const input of inputs) write.immediate(input);
    const wall = performance.now() - started;
    const used = process.cpuUsage(cpu);
    db.close();
    return { cpuUs: (used.user + used.system) / (batch * batches), wallUs: (wall * 1_000) / (batch * batches) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = [];
for (const pageSize of [16_384, 4_096]) {
  for (const personIndex of [true, false]) {
    const r = run(pageSize, personIndex);
    results.push({ pageSize, personIndex, cpuUsPerRecord: Math.round(r.cpuUs * 10) / 10, wallUsPerRecord: Math.round(r.wallUs * 10) / 10 });
  }
}
console.log(JSON.stringify({ bench: 'person-index', existing, batch, batches, results }, null, 2));
