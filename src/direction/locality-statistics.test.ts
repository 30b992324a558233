import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../registry/population.random.js';
import { ageGroupOf, epsilonPerTable, ethnicColumn, geometricNoise, noisyRelease, suppressedRelease, type CountTable, type ReleasedTable } from './locality-statistics.js';

/** Every single suppressed entry that a row or column (with its total) would give away by subtraction. */
function recoverable(t: ReleasedTable): string[] {
  const R = t.rows.length;
  const C = t.columns.length;
  const at = (i: number, j: number): number | null => (i < R ? (j < C ? (t.cells[i]?.[j] ?? null) : (t.rowTotals[i] ?? null)) : (j < C ? (t.columnTotals[j] ?? null) : t.total));
  const out: string[] = [];
  for (let i = 0; i <= R; i++) {
    const hidden = Array.from({ length: C + 1 }, (_, j) => j).filter((j) => at(i, j) === null);
    if (hidden.length === 1) out.push(`row ${i}`);
  }
  for (let j = 0; j <= C; j++) {
    const hidden = Array.from({ length: R + 1 }, (_, i) => i).filter((i) => at(i, j) === null);
    if (hidden.length === 1) out.push(`column ${j}`);
  }
  return out;
}

describe('small-cell suppression', () => {
  const table: CountTable = {
    rows: ['00004', '00008', '00025'],
    columns: ['Kinh', 'Tày', 'Hoa', 'other'],
    cells: [
      [120, 2, 0, 15],
      [98, 14, 6, 11],
      [77, 12, 30, 0],
    ],
  };

  it('suppresses cells of 1 to k−1 persons and enough others that no total gives one away', () => {
    const released = suppressedRelease(table, 10);
    expect(released.cells[0]?.[1]).toBeNull();
    expect(released.cells[1]?.[2]).toBeNull();
    expect(recoverable(released)).toEqual([]);
    // Zeros and large cells that protect nothing stay published.
    expect(released.cells[0]?.[2]).toBe(0);
    expect(released.cells[0]?.[0]).toBe(120);
    expect(released.total).toBe(385);
  });

  it('would give a lone small cell away without the complementary step (the check above can fail)', () => {
    const primaryOnly: ReleasedTable = { ...suppressedRelease({ ...table, cells: [[120, 2, 0, 15]], rows: ['00004'] }, 1), cells: [[120, null, 0, 15]] };
    expect(recoverable(primaryOnly).length).toBeGreaterThan(0);
  });

  it('suppresses a row total when the only other entries are zeros', () => {
    const released = suppressedRelease({ rows: ['a', 'b'], columns: ['x', 'y'], cells: [[3, 0], [50, 60]] }, 5);
    expect(released.cells[0]?.[0]).toBeNull();
    expect(recoverable(released)).toEqual([]);
  });

  it('groups ages and ethnic groups as the tables publish them', () => {
    expect(ageGroupOf('2012-07-01', '2026-06-15')).toBe('0-14');
    expect(ageGroupOf('2011-06-16', '2026-06-15')).toBe('0-14');
    expect(ageGroupOf('2011-06-15', '2026-06-15')).toBe('15-24');
    expect(ageGroupOf('1966', '2026-06-15')).toBe('60+');
    expect(ethnicColumn('Tày')).toBe('Tày');
    expect(ethnicColumn('Chứt')).toBe('other');
    expect(ethnicColumn(null)).toBe('unknown');
  });
});

describe('differencing attack on two overlapping releases', () => {
  /**
   * The attacker holds two monthly releases of a commune's ethnicity table, made before and after
   * one person — whose ethnicity is the secret, Kinh or Tày — moved in: everybody else is the same
   * in both. The attacker subtracts the releases and guesses the column that grew more. On exact
   * counts that always works; on the released (noisy) tables it must do little better than a coin.
   */
  const trials = 2_000;
  const others: CountTable = { rows: ['00004'], columns: ['Kinh', 'Tày', 'other'], cells: [[412, 37, 19]] };
  const withPerson = (secret: 0 | 1): CountTable => ({ ...others, cells: [[412 + (secret === 0 ? 1 : 0), 37 + (secret === 1 ? 1 : 0), 19]] });
  const guess = (before: ReleasedTable, after: ReleasedTable): 0 | 1 => {
    const grew = (j: number): number => (after.cells[0]?.[j] ?? 0) - (before.cells[0]?.[j] ?? 0);
    return grew(0) >= grew(1) ? 0 : 1;
  };

  it('learns the person from exact counts (the attack works)', () => {
    const random = new SeededRandom('attack-exact');
    let right = 0;
    for (let t = 0; t < trials; t++) {
      const secret = random.chance(0.5) ? 1 : 0;
      const exact = (c: CountTable): ReleasedTable => suppressedRelease(c, 1);
      if (guess(exact(others), exact(withPerson(secret))) === secret) right += 1;
    }
    expect(right).toBe(trials);
  });

  it('learns the person from small-cell suppressed tables too when the cells are large (suppression alone does not stop it)', () => {
    let right = 0;
    const random = new SeededRandom('attack-suppressed');
    for (let t = 0; t < 200; t++) {
      const secret = random.chance(0.5) ? 1 : 0;
      if (guess(suppressedRelease(others, 10), suppressedRelease(withPerson(secret), 10)) === secret) right += 1;
    }
    expect(right).toBe(200);
  });

  it('fails to learn the person from the noisy releases: right about as often as chance, within the budget\'s bound', () => {
    const random = new SeededRandom('attack-noisy');
    const uniform = (): number => (random.uint32() + 0.5) / 2 ** 32;
    let right = 0;
    for (let t = 0; t < trials; t++) {
      const secret = random.chance(0.5) ? 1 : 0;
      if (guess(noisyRelease(others, epsilonPerTable, uniform), noisyRelease(withPerson(secret), epsilonPerTable, uniform)) === secret) right += 1;
    }
    const rate = right / trials;
    // ε = 0.25 a release, two releases: at most e^0.5/(1+e^0.5) ≈ 0.62 for any attacker; 3 standard errors of slack.
    const bound = Math.exp(2 * epsilonPerTable) / (1 + Math.exp(2 * epsilonPerTable));
    expect(rate).toBeLessThan(bound + 3 * Math.sqrt(0.25 / trials));
    expect(rate).toBeLessThan(0.6);
  });

  it('draws noise of the documented scale (mean 0, variance 2α/(1−α)²)', () => {
    const random = new SeededRandom('noise-scale');
    const uniform = (): number => (random.uint32() + 0.5) / 2 ** 32;
    const n = 20_000;
    const draws = Array.from({ length: n }, () => geometricNoise(epsilonPerTable, uniform));
    const mean = draws.reduce((s, x) => s + x, 0) / n;
    const variance = draws.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
    const alpha = Math.exp(-epsilonPerTable);
    expect(Math.abs(mean)).toBeLessThan(0.2);
    expect(variance / ((2 * alpha) / (1 - alpha) ** 2)).toBeGreaterThan(0.9);
    expect(variance / ((2 * alpha) / (1 - alpha) ** 2)).toBeLessThan(1.1);
  });
});
