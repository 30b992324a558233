/**
 * `sachsong import` rows per second, beside the generator's own load rate in the same run.
 *
 *   npx tsx bench/import.bench.ts --people 200000 [--dialect sqlite|postgres] [--batch 10000] [--rounds 1] [--checkers 1] [--floor]
 *
 * Per round: generates and loads `--people` persons into a fresh store (the baseline: the bulk
 * writer, no validation), exports them to CSV as `sachsong export` does, then imports that file
 * into a second fresh store through the importer the CLI uses (reading and validating in a worker
 * thread, all-or-nothing batches written by the main one). Each step runs in a process of its own,
 * as the CLI's commands do: an import run in the process that had generated and exported the
 * persons measured 45,000-49,000 rows/s against 51,000-55,000 alone, from the same file (2026-12-06,
 * at b6df15d). Prints one JSON line per round: persons per second of each and their ratio,
 * and the CPU of each a row (this process's; on PostgreSQL also the server processes serving the
 * bench's database, read from /proc on Linux). Both run the compiled code (src is compiled into
 * dist first), as the CLI does. On PostgreSQL it creates databases on
 * postgres://postgres@127.0.0.1:5432 and drops them afterwards.
 *
 * `--floor` also runs the import's two halves one after the other on the same file, into a third
 * store (floorOf): what the checking, the writing and the server spend a row, and the rate their
 * sum would allow with every core busy, which bounds what overlapping them can reach.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type * as PersonFileReaderModule from '../src/registry/person-file.reader.js';
import type * as PersonExportModule from '../src/registry/person-export.service.js';
import type * as ImportBatchRepositoryModule from '../src/registry/import-batch.repository.js';
import type * as PersonImportModule from '../src/registry/person-import.service.js';
import type * as PersonImportPrepareModule from '../src/registry/person-import.prepare.js';
import type * as PersonImportSourceModule from '../src/registry/person-import.source.js';
import type { SourcedBatch } from '../src/registry/person-import.source.js';
import type * as PopulationGeneratorModule from '../src/registry/population.generator.js';
import type * as ClockModule from '../src/shared/clock.js';
import type * as BulkWriterModule from '../src/store/bulk-writer.js';
import type * as DatabaseModule from '../src/store/database.js';
import type { Database } from '../src/store/database.js';
import type * as MigratorModule from '../src/store/migrator.js';
import { builtModule, compileServerCode } from './built-code.js';
import { mainThreadCpuSeconds } from './load.js';

// The compiled code, as `sachsong import` runs it (dist; the checking thread too), not src through tsx.
compileServerCode();
const { readPersonFile } = (await import(builtModule('registry/person-file.reader.js'))) as typeof PersonFileReaderModule;
const { exportPersons } = (await import(builtModule('registry/person-export.service.js'))) as typeof PersonExportModule;
const { PersonImportService } = (await import(builtModule('registry/person-import.service.js'))) as typeof PersonImportModule;
const { importBatchRepository } = (await import(builtModule('registry/import-batch.repository.js'))) as typeof ImportBatchRepositoryModule;
const { importReason } = (await import(builtModule('registry/person-import.prepare.js'))) as typeof PersonImportPrepareModule;
const { fileBatchesInWorker } = (await import(builtModule('registry/person-import.source.js'))) as typeof PersonImportSourceModule;
const { generatePopulation } = (await import(builtModule('registry/population.generator.js'))) as typeof PopulationGeneratorModule;
const { systemClock } = (await import(builtModule('shared/clock.js'))) as typeof ClockModule;
const { loadPopulation } = (await import(builtModule('store/bulk-writer.js'))) as typeof BulkWriterModule;
const { openDatabase } = (await import(builtModule('store/database.js'))) as typeof DatabaseModule;
const { migrateToLatest } = (await import(builtModule('store/migrator.js'))) as typeof MigratorModule;

const { values } = parseArgs({
  options: {
    people: { type: 'string', default: '200000' },
    dialect: { type: 'string', default: 'sqlite' },
    batch: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '1' },
    checkers: { type: 'string', default: '1' },
    server: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' },
    // The steps in processes of their own: into this store (a SQLite file or a PostgreSQL URL), from or to this file.
    'run-generate': { type: 'string' },
    'run-import': { type: 'string' },
    'run-floor': { type: 'string' },
    // Also the import's two halves alone, each on the same file: checking, then writing (floorOf).
    floor: { type: 'boolean', default: false },
    file: { type: 'string' },
    seed: { type: 'string', default: '1' },
  },
});


const noParquet = (): Promise<void> => Promise.reject(new Error('not used'));

function openAt(location: string): Database {
  return location.startsWith('postgres') ? openDatabase({ databaseUrl: location, poolSize: 4 }) : openDatabase({ sqliteFile: location });
}

/** The generator's own load (timed), then the export of what it loaded; one JSON line on stdout. */
async function runGenerate(location: string, file: string): Promise<void> {
  const database = openAt(location);
  try {
    const cpu = process.cpuUsage();
    const started = performance.now();
    await loadPopulation(database, generatePopulation({ people: Number(values.people), seed: Number(values.seed), batchSize: Number(values.batch) }));
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    await exportPersons(database.db, file, 'csv', noParquet);
    console.log(JSON.stringify({ seconds, cpuSeconds: (used.user + used.system) / 1e6 }));
  } finally {
    await database.close();
  }
}

