// The cost of the exchange's durable replay memory (src/exchange/replay-ledger.repository.ts) per
// call, on SQLite (its own file, replay-ledger.db) and PostgreSQL, next to the in-memory guard alone.
//   npx tsx bench/replay-ledger.bench.ts [--store sqlite,postgres] [--existing 1000000] [--window 100] [--rate 10000] [--seconds 5] [--batch 50] [--dir <dir>]
// The ledger starts holding --existing unexpired claims, their expiries spread over the next
// --window seconds: with existing = rate × window (the defaults) that is the steady state of
// --rate calls a second, claims expiring (and pruned) as fast as they come. Opening it is a
// restart: the SQLite ledger loads every unexpired claim into memory, reported as restartMs.
// Phases per store:
//   - max: turns of --batch claims back to back (each turn's claims awaited before the next):
//     claims a second and CPU µs a claim;
//   - paced: --rate claims a second for --seconds, each turn issuing the claims due (a server
//     at that rate): CPU µs a claim, the latency of a claim (p50/p99/max) and the rate reached.
// CPU: this process's user + system time; on PostgreSQL also the server backends serving the
// ledger's connections (from /proc, by their pid; the WAL writer and checkpointer are not counted).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { PostgresReplayLedger, SqliteReplayLedger, type ReplayLedger } from '../src/exchange/replay-ledger.repository.js';
import { RequestReplayGuard } from '../src/exchange/request-replay.guard.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrator.js';
import { postgresServerUrl, withAdminClient } from '../test/postgres-admin.js';

const { values } = parseArgs({
  options: {
    store: { type: 'string', default: 'sqlite,postgres' },
    existing: { type: 'string', default: '1000000' },
    window: { type: 'string', default: '100' },
    rate: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '5' },
    batch: { type: 'string', default: '50' },
    dir: { type: 'string' },
  },
});
const existing = Number(values.existing);
const windowMs = Number(values.window) * 1000;
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const batch = Number(values.batch);
const secret = randomBytes(32);
const clientId = 'VN/COM/BENCHBANK/ekyc';

const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits;
const quantile = (sorted: readonly number[], q: number): number => round(sorted[Math.floor(q * (sorted.length - 1))] ?? NaN, 2);

/** CPU seconds of other processes (PostgreSQL backends), from /proc. */
function cpuOf(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / 100;
}

const ownCpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

interface Phase {
  readonly claims: number;
  readonly claimsPerSecond: number;
  readonly cpuUsPerClaim: number;
  readonly serverCpuUsPerClaim?: number;
  readonly latencyMs?: { readonly p50: number; readonly p99: number; readonly max: number };
}

async function measure(run: () => Promise<{ claims: number; latencies?: number[] }>, serverPids: readonly number[]): Promise<Phase> {
  const cpu0 = ownCpu();
  const server0 = cpuOf(serverPids);
  const t0 = performance.now();
  const { claims, latencies } = await run();
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = ownCpu() - cpu0;
  const server = cpuOf(serverPids) - server0;
  const sorted = latencies?.sort((a, b) => a - b);
  return {
    claims,
    claimsPerSecond: Math.round(claims / elapsed),
    cpuUsPerClaim: round((cpu * 1e6) / claims, 2),
    ...(serverPids.length === 0 ? {} : { serverCpuUsPerClaim: round((server * 1e6) / claims, 2) }),
    ...(sorted === undefined ? {} : { latencyMs: { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: quantile(sorted, 1) } }),
  };
}

/** Turns of `batch` claims back to back for `seconds`. */
async function maxPhase(claim: (id: string) => Promise<boolean>): Promise<{ claims: number }> {
  let claims = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const turn: Promise<boolean>[] = [];
    for (let i = 0; i < batch; i++) turn.push(claim(randomUUID()));
    const fresh = await Promise.all(turn);
    if (fresh.some((f) => !f)) throw new Error('a fresh id was refused');
    claims += batch;
  }
  return { claims };
}

