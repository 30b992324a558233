import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditService } from '../src/audit/audit.service.js';
import { openAccessLog } from '../src/audit/access-log.service.js';
import type { AccessLog, AccessRecordInput, AppendReceipt } from '../src/audit/access-log.types.js';
import { canonicalLeaf } from '../src/audit/access-record.js';
import { generateSignerKey, parseSignerKey } from '../src/audit/checkpoint-note.js';
import { leafHash, nodeHash, verifyConsistency, verifyInclusion } from '../src/audit/merkle-tree.js';
import { fixedClock } from '../src/shared/clock.js';
import type { Database } from '../src/store/database.js';
import { createTestDatabase, dialects } from './test-database.js';

const person = (i: number): string => `0010850${String(i % 100_000).padStart(5, '0')}`;

/** A plausible access record; `i` varies every member. */
export function sampleRecord(i: number, overrides: Partial<AccessRecordInput> = {}): AccessRecordInput {
  return {
    personId: person(i % 7),
    at: new Date(Date.UTC(2026, 10, 1) + i * 1_000).toISOString(),
    clientId: i % 2 === 0 ? 'VN/GOV/BHXH/insurance-portal' : 'VN/COM/VCB/kyc',
    ...(i % 3 === 0 ? { receivingAgency: 'Bảo hiểm xã hội Việt Nam' } : {}),
    officerId: `officer-${i % 11}`,
    service: 'person.verify',
    purpose: `Xác minh nhân thân lần ${i}`,
    legalBasis: 'Luật Căn cước 2023, Điều 10',
    ...(i % 5 === 0 ? { consentId: `consent-${i}` } : {}),
    fields: ['fullName', 'birthDate'],
    visibility: 'public',
    requestId: `request-${i}`,
    ...overrides,
  };
}

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

