/**
 * Generates a synthetic population and loads it into a fresh store, timing both.
 *
 *   npx tsx bench/generate-load.bench.ts --people 1000000 [--dialect sqlite|postgres] [--seed 1]
 *     [--batch 10000] [--worker] [--commit <persons per SQLite commit>]
 *
 * --worker generates in a worker thread (generatePopulationInWorker) so that generation and loading
 * use two cores; --commit groups SQLite batches into fewer commits.
 *
 * Prints one JSON line: generation seconds (time spent producing batches), load seconds (time
 * spent writing, index rebuild included), total wall seconds and rows per second. On PostgreSQL
 * it creates a database on postgres://postgres@127.0.0.1:5432 and drops it afterwards.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { generatePopulation, generatePopulationInWorker, type PopulationBatch } from '../src/registry/population.generator.js';
import { batchCounts, createBulkWriter } from '../src/store/bulk-writer.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrator.js';

const { values } = parseArgs({
  options: {
    people: { type: 'string', default: '1000000' },
    dialect: { type: 'string', default: 'sqlite' },
    seed: { type: 'string', default: '1' },
    batch: { type: 'string', default: '10000' },
    worker: { type: 'boolean', default: false },
    commit: { type: 'string', default: '1' },
    server: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' },
  },
});
const people = Number(values.people);
const dialect = values.dialect;
if (!Number.isSafeInteger(people) || people < 1) throw new Error('--people must be a positive whole number');
if (dialect !== 'sqlite' && dialect !== 'postgres') throw new Error('--dialect must be sqlite or postgres');

async function withAdmin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${values.server}/postgres` });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function openStore(): Promise<{ database: Database; cleanup: () => Promise<void>; size: () => number | null }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-bench-'));
    const file = path.join(dir, 'bench.db');
    const database = openDatabase({ sqliteFile: file });
    await migrateToLatest(database.db, database.dialect);
    return {
      database,
      size: () => statSync(file).size,
      cleanup: async () => {
        await database.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const name = `sachsong_bench_${process.pid}`;
  await withAdmin(`DROP DATABASE IF EXISTS ${name}`);
  await withAdmin(`CREATE DATABASE ${name}`);
  const database = openDatabase({ databaseUrl: `${values.server}/${name}`, poolSize: 2 });
  await migrateToLatest(database.db, database.dialect);
  return {
    database,
    size: () => null,
    cleanup: async () => {
      await database.close();
      await withAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** CPU seconds of this process's main thread (Linux /proc; 0 elsewhere). */
function mainThreadCpuSeconds(): number {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

const store = await openStore();
try {
  const writer = createBulkWriter(store.database, { commitEvery: Number(values.commit) });
  const options = { people, seed: values.seed, batchSize: Number(values.batch) };
  const batches = values.worker ? generatePopulationInWorker(options) : generatePopulation(options);
  let generationMs = 0;
  let loadMs = 0;
  let rows = 0;
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const mainCpuAtStart = mainThreadCpuSeconds();
  let pending: Promise<void> | undefined;
  for (;;) {
    const t0 = performance.now();
    const next = await batches.next();
    generationMs += performance.now() - t0;
    if (pending !== undefined) {
      const t1 = performance.now();
      await pending;
      loadMs += performance.now() - t1;
    }
    if (next.done === true) break;
    const batch: PopulationBatch = next.value;
    // Counted without unpacking: batches from the worker reach the writer packed.
    const n = batchCounts(batch);
    rows += n.persons + n.households + n.events;
    const t2 = performance.now();
    pending = writer.write(batch);
    if (dialect === 'sqlite') {
      await pending;
      pending = undefined;
    }
    loadMs += performance.now() - t2;
  }
  const t3 = performance.now();
  const totals = await writer.finish();
  const indexMs = performance.now() - t3;
  loadMs += indexMs;
  const totalMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuAtStart);
  const mainCpu = mainThreadCpuSeconds() - mainCpuAtStart;
  const seconds = (ms: number): number => Math.round(ms) / 1000;
  console.log(JSON.stringify({
    bench: 'generate-load',
    dialect,
    people,
    ...totals,
    rows,
    generationSeconds: seconds(generationMs),
    loadSeconds: seconds(loadMs),
    indexRebuildSeconds: seconds(indexMs),
    totalSeconds: seconds(totalMs),
    rowsPerSecond: Math.round(rows / (totalMs / 1000)),
    loadRowsPerSecond: Math.round(rows / (loadMs / 1000)),
    databaseBytes: store.size(),
    // CPU time of this process (all its threads): far below total × cores means the machine was busy.
    processCpuSeconds: Math.round((cpu.user + cpu.system) / 1000) / 1000,
    // Of which the main (writing) thread: on a busy machine, CPU seconds say more than wall seconds.
    mainThreadCpuSeconds: Math.round(mainCpu * 100) / 100,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  }));
} finally {
  await store.cleanup();
}
