/**
 * What a bulk job's (an export's, a reconciliation's) record in the citizens' trackers costs at
 * 1 M persons, two ways, on the access log's own SQLite file (as access-log.store.ts lays it out,
 * batches on the writer thread):
 *
 *   per-person: one access record per included person (jobId and jobHash in each leaf), through
 *               AccessLog.appendMany in batches of 5,000, the tracker's person index caught up;
 *   per-job:    SHA-256 over the sorted ids, one access record for the job, and a (job, person)
 *               membership table that the tracker would read to show the job to each person.
 *
 *   npx tsx bench/bulk-job-records.bench.ts [--persons 1000000] [--file /tmp/sachsong-bulk-bench.db]
 */
import { createHash } from 'node:crypto';
import { rmSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { openAccessLog } from '../src/audit/access-log.service.js';
import type { AccessRecordInput } from '../src/audit/access-log.types.js';
import { openDatabase } from '../src/store/database.js';
import { migrateAccessLogStore } from '../src/store/migrator.js';

const { values } = parseArgs({ options: { persons: { type: 'string', default: '1000000' }, file: { type: 'string', default: '/tmp/sachsong-bulk-bench.db' } } });
const persons = Number(values.persons);
const ids = Array.from({ length: persons }, (_, i) => `0010${String(85_000_000 + i).padStart(8, '0')}`);

function jobHash(list: readonly string[]): string {
  const hash = createHash('sha256');
  for (const id of [...list].sort()) hash.update(`${id}\n`);
  return hash.digest('hex');
}

async function run(mode: 'per-person' | 'per-job'): Promise<void> {
  const file = `${values.file}.${mode}`;
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  const database = openDatabase({ sqliteFile: file, pageSize: 4_096 });
  await migrateAccessLogStore(database.db, database.dialect);
  const log = openAccessLog(database, { maxBatch: 5_000, writerThread: true });
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const hash = jobHash(ids);
  const base = {
    at: '2026-12-04T10:00:00.000Z', clientId: 'VN/GOV/sachsong/job', officerId: 'officer-1', service: 'person.export',
    purpose: 'Xuất dữ liệu dân cư theo đơn vị hành chính', legalBasis: 'Luật Căn cước 2023', fields: ['fullName', 'birthDate', 'permanentAddress'],
    visibility: 'public' as const, requestId: 'job-1', readerKind: 'job' as const, readerRole: 'person.export', readerUnit: 'nation', jobId: 'job-1', jobHash: hash,
  };
  if (mode === 'per-person') {
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < persons; i += 5_000) {
      const batch: AccessRecordInput[] = ids.slice(i, i + 5_000).map((personId) => ({ personId, ...base }));
      pending.push(log.appendMany(batch));
      if (pending.length >= 2) await pending.shift();
    }
    await Promise.all(pending);
    await log.indexed();
  } else {
    await log.append({ personId: ids[0] ?? '', ...base });
    await sql`create table if not exists bulk_job_members (person_id text not null, job_id text not null, primary key (person_id, job_id)) without rowid`.execute(database.db);
    for (let i = 0; i < persons; i += 5_000) {
      const rows = ids.slice(i, i + 5_000).map((person_id) => ({ person_id, job_id: 'job-1' }));
      await database.db.transaction().execute(async (trx) => {
        for (let j = 0; j < rows.length; j += 400) {
          const part = rows.slice(j, j + 400);
          await sql`insert into bulk_job_members (person_id, job_id) values ${sql.join(part.map((r) => sql`(${r.person_id}, ${r.job_id})`))}`.execute(trx);
        }
      });
    }
  }
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const used = process.cpuUsage(cpu);
  await log.close();
  await database.close();
  const bytes = ['', '-wal'].reduce((sum, s) => { try { return sum + statSync(`${file}${s}`).size; } catch { return sum; } }, 0);
  console.log(`${mode.padEnd(10)} ${persons.toLocaleString('en')} persons: ${(wallMs / 1000).toFixed(1)} s wall, ${((used.user + used.system) / 1e6).toFixed(1)} s main-thread CPU, ${(persons / (wallMs / 1000)).toFixed(0)} persons/s, ${(bytes / 1e6).toFixed(0)} MB on disk`);
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
}

await run('per-job');
await run('per-person');
