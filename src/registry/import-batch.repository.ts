import type { Executor } from './person.repository.js';

export interface ImportBatch {
  readonly importId: string;
  readonly batchNo: number;
  readonly rowsAccepted: number;
  readonly rowsRejected: number;
  readonly committedAt: string;
}

/** Bookkeeping of committed import batches; written in the batch's own transaction. */
export const importBatchRepository = {
  /** The batches an import has committed, by number, with the counts each recorded. */
  async committedBatches(db: Executor, importId: string): Promise<ReadonlyMap<number, { readonly rowsAccepted: number; readonly rowsRejected: number }>> {
    const rows = await db.selectFrom('import_batches').select(['batch_no', 'rows_accepted', 'rows_rejected']).where('import_id', '=', importId).execute();
    return new Map(rows.map((r) => [r.batch_no, { rowsAccepted: r.rows_accepted, rowsRejected: r.rows_rejected }]));
  },

  async record(db: Executor, b: ImportBatch): Promise<void> {
    await db
      .insertInto('import_batches')
      .values({ import_id: b.importId, batch_no: b.batchNo, rows_accepted: b.rowsAccepted, rows_rejected: b.rowsRejected, committed_at: b.committedAt })
      .execute();
  },
};