/** The import as `sachsong import` runs it, timed from the file's opening; one JSON line on stdout. */
async function runImport(location: string, file: string): Promise<void> {
  const database = openAt(location);
  try {
    const importer = new PersonImportService({ db: database.db, clock: systemClock });
    const cpu = process.cpuUsage();
    const main = mainThreadCpuSeconds(process.pid);
    const started = performance.now();
    const read = await readPersonFile(file);
    const report = await importer.runFile(file, { format: read.format, checkers: Number(values.checkers) }, { importId: 'bench', batchSize: Number(values.batch), officerId: null });
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    console.log(JSON.stringify({ rowsRead: report.rowsRead, accepted: report.accepted, rejected: report.rejected, seconds, cpuSeconds: (used.user + used.system) / 1e6, mainCpuSeconds: mainThreadCpuSeconds(process.pid) - main }));
  } finally {
    await database.close();
  }
}

/** The import's halves alone, as floorOf reports them (CPU seconds of this process; wall seconds). */
interface FloorSteps {
  readonly rows: number;
  readonly checkSeconds: number;
  readonly checkCpuSeconds: number;
  readonly writeSeconds: number;
  readonly writeCpuSeconds: number;
  readonly indexSeconds: number;
}

/**
 * The import's two halves one after the other instead of side by side, into an empty store: the
 * checking thread reads and checks the whole file (the main thread only collecting its batches),
 * then the main thread writes those batches as the import does (importBatchRepository.commitStaged)
 * and builds the deferred indexes. Their CPU a row, added up with the server's, is what the
 * import needs of the machine's cores a row, however well it overlaps the two. One JSON line.
 */
async function runFloor(location: string, file: string): Promise<void> {
  const database = openAt(location);
  try {
    const { db } = database;
    const read = await readPersonFile(file);
    const form = importBatchRepository.rowForm(db);
    const check = async (keep: boolean): Promise<SourcedBatch[]> => {
      const source = fileBatchesInWorker({ file, read: { format: read.format }, batchSize: Number(values.batch), officerId: null, form }, { now: () => new Date(), pack: () => true });
      const kept: SourcedBatch[] = [];
      for (let batch = await source.next(); batch !== undefined; batch = await source.next()) if (keep) kept.push(batch);
      await source.close();
      return kept;
    };
    // Timed without keeping the batches (the import lets each go once written; hundreds of
    // megabytes held would cost this thread's garbage collector), then again to keep them.
    let cpu = process.cpuUsage();
    let started = performance.now();
    await check(false);
    const checkSeconds = (performance.now() - started) / 1000;
    const checked = process.cpuUsage(cpu);
    const batches = await check(true);
    const endImport = await importBatchRepository.beginImport(db);
    cpu = process.cpuUsage();
    started = performance.now();
    let rows = 0;
    for (const [batchNo, batch] of batches.entries()) {
      const { staged, copy, today, recordedAt } = batch;
      await importBatchRepository.commitStaged(db, { staged, ...(copy === undefined ? {} : { copy }), today, recordedAt, officerId: null, reason: importReason }, {
        importId: 'floor', batchNo, rowsAccepted: batch.ids.length, rowsRejected: batch.rejections.length, committedAt: new Date().toISOString(),
      });
      rows += batch.rows;
    }
    const writeSeconds = (performance.now() - started) / 1000;
    const written = process.cpuUsage(cpu);
    started = performance.now();
    await endImport();
    const steps: FloorSteps = {
      rows,
      checkSeconds,
      checkCpuSeconds: (checked.user + checked.system) / 1e6,
      writeSeconds,
      writeCpuSeconds: (written.user + written.system) / 1e6,
      indexSeconds: (performance.now() - started) / 1000,
    };
    console.log(JSON.stringify(steps));
  } finally {
    await database.close();
  }
}

