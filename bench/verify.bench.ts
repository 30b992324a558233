// POST /api/verify on the whole app (SQLite, generated population) against a bare Fastify route
// that parses the same JSON body and answers a constant, measured in the same run.
//   npx tsx bench/verify.bench.ts [--people 100000] [--seconds 10] [--connections 64] [--warmup 5] [--rounds 3]
//     [--store <sqlite file kept between runs: loaded when missing, reused when present>]
// Both servers stay up; each round measures the bare route then the app, so that a shared,
// busy machine slows both alike. The ratio reported is the median of the rounds' ratios.
import { benchServiceKey } from './bench-key.js';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { foldName } from '../src/shared/vietnamese-text.js';
import { generatePopulation } from '../src/registry/population.generator.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrator.js';
import { startServer, stopServer, type LoadResult } from './load.js';

const { values } = parseArgs({
  options: {
    people: { type: 'string', default: '100000' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    warmup: { type: 'string', default: '5' },
    store: { type: 'string' },
    rounds: { type: 'string', default: '3' },
  },
});
const rounds = Math.max(1, Number(values.rounds));
const people = Number(values.people);
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const warmup = Number(values.warmup);
const token = 'bench-operator-token-0123456789abcdef';

/** Like load.ts's load(), for POST requests whose JSON bodies are cycled through. */
async function loadPost(url: string, bodies: readonly string[], headers: Record<string, string>, warm: boolean): Promise<LoadResult & { readonly statusCodes: Record<string, number> }> {
  let i = 0;
  const run = (duration: number): Promise<autocannon.Result> =>
    autocannon({
      url,
      connections,
      pipelining: 1,
      duration,
      requests: [{ setupRequest: (req) => ({ ...req, method: 'POST', path: '/api/verify', headers: { ...headers, 'content-type': 'application/json' }, body: bodies[i++ % bodies.length] ?? '{}' }) }],
    });
  if (warm) await run(warmup);
  const r = await run(seconds);
  return {
    requestsPerSecond: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    errors: r.errors,
    non2xx: r.non2xx,
    statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats as Record<string, { count: number }>).map(([code, s]) => [code, s.count])),
  };
}

const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-verify-bench-'));
const file = values.store ?? path.join(dir, 'bench.db');
try {
  const kept = values.store !== undefined && existsSync(values.store);
  mkdirSync(path.dirname(file), { recursive: true });
  const database = openDatabase({ sqliteFile: file });
  await migrateToLatest(database.db, database.dialect);
  const loadStarted = performance.now();
  if (!kept) await loadPopulation(database, generatePopulation({ people, seed: 7 }));
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  // 5,000 persons spread over the key space; each becomes four requests an agency would send.
  const rows = await database.db.selectFrom('persons').select(['id_number', 'full_name', 'birth_date', 'sex', 'permanent_commune', 'status']).orderBy('id_number').execute();
  const apiKey = await benchServiceKey(database.db, ['person.search']);
  await database.close();
  const step = Math.max(1, Math.floor(rows.length / 5_000));
  const bodies: string[] = [];
  rows.filter((_, k) => k % step === 0).forEach((p, k) => {
    const base = { idNumber: p.id_number };
    switch (k % 4) {
      case 0: bodies.push(JSON.stringify({ ...base, fullName: p.full_name, birthDate: p.birth_date, sex: p.sex })); break;
      case 1: bodies.push(JSON.stringify({ ...base, fullName: foldName(p.full_name).toUpperCase(), birthDate: p.birth_date, strategy: 'partial', threshold: 0.9 })); break;
      case 2: bodies.push(JSON.stringify({ ...base, fullName: p.full_name, birthDate: p.birth_date, ...(p.permanent_commune === null ? {} : { communeCode: p.permanent_commune }) })); break;
      default: bodies.push(JSON.stringify({ ...base, fullName: 'Nguyễn Văn Không Có', birthDate: '1990-01-01', sex: 'M', strategy: 'partial' }));
    }
  });
  bodies.sort(() => Math.random() - 0.5);

  const bare = await startServer('bench/servers/verify-bare.server.ts', []);
  const app = await startServer('bench/servers/registry.server.ts', [file, token]);
  const measured: { bare: LoadResult; verify: LoadResult & { readonly statusCodes: Record<string, number> } }[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const b = await loadPost(bare.url, bodies, {}, round === 0);
      const v = await loadPost(app.url, bodies, { authorization: `Bearer ${apiKey}` }, round === 0);
      measured.push({ bare: b, verify: v });
    }
  } finally {
    await stopServer(bare.child);
    await stopServer(app.child);
  }
  const median = (xs: readonly number[]): number => {
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
  };
  const ratios = measured.map((m) => m.verify.requestsPerSecond / m.bare.requestsPerSecond);
  console.log(JSON.stringify({
    bench: 'verify-api',
    people: rows.length,
    loadSeconds: Math.round(loadSeconds * 10) / 10,
    connections,
    seconds,
    warmupSeconds: warmup,
    distinctBodies: bodies.length,
    rounds: measured,
    bareRps: median(measured.map((m) => m.bare.requestsPerSecond)),
    verifyRps: median(measured.map((m) => m.verify.requestsPerSecond)),
    verifyP50Ms: median(measured.map((m) => m.verify.p50Ms)),
    verifyP99Ms: median(measured.map((m) => m.verify.p99Ms)),
    ratios: ratios.map((r) => Math.round(r * 1000) / 1000),
    ratio: Math.round(median(ratios) * 1000) / 1000,
  }, null, 2));
} finally {
  if (values.store === undefined) rmSync(dir, { recursive: true, force: true });
}
