import type { Selectable } from 'kysely';
import type { Executor } from '../registry/person.repository.js';
import type { ExchangeKeysTable } from './exchange.tables.js';

/** The exchange's own keys. Shared by every API node through the store. */
export const exchangeKeyRepository = {
  async current(db: Executor, purpose: string): Promise<Selectable<ExchangeKeysTable> | undefined> {
    return db.selectFrom('exchange_keys').selectAll().where('purpose', '=', purpose).orderBy('created_at', 'desc').orderBy('key_id').executeTakeFirst();
  },

  async all(db: Executor, purpose: string): Promise<readonly Selectable<ExchangeKeysTable>[]> {
    return db.selectFrom('exchange_keys').selectAll().where('purpose', '=', purpose).orderBy('created_at').execute();
  },

  /** Inserts a key unless one with this id exists (two nodes starting at once make the same first id). */
  async insertIfAbsent(db: Executor, row: ExchangeKeysTable): Promise<void> {
    await db.insertInto('exchange_keys').values(row).onConflict((oc) => oc.column('key_id').doNothing()).execute();
  },
};