/** Runs a step in a process of its own (this script with `args`) and returns the JSON line it printed last. */
async function inChild<T>(args: readonly string[]): Promise<T> {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1] ?? '', ...args, '--people', values.people, '--batch', values.batch, '--checkers', values.checkers], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { out += chunk; });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the bench's ${args[0] ?? ''} process exited with ${String(code)}`);
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as T;
}

if (values['run-generate'] !== undefined) {
  await runGenerate(values['run-generate'], values.file ?? '');
  process.exit(0);
}
if (values['run-import'] !== undefined) {
  await runImport(values['run-import'], values.file ?? '');
  process.exit(0);
}
if (values['run-floor'] !== undefined) {
  await runFloor(values['run-floor'], values.file ?? '');
  process.exit(0);
}

const people = Number(values.people);
const dialect = values.dialect;
const batchSize = Number(values.batch);
if (!Number.isSafeInteger(people) || people < 1) throw new Error('--people must be a positive whole number');
if (dialect !== 'sqlite' && dialect !== 'postgres') throw new Error('--dialect must be sqlite or postgres');

const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-import-bench-'));

async function withAdmin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${values.server}/postgres` });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function openStore(name: string): Promise<{ database: Database; location: string; serverCpu: () => number; cleanup: () => Promise<void> }> {
  if (dialect === 'sqlite') {
    const file = path.join(dir, `${name}.db`);
    const database = openDatabase({ sqliteFile: file });
    await migrateToLatest(database.db, database.dialect);
    let closed = false;
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      await database.close();
    };
    return { database, location: file, serverCpu: () => 0, cleanup: close };
  }
  const db = `sachsong_bench_${name}_${process.pid}`;
  await withAdmin(`DROP DATABASE IF EXISTS ${db}`);
  await withAdmin(`CREATE DATABASE ${db}`);
  const database = openDatabase({ databaseUrl: `${values.server}/${db}`, poolSize: 4 });
  await migrateToLatest(database.db, database.dialect);
  return {
    database,
    location: `${values.server}/${db}`,
    serverCpu: () => serverCpuSeconds(db),
    cleanup: async () => {
      await database.close();
      await withAdmin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    },
  };
}

/**
 * Runs `step` (a step in a process of its own) and returns with it the CPU seconds the store's
 * server processes spent meanwhile, sampled while they live (a backend's time leaves /proc with it).
 */
async function withServerCpu<T>(store: { readonly serverCpu: () => number }, step: () => Promise<T>): Promise<{ result: T; serverCpuSeconds: number }> {
  const atStart = store.serverCpu();
  let most = atStart;
  const sampler = setInterval(() => { most = Math.max(most, store.serverCpu()); }, 100);
  try {
    const result = await step();
    return { result, serverCpuSeconds: Math.max(most, store.serverCpu()) - atStart };
  } finally {
    clearInterval(sampler);
  }
}

/**
 * CPU seconds used so far by the PostgreSQL server processes serving `database` (their process
 * titles name it), from /proc; 0 where there is no /proc. Sampled while they live: a backend's
 * time is gone from /proc once its connection closes.
 */
function serverCpuSeconds(database: string): number {
  let ticks = 0;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return 0;
  }
  for (const pid of pids) {
    try {
      // A server process's title ("postgres: 15/main: postgres <database> ..."), not the bench's own steps, whose arguments name it too.
      const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!title.startsWith('postgres:') || !title.includes(database)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended meanwhile.
    }
  }
  return ticks / 100;
}



/**
 * The import's halves alone on `file` (runFloor, in a process of its own, into a fresh store):
 * the CPU a row of each, the server's, and the rate their sum allows on this machine's cores if
 * the import kept every core busy from its first row to its last (it cannot: it starts with the
 * checking alone and ends with the writing and the indexes alone).
 */
async function floorOf(file: string, rows: number, round: number): Promise<Record<string, number>> {
  const store = await openStore(`floor${round}`);
  try {
    if (dialect === 'sqlite') await store.cleanup();
    const { result: steps, serverCpuSeconds } = await withServerCpu(store, () => inChild<FloorSteps>(['--run-floor', store.location, '--file', file]));
    if (steps.rows !== rows) throw new Error(`the floor's run read ${steps.rows} rows of ${rows}`);
    const micros = (seconds: number): number => Math.round((seconds * 1e6) / rows * 10) / 10;
    const check = micros(steps.checkCpuSeconds);
    const write = micros(steps.writeCpuSeconds);
    const server = micros(serverCpuSeconds);
    const cores = os.availableParallelism();
    return {
      checkCpuMicrosPerRow: check,
      checkRowsPerSecond: Math.round(rows / steps.checkSeconds),
      writeCpuMicrosPerRow: write,
      writeServerCpuMicrosPerRow: server,
      writeRowsPerSecond: Math.round(rows / steps.writeSeconds),
      indexSeconds: Math.round(steps.indexSeconds * 100) / 100,
      cores,
      // Every core busy all the time on nothing but these rows.
      boundRowsPerSecond: Math.round((cores * 1e6) / (check + write + server)),
    };
  } finally {
    await store.cleanup();
  }
}

