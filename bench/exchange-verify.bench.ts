// Verify through the exchange (authenticated, grant + consent checks, a durable access record per
// call) against a bare Fastify route that parses the same JSON and answers a constant, same run.
//   npx tsx bench/exchange-verify.bench.ts [--people 200000] [--consents 20000] [--seconds 10] [--connections 64] [--rate 5000] [--rounds 3] [--work <dir>] [--profile <dir>] [--server-flags "<node flags>"]
// Throughput: wrk (C, 2 threads) with bench/exchange-verify.wrk.lua. p99 at a fixed rate: autocannon's overallRate.
// CPU per request: the server process's CPU time (user + system, from /proc, Linux) over the
// requests it answered, for the whole process and for its main thread alone: on a machine busy
// with other work, wall-clock rates swing, CPU time a request much less.
// p99 at the fixed rate is given twice: as autocannon sees it (a Node client on the same two cores,
// its own event loop included) and as the server measures it (onRequest to onResponse).
// --work <dir> keeps the store, key and bodies there and reuses them on the next run (the access
// log keeps growing across runs, as it would in service).
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { openAccessLog } from '../src/audit/access-log.service.js';
import { defaultTokenAudience, jwtBearerAssertionType } from '../src/exchange/agency-auth.service.js';
import { createExchange } from '../src/exchange/exchange.module.js';
import { VerifyService } from '../src/matching/verify.service.js';
import { generatePopulation } from '../src/registry/population.generator.js';
import { RegistryService } from '../src/registry/registry.service.js';
import { systemClock } from '../src/shared/clock.js';
import { serverNodeFlags } from '../src/shared/server-flags.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrator.js';
import { startServer, stopServer } from './load.js';

interface ServerLatency {
  readonly requests: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly eventLoopDelayP99Ms: number;
  readonly eventLoopDelayMaxMs: number;
  readonly gcPauses: number;
  readonly gcTotalMs: number;
  readonly gcLongestMs: number;
  readonly gcMajorPauses?: number;
  readonly gcMajorLongestMs?: number;
}
const serverReports: ServerLatency[] = [];

