import type { Database } from '../store/database.js';
import type { PersonsTable } from '../store/database.types.js';
import type { Executor } from './person.repository.js';

/** The person columns a data-quality scan reads (the quality module's ScanRow is this row). */
export const personScanColumns = [
  'id_number', 'full_name', 'name_folded', 'birth_date', 'sex', 'ethnicity', 'religion', 'nationality', 'birth_province',
  'birth_commune', 'hometown', 'permanent_commune', 'temporary_commune', 'current_commune',
  'father_id', 'mother_id', 'spouse_id', 'household_id', 'relationship_to_head', 'status', 'death_date', 'updated_at',
] as const satisfies readonly (keyof PersonsTable)[];

/** A person as a scan reads it. */
export type PersonScanRow = Pick<PersonsTable, (typeof personScanColumns)[number]>;
type ScanRow = PersonScanRow;
const scanColumns = personScanColumns;

/** Event types that may follow a death: the death itself and corrections of the record. */
const afterDeathAllowed = ['death', 'correction'] as const;

type ScanValues = readonly [
  string, string, string, string, 'M' | 'F', string | null, string | null, string, string, string | null, string | null, string | null,
  string | null, string | null, string | null, string | null, string | null, string | null, string | null, 'alive' | 'deceased',
  string | null, string,
];

/** A row from its values in scanColumns order. */
function rowOf(v: ScanValues): ScanRow {
  return {
    id_number: v[0], full_name: v[1], name_folded: v[2], birth_date: v[3], sex: v[4], ethnicity: v[5], religion: v[6], nationality: v[7],
    birth_province: v[8], birth_commune: v[9], hometown: v[10], permanent_commune: v[11], temporary_commune: v[12], current_commune: v[13],
    father_id: v[14], mother_id: v[15], spouse_id: v[16], household_id: v[17], relationship_to_head: v[18], status: v[19], death_date: v[20],
    updated_at: v[21],
  };
}

/** The store handle a full scan reads from. */
export type ScanSource = Pick<Database, 'dialect' | 'db' | 'sqlite'> & { readonly location?: string };

/**
 * The registry's read model for data-quality scans: persons and life events as the quality
 * checks read them, owned here so that the quality module does not read registry tables itself.
 */
export const personScanReadModel = {
  /**
   * Every person once, in pages. SQLite: one prepared statement iterated in storage order (no
   * sort, no per-row async hop: Kysely's stream costs several times more a row). PostgreSQL:
   * keyset pages by primary key, so no transaction stays open across the whole scan.
   */
  async *persons(store: ScanSource, pageSize = 20_000): AsyncGenerator<readonly ScanRow[], void, undefined> {
    if (store.sqlite !== undefined) {
      // Arrays, turned into objects of one fixed shape here: several times cheaper than the
      // driver building each row object key by key.
      const statement = store.sqlite.prepare(`select ${scanColumns.join(', ')} from persons`).raw(true);
      let page: ScanRow[] = [];
      for (const values of statement.iterate() as IterableIterator<ScanValues>) {
        page.push(rowOf(values));
        if (page.length >= pageSize) {
          yield page;
          page = [];
        }
      }
      if (page.length > 0) yield page;
      return;
    }
    let after = '';
    for (;;) {
      const rows = await store.db.selectFrom('persons').select(scanColumns).where('id_number', '>', after).orderBy('id_number').limit(pageSize).execute();
      if (rows.length === 0) return;
      yield rows;
      after = (rows[rows.length - 1] as ScanRow).id_number;
    }
  },

  /** For every deceased person, the day of their last life event other than the death and corrections. */
  async lastEventsOfDeceased(db: Executor): Promise<Map<string, string>> {
    const rows = await db
      .selectFrom('life_events as e')
      .innerJoin('persons as p', 'p.id_number', 'e.person_id')
      .select(['e.person_id as id'])
      .select((eb) => eb.fn.max('e.occurred_on').as('last'))
      .where('p.status', '=', 'deceased')
      .where('e.event_type', 'not in', afterDeathAllowed)
      .groupBy('e.person_id')
      .execute();
    return new Map(rows.map((r) => [r.id, r.last]));
  },

  /** One person's last event other than the death and corrections. */
  async lastEventOf(db: Executor, id: string): Promise<string | null> {
    const row = await db
      .selectFrom('life_events')
      .select((eb) => eb.fn.max('occurred_on').as('last'))
      .where('person_id', '=', id)
      .where('event_type', 'not in', afterDeathAllowed)
      .executeTakeFirst();
    return row?.last ?? null;
  },

  async rows(db: Executor, ids: readonly string[]): Promise<readonly ScanRow[]> {
    if (ids.length === 0) return [];
    return db.selectFrom('persons').select(scanColumns).where('id_number', 'in', ids).execute();
  },

  async householdMembers(db: Executor, householdId: string): Promise<readonly ScanRow[]> {
    return db.selectFrom('persons').select(scanColumns).where('household_id', '=', householdId).execute();
  },

  /** Persons with exactly this folded name (the name/birth index), born in the same year: one duplicate block. */
  async sameNameAndYear(db: Executor, nameFolded: string, year: string): Promise<readonly ScanRow[]> {
    return db
      .selectFrom('persons')
      .select(scanColumns)
      .where('name_folded', '=', nameFolded)
      .where('birth_date', '>=', year)
      .where('birth_date', '<', `${year}.`)
      .limit(200)
      .execute();
  },
};
