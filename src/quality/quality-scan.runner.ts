import { adminUnitCatalog } from '../registry/admin-unit.catalog.js';
import { moduleWorker } from '../shared/module-worker.js';
import type { Finding } from './finding.types.js';
import { ruleContext } from './quality-rule.catalog.js';
import { checkRecord, OwnerResolver, ScanEvaluator } from './quality-scan.evaluator.js';
import { personScanReadModel, type ScanSource } from '../registry/person-scan.read-model.js';

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
 * Which rules a pass evaluates: all of them; the cross-record ones (links: households, spouses,
 * parents, duplicates, events after death) with the persons and scores' counts; or the
 * per-record ones alone.
 */
export type ScanPart = 'all' | 'links' | 'records';

/**
 * Reads every person once and evaluates the rules of `part`, in this thread.
 *
 * @example
 * const pass = await evaluateStore(database, { today: '2026-01-01', staleYears: 15 });
 */
export async function evaluateStore(store: ScanSource, settings: ScanSettings, part: ScanPart = 'all'): Promise<ScanPass> {
  const t0 = performance.now();
  const units = adminUnitCatalog();
  const ctx = ruleContext(settings.today, units, settings.staleYears);
  const owners = new OwnerResolver(units);
  if (part === 'records') {
    const findings: Finding[] = [];
    let persons = 0;
    for await (const page of personScanReadModel.persons(store)) {
      for (const row of page) checkRecord(row, ctx, owners.ofPerson(row), findings);
      persons += page.length;
    }
    return { findings, persons, personsByCommune: new Map(), readMs: performance.now() - t0, checkMs: 0 };
  }
  const evaluator = new ScanEvaluator(ctx, owners, { recordRules: part === 'all' });
  for await (const page of personScanReadModel.persons(store)) {
    for (const row of page) evaluator.add(row);
  }
  const lastEvents = await personScanReadModel.lastEventsOfDeceased(store.db);
  const t1 = performance.now();
  const findings = evaluator.finish(lastEvents);
  return { findings, persons: evaluator.persons, personsByCommune: evaluator.personsByCommune, readMs: t1 - t0, checkMs: performance.now() - t1 };
}

/**
 * The read-and-evaluate pass of a full scan. On a SQLite file it runs on two worker threads,
 * each over its own connection: one the cross-record rules, one the per-record rules, both
 * reading every person (the file is read twice, in parallel on two cores). The server's event
 * loop keeps answering meanwhile. The two passes read at nearly the same moment but not in one
 * snapshot: an event committed between them is seen by one pass only, as a re-check during a
 * scan would be. Elsewhere the pass runs in this thread.
 */
export async function runScanPass(store: ScanSource, settings: ScanSettings): Promise<ScanPass> {
  if (store.sqlite === undefined || store.location === undefined || store.location === ':memory:') return evaluateStore(store, settings);
  const file = store.location;
  const [links, records] = await Promise.all([passOnWorker(file, settings, 'links'), passOnWorker(file, settings, 'records')]);
  return {
    findings: [...records.findings, ...links.findings],
    persons: links.persons,
    personsByCommune: links.personsByCommune,
    readMs: Math.max(links.readMs, records.readMs),
    checkMs: links.checkMs,
  };
}

async function passOnWorker(file: string, settings: ScanSettings, part: ScanPart): Promise<ScanPass> {
  const worker = moduleWorker(import.meta.url, 'quality-scan.worker', {
    workerData: { file, settings, part },
    // a young generation large enough for a page of rows in the making: they die young
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
