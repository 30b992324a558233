/**
 * The candidate search of reconciliation: for the rows whose ID number failed (not in the registry,
 * malformed, missing, or held by someone whose name and birth date do not fit), the registry
 * persons sharing a block with the row (the same name in any word order and birth year, or the same
 * full birth date, also with day and month swapped, or the ID's holder) are scored with a
 * Fellegi–Sunter model over the comparators verification uses (compareNames, compareDates,
 * compareIdNumbers, sex). The best candidate becomes a PROBABLE_MATCH (with its ID and score) when
 * the evidence is strong and unambiguous, a CLERICAL_REVIEW suggestion when it is not.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { compareDates } from './date.normaliser.js';
import type { FellegiSunterModel } from './fellegi-sunter.js';
import { levelWeights, matchWeight, nullLevel, probabilityOf } from './fellegi-sunter.js';
import { compareIdNumbers } from './identifier.normaliser.js';
import { compareNames, nameForms } from './name.normaliser.js';
import { levenshtein } from './string-similarity.js';
import { defaultVerifyModel } from './verify.model.js';
import type { FieldOutcome } from './verify.types.js';

/** What a failed row says about its person (the agency's values, read by the engine). */
export interface CandidateRow {
  readonly id: string;
  readonly name: string;
  /** Registry form: 'YYYY-MM-DD', 'YYYY-MM', 'YYYY', or '' when unreadable. */
  readonly birth: string;
  readonly sex: 'M' | 'F' | null;
}

/** A registry person in the row's blocks. */
export interface CandidatePerson {
  readonly id: string;
  readonly name: string;
  readonly birth: string;
  readonly sex: 'M' | 'F';
}

const levels: readonly FieldOutcome[] = ['exact', 'close', 'different'];

/**
 * The fields of the candidate model. Name, birth date and sex take verification's m and u; the ID
 * field's m is the profile of rows whose ID failed (most carry a keying error or none at all), its
 * u that of two different persons (an equal or one-digit-off ID is rare by chance).
 */
export const candidateModel: FellegiSunterModel = {
  prior: 0.5,
  fields: [
    ...['fullName', 'birthDate', 'sex'].map((name) => {
      const field = defaultVerifyModel.fields.find((f) => f.name === name);
      if (field === undefined) throw new Error(`the verify model has no ${name}`);
      return field;
    }),
    { name: 'idNumber', levels, m: [0.3, 0.5, 0.2], u: [0.000001, 0.00001, 0.99999] },
  ],
};
const weights = levelWeights(candidateModel);

/** Score bands (probability under {@link candidateModel}). */
export const candidateBands = {
  /** At or above: PROBABLE_MATCH, if the guards also hold. */
  probable: 0.9995,
  /** At or above (and below probable, or failing a guard): CLERICAL_REVIEW. */
  review: 0.95,
  /** A runner-up within this many log2 units of the best makes the best ambiguous: review only. */
  margin: 4,
} as const;

export interface CandidateScore {
  readonly weight: number;
  readonly score: number;
  readonly name: FieldOutcome;
  readonly birth: FieldOutcome;
  readonly id: FieldOutcome;
  /** The row's given name (its last word, or its first when written given-name-first) is one of the person's words, or one letter from the person's given name. */
  readonly givenName: boolean;
}

/** Whether the given names agree: Jaro-Winkler on whole names scores 'Nguyễn Phương Hà' and 'Nguyễn Thu Nhạn' 0.92. */
function givenNamesAgree(row: readonly string[], person: readonly string[]): boolean {
  const given = person[person.length - 1] ?? '';
  const last = row[row.length - 1] ?? '';
  if (last !== '' && levenshtein(last, given) <= 1) return true;
  // Given name first ('Quỳnh Hồ Kim'), or a surname and given name swapped.
  return row[0] === given || (last !== '' && person.includes(last) && row.includes(given));
}

