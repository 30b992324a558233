/**
 * `sachsong import` rows per second, beside the generator's own load rate in the same run.
 *
 *   npx tsx bench/import.bench.ts --people 200000 [--dialect sqlite|postgres] [--batch 10000] [--rounds 1] [--checkers 1]
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
import type * as PersonImportModule from '../src/registry/person-import.service.js';
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
      let serverMax = 0;
      const sampler = setInterval(() => { serverMax = Math.max(serverMax, source.serverCpu()); }, 100);
      const generated = await inChild<{ seconds: number; cpuSeconds: number }>(['--run-generate', source.location, '--file', file, '--seed', String(round)]);
      generateSeconds = generated.seconds;
      generateCpu = generated.cpuSeconds;
      clearInterval(sampler);
      generateServerCpu = Math.max(serverMax, source.serverCpu());
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
      const serverAtStart = target.serverCpu();
      let serverMax = serverAtStart;
      const sampler = setInterval(() => { serverMax = Math.max(serverMax, target.serverCpu()); }, 100);
      const report = await inChild<{ rowsRead: number; accepted: number; rejected: number; seconds: number; cpuSeconds: number; mainCpuSeconds: number }>(['--run-import', target.location, '--file', file]);
      const importSeconds = report.seconds;
      const importCpu = report.cpuSeconds;
      const importMainCpu = report.mainCpuSeconds;
      clearInterval(sampler);
      const importServerCpu = Math.max(serverMax, target.serverCpu()) - serverAtStart;
      if (report.rowsRead !== people) throw new Error(`read ${report.rowsRead} rows of ${people}`);
      const generateRate = people / generateSeconds;
      const importRate = report.rowsRead / importSeconds;
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
