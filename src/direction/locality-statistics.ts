import { randomInt } from 'node:crypto';

/**
 * Statistics for localities: population tables released as open aggregates that cannot single out
 * a person. Two mechanisms, both here and both tested:
 *
 * 1. **Calibrated noise (what the API releases).** Each person falls in exactly one cell of a
 *    table, so adding or removing one person changes one cell by 1. Every cell gets two-sided
 *    geometric noise with α = e^(−ε): the table is ε-differentially private. Totals are sums of
 *    the noisy cells (post-processing: no further budget), so they agree with the cells and
 *    reveal nothing more.
 *    Privacy budget: ε = 0.25 per table; at most 1.0 per scope (a province's communes, or the
 *    provinces) per calendar month; a table asked for again in the month is served from the
 *    stored release, so asking twice learns nothing new. A person in two monthly releases is
 *    covered by ε = 0.5: whatever an attacker does with the two, their guess of a yes/no fact
 *    about one person is right with probability at most e^0.5 / (1 + e^0.5) ≈ 62 % (50 % by
 *    chance).
 * 2. **Small-cell suppression (for exact tables).** Cells of 1 to k−1 persons are suppressed
 *    (primary); then, in every row and column with its total, a line with exactly one suppressed
 *    entry gets its smallest other non-zero entry suppressed too (complementary), repeated until
 *    no line gives a suppressed cell away by subtraction.
 */

export const statisticsTables = ['age_sex', 'ethnicity', 'residence'] as const;
export type StatisticsTable = (typeof statisticsTables)[number];

export const ageGroups = ['0-14', '15-24', '25-39', '40-59', '60+'] as const;
/** The largest ethnic groups by the 2019 census; the others are counted together. */
export const ethnicGroups = ['Kinh', 'Tày', 'Thái', 'Mường', 'Khmer', 'Hoa', 'Nùng', 'H\'Mông', 'Dao', 'Gia Rai'] as const;
export const residenceStatuses = ['permanent', 'temporary', 'none'] as const;

/** The columns of each table. */
export function tableColumns(table: StatisticsTable): readonly string[] {
  switch (table) {
    case 'age_sex':
      return ageGroups.flatMap((a) => [`${a}|M`, `${a}|F`]);
    case 'ethnicity':
      return [...ethnicGroups, 'other', 'unknown'];
    case 'residence':
      return residenceStatuses;
  }
}

/** The age group of a (possibly partial) date of birth on a reference day. */
export function ageGroupOf(birthDate: string, on: string): (typeof ageGroups)[number] {
  const age = Number(on.slice(0, 4)) - Number(birthDate.slice(0, 4)) - (birthDate.length >= 10 && birthDate.slice(5, 10) > on.slice(5, 10) ? 1 : 0);
  return age < 15 ? '0-14' : age < 25 ? '15-24' : age < 40 ? '25-39' : age < 60 ? '40-59' : '60+';
}

export function ethnicColumn(ethnicity: string | null): string {
  if (ethnicity === null || ethnicity.trim() === '') return 'unknown';
  const e = ethnicity.normalize('NFC').trim();
  return (ethnicGroups as readonly string[]).includes(e) ? e : 'other';
}

/** A table of counts: rows are units (communes or provinces), columns the categories. */
export interface CountTable {
  readonly rows: readonly string[];
  readonly columns: readonly string[];
  /** cells[row][column]. */
  readonly cells: readonly (readonly number[])[];
}

/** A released table: counts (noisy or exact), with totals; suppressed entries are null. */
export interface ReleasedTable {
  readonly rows: readonly string[];
  readonly columns: readonly string[];
  readonly cells: readonly (readonly (number | null)[])[];
  readonly rowTotals: readonly (number | null)[];
  readonly columnTotals: readonly (number | null)[];
  readonly total: number | null;
}

export const epsilonPerTable = 0.25;
export const monthlyBudget = 1.0;

