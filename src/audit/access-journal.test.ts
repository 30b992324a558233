import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testAccessRecord } from '../../test/access-record.fixture.js';
import { fixedClock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import { openDatabase, type Database } from '../store/database.js';
import { migrateAccessLogStore } from '../store/migrator.js';
import { onSharedReadTurn, sharedRead } from '../store/shared-read.js';
import { decodeFrames, encodeFrame, encodeFrameInto, frameBytesAtMost, journalLine, payloadRecordBytes, payloadRecords, segmentName, templatedRecords, type TemplatedLeaves } from './access-journal.format.js';
import { AccessJournal, type JournalPosition } from './access-journal.js';
import { openAccessLog } from './access-log.service.js';
import { prepareAccessLeaf, prepareAccessRecord } from './access-record.js';
import { AuditService } from './audit.service.js';
import { generateSignerKey, parseSignerKey } from './checkpoint-note.js';
import { leafHash, prefixedLeafHash } from './merkle-tree.js';
import { OfficialReadLeaves } from './official-read.leaves.js';
import { officialReadRecords, type OfficialRead } from './official-read.recorder.js';

const signer = parseSignerKey(generateSignerKey('test.sachsong/access-log'));
const audit = (database: Database): AuditService => new AuditService({ db: database.db, signer, clock: fixedClock('2026-11-27T10:00:00Z') });
const leaves = async (database: Database): Promise<string[]> =>
  (await database.db.selectFrom('access_records').select(['idx', 'leaf']).orderBy('idx').execute()).map((r) => r.leaf);
/** A pid no process has (above the kernel's pid_max). */
const deadPid = 9_999_999;

describe('the access journal format', () => {
  const lines = (from: number, n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => journalLine(prepareAccessRecord(testAccessRecord(from + i)))).join(''), 'utf8');

  it('reads back whole frames, and stops at a torn or corrupted one', () => {
    const a = encodeFrame(lines(0, 3));
    const b = encodeFrame(lines(3, 2));
    const whole = decodeFrames(Buffer.concat([a, b]));
    expect(whole.torn).toBe(false);
    expect(whole.payloads.flatMap((p) => payloadRecords(p)).map((r) => r.leaf)).toEqual(Array.from({ length: 5 }, (_, i) => prepareAccessRecord(testAccessRecord(i)).leaf));
    // A write cut anywhere in the second frame: the first frame only.
    for (const cut of [1, 7, 8, 20, b.length - 1]) {
      const torn = decodeFrames(Buffer.concat([a, b.subarray(0, cut)]));
      expect(torn).toMatchObject({ torn: true, consumed: a.length });
      expect(torn.payloads).toHaveLength(1);
    }
    // A flipped byte in the payload fails its CRC.
    const flipped = Buffer.from(b);
    flipped[flipped.length - 3] = (flipped[flipped.length - 3] ?? 0) ^ 0x20;
    expect(decodeFrames(Buffer.concat([a, flipped]))).toMatchObject({ torn: true, consumed: a.length });
    // A deferred record keeps its date; a public one has none.
    const both = payloadRecords(Buffer.from(journalLine(prepareAccessRecord(testAccessRecord(1, { deferredUntil: '2027-03-01' }))) + journalLine(prepareAccessRecord(testAccessRecord(2))), 'utf8'));
    expect(both.map((r) => r.deferred_until)).toEqual(['2027-03-01', null]);
  });

  it('encodes the lines of a turn into a buffer it reuses as the same frame, whatever the characters', () => {
    const turn = ['Hà Nội\tĐ\t{"x":"ư"}\n', 'ascii only\n', 'astral \u{1F600} and \u{20000}\n', journalLine(prepareAccessRecord(testAccessRecord(4)))];
    const expected = encodeFrame(Buffer.from(turn.join(''), 'utf8'));
    // Stale bytes in the reused buffer must not leak into the frame.
    const into = Buffer.alloc(frameBytesAtMost(turn), 0xff);
    const length = encodeFrameInto(into, turn);
    expect(length).toBe(expected.length);
    expect(into.subarray(0, length).equals(expected)).toBe(true);
    expect(decodeFrames(into.subarray(0, length)).payloads.map((p) => p.toString('utf8'))).toEqual([turn.join('')]);
    // Three bytes a UTF-16 unit is the most UTF-8 takes: a line of 3-byte characters fills the bound exactly.
    expect(encodeFrameInto(Buffer.alloc(frameBytesAtMost(['ằằằ'])), ['ằằằ'])).toBe(frameBytesAtMost(['ằằằ']));
  });

  it('writes a read from a leaf template as the template once a frame and three values a person, and the fold assembles the leaves prepareAccessLeaf gives', () => {
    const leaves = new OfficialReadLeaves((read, at) => officialReadRecords(read, at));
    const fields = Object.freeze(['fullName', 'permanentResidence']);
    const reader = { kind: 'officer', id: 'off-1', role: 'commune_officer', unit: { level: 'commune', code: '26734' } } as const;
    const read = (purpose: string, personIds: string[], requestId: string): OfficialRead => ({ reader, action: 'person.read', personIds, fields, purpose, caseReference: undefined, breakGlassReason: undefined, requestId });
    const at = new Date('2026-12-06T09:30:00.123Z');
    const reads = [
      read('Tra cứu hồ sơ công dân', ['079203012345', '001085000001', '079203012345'], 'req-1'),
      read('Tra cứu hồ sơ công dân', ['001085000002'], 'req-2'),
      read('emoji 🇻🇳 purpose', ['001085000003'], 'req-3'),
    ];
    const templated = reads.map((r) => leaves.of(r, at));
    const plain = journalLine(prepareAccessRecord(testAccessRecord(7, { deferredUntil: '2027-03-01' })));
    const entries = [plain, ...templated.map((t) => t as TemplatedLeaves)];
    const into = Buffer.alloc(frameBytesAtMost(entries), 0xff);
    const frame = into.subarray(0, encodeFrameInto(into, entries));
    const [payload] = decodeFrames(frame).payloads;
    const text = payload?.toString('utf8') ?? '';
    // Two templates, each defined once, before its first read; the whole line stays as it was.
    expect(text.match(/^#\d+\t/gm)).toEqual(['#0\t', '#1\t']);
    expect(text.match(/^@\d+\t/gm)).toEqual(['@0\t', '@0\t', '@0\t', '@1\t']);
    expect(text.startsWith(plain)).toBe(true);
    // Far fewer bytes than the leaves: the template's are written once for the first two reads.
    expect(frame.length).toBeLessThan(Buffer.byteLength(plain) + 2.6 * Buffer.byteLength(templatedRecords(templated[0] as TemplatedLeaves)[0]?.leaf ?? ''));
    const expected = [prepareAccessRecord(testAccessRecord(7, { deferredUntil: '2027-03-01' })), ...reads.flatMap((r) => officialReadRecords(r, at).map((x) => prepareAccessLeaf(x)))];
    const folded = payloadRecordBytes(Buffer.from(payload ?? Buffer.alloc(0)));
    expect(folded.map((r) => [r.person_id, r.deferred_until, r.leaf.toString('utf8')])).toEqual(expected.map((r) => [r.person_id, r.deferred_until, r.leaf]));
    expect(folded.map((r) => prefixedLeafHash(r.prefixedLeaf).toString('hex'))).toEqual(expected.map((r) => leafHash(r.leaf).toString('hex')));
    expect(payloadRecords(payload ?? Buffer.alloc(0)).map((r) => r.leaf)).toEqual(expected.map((r) => r.leaf));
  });

  it('refuses a record of a template its frame has not defined, and a template out of order', () => {
    const template = '#0\t{"at":"\t","personId":"\t","requestId":"\t"}\n';
    const record = '@0\t001085000001\t2026-12-06T09:30:00.123Z\treq-1\n';
    expect(payloadRecords(Buffer.from(template + record)).map((r) => r.leaf)).toEqual(['{"at":"2026-12-06T09:30:00.123Z","personId":"001085000001","requestId":"req-1"}']);
    expect(() => payloadRecords(Buffer.from(record))).toThrow(/leaf template/);
    expect(() => payloadRecords(Buffer.from(template.replace('#0', '#1') + record))).toThrow(/leaf template/);
    expect(() => payloadRecords(Buffer.from(template + record.replace('@0', '@1')))).toThrow(/leaf template/);
    expect(() => payloadRecords(Buffer.from(template + '@0\t001085000001\treq-1\n'))).toThrow(/leaf template/);
  });

  it('gives the fold each leaf as its UTF-8 bytes, with the leaf hash of the text it encodes', () => {
    const records = [prepareAccessRecord(testAccessRecord(1, { deferredUntil: '2027-03-01' })), prepareAccessRecord(testAccessRecord(2))];
    const payload = Buffer.from(records.map((r) => journalLine(r)).join(''), 'utf8');
    const read = payloadRecordBytes(payload);
    expect(read.map((r) => [r.person_id, r.deferred_until])).toEqual([[records[0]?.person_id, '2027-03-01'], [records[1]?.person_id, null]]);
    // The leaves hold Vietnamese text: the bytes are its UTF-8, and their hash is the string's leaf hash.
    expect(records[0]?.leaf).toMatch(/Căn cước/);
    expect(read.map((r) => r.leaf.toString('utf8'))).toEqual(records.map((r) => r.leaf));
    expect(read.map((r) => prefixedLeafHash(r.prefixedLeaf).toString('hex'))).toEqual(records.map((r) => leafHash(r.leaf).toString('hex')));
    expect(() => prefixedLeafHash(Buffer.from('{"not":"prefixed"}'))).toThrow(/0x00/);
    expect(() => payloadRecordBytes(Buffer.from('001085000001 no tabs\n'))).toThrow(/not a record/);
  });
});

describe('the access journal', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'sachsong-journal-')); });
  afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

  it('writes the appends of one turn in one write, and acknowledges after it', async () => {
    const positions: JournalPosition[] = [];
    let writes = 0;
    const journal = new AccessJournal({ dir, onWritten: (p) => positions.push(p), write: (fd, buffer, offset, length, position) => { writes++; return writeSync(fd, buffer, offset, length, position); } });
    await Promise.all(Array.from({ length: 20 }, (_, i) => journal.append(journalLine(prepareAccessRecord(testAccessRecord(i))))));
    expect(writes).toBe(1);
    expect(positions).toHaveLength(1);
    const file = path.join(dir, journal.currentSegment);
    expect(statSync(file).size).toBe(positions[0]?.end);
    journal.close();
  });

  it('writes a turn larger than its reused buffer, and the small turns around it, each whole and in order', async () => {
    const journal = new AccessJournal({ dir, onWritten: () => undefined });
    const line = (i: number): string => journalLine(prepareAccessRecord(testAccessRecord(i)));
    await journal.append(line(0));
    // About 200 KiB in one turn: past the 64 KiB the journal keeps for its frames.
    await Promise.all(Array.from({ length: 300 }, (_, i) => journal.append(line(1 + i))));
    await journal.append(line(301));
    const file = path.join(dir, journal.currentSegment);
    journal.close();
    const frames = decodeFrames(readFileSync(file));
    expect(frames.torn).toBe(false);
    expect(frames.payloads.map((p) => payloadRecords(p).length)).toEqual([1, 300, 1]);
    expect(frames.payloads[1]?.length).toBeGreaterThan(64 * 1024);
    expect(frames.payloads.flatMap((p) => payloadRecords(p)).map((r) => r.leaf)).toEqual(Array.from({ length: 302 }, (_, i) => prepareAccessRecord(testAccessRecord(i)).leaf));
  });

  it("writes the records of a turn of shared reads in that turn's check phase, not the next turn's", async () => {
    const registry = openDatabase({ sqliteFile: path.join(dir, 'registry.db') });
    let writes = 0;
    const journal = new AccessJournal({ dir: path.join(dir, 'journal'), onWritten: () => undefined, write: (fd, buffer, offset, length, position) => { writes++; return writeSync(fd, buffer, offset, length, position); } });
    const stop = onSharedReadTurn(() => { journal.expectAppends(); });
    try {
      // As an officer's read: the record is appended in the continuation of the person's read.
      const reads = Array.from({ length: 5 }, (_, i) => sharedRead(registry.db, () => i, () => Promise.resolve(i)).then((n) => {
        // Scheduled before the append: it runs in the next turn, after a write made in this one.
        const writesNextTurn = new Promise<number>((resolve) => { setImmediate(() => { resolve(writes); }); });
        return Promise.all([journal.append(journalLine(prepareAccessRecord(testAccessRecord(n)))), writesNextTurn]);
      }));
      const seen = await Promise.all(reads);
      expect(writes).toBe(1);
      expect(seen.map(([, w]) => w)).toEqual([1, 1, 1, 1, 1]);
    } finally {
      stop();
      journal.close();
      await registry.close();
    }
  });

  it('refuses the appends of a failed write, cuts off what it wrote, and goes on with the next', async () => {
    let fail = false;
    const journal = new AccessJournal({
      dir, onWritten: () => undefined,
      // A full disk after half the frame: the bytes are on disk but the write failed.
      write: (fd, buffer, offset, length, position) => {
        if (!fail) return writeSync(fd, buffer, offset, length, position);
        writeSync(fd, buffer, offset, Math.floor(length / 2), position);
        throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      },
    });
    await journal.append(journalLine(prepareAccessRecord(testAccessRecord(0))));
    const file = path.join(dir, journal.currentSegment);
    const before = statSync(file).size;
    fail = true;
    const refused = journal.append(journalLine(prepareAccessRecord(testAccessRecord(1))));
    await expect(refused).rejects.toMatchObject({ code: 'ACCESS_LOG_WRITE_FAILED', kind: 'unavailable' });
    await expect(refused).rejects.toBeInstanceOf(DomainError);
    expect(statSync(file).size).toBe(before);
    fail = false;
    await journal.append(journalLine(prepareAccessRecord(testAccessRecord(2))));
    journal.close();
    const frames = decodeFrames(readFileSync(file));
    expect(frames.torn).toBe(false);
    expect(frames.payloads.flatMap((p) => payloadRecords(p)).map((r) => r.leaf)).toEqual([0, 2].map((i) => prepareAccessRecord(testAccessRecord(i)).leaf));
  });

  it('begins a new segment past its size limit', async () => {
    const journal = new AccessJournal({ dir, onWritten: () => undefined, maxSegmentBytes: 1_000 });
    const first = journal.currentSegment;
    for (let i = 0; i < 5; i++) await journal.append(journalLine(prepareAccessRecord(testAccessRecord(i))));
    expect(journal.currentSegment).not.toBe(first);
    journal.close();
    expect(readdirSync(dir).length).toBeGreaterThan(1);
  });

  it('leaves the segments of a running process to it, and takes those of a stopped one and its own pid', () => {
    mkdirSync(dir, { recursive: true });
    const running = segmentName(Date.now(), process.ppid, 0);
    const stopped = segmentName(Date.now(), deadPid, 0);
    const own = segmentName(Date.now() - 1_000, process.pid, 3);
    for (const name of [running, stopped, own, 'notes.txt']) writeFileSync(path.join(dir, name), '');
    expect(AccessJournal.leftOver(dir)).toEqual([own, stopped].sort());
  });
});

