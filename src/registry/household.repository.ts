import type { HouseholdsTable } from '../store/database.types.js';
import type { Executor } from './person.repository.js';
import type { HouseholdRecord } from './person.types.js';

function fromRow(r: HouseholdsTable): HouseholdRecord {
  return {
    householdId: r.household_id,
    headId: r.head_id,
    communeCode: r.commune_code,
    address: r.address,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export const householdRepository = {
  async findById(db: Executor, householdId: string): Promise<HouseholdRecord | undefined> {
    const row = await db.selectFrom('households').selectAll().where('household_id', '=', householdId).executeTakeFirst();
    return row === undefined ? undefined : fromRow(row);
  },

  async upsert(db: Executor, h: HouseholdRecord): Promise<void> {
    const row: HouseholdsTable = {
      household_id: h.householdId,
      head_id: h.headId,
      commune_code: h.communeCode,
      address: h.address,
      created_at: h.createdAt,
      updated_at: h.updatedAt,
    };
    await db
      .insertInto('households')
      .values(row)
      .onConflict((oc) => oc.column('household_id').doUpdateSet({ head_id: row.head_id, commune_code: row.commune_code, address: row.address, updated_at: row.updated_at }))
      .execute();
  },
};