/**
 * Scores one row against one candidate.
 *
 * @example
 * scoreCandidate({ id: '001090012346', name: 'Quỳnh Hồ Kim', birth: '1990-05-02', sex: null },
 *                { id: '001090012345', name: 'Hồ Kim Quỳnh', birth: '1990-05-02', sex: 'F' }).score // ≈ 1
 */
export function scoreCandidate(row: CandidateRow, person: CandidatePerson): CandidateScore {
  const rowForms = nameForms(row.name);
  const personForms = nameForms(person.name);
  const name = compareNames(rowForms, personForms);
  const givenName = givenNamesAgree(rowForms.tokens, personForms.tokens);
  let birth: FieldOutcome;
  try {
    birth = compareDates(row.birth, person.birth);
  } catch {
    birth = 'missing';
  }
  // A year alone agrees with every date of that year: among a million persons that is no evidence.
  if (birth === 'close' && (row.birth.length === 4 || person.birth.length === 4)) birth = 'missing';
  // 1 January is what offices write for an unknown day and month: with the year right it says no more
  // than a year alone (no evidence either way), where it would otherwise count against the person.
  if (birth === 'different' && row.birth.length === 10 && row.birth.endsWith('-01-01') && row.birth.slice(0, 4) === person.birth.slice(0, 4)) birth = 'missing';
  const sex: FieldOutcome = row.sex === null ? 'missing' : row.sex === person.sex ? 'exact' : 'different';
  // An old 9-digit card cannot be compared with a 12-digit number digit by digit: it says nothing here.
  const id = row.id.replace(/\D/g, '').length === 9 ? 'missing' : compareIdNumbers(row.id, person.id);
  const vector = [name, birth, sex, id].map((o) => (o === 'missing' ? nullLevel : levels.indexOf(o)));
  const weight = matchWeight(candidateModel, weights, vector);
  return { weight, score: Math.round(probabilityOf(weight) * 10_000) / 10_000, name, birth, id, givenName };
}

export type CandidateDecision =
  | { readonly status: 'PROBABLE_MATCH' | 'CLERICAL_REVIEW'; readonly personId: string; readonly score: number }
  | undefined;

/**
 * The decision for one row from its scored candidates: PROBABLE_MATCH when the best scores in the
 * probable band, its name and birth date agree at least closely (or the birth date says nothing and
 * the ID is one keying error away), its ID is equal, one keying error
 * away or unusable (never another valid number), and no runner-up comes near; CLERICAL_REVIEW when
 * the best reaches the review band otherwise (with a different name or no agreeing birth date, only
 * when the ID is equal or one keying error away); nothing below that.
 */
export function decideCandidates(scored: readonly (CandidateScore & { readonly personId: string })[]): CandidateDecision {
  if (scored.length === 0) return undefined;
  const sorted = [...scored].sort((a, b) => b.weight - a.weight);
  const best = sorted[0] as CandidateScore & { readonly personId: string };
  if (best.score < candidateBands.review) return undefined;
  // A different name, or no agreeing birth date, is worth an officer's time only when the ID number points at the person too.
  const idPoints = best.id === 'exact' || best.id === 'close';
  if (!idPoints && (best.name === 'different' || !best.givenName || (best.birth !== 'exact' && best.birth !== 'close'))) return undefined;
  const second = sorted[1];
  const ambiguous = second !== undefined && second.score >= candidateBands.review && best.weight - second.weight < candidateBands.margin;
  const birthAgrees = best.birth === 'exact' || best.birth === 'close' || (idPoints && best.birth === 'missing');
  const guards = (best.name === 'exact' || best.name === 'close') && best.givenName && birthAgrees && best.id !== 'different';
  const status = best.score >= candidateBands.probable && guards && !ambiguous ? 'PROBABLE_MATCH' : 'CLERICAL_REVIEW';
  return { status, personId: best.personId, score: best.score };
}

/** DuckDB's sorted-syllable key of a folded name ('quynh ho kim' → 'ho kim quynh'). */
export function sortedNameSql(folded: string): string {
  return `array_to_string(list_sort(string_split(${folded}, ' ')), ' ')`;
}

