/**
 * The access log's figures: appends per second in batches, then inclusion proofs at 10 million
 * records and more.
 *
 *   npx tsx bench/audit-log.bench.ts                       # 1M timed appends, a 10M log, 20,000 proofs
 *   npx tsx bench/audit-log.bench.ts --records 200000 --append 100000 --proofs 2000   # a quick check
 *
 * The timed appends (--append) go through the real code: AccessLog.appendMany (validation, canonical
 * JSON, leaf hash, frontier, one SQLite transaction per batch); only the appendMany calls are timed,
 * not the building of the input records. The rest of the log, up to --records,
 * is built fast by the same functions (canonicalLeaf, leafHash, appendToFrontier) into the same
 * tables, without per-record validation, with the person index built once at the end: it only
 * has to exist for the proofs and tracker pages to be timed. The file is laid out as the
 * server's access-log.db (access-log.store.ts): the log's tables alone, 4 KiB pages. Then 20,000 concurrent single appends (group commit)
 * through the real path, proofs served by AuditService.inclusion (one round of point reads, no
 * tree recomputation) and verified against the signed checkpoint, and tracker pages.
 * The SQLite file is kept (--file) so that a second run with --reuse times proofs only.
 */
import { existsSync, rmSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AuditService } from '../src/audit/audit.service.js';
import { openAccessLog } from '../src/audit/access-log.service.js';
import type { AccessRecordInput } from '../src/audit/access-log.types.js';
import { generateSignerKey, parseSignerKey } from '../src/audit/checkpoint-note.js';
import { accessLogRepository, nodeKey } from '../src/audit/access-log.repository.js';
import { canonicalLeaf } from '../src/audit/access-record.js';
import { runTier } from '../src/audit/person-index.writer.js';
import { appendToFrontier, frontierKeys, inclusionProof, leafHash, nodesRead, verifyInclusion, type TreeNode } from '../src/audit/merkle-tree.js';
import { systemClock } from '../src/shared/clock.js';
import { openDatabase } from '../src/store/database.js';
import { migrateAccessLogStore } from '../src/store/migrator.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '10000000' },
    append: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '10000' },
    proofs: { type: 'string', default: '20000' },
    file: { type: 'string', default: '/tmp/sachsong-audit-bench.db' },
    reuse: { type: 'boolean', default: false },
    // the batch transactions on the access log's writer thread (AccessLogOptions.writerThread)
    thread: { type: 'boolean', default: false },
    // batches handed to appendMany before the oldest is awaited: 2 lets the next batch be prepared while one is written
    inflight: { type: 'string', default: '1' },
  },
});
const records = Number(values.records);
const timedAppends = Math.min(Number(values.append), records);
const batch = Number(values.batch);
const proofs = Number(values.proofs);
const file = values.file;

if (!values.reuse) for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
// As access-log.store.ts makes the server's access-log.db.
const database = openDatabase({ sqliteFile: file, pageSize: 4_096 });
await migrateAccessLogStore(database.db, database.dialect);
const inflight = Math.max(1, Number(values.inflight));
const log = openAccessLog(database, { maxBatch: batch, writerThread: values.thread });
const audit = new AuditService({ db: database.db, signer: parseSignerKey(generateSignerKey('bench.sachsong/access-log')), clock: systemClock });

// 100 million distinct people, 40 client systems, a handful of purposes: realistic leaves (~330 bytes).
const clients = Array.from({ length: 40 }, (_, i) => `VN/${i % 4 === 0 ? 'COM' : 'GOV'}/MEMBER${i}/system-${i % 3}`);
const purposes = ['Xác minh nhân thân', 'Cấp thẻ bảo hiểm y tế', 'Mở tài khoản ngân hàng', 'Đăng ký cư trú', 'Điều tra vụ án'];
const epoch = Date.UTC(2026, 0, 1);
function record(i: number): AccessRecordInput {
  const person = (i * 2_654_435_761) % 100_000_000; // a permutation: people spread over the whole index
  return {
    personId: `0${String(person).padStart(11, '0')}`,
    at: new Date(epoch + i * 3).toISOString(),
    clientId: clients[i % clients.length] ?? 'VN/GOV/X/y',
    officerId: `officer-${i % 5_000}`,
    service: 'person.verify',
    purpose: purposes[i % purposes.length] ?? 'x',
    legalBasis: 'Luật Căn cước 2023, Điều 10',
    ...(i % 7 === 0 ? { consentId: `consent-${i}` } : {}),
    fields: ['fullName', 'birthDate', 'currentAddress'],
    visibility: i % 50 === 0 ? { deferredUntil: '2027-06-01' } : 'public',
    requestId: `req-${i.toString(36)}`,
  };
}