// SQLite twice: transactions on the shared connection, and on the writer thread's own connection.
const writers = [...dialects.map((dialect) => ({ dialect, writerThread: false })), { dialect: 'sqlite' as const, writerThread: true }];
for (const { dialect, writerThread } of writers) {
  describe(`the access log on ${dialect}${writerThread ? ' (writer thread)' : ''}`, () => {
    let database: Database;
    let log: AccessLog;
    let audit: AuditService;
    let commits = 0;

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      log = openAccessLog(database, { lingerMs: 2, maxBatch: 64, writerThread, onCommit: () => { commits++; } });
      audit = new AuditService({ db: database.db, signer: parseSignerKey(generateSignerKey('test.sachsong/access-log')), clock: fixedClock('2026-11-27T10:00:00Z') });
    });
    afterAll(async () => {
      await log.close();
      await database.close();
    });

    it('group-commits concurrent appends into dense indexes whose receipts match the leaves', async () => {
      const start = await audit.treeSize();
      const commitsBefore = commits;
      const records = Array.from({ length: 300 }, (_, i) => sampleRecord(i));
      const receipts = await Promise.all(records.map((r) => log.append(r)));
      const indexes = receipts.map((r) => r.index).sort((a, b) => a - b);
      expect(indexes).toEqual(Array.from({ length: 300 }, (_, i) => start + i));
      // All 300 were queued before the first commit: full transactions of 64 and one of the rest.
      expect(commits - commitsBefore).toBe(Math.ceil(300 / 64));
      receipts.forEach((receipt, i) => {
        const record = records[i] ?? sampleRecord(i);
        expect(receipt.leafHash).toBe(leafHash(canonicalLeaf({ ...record, at: new Date(record.at).toISOString() })).toString('hex'));
      });
      const batch = await log.appendMany(Array.from({ length: 100 }, (_, i) => sampleRecord(300 + i)));
      expect(batch.map((r) => r.index)).toEqual(Array.from({ length: 100 }, (_, i) => start + 300 + i));
      expect(await audit.treeSize()).toBe(start + 400);
    });

    it('refuses a malformed record with a clear error and writes nothing', async () => {
      const before = await audit.treeSize();
      await expect(log.append(sampleRecord(1, { personId: '12345' }))).rejects.toMatchObject({ code: 'ACCESS_RECORD_PERSON_INVALID' });
      await expect(log.append(sampleRecord(1, { at: '27/11/2026' }))).rejects.toMatchObject({ code: 'ACCESS_RECORD_TIME_INVALID' });
      await expect(log.append(sampleRecord(1, { clientId: 'BHXH' }))).rejects.toMatchObject({ code: 'ACCESS_RECORD_CLIENT_INVALID' });
      await expect(log.append(sampleRecord(1, { fields: [] }))).rejects.toMatchObject({ code: 'ACCESS_RECORD_FIELDS_INVALID' });
      await expect(log.append(sampleRecord(1, { purpose: ' ' }))).rejects.toMatchObject({ code: 'ACCESS_RECORD_FIELD_INVALID' });
      await expect(log.append(sampleRecord(1, { visibility: { deferredUntil: '2026-02-30' } }))).rejects.toMatchObject({ code: 'ACCESS_RECORD_VISIBILITY_INVALID' });
      // One bad record in a batch refuses the whole batch.
      await expect(log.appendMany([sampleRecord(1), sampleRecord(2, { officerId: '' })])).rejects.toMatchObject({ kind: 'invalid' });
      expect(await audit.treeSize()).toBe(before);
    });

    it('signs checkpoints and serves inclusion proofs that verify against them', async () => {
      // runs on its own too (vitest -t): it appends what it proves, whatever came before
      const start = await audit.treeSize();
      await log.appendMany(Array.from({ length: 400 }, (_, i) => sampleRecord(2_000 + i)));
      const size = start + 400;
      const checkpoint = await audit.checkpoint();
      expect(checkpoint?.treeSize).toBe(size);
      const opened = audit.openCheckpoint(checkpoint?.note ?? '');
      expect(opened.rootHash.toString('hex')).toBe(checkpoint?.rootHash);
      for (const index of [0, 1, 63, 64, 200, size - 1]) {
        const proof = await audit.inclusion(index);
        expect(proof.treeSize).toBe(size);
        expect(verifyInclusion(index, size, hex(proof.leafHash), proof.proof.map(hex), opened.rootHash)).toBe(true);
        expect(verifyInclusion(index, size, leafHash('forged'), proof.proof.map(hex), opened.rootHash)).toBe(false);
      }
      await expect(audit.inclusion(size, size)).rejects.toMatchObject({ code: 'LEAF_INDEX_INVALID' });
      await expect(audit.inclusion(0, size + 1)).rejects.toMatchObject({ code: 'TREE_SIZE_INVALID' });
    });

    it('proves that a later tree extends an earlier checkpoint', async () => {
      await log.appendMany(Array.from({ length: 5 }, (_, i) => sampleRecord(3_000 + i)));
      const first = await audit.checkpoint();
      const from = first?.treeSize ?? 0;
      await log.appendMany(Array.from({ length: 37 }, (_, i) => sampleRecord(400 + i)));
      const second = await audit.checkpoint();
      const to = from + 37;
      expect(second?.treeSize).toBe(to);
      const proof = await audit.consistency(from, to);
      expect(verifyConsistency(from, to, hex(first?.rootHash ?? ''), hex(second?.rootHash ?? ''), proof.proof.map(hex))).toBe(true);
      // Another root of that size (a log whose records were changed) does not extend the first checkpoint.
      expect(verifyConsistency(from, to, hex(first?.rootHash ?? ''), nodeHash(leafHash('a'), leafHash('b')), proof.proof.map(hex))).toBe(false);
      await expect(audit.consistency(to + 1, to)).rejects.toMatchObject({ code: 'TREE_SIZE_INVALID' });
    });

    it('shows a citizen who used their data, hiding deferred entries until their date', async () => {
      const citizen = '079203099999';
      await log.appendMany([
        sampleRecord(1000, { personId: citizen, purpose: 'Cấp thẻ BHYT' }),
        sampleRecord(1001, { personId: citizen, purpose: 'Điều tra vụ án', clientId: 'VN/GOV/BCA/investigation', visibility: { deferredUntil: '2027-06-01' }, caseReference: 'VA-2026-118' }),
        sampleRecord(1002, { personId: citizen, purpose: 'Mở tài khoản ngân hàng' }),
      ]);
      const now = await audit.tracker(citizen, { visibleOn: '2026-11-27' });
      expect(now.entries.map((e) => e.record.purpose)).toEqual(['Mở tài khoản ngân hàng', 'Cấp thẻ BHYT']);
      const root = hex(now.checkpoint?.rootHash ?? '');
      for (const entry of now.entries) {
        expect(leafHash(entry.leaf).toString('hex')).toBe(entry.leafHash);
        expect(verifyInclusion(entry.index, now.checkpoint?.treeSize ?? 0, hex(entry.leafHash), entry.proof.map(hex), root)).toBe(true);
      }
      // hidden up to the day before its date, shown from that date
      expect((await audit.tracker(citizen, { visibleOn: '2027-05-31' })).entries.map((e) => e.record.purpose)).toEqual(['Mở tài khoản ngân hàng', 'Cấp thẻ BHYT']);
      const later = await audit.tracker(citizen, { visibleOn: '2027-06-01' });
      expect(later.entries.map((e) => e.record.purpose)).toEqual(['Mở tài khoản ngân hàng', 'Điều tra vụ án', 'Cấp thẻ BHYT']);
      expect(later.entries[1]?.record.caseReference).toBe('VA-2026-118');
      // Pages: one at a time, newest first.
      const first = await audit.tracker(citizen, { visibleOn: '2027-06-01', limit: 1 });
      const second = await audit.tracker(citizen, { visibleOn: '2027-06-01', limit: 1, before: first.nextBefore ?? 0 });
      expect([...first.entries, ...second.entries].map((e) => e.index)).toEqual(later.entries.slice(0, 2).map((e) => e.index));
      expect((await audit.tracker('079203088888')).entries).toEqual([]);
      await expect(audit.tracker('07920309999')).rejects.toMatchObject({ code: 'ID_NUMBER_MALFORMED' });
    });

    it('verifies the whole log and every checkpoint', async () => {
      for (const i of [4_000, 4_001]) {
        await log.append(sampleRecord(i));
        await audit.checkpoint();
      }
      const report = await audit.verify();
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.treeSize).toBe(await audit.treeSize());
      expect(report.checkpointsChecked).toBeGreaterThanOrEqual(2);
      expect(report.rootHash).toBe((await audit.rootAt(report.treeSize)).toString('hex'));
    });
  });
}

