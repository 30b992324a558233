/**
 * Blocking rules suggested from the data: every comparison column alone and every pair of them
 * (dates also by year) is counted for the candidate pairs it would propose; the rules kept are the
 * tightest ones under a budget such that, for each column, some kept rule does not use it (so a
 * record pair with an error in any one column is still proposed).
 */
import { foldName } from '../shared/vietnamese-text.js';
import type { LinkageConfig } from './linkage.config.js';
import type { LinkageTable } from './linkage.service.js';

export interface SuggestedRule {
  readonly rule: readonly string[];
  /** Candidate pairs the rule proposes on these files. */
  readonly pairs: number;
}

function keyOf(value: string, transform: string | undefined): string {
  const folded = foldName(value);
  return transform === 'year' ? (/\d{4}/.exec(value)?.[0] ?? '') : folded;
}

/** Candidate pairs of a rule: Σ over keys of left count × right count (dedupe: n(n−1)/2). */
function pairCount(rule: readonly string[], left: LinkageTable, right: LinkageTable | undefined): number {
  const keys = (table: LinkageTable): Map<string, number> => {
    const parts = rule.map((k) => {
      const [column, transform] = k.split(':');
      return { index: table.header.indexOf(column ?? ''), transform };
    });
    const counts = new Map<string, number>();
    for (const row of table.rows) {
      let key = '';
      for (const { index, transform } of parts) {
        const v = index < 0 ? '' : keyOf(row[index] ?? '', transform);
        if (v === '') {
          key = '';
          break;
        }
        key += `${v}\u0001`;
      }
      if (key !== '') counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  };
  const l = keys(left);
  if (right === undefined) {
    let n = 0;
    for (const c of l.values()) n += (c * (c - 1)) / 2;
    return n;
  }
  const r = keys(right);
  let n = 0;
  for (const [k, c] of l) n += c * (r.get(k) ?? 0);
  return n;
}

/**
 * Suggests up to `max` blocking rules for a config's comparison columns on its files, each proposing
 * at most `budget` pairs (default 20 × the larger file).
 *
 * @example
 * suggestBlockingRules(config, left, right) // [{ rule: ['soc_sec_id'], pairs: 5_012 }, { rule: ['given_name', 'surname'], pairs: 4_230 }, …]
 */
export function suggestBlockingRules(config: LinkageConfig, left: LinkageTable, right?: LinkageTable, options: { readonly budget?: number; readonly max?: number } = {}): readonly SuggestedRule[] {
  const other = config.mode === 'link' ? right : undefined;
  const budget = options.budget ?? 20 * Math.max(left.rows.length, other?.rows.length ?? 0);
  const max = options.max ?? 6;
  const columns = [...new Set(config.comparisons.flatMap((c) => c.columns ?? [c.column ?? '']))].filter((c) => left.header.includes(c));
  const keysOf = (column: string): string[] => {
    const kind = config.comparisons.find((c) => c.column === column)?.kind;
    return kind === 'date' ? [column, `${column}:year`] : [column];
  };
  const candidates: string[][] = [];
  for (const a of columns) for (const k of keysOf(a)) candidates.push([k]);
  for (let i = 0; i < columns.length; i++) {
    for (let j = i + 1; j < columns.length; j++) {
      for (const a of keysOf(columns[i] ?? '')) for (const b of keysOf(columns[j] ?? '')) candidates.push([a, b]);
    }
  }
  const measured = candidates
    .map((rule) => ({ rule, pairs: pairCount(rule, left, other) }))
    .filter((r) => r.pairs > 0 && r.pairs <= budget)
    // The widest rules under the budget catch the most; among equals, fewer keys.
    .sort((a, b) => b.pairs - a.pairs || a.rule.length - b.rule.length);
  const chosen: SuggestedRule[] = [];
  const columnOf = (key: string): string => key.split(':')[0] ?? key;
  const covered = (column: string): boolean => chosen.some((r) => !r.rule.some((k) => columnOf(k) === column));
  // First make sure that an error in any one column leaves some rule that does not use it.
  for (const column of columns) {
    if (chosen.length >= max || covered(column)) continue;
    const pick = measured.find((r) => !chosen.includes(r) && !r.rule.some((k) => columnOf(k) === column));
    if (pick !== undefined) chosen.push(pick);
  }
  for (const r of measured) {
    if (chosen.length >= max) break;
    // A rule whose columns all appear alone in a chosen rule adds nothing.
    if (!chosen.includes(r) && !r.rule.every((k) => chosen.some((c) => c.rule.length === 1 && c.rule[0] === k))) chosen.push(r);
  }
  return chosen;
}
