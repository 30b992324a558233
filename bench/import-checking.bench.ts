// What `sachsong import`'s checking thread spends a row, step by step, in one thread: a file of
// --people generated persons written by `sachsong export`, then read and split into rows
// (readPersonFile), checked and packed in batches as the worker does (ImportBatchPreparer), and
// each staged batch cloned as postMessage copies it. Each step is timed alone, then with the steps
// before it; the compiled code (dist), as the import runs it. Also the staged text a row.
//   npx tsx bench/import-checking.bench.ts [--people 100000] [--batch 10000] [--rounds 3]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type * as PersonExportModule from '../src/registry/person-export.service.js';
import type * as PersonFileReaderModule from '../src/registry/person-file.reader.js';
import type * as PersonImportPrepareModule from '../src/registry/person-import.prepare.js';
import type * as PopulationGeneratorModule from '../src/registry/population.generator.js';
import type * as UuidModule from '../src/shared/uuid-v7.js';
import type * as BulkWriterModule from '../src/store/bulk-writer.js';
import type * as DatabaseModule from '../src/store/database.js';
import type * as MigratorModule from '../src/store/migrator.js';
import { builtModule, compileServerCode } from './built-code.js';

compileServerCode();
const { exportPersons } = (await import(builtModule('registry/person-export.service.js'))) as typeof PersonExportModule;
const { readPersonFile } = (await import(builtModule('registry/person-file.reader.js'))) as typeof PersonFileReaderModule;
const { ImportBatchPreparer } = (await import(builtModule('registry/person-import.prepare.js'))) as typeof PersonImportPrepareModule;
const { generatePopulation } = (await import(builtModule('registry/population.generator.js'))) as typeof PopulationGeneratorModule;
const { uuidV7Generator } = (await import(builtModule('shared/uuid-v7.js'))) as typeof UuidModule;
const { loadPopulation } = (await import(builtModule('store/bulk-writer.js'))) as typeof BulkWriterModule;
const { openDatabase } = (await import(builtModule('store/database.js'))) as typeof DatabaseModule;
const { migrateToLatest } = (await import(builtModule('store/migrator.js'))) as typeof MigratorModule;

const { values } = parseArgs({
  options: {
    people: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '3' },
  },
});
const people = Number(values.people);
const batchSize = Number(values.batch);
const rounds = Number(values.rounds);
if (![people, batchSize, rounds].every((n) => Number.isSafeInteger(n) && n > 0)) throw new Error('--people, --batch and --rounds must be positive whole numbers');

type Step = 'read' | 'check' | 'clone';

/** CPU µs a row of reading the file and, as `upTo` says, checking and packing it, and cloning each batch. */
async function run(file: string, upTo: Step): Promise<{ micros: number; rows: number; stagedCharacters: number }> {
  const preparer = new ImportBatchPreparer({ officerId: null, newId: uuidV7Generator() });
  let staged = 0;
  const started = process.cpuUsage();
  let rows = 0;
  let inBatch = 0;
  const finish = (): void => {
    const batch = preparer.finish();
    staged += batch.staged.length;
    if (upTo === 'clone') structuredClone(batch);
  };
  if (upTo !== 'read') preparer.begin(new Date(), true);
  for await (const row of (await readPersonFile(file, { withLines: true })).rows) {
    rows++;
    if (upTo === 'read') continue;
    preparer.add(row);
    if (++inBatch === batchSize) {
      finish();
      preparer.begin(new Date(), true);
      inBatch = 0;
    }
  }
  if (upTo !== 'read') finish();
  const used = process.cpuUsage(started);
  return { micros: (used.user + used.system) / rows, rows, stagedCharacters: staged / rows };
}

const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-import-checking-'));
try {
  const file = path.join(dir, 'persons.csv');
  const source = openDatabase({ sqliteFile: path.join(dir, 'source.db') });
  await migrateToLatest(source.db, source.dialect);
  await loadPopulation(source, generatePopulation({ people, seed: 1, batchSize }));
  await exportPersons(source.db, file, 'csv', () => Promise.reject(new Error('not used')));
  await source.close();
  const steps: readonly Step[] = ['read', 'check', 'clone'];
  const results: Record<Step, number[]> = { read: [], check: [], clone: [] };
  let stagedCharacters = 0;
  for (let round = 0; round < rounds; round++) {
    for (const step of steps) {
      const result = await run(file, step);
      if (result.rows !== people) throw new Error(`read ${result.rows} rows of ${people}`);
      results[step].push(result.micros);
      if (step === 'clone') stagedCharacters = result.stagedCharacters;
    }
  }
  const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const read = median(results.read);
  const check = median(results.check);
  const clone = median(results.clone);
  const round2 = (n: number): number => Math.round(n * 100) / 100;
  console.log(JSON.stringify({
    bench: 'import-checking',
    people,
    batchSize,
    rounds,
    // CPU µs a row, medians of the rounds: each step with the ones before it, then the step's own part.
    cpuMicrosPerRow: { read: round2(read), readAndCheck: round2(check), readCheckAndClone: round2(clone) },
    stepMicrosPerRow: { readAndSplit: round2(read), checkAndPack: round2(check - read), cloneBatch: round2(clone - check) },
    stagedCharactersPerRow: Math.round(stagedCharacters),
    perRound: { read: results.read.map(round2), readAndCheck: results.check.map(round2), readCheckAndClone: results.clone.map(round2) },
  }, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
