/**
 * The ID number as tax code (Circular 86/2024/TT-BTC, from 1 July 2025): a tax register of old
 * 10-digit personal tax codes, each with a name, a birth date and an ID number, an old 9-digit card
 * number or neither, is reconciled with the registry (reconcile.engine.ts, tax preset, with its
 * candidate search), and every tax code gets one outcome:
 * - `linked`: the ID number is confirmed (name and birth date agree);
 * - `to_update`: the person was found, by an old card number, by name and birth date, or with
 *   details that differ (listed in `details`);
 * - `conflict_person_many_codes`: one person holds several tax codes;
 * - `conflict_code_many_persons`: one tax code is claimed by rows of several persons;
 * - `review`: a suggested person for an officer to check; `not_found`: nobody.
 * Also writes a synthetic tax register with its ground truth, for tests and benchmarks.
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { SeededRandom } from '../registry/population.random.js';
import { openDuckDb } from '../store/duckdb.bounds.js';
import { duckDbReconcileEngine, text } from './reconcile.engine.js';
import { reconcilePresets } from './reconcile.presets.js';
import type { SnapshotPersonWithCard } from './registry-snapshot.engine.js';
import { sqlText } from './registry-snapshot.engine.js';
import { withCheckDigit } from './tax-code.js';
import type { RunResult, TaxCodeLinkService } from './tax-code-link.service.js';

export const taxLinkOutcomes = ['linked', 'to_update', 'conflict_person_many_codes', 'conflict_code_many_persons', 'review', 'not_found'] as const;
export type TaxLinkOutcome = (typeof taxLinkOutcomes)[number];

/** The register's columns: the tax preset's (tax_record_no holds the old tax code). */
export const taxRegisterHeader = ['tax_record_no', 'id_number', 'taxpayer_name', 'birth_date'] as const;

export interface TaxLinkSummary {
  readonly rows: number;
  readonly taxCodes: number;
  readonly outcomes: Readonly<Record<TaxLinkOutcome, number>>;
  /** What was written to the registry's links, when asked (`store`). */
  readonly stored?: RunResult;
}

/** Where a run's links go: the store's tax code links (tax-code-link.service.ts). */
export interface TaxLinkStore {
  readonly links: TaxCodeLinkService;
  /** Also store `to_update` outcomes as probable links. */
  readonly includeProbable?: boolean;
}

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Links a tax register: writes `<outDir>/tax-links.csv` (old_tax_code, id_number, outcome, details;
 * one line per tax code, the ID number only where the outcome names one person) and returns the
 * counts per outcome. With `store`, also writes the confirmed links (and, if asked, the probable
 * ones) to the registry's tax code links: all of them or, on a conflict or a failure, none.
 *
 * @example
 * const summary = await linkTaxRegister({ input: 'register.csv', snapshotDir, outDir: 'out', today: '2026-01-01' });
 * summary.outcomes.linked // tax codes whose ID number is confirmed
 */
