import path from 'node:path';
import { openDuckDb } from '../store/duckdb.bounds.js';
import { sqlText } from './registry-snapshot.engine.js';
import { text } from './reconcile.engine.js';
import { linkedStatuses, reconcileStatuses, type ReconcileStatus } from './reconcile.presets.js';

/** Precision, recall and F1 of one class or of the links. */
export interface Scores {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly support: number;
}

/** How a results file compares with the generator's ground truth. */
export interface Evaluation {
  readonly rows: number;
  /** Share of rows whose status is the expected one. */
  readonly accuracy: number;
  /** Pairwise: a predicted link is (row, person); correct when the truth links the row to that person. */
  readonly pairwise: Scores & { readonly truePositives: number; readonly falsePositives: number; readonly falseNegatives: number };
  readonly perStatus: Readonly<Record<ReconcileStatus, Scores>>;
  /** expected status → predicted status → rows, for the off-diagonal cells only. */
  readonly confusion: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

function scores(tp: number, fp: number, fn: number): Scores {
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, support: tp + fn };
}

/**
 * Scores a reconciliation's per-row results (CSV or Parquet) against a ground-truth sidecar
 * (row_no, expected_status, expected_person), joined on row_no, in DuckDB.
 *
 * @example
 * const e = await evaluateResults('out/results.csv', 'telecom.truth.csv');
 * e.pairwise.f1 // 0.998…
 */
export async function evaluateResults(resultsPath: string, truthPath: string): Promise<Evaluation> {
  const duck = await openDuckDb(path.join(path.dirname(resultsPath), '.duckdb-spill'));
  const connection = await duck.instance.connect();
  try {
    const results = resultsPath.endsWith('.parquet') ? `read_parquet(${sqlText(resultsPath)})` : `read_csv(${sqlText(resultsPath)}, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')`;
    const linked = `(${linkedStatuses.map((s) => `'${s}'`).join(', ')})`;
    await connection.run(`
      CREATE TABLE e AS
      SELECT t.row_no::BIGINT AS row_no, t.expected_status AS expected, coalesce(r.status, 'MISSING') AS predicted,
             CASE WHEN t.expected_status IN ${linked} THEN nullif(t.expected_person, '') END AS truth_person,
             CASE WHEN r.status IN ${linked} THEN coalesce(r.linked_id, '?') END AS predicted_person
      FROM read_csv(${sqlText(truthPath)}, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"') t
      LEFT JOIN ${results} r ON r.row_no::BIGINT = t.row_no::BIGINT`);
    const [row] = (await connection.runAndReadAll(`
      SELECT count(*), count(*) FILTER (WHERE expected = predicted),
             count(*) FILTER (WHERE predicted_person IS NOT NULL AND predicted_person = truth_person),
             count(*) FILTER (WHERE predicted_person IS NOT NULL AND predicted_person IS DISTINCT FROM truth_person),
             count(*) FILTER (WHERE truth_person IS NOT NULL AND truth_person IS DISTINCT FROM predicted_person)
      FROM e`)).getRowsJS();
    const [rows, correct, tp, fp, fn] = (row ?? []).map(Number) as [number, number, number, number, number];
    const perStatus = {} as Record<ReconcileStatus, Scores>;
    for (const status of reconcileStatuses) {
      const [c] = (await connection.runAndReadAll(`
        SELECT count(*) FILTER (WHERE predicted = '${status}' AND expected = '${status}'),
               count(*) FILTER (WHERE predicted = '${status}' AND expected <> '${status}'),
               count(*) FILTER (WHERE predicted <> '${status}' AND expected = '${status}')
        FROM e`)).getRowsJS();
      const [a, b, d] = (c ?? []).map(Number) as [number, number, number];
      perStatus[status] = scores(a, b, d);
    }
    const confusion: Record<string, Record<string, number>> = {};
    for (const [expected, predicted, n] of (await connection.runAndReadAll('SELECT expected, predicted, count(*) FROM e WHERE expected <> predicted GROUP BY ALL ORDER BY 3 DESC')).getRowsJS()) {
      const cell = (confusion[text(expected)] ??= {});
      cell[text(predicted)] = Number(n);
    }
    return { rows, accuracy: rows === 0 ? 1 : correct / rows, pairwise: { ...scores(tp, fp, fn), truePositives: tp, falsePositives: fp, falseNegatives: fn }, perStatus, confusion };
  } finally {
    connection.closeSync();
    duck.close();
  }
}

/** How the rows carrying one kind of error came out. */
export interface KindFigures {
  readonly rows: number;
  /** Rows of a real person linked to that person. */
  readonly linkedRight: number;
  /** Rows linked to the wrong person, or linked when the truth has nobody. */
  readonly linkedWrong: number;
  /** Rows of a real person left unlinked (suggested for review or not found). */
  readonly missed: number;
  /** Of those, the ones suggested for clerical review with the right person. */
  readonly reviewRight: number;
  /** linkedRight / rows of real persons. */
  readonly recall: number;
}

/**
 * Figures per kind of error, for a truth file whose `errors` column lists each row's kinds separated
 * by ';' (messy-agency-file.generator.ts); the key '' holds the rows without error.
 */
export async function evaluateByErrorKind(resultsPath: string, truthPath: string): Promise<Record<string, KindFigures>> {
  const duck = await openDuckDb(path.join(path.dirname(resultsPath), '.duckdb-spill'));
  const connection = await duck.instance.connect();
  try {
    const linked = `(${linkedStatuses.map((s) => `'${s}'`).join(', ')})`;
    const rows = (await connection.runAndReadAll(`
      WITH t AS (
        SELECT row_no::BIGINT AS row_no, nullif(expected_person, '') AS truth_person, unnest(CASE WHEN coalesce(errors, '') = '' THEN [''] ELSE string_split(errors, ';') END) AS kind
        FROM read_csv(${sqlText(truthPath)}, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')
      ),
      r AS (
        SELECT row_no::BIGINT AS row_no, status, CASE WHEN status IN ${linked} THEN coalesce(linked_id, '?') END AS person, suggested_id
        FROM read_csv(${sqlText(resultsPath)}, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')
      )
      SELECT kind, count(*),
             count(*) FILTER (WHERE r.person IS NOT NULL AND r.person = t.truth_person),
             count(*) FILTER (WHERE r.person IS NOT NULL AND r.person IS DISTINCT FROM t.truth_person),
             count(*) FILTER (WHERE t.truth_person IS NOT NULL AND r.person IS NULL),
             count(*) FILTER (WHERE t.truth_person IS NOT NULL AND r.person IS NULL AND r.status = 'CLERICAL_REVIEW' AND r.suggested_id = t.truth_person),
             count(*) FILTER (WHERE t.truth_person IS NOT NULL)
      FROM t LEFT JOIN r USING (row_no) GROUP BY kind ORDER BY kind`)).getRowsJS();
    const out: Record<string, KindFigures> = {};
    for (const [kind, n, right, wrong, missed, review, real] of rows) {
      out[text(kind)] = {
        rows: Number(n), linkedRight: Number(right), linkedWrong: Number(wrong), missed: Number(missed), reviewRight: Number(review),
        recall: Number(real) === 0 ? 1 : Number(right) / Number(real),
      };
    }
    return out;
  } finally {
    connection.closeSync();
    duck.close();
  }
}
