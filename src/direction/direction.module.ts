import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import type { DB } from '../store/database.types.js';
import type { Dialect } from '../store/dialect.js';
import { DashboardService } from './dashboard.service.js';
import { IndicatorScheduler, IndicatorService } from './indicator.service.js';
import { PlanService } from './plan.service.js';
import { StatisticsService } from './statistics.service.js';

export interface DirectionModule {
  readonly plans: PlanService;
  readonly indicators: IndicatorService;
  readonly dashboard: DashboardService;
  readonly statistics: StatisticsService;
  readonly scheduler: IndicatorScheduler;
}

export interface DirectionDeps {
  readonly db: Kysely<DB>;
  readonly dialect: Dialect;
  /** A read replica's handle for the indicators' computations and the statistics' counts; default `db`. */
  readonly readDb?: Kysely<DB>;
  readonly logDb?: Kysely<DB>;
  readonly logDialect?: Dialect;
  readonly clock: Clock;
  /** How often the scheduler checks whether today's refresh ran; default hourly. */
  readonly checkEveryMs?: number;
  readonly onError: (error: unknown) => void;
}

/** The direction centre's services over the registry's store. */
export function createDirection(deps: DirectionDeps): DirectionModule {
  const indicators = new IndicatorService({
    db: deps.db, dialect: deps.dialect, clock: deps.clock,
    ...(deps.readDb === undefined ? {} : { readDb: deps.readDb }),
    ...(deps.logDb === undefined ? {} : { logDb: deps.logDb, logDialect: deps.logDialect ?? deps.dialect }),
  });
  return {
    plans: new PlanService({ db: deps.db, clock: deps.clock }),
    indicators,
    dashboard: new DashboardService(indicators),
    statistics: new StatisticsService({ db: deps.db, clock: deps.clock, ...(deps.readDb === undefined ? {} : { readDb: deps.readDb }) }),
    scheduler: new IndicatorScheduler(indicators, deps.clock, deps.checkEveryMs ?? 3_600_000, deps.onError),
  };
}