export async function linkTaxRegister(options: { readonly input: string; readonly snapshotDir: string; readonly outDir: string; readonly today: string; readonly store?: TaxLinkStore }): Promise<TaxLinkSummary> {
  const startedAt = new Date().toISOString();
  const results = path.join(options.outDir, 'register.results.csv');
  await duckDbReconcileEngine.run({ input: options.input, preset: reconcilePresets.tax, snapshotDir: options.snapshotDir, resultsPath: results, today: options.today });
  const duck = await openDuckDb(path.join(options.outDir, '.duckdb-spill'));
  const connection = await duck.instance.connect();
  const links = path.join(options.outDir, 'tax-links.csv');
  try {
    await connection.run(`
      CREATE TABLE r AS
      SELECT record AS code, status,
             CASE WHEN status IN ('MATCHED', 'MISMATCH', 'DECEASED', 'DUPLICATE_IN_SOURCE', 'PROBABLE_MATCH') THEN linked_id END AS person,
             CASE WHEN status = 'CLERICAL_REVIEW' THEN suggested_id END AS suggested,
             concat_ws(';', nullif(mismatch_fields, ''), CASE WHEN status = 'DECEASED' THEN 'deceased' END,
                       CASE WHEN status = 'PROBABLE_MATCH' THEN 'found_by_name_and_birth_date' END) AS details
      FROM read_csv(${sqlText(results)}, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')
      WHERE record IS NOT NULL`);
    await connection.run(`
      CREATE TABLE links AS
      WITH codes AS (
        SELECT code, count(DISTINCT person) AS persons, any_value(person) AS person,
               bool_and(status = 'MATCHED') AS confirmed, bool_or(status = 'CLERICAL_REVIEW') AS review,
               string_agg(DISTINCT nullif(details, ''), ';') AS details
        FROM r GROUP BY code
      ),
      holders AS (SELECT person, count(DISTINCT code) AS codes FROM r WHERE person IS NOT NULL GROUP BY person)
      SELECT c.code AS old_tax_code,
             CASE WHEN c.persons = 1 THEN c.person END AS id_number,
             CASE WHEN c.persons > 1 THEN 'conflict_code_many_persons'
                  WHEN c.persons = 1 AND h.codes > 1 THEN 'conflict_person_many_codes'
                  WHEN c.persons = 1 AND c.confirmed THEN 'linked'
                  WHEN c.persons = 1 THEN 'to_update'
                  WHEN c.review THEN 'review'
                  ELSE 'not_found' END AS outcome,
             c.details
      FROM codes c LEFT JOIN holders h ON h.person = c.person`);
    await connection.run(`COPY (SELECT * FROM links ORDER BY old_tax_code) TO ${sqlText(links)} (FORMAT csv, HEADER true)`);
    const outcomes = Object.fromEntries(taxLinkOutcomes.map((o) => [o, 0])) as Record<TaxLinkOutcome, number>;
    for (const [outcome, n] of (await connection.runAndReadAll('SELECT outcome, count(*) FROM links GROUP BY outcome')).getRowsJS()) {
      outcomes[text(outcome) as TaxLinkOutcome] = Number(n);
    }
    const [counts] = (await connection.runAndReadAll('SELECT (SELECT count(*) FROM r), (SELECT count(*) FROM links)')).getRowsJS();
    const summary = { rows: Number(counts?.[0] ?? 0), taxCodes: Number(counts?.[1] ?? 0), outcomes };
    if (options.store === undefined) return summary;
    const wanted = options.store.includeProbable === true ? "('linked', 'to_update')" : "('linked')";
    const runLinks = (await connection.runAndReadAll(`SELECT old_tax_code, id_number, outcome FROM links WHERE outcome IN ${wanted} ORDER BY old_tax_code`)).getRowsJS()
      .map(([code, id, outcome]) => ({ oldTaxCode: text(code), idNumber: text(id), outcome: text(outcome) }));
    const stored = await options.store.links.storeRun({
      sourceName: path.basename(options.input), inputSha256: await sha256File(options.input), startedAt, links: runLinks, summary: outcomes,
      ...(options.store.includeProbable === undefined ? {} : { includeProbable: options.store.includeProbable }),
    });
    return { ...summary, stored };
  } finally {
    connection.closeSync();
    duck.close();
  }
}

/**
 * Writes a synthetic tax register derived from registry persons, and its truth (old_tax_code,
 * expected_outcome, expected_person). Taxpayers carry their ID number (60%), their old card number
 * (25%, when they held one) or neither; some names are written without marks or in upper case, some
 * persons hold two tax codes, some codes were issued twice to two persons, and a few taxpayers are
 * not in the registry.
 *
 * @example
 * generateTaxRegister(persons, { taxpayers: 10_000, seed: 1, file: 'register.csv', truthFile: 'register.truth.csv' });
 */
