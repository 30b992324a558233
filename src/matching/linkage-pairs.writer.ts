/**
 * Writes the linked pairs of a linkage job as CSV: ids, match probability and weight, and for each
 * comparison the level reached and its weight (the explanation).
 */
import { writeFileSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import { csvSafeCell } from '../registry/csv-safety.js';
import type { LinkageResult } from './linkage.service.js';

/**
 * The CSV text of the pairs, best first.
 *
 * @example
 * linkedPairsCsv(result).split('\n')[0] // 'left_id,right_id,match_probability,match_weight,given_name,given_name_weight,…'
 */
export function linkedPairsCsv(result: LinkageResult): string {
  const names = result.model.fields.map((f) => f.name);
  const header = ['left_id', 'right_id', 'match_probability', 'match_weight', ...names.flatMap((n) => [n, `${n}_weight`])];
  const rows = result.pairs.map((pair) => [
    // The ids come from the linked files: made safe for a spreadsheet like every CSV the project writes.
    csvSafeCell(pair.leftId),
    csvSafeCell(pair.rightId),
    pair.probability.toFixed(6),
    pair.weight.toFixed(3),
    ...pair.explanation.flatMap((e) => [e.level, String(e.weight)]),
  ]);
  return stringify([header, ...rows]);
}

/** Writes {@link linkedPairsCsv} to a file. */
export function writeLinkedPairs(file: string, result: LinkageResult): void {
  writeFileSync(file, linkedPairsCsv(result));
}
