import { adminUnitCatalog } from '../registry/admin-unit.catalog.js';
import { moduleWorker } from '../shared/module-worker.js';
import type { Finding } from './finding.types.js';
import { ruleContext } from './quality-rule.catalog.js';
import { OwnerResolver, ScanEvaluator } from './quality-scan.evaluator.js';
import { qualityScanRepository, type ScanSource } from './quality-scan.repository.js';

/** What the read-and-evaluate pass of a full scan settles before anything is stored. */
export interface ScanPass {
  readonly findings: readonly Finding[];
  readonly persons: number;
  /** Persons per owning commune ('' when none), the denominators of the scores. */
  readonly personsByCommune: ReadonlyMap<string, number>;
  /** Reading the persons with the per-record rules, and the cross-record rules, in ms. */
  readonly readMs: number;
  readonly checkMs: number;
}

/** The rule settings a pass runs with. */
export interface ScanSettings {
  /** YYYY-MM-DD, the day the rules judge at. */
  readonly today: string;
  readonly staleYears: number;
}

/**
 * Reads every person once and evaluates every rule, in this thread.
 *
 * @example
 * const pass = await evaluateStore(database, { today: '2026-01-01', staleYears: 15 });
 */
export async function evaluateStore(store: ScanSource, settings: ScanSettings): Promise<ScanPass> {
  const t0 = performance.now();
  const units = adminUnitCatalog();
  const evaluator = new ScanEvaluator(ruleContext(settings.today, units, settings.staleYears), new OwnerResolver(units));
  for await (const page of qualityScanRepository.persons(store)) {
    for (const row of page) evaluator.add(row);
  }
  const lastEvents = await qualityScanRepository.lastEventsOfDeceased(store.db);
  const t1 = performance.now();
  const findings = evaluator.finish(lastEvents);
  return { findings, persons: evaluator.persons, personsByCommune: evaluator.personsByCommune, readMs: t1 - t0, checkMs: performance.now() - t1 };
}

/**
 * The read-and-evaluate pass of a full scan. On a SQLite file it runs on a worker thread over
 * its own connection: the server's event loop keeps answering during a scan of tens of seconds,
 * and the worker's larger young generation lets the pass's short-lived rows die young (a
 * million-person pass measured ~10% faster). Elsewhere it runs in this thread.
 */
export async function runScanPass(store: ScanSource, settings: ScanSettings): Promise<ScanPass> {
  if (store.sqlite === undefined || store.location === undefined || store.location === ':memory:') return evaluateStore(store, settings);
  const worker = moduleWorker(import.meta.url, 'quality-scan.worker', {
    workerData: { file: store.location, settings },
    resourceLimits: { maxYoungGenerationSizeMb: 192 },
  });
  try {
    return await new Promise<ScanPass>((resolve, reject) => {
      worker.once('message', (message: { readonly pass: ScanPass } | { readonly error: { readonly name: string; readonly message: string } }) => {
        if ('pass' in message) resolve(message.pass);
        else reject(Object.assign(new Error(message.error.message), { name: message.error.name }));
      });
      worker.once('error', reject);
      worker.once('exit', (code) => { reject(new Error(`the scan's worker thread stopped (exit code ${code})`)); });
    });
  } finally {
    await worker.terminate();
  }
}
