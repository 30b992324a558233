// Person-by-ID over HTTP against a bare Fastify hello-world, measured in the same run.
//   npx tsx bench/http-person.bench.ts [--dialect sqlite|postgres] [--people 1000000] [--seconds 10] [--connections 64]
//     [--warmup 5] [--rounds 3] [--store <sqlite file kept between runs: loaded when missing, reused when present>]
import { benchServiceKey } from './bench-key.js';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { generatePopulation } from '../src/registry/population.generator.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrator.js';
import { load, startServer, stopServer, type LoadResult } from './load.js';

const { values } = parseArgs({
  options: {
    dialect: { type: 'string', default: 'sqlite' },
    people: { type: 'string', default: '1000000' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    warmup: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    store: { type: 'string' },
  },
});
const people = Number(values.people);
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const warmup = Number(values.warmup);
const rounds = Number(values.rounds);
const token = 'bench-operator-token-0123456789abcdef';

async function prepareStore(): Promise<{ location: string; loaded: boolean; cleanup: () => Promise<void> }> {
  if (values.store !== undefined && values.dialect !== 'postgres') {
    // A kept store: loading a million persons takes minutes, measuring the servers seconds.
    const loaded = existsSync(values.store);
    mkdirSync(path.dirname(values.store), { recursive: true });
    return { location: values.store, loaded, cleanup: () => Promise.resolve() };
  }
  if (values.dialect === 'postgres') {
    const name = `sachsong_bench_${process.pid}`;
    const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = `postgres://postgres@127.0.0.1:5432/${name}`;
    return {
      location: url,
      loaded: false,
      cleanup: async () => {
        const c = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      },
    };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-bench-'));
  return {
    location: path.join(dir, 'bench.db'),
    loaded: false,
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

const store = await prepareStore();
try {
  const database = store.location.startsWith('postgres') ? openDatabase({ databaseUrl: store.location }) : openDatabase({ sqliteFile: store.location });
  if (store.loaded && database.sqlite !== undefined) {
    // A kept store: other modules' tables may have changed since it was made; recreate them empty.
    const keep = new Set(['persons', 'households', 'life_events', 'import_batches']);
    const others = database.sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'kysely_%'").pluck().all() as string[];
    for (const table of others.filter((t) => !keep.has(t))) database.sqlite.exec(`DROP TABLE "${table}"`);
    database.sqlite.exec("DELETE FROM kysely_migration WHERE name <> '0001-registry'");
  }
  await migrateToLatest(database.db, database.dialect);
  const loadStarted = performance.now();
  if (!store.loaded) await loadPopulation(database, generatePopulation({ people, seed: 7 }));
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  // 20,000 IDs spread over the whole key space, in random order, so that caches do not flatter us.
  const ids = (await database.db.selectFrom('persons').select('id_number').orderBy('id_number').execute()).map((r) => r.id_number);
  const step = Math.max(1, Math.floor(ids.length / 20_000));
  const sample = ids.filter((_, i) => i % step === 0).sort(() => Math.random() - 0.5);
  // Read every sampled person once, so that no server meets a colder OS page cache than another.
  for (const id of sample) await database.db.selectFrom('persons').selectAll().where('id_number', '=', id).executeTakeFirst();
  // A national officer's reads through a service account key: each read is recorded in the access log before it is answered.
  const apiKey = await benchServiceKey(database.db, ['person.read']);
  await database.close();

  // Every server runs in its own process for the whole measurement, idle until its turn; the load
  // generator (autocannon, in this process) drives one at a time with the same settings. The
  // turns rotate over several rounds, so that the load of a shared machine, which drifts, falls on
  // every server alike; each server's figure is its mean over the rounds.
  const personPaths = sample.map((id) => `/api/persons/${id}`);
  const targets = [
    { name: 'helloWorld', script: 'bench/servers/hello.server.ts', args: [] as string[], paths: ['/'], headers: {} },
    { name: 'personById', script: 'bench/servers/registry.server.ts', args: [store.location, token], paths: personPaths, headers: { authorization: `Bearer ${apiKey}` } },
    // On SQLite, also the ceiling: the same lookup with nothing around it.
    ...(values.dialect === 'postgres' ? [] : [{ name: 'bareLookup', script: 'bench/servers/bare-lookup.server.ts', args: [store.location], paths: personPaths, headers: {} }]),
  ];
  const servers = [];
  for (const target of targets) servers.push({ ...target, ...(await startServer(target.script, target.args)), runs: [] as LoadResult[] });
  try {
    for (const server of servers) await load(server.url, server.paths, { seconds: warmup, connections, warmup: 0, headers: server.headers });
    for (let round = 0; round < rounds; round++) {
      for (const server of servers) server.runs.push(await load(server.url, server.paths, { seconds, connections, warmup: 0, headers: server.headers }));
    }
  } finally {
    for (const server of servers) await stopServer(server.child);
  }
  const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const summary = (runs: readonly LoadResult[]): LoadResult & { readonly rounds: readonly number[] } => ({
    requestsPerSecond: Math.round(runs.reduce((t, r) => t + r.requestsPerSecond, 0) / runs.length),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    errors: runs.reduce((t, r) => t + r.errors, 0),
    non2xx: runs.reduce((t, r) => t + r.non2xx, 0),
    rounds: runs.map((r) => Math.round(r.requestsPerSecond)),
  });
  const results = Object.fromEntries(servers.map((server) => [server.name, summary(server.runs)]));
  const baseline = results.helloWorld ?? summary([]);
  const person = results.personById ?? summary([]);
  const bareLookup = results.bareLookup;
  const ratio = (r: LoadResult): number => Math.round((r.requestsPerSecond / baseline.requestsPerSecond) * 1000) / 1000;

  console.log(
    JSON.stringify(
      {
        bench: 'http-person-by-id',
        dialect: values.dialect,
        people,
        loadSeconds: Math.round(loadSeconds * 10) / 10,
        connections,
        seconds,
        warmupSeconds: warmup,
        rounds,
        helloWorld: baseline,
        personById: person,
        ratio: ratio(person),
        roundRatios: person.rounds.map((r, i) => Math.round((r / (baseline.rounds[i] ?? 1)) * 1000) / 1000),
        ...(bareLookup === undefined ? {} : { bareLookup, bareLookupRatio: ratio(bareLookup) }),
      },
      null,
      2,
    ),
  );
} finally {
  await store.cleanup();
}
