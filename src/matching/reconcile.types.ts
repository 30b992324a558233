import type { DuckDbLimits } from '../store/duckdb.bounds.js';
import type { ComparedField, PresetName, ReconcilePreset, ReconcileStatus } from './reconcile.presets.js';

/** A row the reader could not use; never carries the row's content (it holds personal data). */
export interface BadRow {
  /** Physical line in the file (1 is the header). */
  readonly line: number;
  /** Stable code: MISSING_COLUMNS, TOO_MANY_COLUMNS, INVALID_ENCODING, UNQUOTED_VALUE, CAST_ERROR, … */
  readonly code: string;
  readonly reason: string;
}

/** What a reconciliation found, as written to summary.json and drawn in report.html. */
export interface ReconcileSummary {
  readonly preset: PresetName;
  readonly presetTitle: string;
  /** The input's file name (not its path: paths can name people or cases). */
  readonly input: string;
  readonly inputFormat: 'csv' | 'parquet';
  readonly snapshot: { readonly fingerprint: string; readonly persons: number };
  /** Rows in the file, bad ones included. */
  readonly rows: number;
  readonly statuses: Readonly<Record<ReconcileStatus, number>>;
  /** How many MISMATCH rows disagree on each field. */
  readonly mismatchFields: Readonly<Partial<Record<ComparedField, number>>>;
  /** Finer reasons (e.g. id_not_in_registry, id_other_person, old_card_number) → rows. */
  readonly reasons: Readonly<Record<string, number>>;
  /** Mapped columns that the file does not have: those fields were not compared. */
  readonly columnsMissing: readonly string[];
  readonly badRows: number;
  /** The first bad rows (at most 100), by line. */
  readonly badRowSamples: readonly BadRow[];
  readonly seconds: Readonly<Record<string, number>>;
  readonly finishedAt: string;
}

/** One reconciliation to run. */
export interface ReconcileRequest {
  readonly input: string;
  readonly preset: ReconcilePreset;
  /** Folder of a complete registry snapshot (see registry-snapshot.engine). */
  readonly snapshotDir: string;
  /** Where the per-row results go; .parquet writes Parquet, anything else CSV. */
  readonly resultsPath: string;
  /** Today (YYYY-MM-DD): ID numbers with a later birth year are invalid. */
  readonly today: string;
  readonly onProgress?: (phase: ReconcilePhase, fraction: number) => void;
  /** Bounds of the DuckDB instance other than the defaults (store/duckdb.bounds.ts), e.g. all cores for a one-shot command. */
  readonly duckDb?: Partial<DuckDbLimits>;
}

export type ReconcilePhase = 'snapshot' | 'loading' | 'classifying' | 'writing' | 'report' | 'done';

/** The bulk engine behind reconciliation (DuckDB in reconcile.engine.ts). */
export interface ReconcileEngine {
  run(request: ReconcileRequest): Promise<Omit<ReconcileSummary, 'finishedAt'>>;
}
