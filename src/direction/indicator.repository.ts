import { sql } from 'kysely';
import type { Executor } from '../registry/person.repository.js';
import type { IndicatorScope } from './indicator.catalog.js';

export interface IndicatorPoint {
  readonly indicatorId: string;
  readonly scope: IndicatorScope;
  readonly code: string;
  readonly day: string;
  readonly value: number;
  readonly denominator: number | null;
}

export interface IndicatorRun {
  readonly runId: string;
  readonly trigger: 'schedule' | 'demand';
  readonly day: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly indicators: number;
  readonly valuesWritten: number;
  readonly failures: Readonly<Record<string, string>>;
}

/** Indicator time series: one value per indicator, scope and day; a recomputed day replaces the earlier value. */
export const indicatorRepository = {
  async upsert(db: Executor, points: readonly IndicatorPoint[], computedAt: string): Promise<void> {
    // 7 columns a row: 1,000 rows stay under both drivers' bound-parameter limits.
    for (let i = 0; i < points.length; i += 1_000) {
      await db.insertInto('direction_indicator_values')
        .values(points.slice(i, i + 1_000).map((p) => ({ indicator_id: p.indicatorId, scope: p.scope, scope_code: p.code, day: p.day, value: p.value, denominator: p.denominator, computed_at: computedAt })))
        .onConflict((oc) => oc.columns(['indicator_id', 'scope', 'scope_code', 'day']).doUpdateSet({
          value: (eb) => eb.ref('excluded.value'), denominator: (eb) => eb.ref('excluded.denominator'), computed_at: (eb) => eb.ref('excluded.computed_at'),
        }))
        .execute();
    }
  },

  /** One scope's values from `from` to `to` (inclusive), oldest first. */
  async series(db: Executor, indicatorId: string, scope: IndicatorScope, code: string, from: string, to: string): Promise<readonly IndicatorPoint[]> {
    const rows = await db.selectFrom('direction_indicator_values').select(['day', 'value', 'denominator'])
      .where('indicator_id', '=', indicatorId).where('scope', '=', scope).where('scope_code', '=', code).where('day', '>=', from).where('day', '<=', to)
      .orderBy('day').execute();
    return rows.map((r) => ({ indicatorId, scope, code, day: r.day, value: r.value, denominator: r.denominator }));
  },

  /** The latest day with values of the indicator at the scope, on or before `onOrBefore`. */
  async latestDay(db: Executor, indicatorId: string, scope: IndicatorScope, onOrBefore: string): Promise<string | undefined> {
    const r = await db.selectFrom('direction_indicator_values').select(sql<string>`max(day)`.as('day'))
      .where('indicator_id', '=', indicatorId).where('scope', '=', scope).where('day', '<=', onOrBefore).executeTakeFirst();
    return r?.day ?? undefined;
  },

  /** Every value of a scope level on a day (all provinces, or the communes under `parentCodes`). */
  async onDay(db: Executor, indicatorId: string, scope: IndicatorScope, day: string, codes?: readonly string[]): Promise<readonly IndicatorPoint[]> {
    let q = db.selectFrom('direction_indicator_values').select(['scope_code', 'value', 'denominator'])
      .where('indicator_id', '=', indicatorId).where('scope', '=', scope).where('day', '=', day);
    if (codes !== undefined) {
      if (codes.length === 0) return [];
      q = q.where('scope_code', 'in', codes);
    }
    const rows = await q.orderBy('scope_code').execute();
    return rows.map((r) => ({ indicatorId, scope, code: r.scope_code, day, value: r.value, denominator: r.denominator }));
  },

  async insertRun(db: Executor, run: IndicatorRun): Promise<void> {
    await db.insertInto('direction_indicator_runs').values({
      run_id: run.runId, trigger: run.trigger, day: run.day, started_at: run.startedAt, finished_at: run.finishedAt,
      indicators: run.indicators, values_written: run.valuesWritten, failures: JSON.stringify(run.failures),
    }).execute();
  },

  /** Whether a scheduled run of this day is stored (by any node). */
  async scheduledRunOn(db: Executor, day: string): Promise<boolean> {
    return (await db.selectFrom('direction_indicator_runs').select('run_id').where('trigger', '=', 'schedule').where('day', '=', day).limit(1).executeTakeFirst()) !== undefined;
  },

  async runs(db: Executor, limit: number): Promise<readonly IndicatorRun[]> {
    const rows = await db.selectFrom('direction_indicator_runs').selectAll().orderBy('started_at', 'desc').orderBy('run_id', 'desc').limit(limit).execute();
    return rows.map((r) => ({ runId: r.run_id, trigger: r.trigger === 'schedule' ? 'schedule' : 'demand', day: r.day, startedAt: r.started_at, finishedAt: r.finished_at, indicators: r.indicators, valuesWritten: r.values_written, failures: JSON.parse(r.failures) as Record<string, string> }));
  },
};
