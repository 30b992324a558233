import type { CitizenExecutor } from './citizen-account.repository.js';

/** Failed attempts per hashed address and door, shared by every node of the store. */
export const addressFailureRepository = {
  async insert(db: CitizenExecutor, scope: string, addressHash: string, at: string): Promise<void> {
    await db.insertInto('citizen_address_failures').values({ scope, address_hash: addressHash, at }).execute();
  },

  /** How many failures since `since`, and the oldest of them (the window ends for the key when it leaves). */
  async since(db: CitizenExecutor, scope: string, addressHash: string, since: string): Promise<{ readonly count: number; readonly oldest: string | null }> {
    const row = await db.selectFrom('citizen_address_failures')
      .select((eb) => [eb.fn.countAll<number | string>().as('n'), eb.fn.min('at').as('oldest')])
      .where('scope', '=', scope).where('address_hash', '=', addressHash).where('at', '>', since)
      .executeTakeFirst();
    return { count: Number(row?.n ?? 0), oldest: row?.oldest ?? null };
  },

  /** Deletes failures older than `before` (any door, any address). */
  async prune(db: CitizenExecutor, before: string): Promise<number> {
    const result = await db.deleteFrom('citizen_address_failures').where('at', '<=', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  },
};
