import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import { DomainError, isDomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import type { Dialect } from '../store/dialect.js';
import { onOneNode } from '../store/job-lease.js';
import { addDays, isDay, orderedId, vietnamDay } from './direction-time.js';
import { indicatorCatalog, indicatorDefinition, type IndicatorDefinition, type IndicatorScope } from './indicator.catalog.js';
import { indicatorRepository, type IndicatorPoint, type IndicatorRun } from './indicator.repository.js';

export interface IndicatorServiceDeps {
  readonly db: Kysely<DB>;
  readonly dialect: Dialect;
  /**
   * The registry's tables as the indicators' computations read them (whole-table aggregates, which
   * may lag a moment): a read replica's handle (store/read-replica.ts); default `db`. The values
   * are stored, and the dashboards read them, on `db`: a refresh on demand is seen at once.
   */
  readonly readDb?: Kysely<DB>;
  /** The access log's store, when it is not the registry's. */
  readonly logDb?: Kysely<DB>;
  /** This node, as it takes the day's lease of the scheduled refresh (default: processNodeId). */
  readonly nodeId?: string;
  readonly logDialect?: Dialect;
  readonly clock: Clock;
  /** The registry of indicators; default indicatorCatalog (tests add their own). */
  readonly catalog?: readonly IndicatorDefinition[];
}

/** One indicator's definition as the API shows it (without the function). */
export type IndicatorInfo = Omit<IndicatorDefinition, 'compute'>;

/**
 * Computes indicators from the platform's tables, on demand and on a schedule, and keeps each
 * day's values as a time series. One failing indicator does not stop the others; the run records
 * which failed, by error code only.
 */
export class IndicatorService {
  private readonly deps: IndicatorServiceDeps;
  private readonly catalog: readonly IndicatorDefinition[];
  private running: Promise<IndicatorRun> | undefined;

  constructor(deps: IndicatorServiceDeps) {
    this.deps = deps;
    this.catalog = deps.catalog ?? indicatorCatalog;
  }

  definitions(): readonly IndicatorInfo[] {
    return this.catalog.map(infoOf);
  }

  definition(id: string): IndicatorInfo {
    const def = this.catalog.find((d) => d.id === id) ?? (this.deps.catalog === undefined ? indicatorDefinition(id) : undefined);
    if (def === undefined) throw new DomainError('not_found', 'INDICATOR_NOT_FOUND', `No indicator ${id}`, 'Choose one of GET /api/direction/indicators');
    return infoOf(def);
  }

  /**
   * Computes every indicator (or those named) for today (Asia/Ho_Chi_Minh) and stores the
   * values; a run already under way is joined rather than started twice.
   */
  async refresh(trigger: 'schedule' | 'demand', ids?: readonly string[]): Promise<IndicatorRun> {
    if (ids !== undefined) for (const id of ids) this.definition(id);
    if (this.running !== undefined) return this.running;
    this.running = this.run(trigger, ids).finally(() => { this.running = undefined; });
    return this.running;
  }

  /**
   * Today's scheduled refresh, once across the nodes sharing the store: on the node that takes the
   * day's lease, and not again on any node once a scheduled run of the day is stored. Undefined
   * when another node has done it or is doing it.
   */
  async scheduledRefresh(): Promise<IndicatorRun | undefined> {
    const day = vietnamDay(this.deps.clock.now());
    if (await indicatorRepository.scheduledRunOn(this.deps.db, day)) return undefined;
    try {
      return await onOneNode({ db: this.deps.db, clock: this.deps.clock, ...(this.deps.nodeId === undefined ? {} : { nodeId: this.deps.nodeId }) }, `indicator-refresh-${day}`, async () =>
        (await indicatorRepository.scheduledRunOn(this.deps.db, day)) ? undefined : this.refresh('schedule'));
    } catch (error) {
      if (isDomainError(error) && error.code === 'JOB_RUNNING_ELSEWHERE') return undefined;
      throw error;
    }
  }

  private async run(trigger: 'schedule' | 'demand', ids?: readonly string[]): Promise<IndicatorRun> {
    const started = this.deps.clock.now();
    const day = vietnamDay(started);
    const chosen = ids === undefined ? this.catalog : this.catalog.filter((d) => ids.includes(d.id));
    const failures: Record<string, string> = {};
    let written = 0;
    const memo = new Map<string, Promise<unknown>>();
    const shared = <T>(key: string, compute: () => Promise<T>): Promise<T> => {
      const hit = memo.get(key);
      if (hit !== undefined) return hit as Promise<T>;
      const p = compute();
      memo.set(key, p);
      return p;
    };
    for (const def of chosen) {
      try {
        const values = await def.compute({ db: this.deps.readDb ?? this.deps.db, dialect: this.deps.dialect, logDb: this.deps.logDb ?? this.deps.db, logDialect: this.deps.logDialect ?? this.deps.dialect, day, shared });
        const points: IndicatorPoint[] = values.map((v) => ({ indicatorId: def.id, scope: v.scope, code: v.code, day, value: v.value, denominator: v.denominator }));
        await this.deps.db.transaction().execute((trx) => indicatorRepository.upsert(trx, points, this.deps.clock.now().toISOString()));
        written += points.length;
      } catch (error) {
        failures[def.id] = error instanceof DomainError ? error.code : (error as Error).name;
      }
    }
    const run: IndicatorRun = { runId: orderedId(this.deps.clock.now()), trigger, day, startedAt: started.toISOString(), finishedAt: this.deps.clock.now().toISOString(), indicators: chosen.length, valuesWritten: written, failures };
    await indicatorRepository.insertRun(this.deps.db, run);
    return run;
  }

  async runs(limit = 20): Promise<readonly IndicatorRun[]> {
    return indicatorRepository.runs(this.deps.db, limit);
  }

  /** One scope's series over the `days` days ending `to` (default today). */
  async series(id: string, scope: IndicatorScope, code: string, options: { readonly to?: string | undefined; readonly days?: number | undefined } = {}): Promise<readonly IndicatorPoint[]> {
    this.definition(id);
    const to = options.to ?? vietnamDay(this.deps.clock.now());
    if (!isDay(to)) throw new DomainError('invalid', 'DIRECTION_DATE_INVALID', 'to must be a calendar date YYYY-MM-DD', 'Give the last day as YYYY-MM-DD');
    const days = Math.min(Math.max(options.days ?? 365, 1), 3_660);
    return indicatorRepository.series(this.deps.db, id, scope, code, addDays(to, -(days - 1)), to);
  }

  /** Every value of a scope level on the latest day with values (on or before `on`), optionally only some codes. */
  async latest(id: string, scope: IndicatorScope, options: { readonly on?: string | undefined; readonly codes?: readonly string[] | undefined } = {}): Promise<{ readonly day: string | null; readonly items: readonly IndicatorPoint[] }> {
    this.definition(id);
    const on = options.on ?? vietnamDay(this.deps.clock.now());
    const day = await indicatorRepository.latestDay(this.deps.db, id, scope, on);
    if (day === undefined) return { day: null, items: [] };
    return { day, items: await indicatorRepository.onDay(this.deps.db, id, scope, day, options.codes) };
  }
}

function infoOf(d: IndicatorDefinition): IndicatorInfo {
  return { id: d.id, name: d.name, nameEn: d.nameEn, owner: d.owner, definition: d.definition, unit: d.unit, target: d.target, better: d.better, scopes: d.scopes, source: d.source };
}

/**
 * Refreshes the indicators once a Vietnamese day: a timer checks every `everyMs` whether today's
 * scheduled run happened and starts it if not. The timer does not keep the process alive.
 */
export class IndicatorScheduler {
  private timer: NodeJS.Timeout | undefined;
  private lastDay: string | undefined;

  constructor(private readonly indicators: IndicatorService, private readonly clock: Clock, private readonly everyMs: number, private readonly onError: (error: unknown) => void) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => { void this.tick(); }, this.everyMs);
    this.timer.unref();
  }

  /** One check: runs today's refresh if it has not run yet. Returns whether it ran. */
  async tick(): Promise<boolean> {
    const today = vietnamDay(this.clock.now());
    if (this.lastDay === today) return false;
    this.lastDay = today;
    try {
      return (await this.indicators.scheduledRefresh()) !== undefined;
    } catch (error) {
      this.lastDay = undefined;
      this.onError(error);
      return false;
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