/**
 * Times only the appendMany calls: each batch of input records is built first, untimed (it is the
 * caller's work, ~4 µs a record here, and earlier runs counted it in the log's rate).
 */
async function appendRange(from: number, to: number): Promise<{ seconds: number; cpuSeconds: number }> {
  if (inflight > 1) {
    // Inputs built before the clock starts, as below; then `inflight` batches are kept in the log's hands.
    const inputs: AccessRecordInput[][] = [];
    for (let i = from; i < to; i += batch) inputs.push(Array.from({ length: Math.min(batch, to - i) }, (_, j) => record(i + j)));
    const started = performance.now();
    const cpu = process.cpuUsage();
    const pending: Promise<unknown>[] = [];
    for (const input of inputs) {
      pending.push(log.appendMany(input));
      if (pending.length >= inflight) await pending.shift();
    }
    await Promise.all(pending);
    const used = process.cpuUsage(cpu);
    return { seconds: (performance.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
  }
  let seconds = 0;
  let cpuMicros = 0;
  let lastReport = from;
  for (let i = from; i < to; i += batch) {
    const n = Math.min(batch, to - i);
    const inputs = Array.from({ length: n }, (_, j) => record(i + j));
    const started = performance.now();
    const cpu = process.cpuUsage();
    await log.appendMany(inputs);
    const used = process.cpuUsage(cpu);
    seconds += (performance.now() - started) / 1000;
    cpuMicros += used.user + used.system;
    if (i + n - lastReport >= 1_000_000) {
      process.stderr.write(`  appended ${i + n} (${Math.round((i + n - from) / seconds)}/s)\n`);
      lastReport = i + n;
    }
  }
  return { seconds, cpuSeconds: cpuMicros / 1e6 };
}

/** Builds leaves [from, to) straight into the tables: same leaves, same hashes, same subtrees as appendMany. */
async function fastBuild(from: number, to: number): Promise<number> {
  const sqlite = database.sqlite;
  if (sqlite === undefined) throw new Error('the fast build is for SQLite');
  const started = performance.now();
  const keys = frontierKeys(from);
  const stored = await accessLogRepository.nodes(database.db, keys);
  const frontier: TreeNode[] = keys.map((k) => ({ ...k, hash: stored.get(nodeKey(k.level, k.index)) ?? Buffer.alloc(32) }));
  const insertRecord = sqlite.prepare('INSERT INTO access_records (idx, person_id, deferred_until, leaf, leaf_hash) VALUES (?, ?, ?, ?, ?)');
  const insertNode = sqlite.prepare('INSERT INTO access_log_nodes (level, idx, hash) VALUES (?, ?, ?)');
  const moveHead = sqlite.prepare('UPDATE access_log_head SET tree_size = ? WHERE id = 1');
  const chunk = 200_000;
  for (let start = from; start < to; start += chunk) {
    const end = Math.min(start + chunk, to);
    sqlite.transaction(() => {
      for (let i = start; i < end; i++) {
        const r = record(i); // already canonical: UTC milliseconds, absent options left out
        const leaf = canonicalLeaf(r);
        const hash = leafHash(leaf);
        insertRecord.run(i, r.personId, r.visibility === 'public' ? null : r.visibility.deferredUntil, leaf, hash);
        for (const node of appendToFrontier(frontier, i, hash)) if (node.level > 0) insertNode.run(node.level, node.index, node.hash);
      }
      moveHead.run(end);
    })();
    if (Math.floor(end / 1_000_000) !== Math.floor(start / 1_000_000)) process.stderr.write(`  built ${end}\n`);
  }
  const indexStarted = performance.now();
  sqlite.transaction(() => {
    // One sealed run of the built records, of the tier its size makes it.
    const run = sqlite.prepare('SELECT coalesce(max(run), 0) + 1 FROM access_person_runs').pluck().get() as number;
    sqlite.prepare('INSERT INTO access_person_entries (run, person_id, idx) SELECT ?, person_id, idx FROM access_records WHERE idx >= ? ORDER BY person_id, idx').run(run, from);
    sqlite.prepare("INSERT INTO access_person_runs (run, tier, state, row_count) VALUES (?, ?, 'sealed', ?)").run(run, runTier(to - from), to - from);
    sqlite.prepare('UPDATE access_log_head SET indexed_size = ? WHERE id = 1').run(to);
  })();
  console.log(`build ${to - from} more records straight into the tables: ${((indexStarted - started) / 1000).toFixed(1)} s, then the person index in ${((performance.now() - indexStarted) / 1000).toFixed(1)} s`);
  return to;
}

const rate = (n: number, s: number): string => `${Math.round(n / s).toLocaleString('en-US')}/s`;
const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;

let size = await audit.treeSize();
if (!values.reuse || size < records) {
  if (size < timedAppends) {
    const timed = await appendRange(size, timedAppends);
    console.log(`append ${timedAppends - size} records in batches of ${batch}${values.thread ? ', writer thread' : ''}${inflight > 1 ? `, ${inflight} batches in flight` : ''}: ${timed.seconds.toFixed(1)} s wall, ${rate(timedAppends - size, timed.seconds)}; ${rate(timedAppends - size, timed.cpuSeconds)} of CPU time`);
    // The person index is written behind the appends: the time it still needs to catch up is part of the cost.
    const indexStarted = performance.now();
    await log.indexed();
    const behind = (performance.now() - indexStarted) / 1000;
    console.log(`person index caught up ${behind.toFixed(1)} s after the last append: ${rate(timedAppends - size, timed.seconds + behind)} counting it`);
    size = timedAppends;
  }
  await log.close();
  if (size < records) size = await fastBuild(size, records);
}
// Single appends from many concurrent requests (group commit): what the exchange does.
{
  const log = openAccessLog(database, { maxBatch: batch, writerThread: values.thread });
  const concurrent = 20_000;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrent }, (_, i) => log.append(record(size + i))));
  const seconds = (performance.now() - started) / 1000;
  console.log(`${concurrent} concurrent single appends (group commit, each awaited until durable): ${rate(concurrent, seconds)}`);
  size += concurrent;
  await log.indexed();
  await log.close();
}

