import { sql, type RawBuilder } from 'kysely';
import type { Executor } from './person.repository.js';

/**
 * The registry's read model for population figures (the direction centre's indicators and
 * locality statistics): counts of living persons by their commune of residence, never persons.
 * A person's commune of residence is the current one, else the permanent, else the temporary.
 */

/** The commune of residence as one expression ('' when none is known). */
const residenceCommune: RawBuilder<string> = sql<string>`coalesce(current_commune, permanent_commune, temporary_commune, '')`;

/** What a count is broken down by, within each commune. */
export type PopulationBreakdown = 'birthYearAndSex' | 'ethnicity' | 'residenceStatus';

/** One cell of a breakdown: the commune, the key (`YYYY|M`, an ethnicity code or '', `permanent`/`temporary`/`none`) and the count. */
export interface PopulationCount {
  readonly commune: string;
  readonly key: string;
  readonly count: number;
}

function breakdownKey(breakdown: PopulationBreakdown): RawBuilder<string> {
  if (breakdown === 'birthYearAndSex') return sql<string>`substr(birth_date, 1, 4) || '|' || sex`;
  if (breakdown === 'ethnicity') return sql<string>`coalesce(ethnicity, '')`;
  return sql<string>`case when permanent_commune is not null then 'permanent' when temporary_commune is not null then 'temporary' else 'none' end`;
}

export const populationReadModel = {
  /**
   * Living persons by commune of residence, and how many of them have a permanent residence.
   *
   * @example
   * const byCommune = await populationReadModel.residentsByCommune(db); // Map { '00004' => { residents: 812, permanent: 790 } }
   */
  async residentsByCommune(db: Executor): Promise<Map<string, { readonly residents: number; readonly permanent: number }>> {
    const rows = await db.selectFrom('persons')
      .select([residenceCommune.as('commune'), sql<number | string>`count(*)`.as('n'), sql<number | string>`sum(case when permanent_commune is not null then 1 else 0 end)`.as('permanent')])
      .where('status', '=', 'alive')
      .groupBy(residenceCommune)
      .execute();
    return new Map(rows.map((r) => [r.commune, { residents: Number(r.n), permanent: Number(r.permanent) }]));
  },

  /**
   * Living persons by commune of residence and breakdown key; only the given communes when
   * `communes` is set (all otherwise).
   *
   * @example
   * const cells = await populationReadModel.livingCounts(db, 'ethnicity', ['00004', '00007']);
   */
  async livingCounts(db: Executor, breakdown: PopulationBreakdown, communes?: readonly string[]): Promise<readonly PopulationCount[]> {
    const key = breakdownKey(breakdown);
    let q = db.selectFrom('persons').select([residenceCommune.as('commune'), key.as('k'), sql<number | string>`count(*)`.as('n')]).where('status', '=', 'alive');
    if (communes !== undefined) q = q.where(residenceCommune, 'in', [...communes]);
    const rows = await q.groupBy([residenceCommune, key]).execute();
    return rows.map((r) => ({ commune: r.commune, key: r.k, count: Number(r.n) }));
  },

  /** How many persons the registry holds (any status). */
  async personCount(db: Executor): Promise<number> {
    return Number((await db.selectFrom('persons').select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow()).n);
  },
};
