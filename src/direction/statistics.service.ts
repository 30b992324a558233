import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { adminUnitCatalog } from '../registry/admin-unit.catalog.js';
import { populationReadModel } from '../registry/population.read-model.js';
import type { Clock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import { vietnamDay } from './direction-time.js';
import {
  ageGroupOf, epsilonPerTable, ethnicColumn, monthlyBudget, noisyRelease, secureUniform, statisticsTables, tableColumns,
  type CountTable, type ReleasedTable, type StatisticsTable,
} from './locality-statistics.js';

export interface StatisticsRelease {
  readonly releaseId: string;
  readonly table: StatisticsTable;
  /** '' for the provinces of the nation; a province code for its communes. */
  readonly scope: string;
  readonly period: string;
  readonly epsilon: number;
  /** The budget of the scope's month spent so far, this release included. */
  readonly budgetSpent: number;
  readonly budget: number;
  readonly releasedAt: string;
  readonly body: ReleasedTable & { readonly rowNames: readonly string[] };
}

export interface StatisticsServiceDeps {
  readonly db: Kysely<DB>;
  /**
   * The exact counts' whole-table aggregate, which may lag a moment: a read replica's handle
   * (store/read-replica.ts); default `db`. Releases and the privacy budget stay on `db`.
   */
  readonly readDb?: Kysely<DB>;
  readonly clock: Clock;
  /** Uniform numbers in (0, 1) for the noise; default the system's CSPRNG. */
  readonly uniform?: () => number;
}

/**
 * Population tables for localities (by commune or province; by age group and sex, ethnicity,
 * residence status), released with calibrated noise under a monthly privacy budget per scope
 * (locality-statistics.ts). Exact counts never leave this service.
 */
export class StatisticsService {
  private readonly catalog = adminUnitCatalog();

  constructor(private readonly deps: StatisticsServiceDeps) {}

  /** The month's release of a table for a scope: the stored one, or a new one if the budget allows. */
  async release(table: string, scope: string, releasedBy: string): Promise<StatisticsRelease> {
    if (!(statisticsTables as readonly string[]).includes(table)) throw new DomainError('invalid', 'STATISTICS_TABLE_UNKNOWN', `No table ${table}`, `Choose one of ${statisticsTables.join(', ')}`);
    const t = table as StatisticsTable;
    const rows = this.rowsOf(scope);
    const now = this.deps.clock.now();
    const period = vietnamDay(now).slice(0, 7);
    const stored = await this.stored(t, scope, period);
    if (stored !== undefined) return stored;
    const counts = await this.counts(t, scope, rows.map((r) => r.code), vietnamDay(now));
    const released = noisyRelease(counts, epsilonPerTable, this.deps.uniform ?? secureUniform);
    const body = { ...released, rowNames: rows.map((r) => r.name) };
    const releaseId = randomUUID();
    await this.deps.db.transaction().execute(async (trx) => {
      const spent = await trx.selectFrom('direction_statistics_releases').select(sql<number | string>`coalesce(sum(epsilon), 0)`.as('spent')).where('scope_code', '=', scope).where('period', '=', period).executeTakeFirst();
      if (Number(spent?.spent ?? 0) + epsilonPerTable > monthlyBudget + 1e-9) {
        throw new DomainError('conflict', 'PRIVACY_BUDGET_SPENT', `The privacy budget of ${monthlyBudget} for this scope in ${period} is spent`, 'Use the tables already released this month; new ones can be released next month');
      }
      await trx.insertInto('direction_statistics_releases').values({ release_id: releaseId, table_name: t, scope_code: scope, period, epsilon: epsilonPerTable, body: JSON.stringify(body), released_by: releasedBy, released_at: now.toISOString() })
        .onConflict((oc) => oc.columns(['table_name', 'scope_code', 'period']).doNothing()).execute();
    });
    // Two releases racing for the same table and month: the first stored wins, both answer it.
    const result = await this.stored(t, scope, period);
    if (result === undefined) throw new DomainError('unavailable', 'STATISTICS_RELEASE_LOST', 'The release was not stored', 'Try again');
    return result;
  }

  /** Releases of a scope, newest first. */
  async releases(scope: string): Promise<readonly Omit<StatisticsRelease, 'body' | 'budgetSpent'>[]> {
    this.rowsOf(scope);
    const rows = await this.deps.db.selectFrom('direction_statistics_releases').select(['release_id', 'table_name', 'scope_code', 'period', 'epsilon', 'released_at'])
      .where('scope_code', '=', scope).orderBy('released_at', 'desc').limit(100).execute();
    return rows.map((r) => ({ releaseId: r.release_id, table: r.table_name as StatisticsTable, scope: r.scope_code, period: r.period, epsilon: r.epsilon, budget: monthlyBudget, releasedAt: r.released_at }));
  }

  private async stored(table: StatisticsTable, scope: string, period: string): Promise<StatisticsRelease | undefined> {
    const r = await this.deps.db.selectFrom('direction_statistics_releases').selectAll().where('table_name', '=', table).where('scope_code', '=', scope).where('period', '=', period).executeTakeFirst();
    if (r === undefined) return undefined;
    const spent = await this.deps.db.selectFrom('direction_statistics_releases').select(sql<number | string>`coalesce(sum(epsilon), 0)`.as('spent')).where('scope_code', '=', scope).where('period', '=', period).executeTakeFirst();
    return {
      releaseId: r.release_id, table, scope, period, epsilon: r.epsilon, budgetSpent: Number(spent?.spent ?? 0), budget: monthlyBudget, releasedAt: r.released_at,
      body: JSON.parse(r.body) as StatisticsRelease['body'],
    };
  }

  private rowsOf(scope: string): readonly { readonly code: string; readonly name: string }[] {
    if (scope === '') return this.catalog.provinces('2025-07-01').map((p) => ({ code: p.code, name: p.name }));
    if (!/^\d{2}$/.test(scope)) throw new DomainError('invalid', 'STATISTICS_SCOPE_INVALID', 'scope is a 2-digit 2025 province code, or empty for the provinces', 'Give the province code, e.g. 01');
    const communes = this.catalog.communes2025().filter((c) => c.provinceCode === scope);
    if (communes.length === 0) throw new DomainError('not_found', 'STATISTICS_SCOPE_UNKNOWN', `No 2025 province ${scope}`, 'Give a province of GET /api/admin-units/provinces');
    return communes.map((c) => ({ code: c.code, name: c.name }));
  }

  /** Exact counts of living persons by row unit and column; not exported. */
  private async counts(table: StatisticsTable, scope: string, rowCodes: readonly string[], today: string): Promise<CountTable> {
    const columns = tableColumns(table);
    const rowIndex = new Map(rowCodes.map((c, i) => [c, i]));
    const colIndex = new Map(columns.map((c, i) => [c, i]));
    const cells = rowCodes.map(() => columns.map(() => 0));
    const breakdown = table === 'age_sex' ? 'birthYearAndSex' : table === 'ethnicity' ? 'ethnicity' : 'residenceStatus';
    const rows = (await populationReadModel.livingCounts(this.deps.readDb ?? this.deps.db, breakdown, scope === '' ? undefined : rowCodes)).map((c) => ({ commune: c.commune, k: c.key, n: c.count }));
    for (const r of rows) {
      const unit = scope === '' ? this.provinceOfCommune(r.commune) : r.commune;
      const i = unit === undefined ? undefined : rowIndex.get(unit);
      if (i === undefined) continue;
      const column = table === 'age_sex' ? `${ageGroupOf(r.k.split('|')[0] ?? '', today)}|${r.k.split('|')[1] ?? ''}` : table === 'ethnicity' ? ethnicColumn(r.k) : r.k;
      const j = colIndex.get(column);
      const row = cells[i];
      if (j === undefined || row === undefined) continue;
      row[j] = (row[j] ?? 0) + r.n;
    }
    return { rows: rowCodes, columns, cells };
  }

  private provinceCache: Map<string, string> | undefined;
  private provinceOfCommune(code: string): string | undefined {
    this.provinceCache ??= new Map(this.catalog.communes2025().map((c) => [c.code, c.provinceCode]));
    return this.provinceCache.get(code);
  }
}
