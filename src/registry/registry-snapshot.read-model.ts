import { sql, type Kysely } from 'kysely';
import type { DB } from '../store/database.types.js';

// The registry's read model for the matching module's registry snapshot (reconcile, linkage).

/**
 * The registry's state in one string: persons count, their latest update and the last life-event
 * sequence number. Any recorded event or import changes it, so a snapshot built for it is current.
 */
export async function registryFingerprint(db: Kysely<DB>): Promise<string> {
  const persons = await db
    .selectFrom('persons')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('updated_at').as('updated')])
    .executeTakeFirstOrThrow();
  const events = await db
    .selectFrom('life_events')
    .select(sql<number | null>`max(seq)`.as('seq'))
    .executeTakeFirstOrThrow();
  return `persons=${persons.n};updated=${persons.updated};seq=${events.seq ?? 0}`;
}

/** A person as the matching module's registry snapshot holds it (reconciliation's row). */
export interface SnapshotPersonRow {
  readonly id_number: string;
  /** NFC, as stored; released to agencies where a preset allows. */
  readonly full_name: string;
  /** Lower case, no marks, đ→d, single spaces. */
  readonly name_folded: string;
  /** 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'. */
  readonly birth_date: string;
  readonly sex: 'M' | 'F';
  readonly status: 'alive' | 'deceased';
  readonly death_date: string | null;
  /** 2025 commune codes (the generator and the registry write today's units). */
  readonly current_commune: string | null;
  readonly permanent_commune: string | null;
}

/** One page of snapshot rows after an ID number, in ID order (keyset paging: constant cost per page). */
export async function snapshotRowsAfter(db: Kysely<DB>, afterId: string, limit: number): Promise<readonly SnapshotPersonRow[]> {
  return db
    .selectFrom('persons')
    .select(['id_number', 'full_name', 'name_folded', 'birth_date', 'sex', 'status', 'death_date', 'current_commune', 'permanent_commune'])
    .where('id_number', '>', afterId)
    .orderBy('id_number')
    .limit(limit)
    .execute();
}
