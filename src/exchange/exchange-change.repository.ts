import type { Executor } from '../registry/person.repository.js';

/**
 * The exchange's change counter (one row, migration 0008). Every change to a member, client,
 * officer, key set or grant bumps it in its own transaction, so any process that cached the
 * directory can tell, with one cheap read, that it must read again.
 */
export const exchangeChangeRepository = {
  /** Bumps the counter; call it inside the transaction that makes the change. */
  async bump(db: Executor): Promise<void> {
    await db.updateTable('exchange_changes').set((eb) => ({ counter: eb('counter', '+', 1) })).where('id', '=', 1).execute();
  },

  /** The counter now (0 when the row is missing: a store not migrated to 0008 has no changes to tell). */
  async read(db: Executor): Promise<number> {
    const row = await db.selectFrom('exchange_changes').select('counter').where('id', '=', 1).executeTakeFirst();
    return row?.counter ?? 0;
  },
};