/**
 * Runs the search over the `need` table (rn, id_in, name_in, name_key, sorted_key, birth_text,
 * birth_swapped, birth_year, sex_in, owner_id) against `persons` (and `nameKeys`, a query giving
 * id_number, sorted_key, birth_year, when the snapshot holds them), and writes the decisions into a
 * table `candidates` (rn, status, person_id, score). Returns how many rows were decided.
 * Pairs are pre-filtered in SQL (blocking, and a name similarity for the date blocks); each
 * remaining pair is scored in JavaScript with the comparators verification uses.
 */
export async function searchCandidates(connection: DuckDBConnection, persons: string, nameKeys?: string): Promise<number> {
  await connection.run('CREATE TABLE candidates (rn BIGINT, status VARCHAR, person_id VARCHAR, score DOUBLE)');
  const needed = Number((await connection.runAndReadAll('SELECT count(*) FROM need')).getRowsJS()[0]?.[0] ?? 0);
  if (needed === 0) return 0;
  await connection.run(`
    CREATE TABLE pairs AS
    WITH by_name AS (
      ${nameKeys ?? `SELECT p.id_number, ${sortedNameSql('p.name_folded')} AS sorted_key, substr(p.birth_date, 1, 4) AS birth_year FROM ${persons} p`}
    ),
    b AS (
      -- The same name in any order, and the same birth year or the same first six ID digits
      -- (province, century and sex, year of birth: a keying error is mostly further right).
      SELECT n.rn, x.id_number FROM need n JOIN by_name x ON x.sorted_key = n.sorted_key
        WHERE x.birth_year = n.birth_year OR substr(x.id_number, 1, 6) = substr(n.id_in, 1, 6)
      UNION
      SELECT n.rn, p.id_number FROM need n JOIN ${persons} p ON p.birth_date = n.birth_text
        WHERE length(n.birth_text) = 10 AND jaro_winkler_similarity(n.name_key, p.name_folded) >= 0.8
      UNION
      SELECT n.rn, p.id_number FROM need n JOIN ${persons} p ON p.birth_date = n.birth_swapped
        WHERE jaro_winkler_similarity(n.name_key, p.name_folded) >= 0.8
      UNION
      SELECT n.rn, n.owner_id FROM need n WHERE n.owner_id IS NOT NULL
    )
    SELECT n.rn, n.id_in, n.name_in, coalesce(n.birth_text, '') AS birth_text, n.sex_in,
           p.id_number, p.full_name, p.birth_date, p.sex
    FROM b JOIN need n ON n.rn = b.rn JOIN ${persons} p ON p.id_number = b.id_number`);
  // Ordered here: the engine lets DuckDB reorder freely, and a row's candidates must come together.
  const rows = (await connection.runAndReadAll('SELECT * FROM pairs ORDER BY rn')).getRowsJS();
  const appender = await connection.createAppender('candidates');
  let decided = 0;
  let i = 0;
  while (i < rows.length) {
    const rn = rows[i]?.[0];
    const scored: (CandidateScore & { personId: string })[] = [];
    for (; i < rows.length && rows[i]?.[0] === rn; i++) {
      const [, id, name, birth, sex, pid, pname, pbirth, psex] = (rows[i] ?? []).map((v) => (typeof v === 'string' ? v : ''));
      const row: CandidateRow = { id: id ?? '', name: name ?? '', birth: birth ?? '', sex: sex === 'M' || sex === 'F' ? sex : null };
      const person: CandidatePerson = { id: pid ?? '', name: pname ?? '', birth: pbirth ?? '', sex: psex === 'F' ? 'F' : 'M' };
      scored.push({ ...scoreCandidate(row, person), personId: person.id });
    }
    const decision = decideCandidates(scored);
    if (decision === undefined) continue;
    appender.appendBigInt(typeof rn === 'bigint' ? rn : BigInt(Number(rn)));
    appender.appendVarchar(decision.status);
    appender.appendVarchar(decision.personId);
    appender.appendDouble(decision.score);
    appender.endRow();
    decided++;
  }
  appender.closeSync();
  return decided;
}
