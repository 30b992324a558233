import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLogRepository } from '../src/audit/access-log.repository.js';
import { AuditService } from '../src/audit/audit.service.js';
import { openAccessLog } from '../src/audit/access-log.service.js';
import { generateSignerKey, parseSignerKey } from '../src/audit/checkpoint-note.js';
import { fixedClock } from '../src/shared/clock.js';
import { createTestDatabase, dialects } from './test-database.js';

/** Starts the appending child; resolves with it once it has acknowledged at least `acks` records. */
async function appendUntil(target: string, acks: number, writerThread = false): Promise<{ acknowledged: Map<number, string>; kill: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/audit-kill.child.ts', target, ...(writerThread ? ['writer-thread'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acknowledged = new Map<number, string>();
  let partial = '';
  let errors = '';
  child.stderr.on('data', (b: Buffer) => (errors += b.toString()));
  child.stdout.on('data', (b: Buffer) => {
    const lines = (partial + b.toString()).split('\n');
    partial = lines.pop() ?? ''; // a line cut by the kill was never fully acknowledged: ignore it
    for (const line of lines) {
      const [index, hash] = line.split(' ');
      acknowledged.set(Number(index), hash ?? '');
    }
  });
  const deadline = Date.now() + 60_000;
  while (acknowledged.size < acks) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the appending child stopped early: ${errors}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    acknowledged,
    kill: async () => {
      // Mid-stream: a transaction is being written or about to be, as in a power cut or an OOM kill.
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}

// SQLite twice: the transaction on the main thread's connection, and on the writer thread's.
describe.each([...dialects.map((d) => [d, false] as const), ['sqlite', true] as const])('an access log writer killed mid-write on %s (writer thread: %s)', (dialect, writerThread) => {
  let store: Awaited<ReturnType<typeof createTestDatabase>>;
  let audit: AuditService;

  beforeAll(async () => {
    store = await createTestDatabase(dialect);
    audit = new AuditService({ db: store.db, signer: parseSignerKey(generateSignerKey('test.sachsong/access-log')), clock: fixedClock('2026-11-27T10:00:00Z') });
  });
  afterAll(async () => {
    await store.close();
  });

  it('loses no acknowledged record, and the log verifies and goes on', async () => {
    const target = store.url ?? store.location;
    const first = await appendUntil(target, 3_000, writerThread);
    await first.kill();
    const acknowledged = first.acknowledged;
    expect(acknowledged.size).toBeGreaterThanOrEqual(3_000);

    const size = await audit.treeSize();
    const rows = await store.db.selectFrom('access_records').select(['idx', 'leaf_hash']).execute();
    const stored = new Map(rows.map((r) => [r.idx, r.leaf_hash.toString('hex')]));
    for (const [index, hash] of acknowledged) expect(stored.get(index), `acknowledged record ${index}`).toBe(hash);
    expect(size).toBeGreaterThanOrEqual(Math.max(...acknowledged.keys()) + 1);
    expect(rows.length).toBe(size); // no half-written transaction

    const report = await audit.verify();
    expect(report.problems).toEqual([]);
    expect(report.treeSize).toBe(size);
    const checkpoint = await audit.checkpoint();

    // The person index was being written too: whatever it holds is right, and it reaches the head's mark.
    const { indexed_size: indexed } = await store.db.selectFrom('access_log_head').select('indexed_size').executeTakeFirstOrThrow();
    expect(indexed).toBeGreaterThan(0);
    const indexRows = await store.db.selectFrom('access_person_entries as i').innerJoin('access_records as r', 'r.idx', 'i.idx').select(['i.idx', 'i.person_id', 'r.person_id as recorded']).execute();
    for (const row of indexRows) expect(row.person_id).toBe(row.recorded);
    const indexedIdx = new Set(indexRows.map((r) => r.idx));
    // Each record once, also in a merge the kill cut short; none at or past the mark; every entry under a run that exists.
    expect(indexedIdx.size).toBe(indexRows.length);
    for (const idx of indexedIdx) expect(idx).toBeLessThan(indexed);
    const orphans = await store.db.selectFrom('access_person_entries').select('run').where('run', 'not in', (eb) => eb.selectFrom('access_person_runs').select('run')).execute();
    expect(orphans).toEqual([]);
    for (let i = 0; i < indexed; i++) expect(indexedIdx.has(i), `record ${i} is below the index mark`).toBe(true);
    // And the tracker, which reads through it, finds what a plain scan finds, on both sides of the mark.
    const sample = [...new Set([0, indexed - 1, indexed, size - 1, ...Array.from({ length: 20 }, (_, k) => Math.floor((k * size) / 20))])].filter((i) => i >= 0 && i < size);
    for (const i of sample) {
      const { person_id: person } = await store.db.selectFrom('access_records').select('person_id').where('idx', '=', i).executeTakeFirstOrThrow();
      const scanned = await store.db.selectFrom('access_records').select('idx').where('person_id', '=', person)
        .where((eb) => eb.or([eb('deferred_until', 'is', null), eb('deferred_until', '<=', '2027-06-01')])).orderBy('idx', 'desc').execute();
      const tracked = await accessLogRepository.personRecords(store.db, person, '2027-06-01', 1_000);
      expect(tracked.map((r) => r.idx), `person of record ${i}`).toEqual(scanned.map((r) => r.idx));
    }

    // A new writer picks up the tree where the killed one left it.
    const log = openAccessLog(store);
    const [receipt] = await log.appendMany([{
      personId: '001085000001', at: '2026-11-27T10:00:00Z', clientId: 'VN/GOV/BHXH/insurance-portal', officerId: 'officer-1',
      service: 'person.verify', purpose: 'Sau sự cố', legalBasis: 'Luật Căn cước 2023, Điều 10', fields: ['fullName'],
      visibility: 'public', requestId: 'after-kill',
    }]);
    await log.close();
    expect(receipt?.index).toBe(size);
    const after = await audit.verify([checkpoint?.note ?? '']);
    expect(after.problems).toEqual([]);
    expect(after.treeSize).toBe(size + 1);
  }, 120_000);
});
