// What folding the access journal into the Merkle tree costs the writer thread, a record: the
// fold as the writer thread runs it (JournalFolder: the leaves' UTF-8 bytes hashed and stored as
// written) against the same fold with every leaf decoded to a string first (hashed and bound as
// text), on the same journal, in the same run. Officers' reads of person.read as the routes record
// them (OfficialReadLeaves' templated records, appended in turns of 8), folded a poll at a time
// (--per-fold records, about 200 ms of reads at 22,000 a second), then the person index caught up;
// CPU time a record.
//   npx tsx bench/journal-fold.bench.ts [--records 200000] [--per-fold 4400] [--rounds 3]
import { randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';
import { AccessJournal, type JournalPosition } from '../src/audit/access-journal.js';
import { JournalFolder } from '../src/audit/access-journal.folder.js';
import { decodeFrames, payloadRecords, templatedRecords, type JournalEntry, type TemplatedLeaves } from '../src/audit/access-journal.format.js';
import { sqliteBatchTransaction, sqliteTreeState } from '../src/audit/access-log.writer.js';
import { FrontierWriter, type WrittenRecord } from '../src/audit/frontier.writer.js';
import { leafHash } from '../src/audit/merkle-tree.js';
import { officialReadRecords, type OfficialRead } from '../src/audit/official-read.recorder.js';
import { OfficialReadLeaves } from '../src/audit/official-read.leaves.js';
import { sqlitePersonIndexer } from '../src/audit/person-index.writer.js';
import { openDatabase } from '../src/store/database.js';
import { migrateAccessLogStore } from '../src/store/migrator.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    'per-fold': { type: 'string', default: '4400' },
    rounds: { type: 'string', default: '3' },
  },
});
const records = Number(values.records);
const perFold = Number(values['per-fold']);
const rounds = Number(values.rounds);

const fields = Object.freeze(['idNumber', 'fullName', 'birthDate', 'sex', 'ethnicity', 'religion', 'nationality', 'birthProvince', 'hometown', 'permanentResidence', 'temporaryResidence', 'currentResidence', 'fatherId', 'motherId', 'spouseId', 'householdId', 'relationshipToHead', 'status', 'deathDate', 'version', 'updatedAt']);
const reader = { kind: 'officer', id: randomUUID(), role: 'national_officer', unit: { level: 'nation', code: null } } as const;
const leaves = new OfficialReadLeaves((read, at) => officialReadRecords(read, at));

/** The journal's entries of `count` officers' reads (as the recorder appends them), in turns of 8, in polls of perFold records. */
function journalPolls(count: number): JournalEntry[][][] {
  const polls: JournalEntry[][][] = [];
  for (let done = 0; done < count; done += perFold) {
    const turns: JournalEntry[][] = [];
    for (let i = done; i < Math.min(count, done + perFold); i += 8) {
      const entries: JournalEntry[] = [];
      for (let k = i; k < Math.min(count, done + perFold, i + 8); k++) {
        const read: OfficialRead = { reader, action: 'person.read', personIds: [String(100_000_000_000 + ((k * 4_999) % 899_999_999_999))], fields, purpose: 'Tra cứu hồ sơ công dân trong công tác quản lý dân cư', caseReference: undefined, breakGlassReason: undefined, requestId: randomUUID() };
        const templated = leaves.of(read, new Date(Date.UTC(2026, 11, 6) + k));
        if (templated === undefined) throw new Error('the bench read is not one the templates serve');
        entries.push(templated);
      }
      turns.push(entries);
    }
    polls.push(turns);
  }
  return polls;
}

async function freshLog(dir: string, name: string): Promise<{ sqlite: SQLite.Database; file: string }> {
  const file = path.join(dir, `${name}.db`);
  const store = openDatabase({ sqliteFile: file, pageSize: 4_096 });
  await migrateAccessLogStore(store.db, store.dialect);
  await store.close();
  const sqlite = new SQLite(file);
  // The writer thread's settings (access-log.worker.ts).
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('wal_autocheckpoint = 10000');
  return { sqlite, file };
}

