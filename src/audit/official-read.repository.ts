import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../store/database.types.js';
import type { BreakGlassReasonsTable, BulkJobsTable, SensitivePersonsTable } from './audit.tables.js';

type Executor = Kysely<DB> | Transaction<DB>;

/** Persons flagged sensitive, break-glass reasons and bulk jobs (migration 0012). */
export const officialReadRepository = {
  async flagSensitive(db: Executor, row: SensitivePersonsTable): Promise<boolean> {
    const result = await db.insertInto('sensitive_persons').values(row).onConflict((oc) => oc.column('person_id').doNothing()).executeTakeFirst();
    return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
  },

  async unflagSensitive(db: Executor, personId: string): Promise<boolean> {
    const result = await db.deleteFrom('sensitive_persons').where('person_id', '=', personId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  },

  /** Every flagged person id (a short list: thousands at most). */
  async sensitiveIds(db: Executor): Promise<readonly string[]> {
    return (await db.selectFrom('sensitive_persons').select('person_id').execute()).map((r) => r.person_id);
  },

  async insertBreakGlassReason(db: Executor, row: BreakGlassReasonsTable): Promise<void> {
    await db.insertInto('break_glass_reasons').values(row).onConflict((oc) => oc.column('request_id').doNothing()).execute();
  },

  async breakGlassReason(db: Executor, requestId: string): Promise<{ readonly reason: string; readonly reasonSha256: string; readonly readerId: string } | undefined> {
    const row = await db.selectFrom('break_glass_reasons').selectAll().where('request_id', '=', requestId).executeTakeFirst();
    return row === undefined ? undefined : { reason: row.reason, reasonSha256: row.reason_sha256, readerId: row.reader_id };
  },

  /**
   * Break-glass reads, newest first; `before` is the (recorded_at, request_id) of the last row of
   * the previous page. Bounded by `from`/`to` (ISO instants, to exclusive) when given.
   */
  async breakGlassReads(db: Executor, query: { readonly limit: number; readonly from?: string; readonly to?: string; readonly before?: { readonly recordedAt: string; readonly requestId: string } }): Promise<readonly BreakGlassReasonsTable[]> {
    let q = db.selectFrom('break_glass_reasons').selectAll();
    if (query.from !== undefined) q = q.where('recorded_at', '>=', query.from);
    if (query.to !== undefined) q = q.where('recorded_at', '<', query.to);
    const before = query.before;
    if (before !== undefined) {
      q = q.where((eb) => eb.or([eb('recorded_at', '<', before.recordedAt), eb.and([eb('recorded_at', '=', before.recordedAt), eb('request_id', '<', before.requestId)])]));
    }
    return q.orderBy('recorded_at', 'desc').orderBy('request_id', 'desc').limit(query.limit).execute();
  },

  async insertBulkJob(db: Executor, row: BulkJobsTable): Promise<void> {
    await db.insertInto('bulk_jobs').values(row).onConflict((oc) => oc.column('job_id').doNothing()).execute();
  },

  async insertBulkJobMembers(db: Executor, jobId: string, personIds: readonly string[]): Promise<void> {
    // 400 rows a statement: under SQLite's 999-parameter limit of older builds.
    for (let i = 0; i < personIds.length; i += 400) {
      const rows = personIds.slice(i, i + 400).map((person_id) => ({ person_id, job_id: jobId }));
      await db.insertInto('bulk_job_members').values(rows).onConflict((oc) => oc.columns(['person_id', 'job_id']).doNothing()).execute();
    }
  },

  /** The log indexes of the jobs that included the person, newest first, below `before`. */
  async personJobIndexes(db: Executor, personId: string, limit: number, before?: number): Promise<readonly number[]> {
    let q = db.selectFrom('bulk_job_members as m').innerJoin('bulk_jobs as j', 'j.job_id', 'm.job_id').select('j.log_index').where('m.person_id', '=', personId);
    if (before !== undefined) q = q.where('j.log_index', '<', before);
    return (await q.orderBy('j.log_index', 'desc').limit(limit).execute()).map((r) => r.log_index);
  },

  async bulkJob(db: Executor, jobId: string): Promise<BulkJobsTable | undefined> {
    const row = await db.selectFrom('bulk_jobs').selectAll().where('job_id', '=', jobId).executeTakeFirst();
    return row;
  },
};