/** A uniform number in (0, 1) from the system's CSPRNG. */
export const secureUniform = (): number => (randomInt(1, 2 ** 47) / 2 ** 47);

/** Two-sided geometric noise: P(k) ∝ α^|k|, α = e^(−ε). */
export function geometricNoise(epsilon: number, uniform: () => number): number {
  const alpha = Math.exp(-epsilon);
  const one = (): number => Math.floor(Math.log(uniform()) / Math.log(alpha));
  return one() - one();
}

/** The noisy release of a count table (clamped at 0; totals summed from the noisy cells). */
export function noisyRelease(table: CountTable, epsilon: number, uniform: () => number = secureUniform): ReleasedTable {
  const cells = table.cells.map((row) => row.map((n) => Math.max(0, n + geometricNoise(epsilon, uniform))));
  return withTotals(table.rows, table.columns, cells);
}

function withTotals(rows: readonly string[], columns: readonly string[], cells: readonly (readonly number[])[]): ReleasedTable {
  const rowTotals = cells.map((r) => r.reduce((s, n) => s + n, 0));
  const columnTotals = columns.map((_, j) => cells.reduce((s, r) => s + (r[j] ?? 0), 0));
  return { rows, columns, cells, rowTotals, columnTotals, total: rowTotals.reduce((s, n) => s + n, 0) };
}

/**
 * The exact table with small cells suppressed, primary and complementary (see above): no row or
 * column, with its total, has a single suppressed entry.
 */
export function suppressedRelease(table: CountTable, k: number): ReleasedTable {
  const exact = withTotals(table.rows, table.columns, table.cells);
  const R = table.rows.length;
  const C = table.columns.length;
  // An extended grid: cells, the row totals in column C, the column totals in row R, the grand total at [R][C].
  const grid: number[][] = Array.from({ length: R + 1 }, (_, i) => Array.from({ length: C + 1 }, (_, j) =>
    i < R ? (j < C ? (table.cells[i]?.[j] ?? 0) : (exact.rowTotals[i] ?? 0)) : (j < C ? (exact.columnTotals[j] ?? 0) : (exact.total ?? 0))));
  const hidden: boolean[][] = grid.map((row) => row.map((n) => n > 0 && n < k));
  // Each line: the entries that must add up (a row's cells and its total; a column's cells and its total).
  const lines: (readonly [number, number])[][] = [
    ...Array.from({ length: R + 1 }, (_, i) => Array.from({ length: C + 1 }, (_, j) => [i, j] as const)),
    ...Array.from({ length: C + 1 }, (_, j) => Array.from({ length: R + 1 }, (_, i) => [i, j] as const)),
  ];
  for (let changed = true; changed;) {
    changed = false;
    for (const line of lines) {
      const suppressedHere = line.filter(([i, j]) => hidden[i]?.[j] === true);
      if (suppressedHere.length !== 1) continue;
      // The smallest other non-zero entry, cells before totals; a line of zeros but one gives its total away.
      const candidates = line.filter(([i, j]) => hidden[i]?.[j] !== true && (grid[i]?.[j] ?? 0) > 0)
        .sort(([ai, aj], [bi, bj]) => Number(ai === R || aj === C) - Number(bi === R || bj === C) || (grid[ai]?.[aj] ?? 0) - (grid[bi]?.[bj] ?? 0));
      const pick = candidates[0];
      if (pick === undefined) continue;
      const row = hidden[pick[0]];
      if (row !== undefined) row[pick[1]] = true;
      changed = true;
    }
  }
  const shown = (i: number, j: number): number | null => (hidden[i]?.[j] === true ? null : (grid[i]?.[j] ?? 0));
  return {
    rows: table.rows,
    columns: table.columns,
    cells: table.cells.map((r, i) => r.map((_, j) => shown(i, j))),
    rowTotals: table.rows.map((_, i) => shown(i, C)),
    columnTotals: table.columns.map((_, j) => shown(R, j)),
    total: shown(R, C),
  };
}
