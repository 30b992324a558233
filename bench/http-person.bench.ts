// Person-by-ID over HTTP against a bare Fastify hello-world, measured in the same run.
//   npx tsx bench/http-person.bench.ts [--dialect sqlite|postgres] [--people 1000000] [--seconds 10] [--connections 64]
//     [--warmup 5] [--store <sqlite file kept between runs: loaded when missing, reused when present>]
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
    store: { type: 'string' },
  },
});
const people = Number(values.people);
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const warmup = Number(values.warmup);
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
  await database.close();

  const measureHello = async (): Promise<LoadResult> => {
    const hello = await startServer('bench/servers/hello.server.ts', []);
    const result = await load(hello.url, ['/'], { seconds, connections, warmup });
    await stopServer(hello.child);
    return result;
  };
  const helloBefore = await measureHello();

  const registry = await startServer('bench/servers/registry.server.ts', [store.location, token]);
  const person = await load(registry.url, sample.map((id) => `/api/persons/${id}`), { seconds, connections, warmup, headers: { authorization: `Bearer ${token}` } });
  await stopServer(registry.child);

  // On SQLite, also the ceiling: the same lookup with nothing around it.
  let bareLookup: Awaited<ReturnType<typeof load>> | undefined;
  if (values.dialect !== 'postgres') {
    const bare = await startServer('bench/servers/bare-lookup.server.ts', [store.location]);
    bareLookup = await load(bare.url, sample.map((id) => `/api/persons/${id}`), { seconds, connections, warmup });
    await stopServer(bare.child);
  }

  // Hello-world again at the end: on a shared machine the load around us drifts during a run, and
  // the mean of before and after is the fairer baseline for the runs in between.
  const helloAfter = await measureHello();
  const baseline: LoadResult = {
    requestsPerSecond: Math.round((helloBefore.requestsPerSecond + helloAfter.requestsPerSecond) / 2),
    p50Ms: (helloBefore.p50Ms + helloAfter.p50Ms) / 2,
    p99Ms: (helloBefore.p99Ms + helloAfter.p99Ms) / 2,
    errors: helloBefore.errors + helloAfter.errors,
    non2xx: helloBefore.non2xx + helloAfter.non2xx,
  };

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
        helloWorld: baseline,
        helloWorldRuns: [helloBefore.requestsPerSecond, helloAfter.requestsPerSecond],
        personById: person,
        ratio: Math.round((person.requestsPerSecond / baseline.requestsPerSecond) * 1000) / 1000,
        ...(bareLookup === undefined
          ? {}
          : { bareLookup, bareLookupRatio: Math.round((bareLookup.requestsPerSecond / baseline.requestsPerSecond) * 1000) / 1000 }),
      },
      null,
      2,
    ),
  );
} finally {
  await store.cleanup();
}