/** `rate` claims a second for `seconds`: each turn issues the claims due by then. */
async function pacedPhase(claim: (id: string) => Promise<boolean>): Promise<{ claims: number; latencies: number[] }> {
  const latencies: number[] = [];
  const pending = new Set<Promise<void>>();
  const start = performance.now();
  let issued = 0;
  const total = rate * seconds;
  while (issued < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    for (; issued < due; issued++) {
      const at = performance.now();
      const p = claim(randomUUID()).then((fresh) => {
        if (!fresh) throw new Error('a fresh id was refused');
        latencies.push(performance.now() - at);
      }).finally(() => pending.delete(p));
      pending.add(p);
    }
    // Let the turn end (the ledger writes its claims at setImmediate), as a server's turns do.
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  return { claims: issued, latencies };
}

/** The in-memory guard alone, as the exchange calls it before the durable claim. */
function guardPhase(): Phase {
  const guard = new RequestReplayGuard(300_000, Date.now());
  const n = rate * seconds * 4;
  const ids = Array.from({ length: n }, () => randomUUID());
  const cpu0 = ownCpu();
  const t0 = performance.now();
  for (const id of ids) guard.claim(clientId, id, Date.now());
  const elapsed = (performance.now() - t0) / 1000;
  return { claims: n, claimsPerSecond: Math.round(n / elapsed), cpuUsPerClaim: round(((ownCpu() - cpu0) * 1e6) / n, 3) };
}

/** Random 64-bit fingerprints with expiries spread over the window from now. */
function* prefillRows(now: number): Generator<readonly [bigint, number]> {
  const bytes = randomBytes(8 * 65_536);
  for (let i = 0; i < existing; i++) {
    const j = (i % 65_536) * 8;
    if (j === 0 && i > 0) randomBytes(8 * 65_536).copy(bytes);
    yield [bytes.readBigInt64BE(j), now + Math.floor((windowMs * (i + 1)) / existing)];
  }
}

async function benchSqlite(dir: string): Promise<Record<string, unknown>> {
  const file = path.join(dir, 'replay-ledger.db');
  rmSync(file, { force: true });
  // The schema as the ledger makes it, then the existing claims.
  new SqliteReplayLedger(file, { secret, now: () => Date.now() }).close().catch(() => undefined);
  await new Promise((resolve) => setImmediate(resolve));
  const raw = new SQLite(file);
  const insert = raw.prepare('INSERT INTO replay_claims (fp, expires_at) VALUES (?, ?)');
  const fillStarted = performance.now();
  raw.transaction(() => { for (const [fp, exp] of prefillRows(Date.now())) insert.run(fp, exp); })();
  const fillSeconds = round((performance.now() - fillStarted) / 1000);
  raw.close();
  const opened = performance.now();
  const ledger = new SqliteReplayLedger(file, { secret, now: () => Date.now() });
  const restartMs = Math.round(performance.now() - opened);
  const result = await run(ledger, []);
  await ledger.close();
  const rows = (new SQLite(file, { readonly: true }).prepare('SELECT count(*) FROM replay_claims').pluck().get() as number);
  return { store: 'sqlite', existing, fillSeconds, restartMs, ...result, rowsAtEnd: rows };
}

async function benchPostgres(): Promise<Record<string, unknown>> {
  const name = `sachsong_replay_bench_${process.pid}`;
  await withAdminClient((c) => c.query(`CREATE DATABASE ${name}`));
  const url = `${postgresServerUrl}/${name}`;
  try {
    const store = openDatabase({ databaseUrl: url, poolSize: 1 });
    await migrateToLatest(store.db, store.dialect);
    await store.close();
    // Idle connections kept (idleTimeoutMillis 0), so that no measured backend ends mid-phase.
    const pool = new pg.Pool({ connectionString: url, max: 4, application_name: 'sachsong-replay-bench', idleTimeoutMillis: 0 });
    const fillStarted = performance.now();
    let chunk: (readonly [bigint, number])[] = [];
    const flush = async (): Promise<void> => {
      await pool.query('insert into exchange_replay_claims (fp, expires_at) select * from unnest($1::bigint[], $2::bigint[]) on conflict do nothing', [chunk.map((r) => r[0].toString()), chunk.map((r) => r[1])]);
      chunk = [];
    };
    for (const row of prefillRows(Date.now())) {
      chunk.push(row);
      if (chunk.length === 50_000) await flush();
    }
    if (chunk.length > 0) await flush();
    await pool.query('vacuum analyze exchange_replay_claims');
    const fillSeconds = round((performance.now() - fillStarted) / 1000);
    const ledger = new PostgresReplayLedger(pool, { secret, now: () => Date.now() });
    // Every connection open (the store's pool and the ledger's own, which shares its application name), so that their backends' CPU can be read.
    await Promise.all(Array.from({ length: 4 }, () => pool.query('select pg_sleep(0.05)')));
    for (let turn = 0; turn < 20; turn++) await Promise.all([ledger.claim('request', clientId, randomUUID(), Date.now() + windowMs), new Promise((resolve) => setImmediate(resolve)).then(() => ledger.claim('request', clientId, randomUUID(), Date.now() + windowMs))]);
    const pids = (await pool.query<{ pid: number }>("select pid from pg_stat_activity where application_name = 'sachsong-replay-bench'")).rows.map((r) => r.pid);
    const result = await run(ledger, pids);
    await ledger.close();
    const rows = Number((await pool.query<{ n: string }>('select count(*)::text as n from exchange_replay_claims')).rows[0]?.n);
    await pool.end();
    return { store: 'postgres', existing, fillSeconds, ...result, rowsAtEnd: rows };
  } finally {
    await withAdminClient((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  }
}

async function run(ledger: ReplayLedger, serverPids: readonly number[]): Promise<Record<string, unknown>> {
  const claim = (id: string): Promise<boolean> => ledger.claim('request', clientId, id, Date.now() + windowMs);
  const max = await measure(() => maxPhase(claim), serverPids);
  const paced = await measure(() => pacedPhase(claim), serverPids);
  return { maxBatched: { batch, ...max }, paced: { rate, ...paced } };
}

const dir = values.dir ?? mkdtempSync(path.join(tmpdir(), 'sachsong-ledger-bench-'));
try {
  const results: Record<string, unknown>[] = [];
  // The guard alone, bare, then in the same harnesses as the ledgers (their promises and pacing cost too).
  const guard = new RequestReplayGuard(300_000, Date.now());
  const guardClaim = (id: string): Promise<boolean> => Promise.resolve(guard.claim(clientId, id, Date.now()) === id);
  results.push({ store: 'in-memory guard alone', ...guardPhase(), maxBatched: { batch, ...(await measure(() => maxPhase(guardClaim), [])) }, paced: { rate, ...(await measure(() => pacedPhase(guardClaim), [])) } });
  for (const store of values.store.split(',')) {
    results.push(store === 'postgres' ? await benchPostgres() : await benchSqlite(dir));
  }
  console.log(JSON.stringify({ bench: 'replay-ledger', rate, windowSeconds: windowMs / 1000, seconds, results }, null, 2));
} finally {
  if (values.dir === undefined) rmSync(dir, { recursive: true, force: true });
}