/** The latency the server measured since the last call (its SIGUSR2 report). */
async function serverLatency(pid: number | undefined): Promise<ServerLatency | undefined> {
  if (pid === undefined) return undefined;
  const before = serverReports.length;
  process.kill(pid, 'SIGUSR2');
  for (let waited = 0; serverReports.length === before && waited < 2_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  return serverReports.at(-1);
}

/** Like startServer, with Node flags (--profile <dir> writes a CPU profile of the exchange server; --server-flags adds others). */
async function startProfiled(script: string, args: readonly string[]): Promise<{ url: string; child: ReturnType<typeof spawn> }> {
  const flags = [...(values.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values.profile}`]), ...serverFlags];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  // The server's latency reports (JSON lines on SIGUSR2) are kept; anything else goes on to our stderr.
  child.stderr.on('data', (text: string) => {
    for (const line of text.split('\n')) {
      if (line.startsWith('{"serverLatency"')) serverReports.push((JSON.parse(line) as { serverLatency: ServerLatency }).serverLatency);
      else if (line !== '') process.stderr.write(`${line}\n`);
    }
  });
  const [line] = (await once(child.stdout, 'data')) as [string];
  return { url: line.trim(), child };
}

const { values } = parseArgs({
  options: {
    people: { type: 'string', default: '200000' },
    consents: { type: 'string', default: '20000' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    rate: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '3' },
    profile: { type: 'string' },
    work: { type: 'string' },
    // Node or V8 flags for the exchange server, space-separated; default: those `sachsong serve`
    // runs with on this machine (src/shared/server-flags.ts). --server-flags= runs it with none.
    'server-flags': { type: 'string' },
  },
});
const serverFlags = values['server-flags'] === undefined ? serverNodeFlags() : values['server-flags'].split(' ').filter((f) => f !== '');
const people = Number(values.people);
const consentCount = Number(values.consents);
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const rate = Number(values.rate);
const roundCount = Number(values.rounds);
const operatorToken = 'bench-operator-token-0123456789abcdef';
const clientId = 'VN/COM/BENCHBANK/ekyc';
const run = promisify(execFile);

interface Measure {
  readonly tool: string;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
  /** Server CPU time (user + system) per request answered, µs: whole process, and main thread only. */
  readonly cpuUsPerRequest?: number;
  readonly mainThreadCpuUsPerRequest?: number;
}

/** CPU seconds (user + system) of a process, and of its main thread, from /proc (Linux). */
function cpuSeconds(pid: number): { process: number; main: number } {
  const ticks = (stat: string): number => {
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime, stime
  };
  return { process: ticks(readFileSync(`/proc/${pid}/stat`, 'utf8')) / 100, main: ticks(readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8')) / 100 };
}

/** Runs a load against a server process and adds its CPU time per request to the measure. */
async function withCpu(pid: number | undefined, measure: () => Promise<Measure>): Promise<Measure> {
  if (pid === undefined) return measure();
  const before = cpuSeconds(pid);
  const m = await measure();
  const after = cpuSeconds(pid);
  const perRequest = (seconds: number): number => Math.round((seconds * 1e6) / Math.max(1, m.requests));
  return { ...m, cpuUsPerRequest: perRequest(after.process - before.process), mainThreadCpuUsPerRequest: perRequest(after.main - before.main) };
}

function ms(value: string, unit: string): number {
  const v = Number(value);
  return unit === 'us' ? v / 1000 : unit === 's' ? v * 1000 : unit === 'm' ? v * 60_000 : v;
}

/** Runs wrk with the verify script and parses its report; `paceMs` paces each connection (WRK_PACE_MS). */
async function wrk(url: string, bodiesFile: string, token: string, duration: number, paceMs = 0): Promise<Measure> {
  const script = path.resolve('bench/exchange-verify.wrk.lua');
  const { stdout } = await run('wrk', ['-t2', `-c${connections}`, `-d${duration}s`, '--latency', '-s', script, url, '--', bodiesFile, token], { maxBuffer: 1 << 20, env: { ...process.env, WRK_PACE_MS: String(paceMs) } });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 'NaN');
  const p50 = /\s50%\s+([\d.]+)(us|ms|s|m)/.exec(stdout);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s|m)/.exec(stdout);
  const total = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 'NaN');
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? '0');
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const errors = errs === null ? 0 : errs.slice(1).reduce((a, b) => a + Number(b), 0);
  return { tool: 'wrk', requestsPerSecond: Math.round(rps), p50Ms: p50 ? ms(p50[1] ?? '', p50[2] ?? '') : NaN, p99Ms: p99 ? ms(p99[1] ?? '', p99[2] ?? '') : NaN, requests: total, non2xx, errors };
}

/** autocannon at a fixed overall rate: the latency the issue asks for at 5,000 requests a second. */
async function fixedRate(url: string, bodies: readonly string[], token: string, duration: number): Promise<Measure> {
  let i = 0;
  const r = await autocannon({
    url: `${url}/x/services/verify`,
    connections,
    duration,
    overallRate: rate,
    method: 'POST',
    requests: [{
      setupRequest: (req) => ({
        ...req,
        method: 'POST',
        body: bodies[i++ % bodies.length] ?? '',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-id': randomUUID(), 'x-officer-id': 'bench-officer', 'x-case-reference': 'BENCH-0001', 'x-purpose': 'KYC' },
      }),
    }],
  });
  return { tool: `autocannon overallRate ${rate}`, requestsPerSecond: Math.round(r.requests.average), p50Ms: r.latency.p50, p99Ms: r.latency.p99, requests: r.requests.total, non2xx: r.non2xx, errors: r.errors };
}

const dir = values.work ?? mkdtempSync(path.join(tmpdir(), 'sachsong-xbench-'));
const file = path.join(dir, 'bench.db');
const keyFile = path.join(dir, 'bench-key.json');
const bodiesFile = path.join(dir, 'bodies.ndjson');

/** 1. A population, an onboarded bank with a consent-requiring verify grant, consents for a sample. */
async function prepare(): Promise<{ privateKey: CryptoKey | Uint8Array; bodies: readonly string[]; consents: number; consentSeconds: number }> {
  if (values.work !== undefined && existsSync(keyFile) && existsSync(bodiesFile)) {
    const bodies = readFileSync(bodiesFile, 'utf8').split('\n').filter((l) => l !== '');
    return { privateKey: await importJWK(JSON.parse(readFileSync(keyFile, 'utf8')) as JWK, 'EdDSA'), bodies, consents: bodies.length, consentSeconds: 0 };
  }
  mkdirSync(dir, { recursive: true });
  const database = openDatabase({ sqliteFile: file });
  await migrateToLatest(database.db, database.dialect);
  await loadPopulation(database, generatePopulation({ people, seed: 7 }));
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'EdDSA' };
  const accessLog = openAccessLog(database);
  const exchange = await createExchange({ db: database.db, clock: systemClock, accessLog, registry: new RegistryService({ db: database.db, clock: systemClock }), verifier: new VerifyService({ db: database.db, clock: systemClock }) });
  await exchange.members.onboard({ memberId: 'VN/COM/BENCHBANK', name: 'Bench Bank', kind: 'bank', subsystems: [{ code: 'ekyc', name: 'eKYC', jwks: { keys: [jwk] } }], officers: [{ officerId: 'bench-officer', name: 'Bench' }] });
  const validUntil = new Date(Date.now() + 7 * 86_400_000).toISOString();
  await exchange.grants.add({ clientId, service: 'verify', fields: ['fullName', 'birthDate', 'sex'], purposes: [{ code: 'KYC', text: 'Mở tài khoản' }], legalBasis: 'consent', requiresConsent: true, validUntil, ratePerMinute: 100_000_000, dailyCap: 1_000_000_000 });
  const all = await database.db.selectFrom('persons').select(['id_number', 'full_name', 'birth_date', 'sex']).where('status', '=', 'alive').orderBy('id_number').execute();
  const step = Math.max(1, Math.floor(all.length / consentCount));
  const sample = all.filter((_, i) => i % step === 0).slice(0, consentCount).sort(() => Math.random() - 0.5);
  const consentStarted = performance.now();
  for (const p of sample) {
    await exchange.consents.give({ citizen: p.id_number, dataUser: clientId, purposeCode: 'KYC', purposeText: 'Mở tài khoản', fields: ['fullName', 'birthDate', 'sex'], dataLife: { unit: 'YEAR', value: 1 }, frequency: { unit: 'DAY', value: 100_000 }, expiry: validUntil });
  }
  const consentSeconds = (performance.now() - consentStarted) / 1000;
  await accessLog.close();
  await database.close();
  const bodies = sample.map((p) => JSON.stringify({ idNumber: p.id_number, fullName: p.full_name, birthDate: p.birth_date, sex: p.sex }));
  writeFileSync(bodiesFile, `${bodies.join('\n')}\n`);
  writeFileSync(keyFile, JSON.stringify(await exportJWK(privateKey)));
  return { privateKey, bodies, consents: sample.length, consentSeconds };
}

try {
  const { privateKey, bodies, consents, consentSeconds } = await prepare();

  // 2. Both servers in their own processes: the bare baseline and the exchange as served.
  const bare = await startServer('bench/servers/exchange-bare.server.ts', []);
  const server = await startProfiled('bench/servers/exchange-verify.server.ts', [file, operatorToken]);
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid: 'bench-1' }).setIssuer(clientId).setSubject(clientId).setAudience(defaultTokenAudience).setIssuedAt(now).setExpirationTime(now + 120).setJti(randomUUID()).sign(privateKey);
  const tokenRes = await fetch(`${server.url}/x/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'client_credentials', client_assertion_type: jwtBearerAssertionType, client_assertion: assertion }) });
  const { access_token: token } = (await tokenRes.json()) as { access_token: string };
  const check = await fetch(`${server.url}/x/services/verify`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-id': randomUUID(), 'x-officer-id': 'bench-officer', 'x-case-reference': 'BENCH-0001', 'x-purpose': 'KYC' }, body: bodies[0] ?? '' });
  if (check.status !== 200) throw new Error(`exchange verify answered ${check.status}: ${await check.text()}`);
  const countRecords = async (): Promise<number> => {
    // The server keeps its access log in its own file (bench/servers/exchange-verify.server.ts).
    const db = openDatabase({ sqliteFile: file.replace(/\.db$/, '.access-log.db') });
    try {
      const row = await db.db.selectFrom('access_records').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    } finally {
      await db.close();
    }
  };
  await wrk(bare.url, bodiesFile, 'none', 2);
  await wrk(server.url, bodiesFile, token, 2);
  const barePid = bare.child.pid;
  const serverPid = server.child.pid;

  // 3. Alternating rounds, so that a change in the machine's other load hits both sides alike;
  // the round with the median ratio is reported.
  const before = await countRecords();
  const rounds: { readonly bare: Measure; readonly exchange: Measure; readonly ratio: number }[] = [];
  for (let r = 0; r < roundCount; r++) {
    const b = await withCpu(barePid, () => wrk(bare.url, bodiesFile, 'none', seconds));
    const x = await withCpu(serverPid, () => wrk(server.url, bodiesFile, token, seconds));
    rounds.push({ bare: b, exchange: x, ratio: Math.round((x.requestsPerSecond / b.requestsPerSecond) * 1000) / 1000 });
  }
  const after = await countRecords();
  await serverLatency(serverPid);
  const atRate = await withCpu(serverPid, () => fixedRate(server.url, bodies, token, seconds));
  const atRateInServer = await serverLatency(serverPid);
  // The same rate from wrk (C, far less CPU a request than autocannon on these two cores): each
  // connection paced so that the total comes near the target, the pause found in short trial runs.
  // wrk waits for each response before its pause, so a stall delays the requests behind it
  // instead of counting them late (coordinated omission): a lower bound on the tail.
  let paceMs = (connections / rate) * 1000 * 0.6;
  for (let trial = 0; trial < 3; trial++) {
    const probe = await wrk(server.url, bodiesFile, token, 3, paceMs);
    paceMs = Math.max(0.1, paceMs + ((connections / rate) * 1000 - (connections / Math.max(1, probe.requestsPerSecond)) * 1000));
  }
  await serverLatency(serverPid);
  const paced = await withCpu(serverPid, () => wrk(server.url, bodiesFile, token, seconds, Math.round(paceMs * 10) / 10));
  const pacedInServer = await serverLatency(serverPid);
  await stopServer(bare.child);
  await stopServer(server.child);
  const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)];
  if (median === undefined) throw new Error('no rounds');

  console.log(JSON.stringify({
    bench: 'exchange-verify',
    store: 'sqlite',
    serverFlags,
    accessLog: 'own SQLite file (4 KiB pages), writer thread, checkpointer thread',
    people,
    consents,
    consentSeconds: Math.round(consentSeconds * 10) / 10,
    connections,
    seconds,
    bareFastifyJson: median.bare,
    exchangeVerify: median.exchange,
    ratio: median.ratio,
    roundRatios: rounds.map((r) => r.ratio),
    roundRates: rounds.map((r) => [r.bare.requestsPerSecond, r.exchange.requestsPerSecond]),
    // CPU µs a request [bare, exchange], per round: the process, then its main thread alone.
    roundCpuUsPerRequest: rounds.map((r) => [r.bare.cpuUsPerRequest, r.exchange.cpuUsPerRequest]),
    roundMainThreadCpuUsPerRequest: rounds.map((r) => [r.bare.mainThreadCpuUsPerRequest, r.exchange.mainThreadCpuUsPerRequest]),
    cpuRatio: Math.round((median.bare.cpuUsPerRequest ?? NaN) / (median.exchange.cpuUsPerRequest ?? NaN) * 1000) / 1000,
    accessRecordsWritten: after - before,
    successfulCalls: rounds.reduce((n, r) => n + r.exchange.requests - r.exchange.non2xx - r.exchange.errors, 0),
    exchangeVerifyAtFixedRate: atRate,
    exchangeVerifyAtFixedRateInServer: atRateInServer,
    exchangeVerifyWrkPaced: { ...paced, paceMs: Math.round(paceMs * 10) / 10 },
    exchangeVerifyWrkPacedInServer: pacedInServer,
  }, null, 2));
} finally {
  if (values.work === undefined) rmSync(dir, { recursive: true, force: true });
}