/** Tampering is done on a store of its own, one change at a time, each undone afterwards. */
for (const dialect of dialects) {
  describe(`tampering with the access log on ${dialect}`, () => {
    let database: Database;
    let audit: AuditService;
    let checkpointNote = '';

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      const log = openAccessLog(database);
      await log.appendMany(Array.from({ length: 50 }, (_, i) => sampleRecord(i)));
      await log.close();
      audit = new AuditService({ db: database.db, signer: parseSignerKey(generateSignerKey('test.sachsong/access-log')), clock: fixedClock('2026-11-27T10:00:00Z') });
      checkpointNote = (await audit.checkpoint())?.note ?? '';
    });
    afterAll(async () => {
      await database.close();
    });

    const codes = async (): Promise<string[]> => (await audit.verify([checkpointNote])).problems.map((p) => p.code);
    const leafOf = async (index: number): Promise<{ leaf: string; leaf_hash: Buffer; person_id: string }> =>
      database.db.selectFrom('access_records').select(['leaf', 'leaf_hash', 'person_id']).where('idx', '=', index).executeTakeFirstOrThrow();
    const setLeaf = async (index: number, leaf: string, hash?: Buffer): Promise<void> => {
      await database.db.updateTable('access_records').set({ leaf, ...(hash === undefined ? {} : { leaf_hash: hash }) }).where('idx', '=', index).execute();
    };

    it('starts out verified', async () => {
      expect(await codes()).toEqual([]);
    });

    it('detects a changed record', async () => {
      const original = await leafOf(17);
      await setLeaf(17, original.leaf.replace('Xác minh nhân thân lần 17', 'Xác minh nhân thân lần 18'));
      expect(await codes()).toContain('RECORD_ALTERED');
      await setLeaf(17, original.leaf);
      expect(await codes()).toEqual([]);
    });

    it('detects a changed record even with its leaf hash recomputed', async () => {
      const original = await leafOf(17);
      const forged = original.leaf.replace('"officer-6"', '"officer-7"');
      await setLeaf(17, forged, leafHash(forged));
      expect(await codes()).toEqual(expect.arrayContaining(['NODE_MISMATCH', 'CHECKPOINT_MISMATCH']));
      await setLeaf(17, original.leaf, original.leaf_hash);
    });

    it('detects a whole rewritten tree through the signed checkpoint', async () => {
      // Rewrite record 3 and every stored subtree above it consistently: only the checkpoints can tell.
      const original = await leafOf(3);
      const nodes = await database.db.selectFrom('access_log_nodes').selectAll().execute();
      const forged = original.leaf.replace('"officer-3"', '"officer-4"');
      await setLeaf(3, forged, leafHash(forged));
      const rebuilt = await (async () => {
        const all = await database.db.selectFrom('access_records').select(['idx', 'leaf_hash']).orderBy('idx').execute();
        const { appendToFrontier } = await import('../src/audit/merkle-tree.js');
        const frontier: Parameters<typeof appendToFrontier>[0] = [];
        return all.flatMap((r) => appendToFrontier(frontier, r.idx, r.leaf_hash).filter((n) => n.level > 0));
      })();
      for (const n of rebuilt) await database.db.updateTable('access_log_nodes').set({ hash: n.hash }).where('level', '=', n.level).where('idx', '=', n.index).execute();
      // The store's own checkpoints would give it away too: an attacker deletes them.
      const stored = await database.db.selectFrom('access_log_checkpoints').selectAll().execute();
      await database.db.deleteFrom('access_log_checkpoints').execute();
      expect((await audit.verify()).ok).toBe(true); // internally consistent…
      expect(await codes()).toEqual(['CHECKPOINT_MISMATCH']); // …but not what was signed
      await setLeaf(3, original.leaf, original.leaf_hash);
      for (const n of nodes) await database.db.updateTable('access_log_nodes').set({ hash: n.hash }).where('level', '=', n.level).where('idx', '=', n.idx).execute();
      for (const c of stored) await database.db.insertInto('access_log_checkpoints').values(c).execute();
      expect(await codes()).toEqual([]);
    });

    it('detects a removed record', async () => {
      const row = await database.db.selectFrom('access_records').selectAll().where('idx', '=', 20).executeTakeFirstOrThrow();
      await database.db.deleteFrom('access_records').where('idx', '=', 20).execute();
      expect(await codes()).toContain('RECORD_MISSING');
      await database.db.insertInto('access_records').values(row).execute();
      expect(await codes()).toEqual([]);
    });

    it('detects a removed tail, even with the size moved back to hide it', async () => {
      const rows = await database.db.selectFrom('access_records').selectAll().where('idx', '>=', 48).execute();
      await database.db.deleteFrom('access_records').where('idx', '>=', 48).execute();
      await database.db.updateTable('access_log_head').set({ tree_size: 48 }).execute();
      expect(await codes()).toEqual(expect.arrayContaining(['CHECKPOINT_BEYOND_LOG']));
      await database.db.insertInto('access_records').values(rows).execute();
      await database.db.updateTable('access_log_head').set({ tree_size: 50 }).execute();
      expect(await codes()).toEqual([]);
    });

    it('detects two records swapped', async () => {
      const a = await leafOf(10);
      const b = await leafOf(11);
      // Swap the whole rows (leaf, hash and person): each row is self-consistent, the order is not.
      await database.db.updateTable('access_records').set({ leaf: b.leaf, leaf_hash: b.leaf_hash, person_id: b.person_id }).where('idx', '=', 10).execute();
      await database.db.updateTable('access_records').set({ leaf: a.leaf, leaf_hash: a.leaf_hash, person_id: a.person_id }).where('idx', '=', 11).execute();
      expect(await codes()).toEqual(expect.arrayContaining(['NODE_MISMATCH', 'CHECKPOINT_MISMATCH']));
      await database.db.updateTable('access_records').set({ leaf: a.leaf, leaf_hash: a.leaf_hash, person_id: a.person_id }).where('idx', '=', 10).execute();
      await database.db.updateTable('access_records').set({ leaf: b.leaf, leaf_hash: b.leaf_hash, person_id: b.person_id }).where('idx', '=', 11).execute();
      expect(await codes()).toEqual([]);
    });

    it('detects a record hidden from its citizen by changing its person column', async () => {
      const row = await leafOf(5);
      await database.db.updateTable('access_records').set({ person_id: '001085099999' }).where('idx', '=', 5).execute();
      expect(await codes()).toEqual(['RECORD_INDEX_MISMATCH']);
      await database.db.updateTable('access_records').set({ person_id: row.person_id }).where('idx', '=', 5).execute();
    });

    it('refuses a checkpoint with a forged signature or from another key', async () => {
      const forged = checkpointNote.replace(/\n50\n/, '\n49\n');
      await expect(audit.verify([forged])).rejects.toMatchObject({ code: 'CHECKPOINT_INVALID' });
      const other = parseSignerKey(generateSignerKey('test.sachsong/access-log'));
      const foreign = other.sign(checkpointNote.slice(0, checkpointNote.indexOf('\n\n') + 1));
      await expect(audit.verify([foreign])).rejects.toMatchObject({ code: 'CHECKPOINT_INVALID' });
      // A stored checkpoint that was altered is reported, not trusted.
      await sql`update access_log_checkpoints set note = ${forged}`.execute(database.db);
      expect(await codes()).toContain('CHECKPOINT_SIGNATURE');
      await sql`update access_log_checkpoints set note = ${checkpointNote}`.execute(database.db);
      expect(await codes()).toEqual([]);
    });
  });
}

