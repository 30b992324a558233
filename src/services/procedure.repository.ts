import type { Selectable } from 'kysely';
import type { Executor } from '../registry/person.repository.js';
import type { ProceduresTable, ProcedureStepsTable } from './procedure.tables.js';

export type ProcedureRow = Selectable<ProceduresTable>;
export type StepRow = Selectable<ProcedureStepsTable>;

/** A step the runner may work now: its procedure's current step, not finished, its backoff passed. */
export interface DueStep {
  readonly procedure: ProcedureRow;
  readonly step: StepRow;
}

/** The applications and their steps. Writers pass the transaction they belong to. */
export const procedureRepository = {
  async insert(db: Executor, procedure: ProceduresTable, steps: readonly ProcedureStepsTable[]): Promise<void> {
    await db.insertInto('procedures').values(procedure).execute();
    await db.insertInto('procedure_steps').values([...steps]).execute();
  },

  async find(db: Executor, procedureId: string): Promise<ProcedureRow | undefined> {
    return db.selectFrom('procedures').selectAll().where('procedure_id', '=', procedureId).executeTakeFirst();
  },

  async findByDedupeKey(db: Executor, key: string): Promise<ProcedureRow | undefined> {
    return db.selectFrom('procedures').selectAll().where('dedupe_key', '=', key).executeTakeFirst();
  },

  async steps(db: Executor, procedureIds: readonly string[]): Promise<readonly StepRow[]> {
    if (procedureIds.length === 0) return [];
    return db.selectFrom('procedure_steps').selectAll().where('procedure_id', 'in', procedureIds).orderBy('procedure_id').orderBy('step_no').execute();
  },

  async ofApplicant(db: Executor, applicantId: string, limit: number): Promise<readonly ProcedureRow[]> {
    return db.selectFrom('procedures').selectAll().where('applicant_id', '=', applicantId).orderBy('submitted_at', 'desc').limit(limit).execute();
  },

  /** Procedures of a unit (all when both codes are absent), newest first. */
  async ofUnit(db: Executor, unit: { readonly provinceCode?: string; readonly communeCode?: string }, filter: { readonly status?: string | undefined; readonly kind?: string | undefined }, limit: number): Promise<readonly ProcedureRow[]> {
    let q = db.selectFrom('procedures').selectAll();
    if (unit.provinceCode !== undefined) q = q.where('province_code', '=', unit.provinceCode);
    if (unit.communeCode !== undefined) q = q.where('commune_code', '=', unit.communeCode);
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    if (filter.kind !== undefined) q = q.where('kind', '=', filter.kind);
    return q.orderBy('submitted_at', 'desc').orderBy('procedure_id').limit(limit).execute();
  },

  /** Current steps due at `nowMs`, oldest first. */
  async due(db: Executor, nowMs: number, limit: number): Promise<readonly DueStep[]> {
    const steps = await db
      .selectFrom('procedure_steps')
      .innerJoin('procedures', 'procedures.procedure_id', 'procedure_steps.procedure_id')
      .selectAll('procedure_steps')
      .where('procedure_steps.status', 'in', ['pending', 'in_progress'])
      .where('procedure_steps.next_attempt_at', '<=', nowMs)
      .whereRef('procedures.current_step', '=', 'procedure_steps.step_no')
      .where('procedures.status', '=', 'in_progress')
      .orderBy('procedure_steps.next_attempt_at')
      .limit(limit)
      .execute();
    if (steps.length === 0) return [];
    const procedures = await db.selectFrom('procedures').selectAll().where('procedure_id', 'in', steps.map((s) => s.procedure_id)).execute();
    const byId = new Map(procedures.map((p) => [p.procedure_id, p]));
    return steps.flatMap((step) => {
      const procedure = byId.get(step.procedure_id);
      return procedure === undefined ? [] : [{ procedure, step }];
    });
  },

  /**
   * Takes a step for one try: only if it is still the one seen (status and attempts), so that two
   * runners never both work it (on PostgreSQL the second waits on the row, then finds it changed).
   * `leaseUntil` is when another runner may try again if this one dies mid-try.
   */
  async claim(db: Executor, procedureId: string, stepNo: number, seenAttempts: number, at: string, leaseUntil: number): Promise<boolean> {
    const r = await db.updateTable('procedure_steps')
      .set({ status: 'in_progress', attempts: seenAttempts + 1, next_attempt_at: leaseUntil })
      .where('procedure_id', '=', procedureId).where('step_no', '=', stepNo)
      .where('attempts', '=', seenAttempts).where('status', 'in', ['pending', 'in_progress'])
      .executeTakeFirst();
    if (r.numUpdatedRows === 0n) return false;
    await db.updateTable('procedure_steps').set({ started_at: at }).where('procedure_id', '=', procedureId).where('step_no', '=', stepNo).where('started_at', 'is', null).execute();
    return true;
  },

  async markRecorded(db: Executor, procedureId: string, stepNo: number): Promise<void> {
    await db.updateTable('procedure_steps').set({ recorded: 1 }).where('procedure_id', '=', procedureId).where('step_no', '=', stepNo).execute();
  },

  /**
   * Marks a step done and moves the procedure to the next one (its time limit starts now), or
   * completes it. False when the step was already done (a second runner): the caller rolls back.
   */
  async complete(db: Executor, procedureId: string, stepNo: number, result: Readonly<Record<string, unknown>>, at: string, next: { readonly dueAt: string; readonly nowMs: number } | undefined): Promise<boolean> {
    const r = await db.updateTable('procedure_steps')
      .set({ status: 'done', finished_at: at, result: JSON.stringify(result), last_error: null })
      .where('procedure_id', '=', procedureId).where('step_no', '=', stepNo).where('status', '!=', 'done')
      .executeTakeFirst();
    if (r.numUpdatedRows === 0n) return false;
    if (next === undefined) {
      await db.updateTable('procedures').set({ status: 'done', completed_at: at, updated_at: at }).where('procedure_id', '=', procedureId).execute();
    } else {
      await db.updateTable('procedures').set({ current_step: stepNo + 1, updated_at: at }).where('procedure_id', '=', procedureId).execute();
      await db.updateTable('procedure_steps').set({ due_at: next.dueAt, next_attempt_at: next.nowMs, started_at: at })
        .where('procedure_id', '=', procedureId).where('step_no', '=', stepNo + 1).execute();
    }
    return true;
  },

  /** A try that failed: retried at `retryAt`, or failed for good (the procedure shows it) when `retryAt` is null. */
  async fail(db: Executor, procedureId: string, stepNo: number, error: string, at: string, retryAt: number | null): Promise<void> {
    await db.updateTable('procedure_steps')
      .set(retryAt === null ? { status: 'failed', last_error: error, finished_at: at } : { status: 'pending', last_error: error, next_attempt_at: retryAt })
      .where('procedure_id', '=', procedureId).where('step_no', '=', stepNo).where('status', '!=', 'done')
      .execute();
    await db.updateTable('procedures').set({ updated_at: at, ...(retryAt === null ? { status: 'failed' } : {}) }).where('procedure_id', '=', procedureId).execute();
  },

  /** An officer sends a failed step round again: attempts from zero, due now. */
  async retry(db: Executor, procedureId: string, stepNo: number, at: string, nowMs: number): Promise<boolean> {
    const r = await db.updateTable('procedure_steps')
      .set({ status: 'pending', attempts: 0, next_attempt_at: nowMs, finished_at: null })
      .where('procedure_id', '=', procedureId).where('step_no', '=', stepNo).where('status', '=', 'failed')
      .executeTakeFirst();
    if (r.numUpdatedRows === 0n) return false;
    await db.updateTable('procedures').set({ status: 'in_progress', updated_at: at }).where('procedure_id', '=', procedureId).execute();
    return true;
  },

  async endpoint(db: Executor, agency: string): Promise<string | undefined> {
    return (await db.selectFrom('procedure_endpoints').select('url').where('agency', '=', agency).executeTakeFirst())?.url;
  },

  async endpoints(db: Executor): Promise<readonly { readonly agency: string; readonly url: string; readonly updatedAt: string }[]> {
    const rows = await db.selectFrom('procedure_endpoints').selectAll().orderBy('agency').execute();
    return rows.map((r) => ({ agency: r.agency, url: r.url, updatedAt: r.updated_at }));
  },

  async setEndpoint(db: Executor, agency: string, url: string, at: string): Promise<void> {
    await db.insertInto('procedure_endpoints').values({ agency, url, updated_at: at })
      .onConflict((oc) => oc.column('agency').doUpdateSet({ url, updated_at: at })).execute();
  },

  /** Counts by status, for the bench and the officers' summary. */
  async countByStatus(db: Executor): Promise<Readonly<Record<string, number>>> {
    const rows = await db.selectFrom('procedures').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  },
};