export function generateTaxRegister(
  persons: readonly SnapshotPersonWithCard[],
  options: { readonly taxpayers: number; readonly seed: number; readonly file: string; readonly truthFile: string },
): { readonly rows: number; readonly expected: Readonly<Record<TaxLinkOutcome, number>> } {
  const random = new SeededRandom(`tax-register:${options.seed}`);
  const alive = persons.filter((p) => p.status === 'alive');
  if (alive.length === 0) throw new Error('the registry has no living persons to derive a tax register from');
  const used = new Set<number>();
  const expected = Object.fromEntries(taxLinkOutcomes.map((o) => [o, 0])) as Record<TaxLinkOutcome, number>;
  let codeSeq = 0;
  // Distinct 9-digit bases (the step is prime to 10^8) with their check digit (tax-code.ts); a base without one is skipped.
  const newCode = (): string => {
    for (;;) {
      const code = withCheckDigit(String(800_000_000 + ((++codeSeq * 7_919_993) % 100_000_000)));
      if (code !== undefined) return code;
    }
  };
  const pad2 = (n: string): string => n.padStart(2, '0');
  const rowOf = (code: string, p: SnapshotPersonWithCard, plain: boolean): { line: string; exactDetails: boolean } => {
    const roll = random.next();
    const id = roll < 0.6 ? p.id_number : roll < 0.85 && p.old_card !== null ? p.old_card : '';
    let name = p.full_name;
    const slip = plain ? 1 : random.next();
    if (slip < 0.1) name = name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D');
    else if (slip < 0.2) name = name.toUpperCase();
    const b = p.birth_date;
    const birth = b.length === 10 ? `${pad2(b.slice(8, 10))}/${b.slice(5, 7)}/${b.slice(0, 4)}` : b.length === 7 ? `${b.slice(5, 7)}/${b.slice(0, 4)}` : b;
    const exactDetails = id === p.id_number && name.toLowerCase() === p.full_name.toLowerCase();
    return { line: `${code},${id},"${name}",${birth}\n`, exactDetails };
  };
  const lines: string[] = [`${taxRegisterHeader.join(',')}\n`];
  const truth: string[] = ['old_tax_code,expected_outcome,expected_person\n'];
  const pick = (): SnapshotPersonWithCard => {
    for (;;) {
      const i = random.int(alive.length);
      if (!used.has(i)) {
        used.add(i);
        return alive[i] as SnapshotPersonWithCard;
      }
    }
  };
  for (let t = 0; t < Math.min(options.taxpayers, Math.floor(alive.length * 0.9)); t++) {
    const roll = random.next();
    if (roll < 0.02) {
      // An invented taxpayer: a real-looking name, a number nobody holds.
      const p = pick();
      const code = newCode();
      lines.push(`${code},,"${p.full_name.split(' ')[0] ?? ''} Xuân Khang Thịnh",01/01/1901\n`);
      truth.push(`${code},not_found,\n`);
      expected.not_found++;
    } else if (roll < 0.04) {
      // One person under two tax codes.
      const p = pick();
      for (let k = 0; k < 2; k++) {
        const code = newCode();
        lines.push(rowOf(code, p, true).line);
        truth.push(`${code},conflict_person_many_codes,${p.id_number}\n`);
        expected.conflict_person_many_codes++;
      }
    } else if (roll < 0.06) {
      // One tax code issued to two persons.
      const code = newCode();
      for (let k = 0; k < 2; k++) lines.push(rowOf(code, pick(), true).line);
      truth.push(`${code},conflict_code_many_persons,\n`);
      expected.conflict_code_many_persons++;
    } else {
      const p = pick();
      const code = newCode();
      const { line, exactDetails } = rowOf(code, p, false);
      lines.push(line);
      const outcome: TaxLinkOutcome = exactDetails ? 'linked' : 'to_update';
      truth.push(`${code},${outcome},${p.id_number}\n`);
      expected[outcome]++;
    }
  }
  const write = (file: string, content: readonly string[]): void => {
    const partial = `${file}.partial`;
    const fd = openSync(partial, 'w');
    try {
      writeSync(fd, content.join(''));
      closeSync(fd);
      renameSync(partial, file);
    } catch (error) {
      rmSync(partial, { force: true });
      throw error;
    }
  };
  write(options.file, lines);
  write(options.truthFile, truth);
  return { rows: lines.length - 1, expected };
}