describe('the access log on sqlite, appended from inside a transaction on the same connection', () => {
  it('fails with a clear error instead of waiting for itself', async () => {
    const database = await createTestDatabase('sqlite');
    const log = openAccessLog(database, { busyLimitMs: 200 });
    try {
      expect((await log.append(sampleRecord(0))).index).toBe(0); // the tree's state is loaded
      const appended = database.db.transaction().execute(() => log.append(sampleRecord(1)));
      await expect(appended).rejects.toMatchObject({ code: 'ACCESS_LOG_BUSY' });
      expect((await log.append(sampleRecord(2))).index).toBe(1); // nothing of the failed one was written
    } finally {
      await log.close();
      await database.close();
    }
  });
});

describe('the access log on sqlite with a writer thread', () => {
  /** A fresh store and a log writing from its own thread, both closed after `run`. */
  async function withThreadLog(run: (database: Database, log: AccessLog) => Promise<void>): Promise<void> {
    const database = await createTestDatabase('sqlite');
    const log = openAccessLog(database, { busyLimitMs: 200, writerThread: true });
    try {
      await run(database, log);
    } finally {
      await log.close();
      await database.close();
    }
  }

  it('writes on its own connection: an append from inside a reading transaction on the shared one goes through', () => withThreadLog(async (database, log) => {
    expect((await log.append(sampleRecord(0))).index).toBe(0);
    // The shared connection only reads here; the writer thread's connection takes the write lock.
    const receipt = await database.db.transaction().execute(async (trx) => {
      await trx.selectFrom('access_log_head').select('tree_size').execute();
      return log.append(sampleRecord(1));
    });
    expect(receipt.index).toBe(1);
    const rows = await database.db.selectFrom('access_records').select('idx').orderBy('idx').execute();
    expect(rows.map((r) => r.idx)).toEqual([0, 1]);
  }));

  it('reports a transaction the writer thread could not commit, and writes nothing of it', () => withThreadLog(async (database, log) => {
    expect((await log.append(sampleRecord(0))).index).toBe(0);
    // A stray row where the next record goes: the batch's insert fails inside its transaction.
    await database.db.insertInto('access_records').values({ idx: 1, person_id: '001085000001', deferred_until: null, leaf: '{}', leaf_hash: Buffer.alloc(32) }).execute();
    await expect(log.append(sampleRecord(1))).rejects.toMatchObject({ code: 'ACCESS_LOG_WRITE_FAILED' });
    const head = await database.db.selectFrom('access_log_head').select('tree_size').executeTakeFirstOrThrow();
    expect(head.tree_size).toBe(1);
  }));

  it('shares the store with another writer: batches in flight on the thread are rewritten on the moved tree, none lost or doubled', () => withThreadLog(async (database, log) => {
    // A second log on the shared connection (another process would do the same): each of its
    // commits moves the tree under the thread's frontier, which must reload and write again.
    const other = openAccessLog(database, { lingerMs: 0 });
    try {
      const receipts: AppendReceipt[] = [];
      for (let wave = 0; wave < 20; wave++) {
        receipts.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? log : other).append(sampleRecord(wave * 20 + i))))));
      }
      expect(receipts.map((r) => r.index).sort((a, b) => a - b)).toEqual(Array.from({ length: 400 }, (_, i) => i));
      const audit = new AuditService({ db: database.db, signer: parseSignerKey(generateSignerKey('test.sachsong/access-log')), clock: fixedClock('2026-11-27T10:00:00Z') });
      const report = await audit.verify();
      expect(report.problems).toEqual([]);
      expect(report.treeSize).toBe(400);
      const rows = await database.db.selectFrom('access_records').select(['idx', 'leaf_hash']).execute();
      const byIndex = new Map(rows.map((r) => [r.idx, r.leaf_hash.toString('hex')]));
      for (const r of receipts) expect(byIndex.get(r.index)).toBe(r.leafHash);
    } finally {
      await other.close();
    }
  }));

  it('closes its threads in an orderly way: a process that closed its log ends by itself', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/audit-close.child.ts', database.location], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(err).toBe('');
      expect(out).toBe('closed 20\n');
      expect(code).toBe(0);
      const head = await database.db.selectFrom('access_log_head').select(['tree_size', 'indexed_size']).executeTakeFirstOrThrow();
      // Two whole runs of 8; the last 4 records wait for a third.
      expect(head).toEqual({ tree_size: 20, indexed_size: 16 });
    } finally {
      await database.close();
    }
  }, 60_000);

  it('refuses appends once closed, and lets the process exit with the thread idle', async () => {
    const database = await createTestDatabase('sqlite');
    const log = openAccessLog(database, { writerThread: true });
    await log.append(sampleRecord(0));
    await log.close();
    await expect(log.append(sampleRecord(1))).rejects.toMatchObject({ code: 'ACCESS_LOG_CLOSED' });
    await database.close();
  });
});
