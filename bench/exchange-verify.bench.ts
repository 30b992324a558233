// Verify through the exchange (authenticated, grant + consent checks, a durable access record per
// call) against a bare Fastify route that parses the same JSON and answers a constant, same run.
//   npx tsx bench/exchange-verify.bench.ts [--people 200000] [--consents 20000] [--seconds 10] [--connections 64] [--rate 5000]
// Throughput: wrk (C, 2 threads) with bench/exchange-verify.wrk.lua. p99 at a fixed rate: autocannon's overallRate.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { openAccessLog } from '../src/audit/access-log.service.js';
import { defaultTokenAudience, jwtBearerAssertionType } from '../src/exchange/agency-auth.service.js';
import { createExchange } from '../src/exchange/exchange.module.js';
import { VerifyService } from '../src/matching/verify.service.js';
import { generatePopulation } from '../src/registry/population.generator.js';
import { RegistryService } from '../src/registry/registry.service.js';
import { systemClock } from '../src/shared/clock.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrator.js';
import { startServer, stopServer } from './load.js';

/** Like startServer, with Node flags (--profile <dir> writes a CPU profile of the exchange server). */
async function startProfiled(script: string, args: readonly string[]): Promise<{ url: string; child: ReturnType<typeof spawn> }> {
  const flags = values.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values.profile}`];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.setEncoding('utf8');
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
    profile: { type: 'string' },
  },
});
const people = Number(values.people);
const consentCount = Number(values.consents);
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const rate = Number(values.rate);
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
}

function ms(value: string, unit: string): number {
  const v = Number(value);
  return unit === 'us' ? v / 1000 : unit === 's' ? v * 1000 : unit === 'm' ? v * 60_000 : v;
}

/** Runs wrk with the verify script and parses its report. */
async function wrk(url: string, bodiesFile: string, token: string, duration: number): Promise<Measure> {
  const script = path.resolve('bench/exchange-verify.wrk.lua');
  const { stdout } = await run('wrk', ['-t2', `-c${connections}`, `-d${duration}s`, '--latency', '-s', script, url, '--', bodiesFile, token], { maxBuffer: 1 << 20 });
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

const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-xbench-'));
const file = path.join(dir, 'bench.db');
try {
  // 1. A population, an onboarded bank with a consent-requiring verify grant, consents for a sample.
  const database = openDatabase({ sqliteFile: file });
  await migrateToLatest(database.db, database.dialect);
  await loadPopulation(database, generatePopulation({ people, seed: 7 }));
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'EdDSA' };
  const accessLog = openAccessLog(database);
  const exchange = await createExchange({ db: database.db, clock: systemClock, accessLog, registry: new RegistryService({ db: database.db, clock: systemClock }), verifier: new VerifyService({ db: database.db, clock: systemClock }) });
  await exchange.members.onboard({ memberId: 'VN/COM/BENCHBANK', name: 'Bench Bank', kind: 'bank', subsystems: [{ code: 'ekyc', name: 'eKYC', jwks: { keys: [jwk] } }], officers: [{ officerId: 'bench-officer', name: 'Bench' }] });
  const validUntil = new Date(Date.now() + 86_400_000).toISOString();
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
  const bodiesFile = path.join(dir, 'bodies.ndjson');
  writeFileSync(bodiesFile, `${bodies.join('\n')}\n`);

  // 2. The baseline: a bare Fastify route parsing the same JSON.
  const bare = await startServer('bench/servers/exchange-bare.server.ts', []);
  await wrk(bare.url, bodiesFile, 'none', 2);
  const baseline = await wrk(bare.url, bodiesFile, 'none', seconds);
  await stopServer(bare.child);

  // 3. The exchange as served.
  const server = await startProfiled('bench/servers/exchange-verify.server.ts', [file, operatorToken]);
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid: 'bench-1' }).setIssuer(clientId).setSubject(clientId).setAudience(defaultTokenAudience).setIssuedAt(now).setExpirationTime(now + 120).setJti(randomUUID()).sign(privateKey);
  const tokenRes = await fetch(`${server.url}/x/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'client_credentials', client_assertion_type: jwtBearerAssertionType, client_assertion: assertion }) });
  const { access_token: token } = (await tokenRes.json()) as { access_token: string };
  const check = await fetch(`${server.url}/x/services/verify`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-id': randomUUID(), 'x-officer-id': 'bench-officer', 'x-case-reference': 'BENCH-0001', 'x-purpose': 'KYC' }, body: bodies[0] ?? '' });
  if (check.status !== 200) throw new Error(`exchange verify answered ${check.status}: ${await check.text()}`);
  await wrk(server.url, bodiesFile, token, 2);
  const countRecords = async (): Promise<number> => {
    const db = openDatabase({ sqliteFile: file });
    try {
      const row = await db.db.selectFrom('access_records').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    } finally {
      await db.close();
    }
  };
  const before = await countRecords();
  const through = await wrk(server.url, bodiesFile, token, seconds);
  const after = await countRecords();
  const atRate = await fixedRate(server.url, bodies, token, seconds);
  await stopServer(server.child);

  console.log(JSON.stringify({
    bench: 'exchange-verify',
    store: 'sqlite',
    people,
    consents: sample.length,
    consentSeconds: Math.round(consentSeconds * 10) / 10,
    connections,
    seconds,
    bareFastifyJson: baseline,
    exchangeVerify: through,
    ratio: Math.round((through.requestsPerSecond / baseline.requestsPerSecond) * 1000) / 1000,
    accessRecordsWritten: after - before,
    successfulCalls: through.requests - through.non2xx - through.errors,
    exchangeVerifyAtFixedRate: atRate,
  }, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
