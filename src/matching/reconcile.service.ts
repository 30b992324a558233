import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isoDay, type Clock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import type { Language } from '../shared/language.js';
import type { DuckDbLimits } from '../store/duckdb.bounds.js';
import type { SnapshotReady } from './registry-snapshot.service.js';
import { renderReport } from './reconcile.report.js';
import type { ReconcilePreset } from './reconcile.presets.js';
import type { ReconcileEngine, ReconcilePhase, ReconcileSummary } from './reconcile.types.js';

/** The files a reconciliation leaves in its output folder. */
export const reconcileOutputs = {
  results: 'results.csv',
  summary: 'summary.json',
  report: 'report.html',
} as const;

export interface ReconcileServiceDeps {
  readonly engine: ReconcileEngine;
  readonly clock: Clock;
  /** A current registry snapshot (built or reused). */
  readonly snapshot: () => Promise<SnapshotReady>;
  /** DuckDB bounds other than the defaults (store/duckdb.bounds.ts). */
  readonly duckDb?: Partial<DuckDbLimits>;
}

export interface ReconcileRunInput {
  readonly input: string;
  readonly preset: ReconcilePreset;
  /** Folder for results.csv, summary.json and report.html. */
  readonly outDir: string;
  readonly onProgress?: (phase: ReconcilePhase, fraction: number) => void;
  /** The report's language: Vietnamese unless English is asked for. */
  readonly lang?: Language;
}

export interface ReconcileRunOutput {
  readonly summary: ReconcileSummary;
  readonly files: { readonly results: string; readonly summary: string; readonly report: string };
}

/**
 * Runs a reconciliation end to end: a current snapshot, the engine's classification, then the
 * summary and the HTML report. Every output is written under a `.partial` name and renamed only
 * when all three are complete, so a run killed at any point leaves either the previous complete
 * outputs or none, never a half file; running it again starts cleanly.
 *
 * @example
 * const { summary } = await service.run({ input: 'sims.csv', preset: reconcilePresets.telecom, outDir: 'out' });
 */
export class ReconcileService {
  constructor(private readonly deps: ReconcileServiceDeps) {}

  async run(input: ReconcileRunInput): Promise<ReconcileRunOutput> {
    const { outDir, preset } = input;
    try {
      mkdirSync(outDir, { recursive: true });
    } catch (error) {
      // The folder as the caller named it, and the system's error code: never the resolved server path.
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
      throw new DomainError('invalid', 'RECONCILE_OUTPUT_UNWRITABLE', `the output folder cannot be created (${code})`, 'Choose a folder you can write to', { folder: path.isAbsolute(outDir) ? path.basename(outDir) : outDir });
    }
    const files = {
      results: path.join(outDir, reconcileOutputs.results),
      summary: path.join(outDir, reconcileOutputs.summary),
      report: path.join(outDir, reconcileOutputs.report),
    };
    const partial = { results: `${files.results}.partial`, summary: `${files.summary}.partial`, report: `${files.report}.partial` };
    const started = performance.now();
    try {
      input.onProgress?.('snapshot', 0);
      const snapshotStarted = performance.now();
      const snapshot = await this.deps.snapshot();
      const snapshotSeconds = Math.round(performance.now() - snapshotStarted) / 1000;
      const today = isoDay(this.deps.clock.now());
      const result = await this.deps.engine.run({
        input: input.input,
        preset,
        snapshotDir: snapshot.dir,
        resultsPath: partial.results,
        today,
        ...(input.onProgress ? { onProgress: input.onProgress } : {}),
        ...(this.deps.duckDb ? { duckDb: this.deps.duckDb } : {}),
      });
      input.onProgress?.('report', 0.95);
      const reportStarted = performance.now();
      const summaryDraft: ReconcileSummary = {
        ...result,
        seconds: { snapshot: snapshotSeconds, ...result.seconds },
        finishedAt: this.deps.clock.now().toISOString(),
      };
      const html = renderReport(summaryDraft, preset.actions, input.lang ?? 'vi');
      writeFileSync(partial.report, html);
      const summary: ReconcileSummary = {
        ...summaryDraft,
        seconds: { ...summaryDraft.seconds, report: Math.round(performance.now() - reportStarted) / 1000, total: Math.round(performance.now() - started) / 1000 },
      };
      writeFileSync(partial.summary, `${JSON.stringify(summary, null, 2)}\n`);
      renameSync(partial.results, files.results);
      renameSync(partial.report, files.report);
      renameSync(partial.summary, files.summary);
      input.onProgress?.('done', 1);
      return { summary, files };
    } catch (error) {
      for (const file of Object.values(partial)) rmSync(file, { force: true });
      throw error;
    }
  }
}
