import type { Kysely } from 'kysely';
import { DomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';

/** The national target of e-ID accounts (Project 06). */
export const activationTarget = 40_000_000;

export interface ActivationDrive {
  readonly target: number;
  /** The province the figures are limited to, or null for the nation. */
  readonly province: string | null;
  readonly accounts: number;
  readonly level1: number;
  readonly level2: number;
  /** accounts / target (the nation's target even for a province: its share of the drive). */
  readonly shareOfTarget: number;
  readonly byProvince: readonly { readonly province: string; readonly level1: number; readonly level2: number }[];
  /** ISO weeks (Monday, YYYY-MM-DD) of activation, with the accounts opened that week and the running total. */
  readonly byWeek: readonly { readonly weekStart: string; readonly activated: number; readonly cumulative: number }[];
}

function mondayOf(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  const offset = (d.getUTCDay() + 6) % 7;
  return new Date(d.getTime() - offset * 86_400_000).toISOString().slice(0, 10);
}

/**
 * The activation drive's figures for the dashboard: accounts by level and province (of permanent
 * residence when activated) and by week of activation in Viet Nam's time, against the 40 million
 * target. Counts only, no person.
 */
export class ActivationDriveService {
  constructor(private readonly deps: { readonly db: Kysely<DB> }) {}

  async summary(options: { readonly province?: string | undefined } = {}): Promise<ActivationDrive> {
    const province = options.province;
    if (province !== undefined && !/^\d{2}$/.test(province)) throw new DomainError('invalid', 'PROVINCE_INVALID', 'a province is 2 digits', 'Give a 2025 province code');
    // The counts kept by triggers on citizen_accounts (migration 0073): a few rows a day and
    // province, where an aggregate over the accounts themselves took 35 s at 40 million.
    let byLevel = this.deps.db.selectFrom('citizen_activation_counts')
      .select((eb) => ['province', 'level', eb.fn.sum<number | string>('accounts').as('n')])
      .groupBy(['province', 'level']);
    let byDay = this.deps.db.selectFrom('citizen_activation_counts')
      .select((eb) => ['day', eb.fn.sum<number | string>('accounts').as('n')])
      .groupBy('day').orderBy('day');
    if (province !== undefined) {
      byLevel = byLevel.where('province', '=', province);
      byDay = byDay.where('province', '=', province);
    }
    const provinces = new Map<string, { level1: number; level2: number }>();
    let level1 = 0;
    let level2 = 0;
    for (const row of await byLevel.execute()) {
      const key = row.province === '' ? 'unknown' : row.province;
      const entry = provinces.get(key) ?? { level1: 0, level2: 0 };
      const n = Number(row.n);
      if (n === 0) continue;
      if (row.level === 2) { entry.level2 += n; level2 += n; } else { entry.level1 += n; level1 += n; }
      provinces.set(key, entry);
    }
    const weeks = new Map<string, number>();
    for (const row of await byDay.execute()) if (Number(row.n) !== 0) weeks.set(mondayOf(row.day), (weeks.get(mondayOf(row.day)) ?? 0) + Number(row.n));
    let cumulative = 0;
    const byWeek = [...weeks].sort(([a], [b]) => a.localeCompare(b)).map(([weekStart, activated]) => {
      cumulative += activated;
      return { weekStart, activated, cumulative };
    });
    const accounts = level1 + level2;
    return {
      target: activationTarget, province: province ?? null, accounts, level1, level2, shareOfTarget: accounts / activationTarget,
      byProvince: [...provinces].sort(([a], [b]) => a.localeCompare(b)).map(([p, v]) => ({ province: p, ...v })), byWeek,
    };
  }
}