describe('an access log with its journal', () => {
  let dir: string;
  let store: Database;
  let file: string;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sachsong-journal-log-'));
    file = path.join(dir, 'access-log.db');
    store = openDatabase({ sqliteFile: file, pageSize: 4_096 });
    await migrateAccessLogStore(store.db, 'sqlite');
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('acknowledges from the journal, folds every record into the tree once and in order, and verifies', async () => {
    const log = openAccessLog(store, { writerThread: true, personIndex: { runSize: 16, sliceSize: 4 } });
    // Appends with an index (the exchange's) and without (officials' reads), interleaved.
    const waves = Array.from({ length: 30 }, (_, w) => Promise.all([
      log.appendUnindexed(Array.from({ length: 7 }, (_, i) => testAccessRecord(w * 10 + i))),
      log.appendMany([testAccessRecord(w * 10 + 7)]),
    ]));
    await Promise.all(waves);
    await log.settled();
    // Read as a reader of the log would, after settled: everything acknowledged is there.
    const stored = await leaves(store);
    expect(stored).toHaveLength(30 * 8);
    // Leaves folded from the journal's bytes are stored as text, as the others are.
    expect(await sql<{ n: number }>`select count(*) as n from access_records where typeof(leaf) <> 'text'`.execute(store.db).then((r) => r.rows[0]?.n)).toBe(0);
    expect(new Set(stored).size).toBe(stored.length);
    const expected = Array.from({ length: 30 }, (_, w) => Array.from({ length: 8 }, (_, i) => prepareAccessRecord(testAccessRecord(w * 10 + i)).leaf)).flat();
    expect([...stored].sort()).toEqual([...expected].sort());
    // Records of one appendUnindexed call stay together, in their order.
    const first = stored.indexOf(expected[0] ?? '');
    expect(stored.slice(first, first + 7)).toEqual(expected.slice(0, 7));
    await log.indexed();
    await log.close();
    // The orderly stop folded everything: no segment and no mark left.
    expect(readdirSync(`${file}.journal.d`)).toEqual([]);
    expect(await store.db.selectFrom('access_log_journal_marks').selectAll().execute()).toEqual([]);
    const report = await audit(store).verify();
    expect(report.problems).toEqual([]);
    expect(report.treeSize).toBe(240);
    expect((await audit(store).tracker('001085000003', { visibleOn: '2027-12-01' })).entries.length).toBeGreaterThan(0);
  });

  it('folds across segments as the journal begins new ones, polled by the writer thread', async () => {
    const log = openAccessLog(store, { writerThread: true, journalSegmentBytes: 2_000 });
    const acknowledged: string[] = [];
    for (let turn = 0; turn < 40; turn++) {
      await Promise.all(Array.from({ length: 5 }, (_, i) => log.appendUnindexed([testAccessRecord(turn * 5 + i)]).then(() => { acknowledged.push(prepareAccessRecord(testAccessRecord(turn * 5 + i)).leaf); })));
    }
    // Nobody asks: the thread's polls fold the segments as they fill, and delete the closed ones.
    await expect.poll(async () => (await leaves(store)).length, { timeout: 10_000 }).toBe(200);
    expect(await leaves(store)).toEqual(acknowledged);
    // Closed segments are deleted once folded: the live one is left (and one begun after the last write, empty).
    await expect.poll(() => readdirSync(`${file}.journal.d`).length, { timeout: 10_000 }).toBeLessThanOrEqual(2);
    await log.close();
    expect(readdirSync(`${file}.journal.d`)).toEqual([]);
    expect((await audit(store).verify()).problems).toEqual([]);
  });

  it('refuses a malformed record before anything is written', async () => {
    const log = openAccessLog(store, { writerThread: true });
    await expect(log.appendUnindexed([testAccessRecord(1), { ...testAccessRecord(2), personId: '12345' }])).rejects.toMatchObject({ code: 'ACCESS_RECORD_PERSON_INVALID' });
    await log.settled();
    await log.close();
    expect(await leaves(store)).toEqual([]);
  });

  it('folds at start the segments a stopped process left, part-folded or torn, each whole record once', async () => {
    const journalDir = `${file}.journal.d`;
    mkdirSync(journalDir, { recursive: true });
    const frame = (from: number, n: number): Buffer => encodeFrame(Buffer.from(Array.from({ length: n }, (_, i) => journalLine(prepareAccessRecord(testAccessRecord(from + i)))).join(''), 'utf8'));
    // Segment 1: three frames, the first already folded (its records in the tree, its mark past it).
    const s1 = segmentName(1_700_000_000_000, deadPid, 0);
    const f1 = [frame(0, 4), frame(4, 4), frame(8, 4)];
    writeFileSync(path.join(journalDir, s1), Buffer.concat(f1));
    const early = openAccessLog(store);
    await early.appendMany(Array.from({ length: 4 }, (_, i) => testAccessRecord(i)));
    await early.close();
    await store.db.insertInto('access_log_journal_marks').values({ segment: s1, folded_to: f1[0]?.length ?? 0 }).execute();
    // Segment 2: one whole frame, then a write torn by the process's death.
    const s2 = segmentName(1_700_000_000_000, deadPid, 1);
    const torn = frame(100, 5);
    writeFileSync(path.join(journalDir, s2), Buffer.concat([frame(12, 3), torn.subarray(0, torn.length - 10)]));

    const log = openAccessLog(store, { writerThread: true });
    await log.settled();
    await log.close();
    const stored = await leaves(store);
    expect(stored).toEqual(Array.from({ length: 15 }, (_, i) => prepareAccessRecord(testAccessRecord(i)).leaf));
    expect(existsSync(path.join(journalDir, s1))).toBe(false);
    expect(existsSync(path.join(journalDir, s2))).toBe(false);
    expect((await audit(store).verify()).problems).toEqual([]);
  });
});