const bytes = ['', '-wal'].map((s) => (existsSync(`${file}${s}`) ? statSync(`${file}${s}`).size : 0)).reduce((a, b) => a + b, 0);
console.log(`log: ${size.toLocaleString('en-US')} records, ${(bytes / 1e9).toFixed(2)} GB (${Math.round(bytes / size)} bytes a record with its index and subtrees)`);

const checkpoint = await audit.checkpoint();
const root = Buffer.from(checkpoint?.rootHash ?? '', 'hex');
const treeSize = checkpoint?.treeSize ?? size;

// Warm-up, then random leaves; each proof is served from the store and then verified (untimed).
const random = (): number => Math.floor(Math.random() * treeSize);
for (let i = 0; i < 200; i++) await audit.inclusion(random(), treeSize);
const times: number[] = [];
let reads = 0;
let proofCpu = 0;
for (let i = 0; i < proofs; i++) {
  const cpuBefore = process.cpuUsage();
  const index = random();
  const started = performance.now();
  const proof = await audit.inclusion(index, treeSize);
  times.push(performance.now() - started);
  const cpuUsed = process.cpuUsage(cpuBefore);
  proofCpu += (cpuUsed.user + cpuUsed.system) / 1000;
  if (!verifyInclusion(index, treeSize, Buffer.from(proof.leafHash, 'hex'), proof.proof.map((h) => Buffer.from(h, 'hex')), root)) {
    throw new Error(`the proof of ${index} does not verify`);
  }
  reads += nodesRead((read) => inclusionProof(read, index, treeSize)).length;
}
times.sort((a, b) => a - b);
console.log(
  `inclusion proof at ${treeSize.toLocaleString('en-US')} records (${proofs} random leaves, all verified): ` +
    `p50 ${percentile(times, 0.5).toFixed(3)} ms, p99 ${percentile(times, 0.99).toFixed(3)} ms, max ${(times.at(-1) ?? 0).toFixed(3)} ms, ` +
    `${(reads / proofs).toFixed(1)} stored hashes read a proof, ${(proofCpu / proofs).toFixed(3)} ms of CPU time a proof on average`,
);

// The citizen's tracker: one person's records through the person index (and the unindexed newest records), with proofs.
const tracker: number[] = [];
for (let i = 0; i < Math.min(proofs, 2_000); i++) {
  const person = `0${String((random() * 2_654_435_761) % 100_000_000).padStart(11, '0')}`;
  const started = performance.now();
  await audit.tracker(person, { visibleOn: '2026-12-01' });
  tracker.push(performance.now() - started);
}
tracker.sort((a, b) => a - b);
console.log(`tracker page (one person, with proofs): p50 ${percentile(tracker, 0.5).toFixed(3)} ms, p99 ${percentile(tracker, 0.99).toFixed(3)} ms`);
await database.close();