const cpuMicros = (): number => { const c = process.cpuUsage(); return c.user + c.system; };

/** Writes the polls to a journal and folds each as the writer thread would; CPU µs a record of the folds and of the index. */
async function run(dir: string, name: string, polls: readonly JournalEntry[][][], decoded: boolean): Promise<{ fold: number; index: number; size: number }> {
  const { sqlite, file } = await freshLog(dir, name);
  const journalDir = `${file}.journal.d`;
  let last: JournalPosition | undefined;
  const journal = new AccessJournal({ dir: journalDir, maxSegmentBytes: 2 ** 31, onWritten: (p) => { last = p; } });
  const tree = new FrontierWriter(sqliteTreeState(sqlite), sqliteBatchTransaction(sqlite));
  const folder = new JournalFolder(sqlite, tree, journalDir);
  const indexer = sqlitePersonIndexer(sqlite);
  let foldCpu = 0;
  let indexCpu = 0;
  let from = 0;
  for (const poll of polls) {
    for (const entries of poll) {
      for (const entry of entries) void journal.append(entry);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const position = last as JournalPosition;
    const started = cpuMicros();
    if (decoded) {
      // The same frames, every leaf decoded to a string, hashed and bound as text.
      // Read as the folder reads: the new bytes only.
      const bytes = Buffer.allocUnsafe(position.end - from);
      const fd = openSync(path.join(journalDir, position.segment), 'r');
      for (let read = 0; read < bytes.length;) read += readSync(fd, bytes, read, bytes.length - read, from + read);
      closeSync(fd);
      const batch: WrittenRecord[] = [];
      for (const payload of decodeFrames(bytes).payloads) {
        for (const r of payloadRecords(payload)) batch.push({ person_id: r.person_id, deferred_until: r.deferred_until, leaf: r.leaf, leaf_hash: leafHash(r.leaf) });
      }
      await tree.commit(batch);
      from = position.end;
    } else {
      await folder.foldTo(position.segment, position.end);
    }
    foldCpu += cpuMicros() - started;
    const indexing = cpuMicros();
    while (indexer.step()) { /* every due run and merge */ }
    indexCpu += cpuMicros() - indexing;
  }
  journal.close();
  folder.close();
  const size = (sqlite.prepare('SELECT tree_size FROM access_log_head WHERE id = 1').pluck().get() as number);
  sqlite.close();
  return { fold: foldCpu / records, index: indexCpu / records, size };
}

const polls = journalPolls(records);
const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-journal-fold-'));
try {
  const results: { bytes: number[]; decoded: number[]; index: number[] } = { bytes: [], decoded: [], index: [] };
  for (let round = 0; round < rounds; round++) {
    const bytes = await run(dir, `bytes-${round}`, polls, false);
    const decoded = await run(dir, `decoded-${round}`, polls, true);
    if (bytes.size !== records || decoded.size !== records) throw new Error(`folded ${bytes.size} and ${decoded.size} of ${records} records`);
    results.bytes.push(bytes.fold);
    results.decoded.push(decoded.fold);
    results.index.push(bytes.index, decoded.index);
  }
  const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const round2 = (x: number): number => Math.round(x * 100) / 100;
  console.log(JSON.stringify({
    bench: 'journal-fold',
    records,
    perFold,
    rounds,
    leafBytes: Buffer.byteLength(templatedRecords(polls[0]?.[0]?.[0] as TemplatedLeaves)[0]?.leaf ?? ''),
    foldCpuMicrosPerRecord: round2(median(results.bytes)),
    decodedFoldCpuMicrosPerRecord: round2(median(results.decoded)),
    ratio: round2(median(results.bytes) / median(results.decoded)),
    indexCpuMicrosPerRecord: round2(median(results.index)),
    perRound: { bytes: results.bytes.map(round2), decoded: results.decoded.map(round2) },
  }, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