try {
  for (let round = 1; round <= Number(values.rounds); round++) {
    const source = await openStore(`source${round}`);
    const file = path.join(dir, `persons-${round}.csv`);
    let generateSeconds: number;
    let generateCpu: number;
    let generateServerCpu: number;
    try {
      // Created and migrated here, loaded and exported in a process of its own, as the CLI would.
      if (dialect === 'sqlite') await source.cleanup();
      const generated = await withServerCpu(source, () => inChild<{ seconds: number; cpuSeconds: number }>(['--run-generate', source.location, '--file', file, '--seed', String(round)]));
      generateSeconds = generated.result.seconds;
      generateCpu = generated.result.cpuSeconds;
      generateServerCpu = generated.serverCpuSeconds;
    } finally {
      await source.cleanup();
    }
    // The source store's and the file's pages are written out first: the disk's writeback of the
    // setup's gigabyte would otherwise land on the import's own syncs.
    spawnSync('sync');
    const target = await openStore(`target${round}`);
    try {
      // The store is created and migrated here; the import opens it in its own process.
      if (dialect === 'sqlite') await target.cleanup();
      const imported = await withServerCpu(target, () => inChild<{ rowsRead: number; accepted: number; rejected: number; seconds: number; cpuSeconds: number; mainCpuSeconds: number }>(['--run-import', target.location, '--file', file]));
      const report = imported.result;
      const importSeconds = report.seconds;
      const importCpu = report.cpuSeconds;
      const importMainCpu = report.mainCpuSeconds;
      const importServerCpu = imported.serverCpuSeconds;
      if (report.rowsRead !== people) throw new Error(`read ${report.rowsRead} rows of ${people}`);
      const generateRate = people / generateSeconds;
      const importRate = report.rowsRead / importSeconds;
      const floor = values.floor ? await floorOf(file, report.rowsRead, round) : undefined;
      console.log(JSON.stringify({
        bench: 'import',
        dialect,
        round,
        rows: report.rowsRead,
        accepted: report.accepted,
        rejected: report.rejected,
        batchSize,
        fileBytes: statSync(file).size,
        generateLoadSeconds: Math.round(generateSeconds * 100) / 100,
        importSeconds: Math.round(importSeconds * 100) / 100,
        generateLoadPersonsPerSecond: Math.round(generateRate),
        importRowsPerSecond: Math.round(importRate),
        importToGenerateRatio: Math.round((importRate / generateRate) * 100) / 100,
        // CPU seconds of this process (a PostgreSQL server's own work is not in them): on a busy
        // machine wall seconds stretch with the load, CPU seconds much less.
        generateLoadCpuSeconds: generateCpu,
        importCpuSeconds: importCpu,
        importRowsPerCpuSecond: Math.round(report.rowsRead / importCpu),
        checkers: Number(values.checkers),
        generateCpuMicrosPerRow: Math.round((generateCpu * 1e6) / people),
        importCpuMicrosPerRow: Math.round((importCpu * 1e6) / report.rowsRead),
        // Of which the writing (main) thread; the rest is the checking thread(s), V8's helpers and the checkpointer.
        importMainThreadCpuMicrosPerRow: Math.round((importMainCpu * 1e6) / report.rowsRead),
        // PostgreSQL's server processes for the bench's databases (0 on SQLite).
        generateServerCpuMicrosPerRow: Math.round((generateServerCpu * 1e6) / people),
        importServerCpuMicrosPerRow: Math.round((importServerCpu * 1e6) / report.rowsRead),
        ...(floor === undefined ? {} : { floor }),
        loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
      }));
    } finally {
      await target.cleanup();
      rmSync(file, { force: true });
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
