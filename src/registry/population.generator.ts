import { moduleWorker } from '../shared/module-worker.js';
import { DomainError } from '../shared/domain-error.js';
import { BatchPacker, unpackBatch, type PackedBatch } from '../store/bulk-writer.js';
import type { RelationshipToHead } from './population.demography.data.js';
import { dayOf } from './population.days.js';
import { HouseholdGenerator, Tables, type PopulationBatch } from './population.households.js';
import { parseFullDate } from './partial-date.js';
import { SeededRandom } from './population.random.js';
import type { Weighted } from './vietnamese-names.data.js';

export type { PopulationBatch } from './population.households.js';
export { flatJson } from './population.rows.js';

export interface GeneratePopulationOptions {
  /** How many persons, exactly. */
  readonly people: number;
  /** The same seed gives the same population, byte for byte. */
  readonly seed: number | string;
  /** The date the population is "as at" (YYYY-MM-DD); no event is later. Default '2026-01-01'. */
  readonly today?: string;
  /** Persons per batch (whole households, so a batch may hold a few more). Default 10,000. */
  readonly batchSize?: number;
}

export const maxPopulation = 200_000_000;

let tables: Tables | undefined;

/**
 * Generates a synthetic but realistic Vietnamese population, deterministic for a seed: households
 * across the real 2025 communes, weighted by province population; families whose relationships are
 * consistent; Vietnamese names with real surname frequencies; ID numbers that agree with sex, year
 * and province of birth registration; and for each person a life-event history whose fold (through
 * applyLifeEvent and toPersonRow) is exactly the person's row.
 *
 * @example
 * for (const batch of generatePopulation({ people: 20_000, seed: 7 })) {
 *   await writer.write(batch);
 * }
 */
export function generatePopulation(options: GeneratePopulationOptions): Generator<PopulationBatch, void, undefined> {
  const { people, seed } = options;
  if (!Number.isSafeInteger(people) || people < 1 || people > maxPopulation) {
    throw new DomainError('invalid', 'POPULATION_SIZE_INVALID', `people must be a whole number from 1 to ${maxPopulation}, got ${people}`, 'Give the number of persons to generate, e.g. 1000000');
  }
  const batchSize = options.batchSize ?? 10_000;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new DomainError('invalid', 'POPULATION_BATCH_SIZE_INVALID', `batchSize must be a positive whole number, got ${batchSize}`, 'Use a batch size such as 10000');
  }
  const todayIso = parseFullDate(options.today ?? '2026-01-01', 'today');
  if (todayIso < '2000-01-01' || todayIso > '2199-12-31') {
    throw new DomainError('invalid', 'POPULATION_TODAY_OUT_OF_RANGE', `today ${todayIso} is outside 2000-2199`, 'Give a date in 2000-2199 as today');
  }
  tables ??= new Tables();
  return batches(new HouseholdGenerator(tables, new SeededRandom(seed), String(seed), dayOf(todayIso)), people, batchSize);
}

type WorkerMessage =
  | { readonly kind: 'batch'; readonly batch: PackedBatch }
  | { readonly kind: 'done' }
  | { readonly kind: 'error'; readonly error: unknown };

/**
 * The same batches as generatePopulation, produced in a worker thread: while the caller loads one
 * batch (SQLite writes block the main thread), the next ones are generated on another core. At
 * most `ahead` batches wait in memory.
 *
 * @example
 * await loadPopulation(database, generatePopulationInWorker({ people: 1_000_000, seed: 1 }));
 */
export async function* generatePopulationInWorker(options: GeneratePopulationOptions, ahead = 3): AsyncGenerator<PopulationBatch, void, undefined> {
  generatePopulation(options); // validates the options here, where the caller can catch the error
  const taken = new SharedArrayBuffer(4);
  const counter = new Int32Array(taken);
  const workerData = { options, taken, ahead };
  // A young generation large enough for a batch in the making: most of the generator's garbage
  // then dies young instead of being copied and promoted (GC was ~40% of its time at the default).
  const resourceLimits = { maxYoungGenerationSizeMb: 64 };
  const worker = moduleWorker(import.meta.url, 'population.worker', { workerData, resourceLimits });
  const queue: WorkerMessage[] = [];
  let wake: (() => void) | undefined;
  const push = (message: WorkerMessage): void => {
    queue.push(message);
    wake?.();
  };
  worker.on('message', push);
  worker.on('error', (error) => { push({ kind: 'error', error }); });
  worker.on('exit', (code) => { push(code === 0 ? { kind: 'done' } : { kind: 'error', error: new Error(`population worker exited with code ${code}`) }); });
  try {
    for (;;) {
      const message = queue.shift() ?? (await new Promise<void>((resolve) => { wake = resolve; }).then(() => queue.shift()));
      wake = undefined;
      if (message === undefined) continue;
      if (message.kind === 'done') return;
      if (message.kind === 'error') throw message.error;
      Atomics.add(counter, 0, 1);
      Atomics.notify(counter, 0);
      // Rows are built only if read: the SQLite bulk writer takes the packed values as they are.
      yield unpackBatch(message.batch) as PopulationBatch;
    }
  } finally {
    await worker.terminate();
  }
}

/**
 * The batches of generatePopulation, packed for another thread (see PackedBatch): rows are packed
 * household by household, so that no row object outlives its household.
 */
export function* generatePackedPopulation(options: GeneratePopulationOptions): Generator<PackedBatch, void, undefined> {
  generatePopulation(options); // validates the options
  const t = (tables ??= new Tables());
  const generator = new HouseholdGenerator(t, new SeededRandom(options.seed), String(options.seed), dayOf(parseFullDate(options.today ?? '2026-01-01', 'today')));
  const batchSize = options.batchSize ?? 10_000;
  let remaining = options.people;
  const household: PopulationBatch = { persons: [], households: [], events: [] };
  while (remaining > 0) {
    const packer = new BatchPacker();
    let persons = 0;
    while (remaining > 0 && persons < batchSize) {
      const n = generator.household(household, remaining);
      remaining -= n;
      persons += n;
      packer.add(household);
      household.persons.length = 0;
      household.households.length = 0;
      household.events.length = 0;
    }
    yield packer.finish();
  }
}

function* batches(generator: HouseholdGenerator, people: number, batchSize: number): Generator<PopulationBatch, void, undefined> {
  let remaining = people;
  while (remaining > 0) {
    const batch: PopulationBatch = { persons: [], households: [], events: [] };
    while (remaining > 0 && batch.persons.length < batchSize) {
      remaining -= generator.household(batch, remaining);
    }
    yield batch;
  }
}

/** The ethnic groups, religions and relationship codes the generator uses. */
export type { RelationshipToHead, Weighted };

/** Re-exported for `sachsong generate`, which imports the pair from here; it lives in the store. */
export { loadPopulation } from '../store/bulk-writer.js';
