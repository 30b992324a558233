import { sql, type Kysely } from 'kysely';
import type { DB } from '../store/database.types.js';
import type { SnapshotPerson } from './registry-snapshot.engine.js';

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

/** One page of snapshot rows after an ID number, in ID order (keyset paging: constant cost per page). */
export async function snapshotRowsAfter(db: Kysely<DB>, afterId: string, limit: number): Promise<readonly SnapshotPerson[]> {
  return db
    .selectFrom('persons')
    .select(['id_number', 'full_name', 'name_folded', 'birth_date', 'sex', 'status', 'death_date', 'current_commune', 'permanent_commune'])
    .where('id_number', '>', afterId)
    .orderBy('id_number')
    .limit(limit)
    .execute();
}
