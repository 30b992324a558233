// The old-tax-code look-up through the exchange (old tax code → ID number) beside the verify
// service, same server, same pipeline (token, request id, replay guard, officer, case, purpose,
// grant, fair use, a durable access record per call), alternating rounds in one run.
//   npx tsx bench/exchange-tax-code.bench.ts [--people 20000] [--seconds 5] [--connections 32] [--rounds 3]
// Load from autocannon (a Node client on the same machine: the figures are a ratio, not a ceiling).
// Both grants rest on law (no consent), so the two differ only in the service: verify compares
// the details sent with the registry's, tax-code reads one link by key and releases the ID number.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { openAccessLog } from '../src/audit/access-log.service.js';
import { defaultTokenAudience, jwtBearerAssertionType } from '../src/exchange/agency-auth.service.js';
import { createExchange } from '../src/exchange/exchange.module.js';
import { withCheckDigit } from '../src/matching/tax-code.js';
import { TaxCodeLinkService } from '../src/matching/tax-code-link.service.js';
import { VerifyService } from '../src/matching/verify.service.js';
import { generatePopulation } from '../src/registry/population.generator.js';
import { RegistryService } from '../src/registry/registry.service.js';
import { systemClock } from '../src/shared/clock.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrator.js';
import { processCpuSeconds, startServer, stopServer } from './load.js';

const { values } = parseArgs({
  options: {
    people: { type: 'string', default: '20000' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '3' },
  },
});
const people = Number(values.people);
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const roundCount = Number(values.rounds);
const clientId = 'VN/GOV/BENCHTAX/lookup';
const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-taxbench-'));
const file = path.join(dir, 'bench.db');

interface Measure { readonly requestsPerSecond: number; readonly p50Ms: number; readonly p99Ms: number; readonly ok: number; readonly non2xx: number; readonly errors: number; readonly serverCpuUsPerRequest: number }

async function load(url: string, service: string, bodies: readonly string[], token: string, serverPid: number, duration: number): Promise<Measure> {
  let i = 0;
  const before = processCpuSeconds(serverPid);
  const r = await autocannon({
    url: `${url}/x/services/${service}`,
    connections,
    pipelining: 1,
    duration,
    method: 'POST',
    requests: [{
      setupRequest: (req) => ({
        ...req,
        method: 'POST',
        body: bodies[i++ % bodies.length] ?? '',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-id': randomUUID(), 'x-officer-id': 'bench-officer', 'x-case-reference': 'BENCH-0001', 'x-purpose': 'TAX_ID' },
      }),
    }],
  });
  const cpu = processCpuSeconds(serverPid) - before;
  return {
    requestsPerSecond: Math.round(r.requests.average), p50Ms: r.latency.p50, p99Ms: r.latency.p99,
    ok: r['2xx'], non2xx: r.non2xx, errors: r.errors, serverCpuUsPerRequest: Math.round((cpu * 1e6) / Math.max(1, r.requests.total)),
  };
}

try {
  // 1. A population, an agency with a verify grant and a tax-code grant, one old code per living person.
  const database = openDatabase({ sqliteFile: file });
  await migrateToLatest(database.db, database.dialect);
  await loadPopulation(database, generatePopulation({ people, seed: 7 }));
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const accessLog = openAccessLog(database);
  const exchange = await createExchange({ db: database.db, clock: systemClock, accessLog, registry: new RegistryService({ db: database.db, clock: systemClock }), verifier: new VerifyService({ db: database.db, clock: systemClock }) });
  await exchange.members.onboard({ memberId: 'VN/GOV/BENCHTAX', name: 'Bench Tax', kind: 'ministry', subsystems: [{ code: 'lookup', name: 'Look-up', jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'EdDSA' }] } }], officers: [{ officerId: 'bench-officer', name: 'Bench' }] });
  const validUntil = new Date(Date.now() + 7 * 86_400_000).toISOString();
  const common = { clientId, purposes: [{ code: 'TAX_ID', text: 'Chuyển mã số thuế' }], legalBasis: 'Thông tư 86/2024/TT-BTC', validUntil, ratePerMinute: 100_000_000, dailyCap: 1_000_000_000 };
  await exchange.grants.add({ ...common, service: 'verify', fields: ['fullName', 'birthDate'] });
  await exchange.grants.add({ ...common, service: 'tax-code', fields: ['idNumber'] });
  const alive = await database.db.selectFrom('persons').select(['id_number', 'full_name', 'birth_date']).where('status', '=', 'alive').orderBy('id_number').execute();
  let seq = 0;
  const codes = alive.map((p) => {
    for (;;) {
      const code = withCheckDigit(String(800_000_000 + ((++seq * 7_919_993) % 100_000_000)));
      if (code !== undefined) return { oldTaxCode: code, idNumber: p.id_number, outcome: 'linked' };
    }
  });
  const linkStarted = performance.now();
  const stored = await new TaxCodeLinkService({ db: database.db, clock: systemClock }).storeRun({ sourceName: 'bench.csv', inputSha256: '00'.repeat(32), startedAt: new Date().toISOString(), links: codes, summary: { linked: codes.length } });
  const linkSeconds = (performance.now() - linkStarted) / 1000;
  await exchange.close();
  await accessLog.close();
  await database.close();
  const shuffled = <T>(list: readonly T[]): T[] => [...list].sort(() => Math.random() - 0.5);
  const verifyBodies = shuffled(alive).map((p) => JSON.stringify({ idNumber: p.id_number, fullName: p.full_name, birthDate: p.birth_date }));
  const taxBodies = shuffled(codes).map((c) => JSON.stringify({ taxCode: c.oldTaxCode }));

  // 2. The app as served, in its own process; a token; one call of each to check.
  const server = await startServer('bench/servers/exchange-verify.server.ts', [file, 'bench-operator-token-0123456789abcdef']);
  const pid = server.child.pid ?? 0;
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid: 'bench-1' }).setIssuer(clientId).setSubject(clientId).setAudience(defaultTokenAudience).setIssuedAt(now).setExpirationTime(now + 120).setJti(randomUUID()).sign(privateKey);
  const tokenRes = await fetch(`${server.url}/x/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'client_credentials', client_assertion_type: jwtBearerAssertionType, client_assertion: assertion }) });
  const { access_token: token } = (await tokenRes.json()) as { access_token: string };
  for (const [service, body] of [['verify', verifyBodies[0]], ['tax-code', taxBodies[0]]] as const) {
    const check = await fetch(`${server.url}/x/services/${service}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-id': randomUUID(), 'x-officer-id': 'bench-officer', 'x-case-reference': 'BENCH-0001', 'x-purpose': 'TAX_ID' }, body: body ?? '' });
    if (check.status !== 200) throw new Error(`${service} answered ${check.status}: ${await check.text()}`);
  }
  await load(server.url, 'verify', verifyBodies, token, pid, 2);
  await load(server.url, 'tax-code', taxBodies, token, pid, 2);

  // 3. Alternating rounds; the round with the median ratio is reported.
  const rounds: { verify: Measure; taxCode: Measure; ratio: number; load1: number }[] = [];
  for (let r = 0; r < roundCount; r++) {
    const v = await load(server.url, 'verify', verifyBodies, token, pid, seconds);
    const t = await load(server.url, 'tax-code', taxBodies, token, pid, seconds);
    rounds.push({ verify: v, taxCode: t, ratio: Math.round((t.requestsPerSecond / Math.max(1, v.requestsPerSecond)) * 1000) / 1000, load1: Math.round((loadavg()[0] ?? 0) * 10) / 10 });
  }
  await stopServer(server.child);
  const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)];
  console.log(JSON.stringify({
    bench: 'exchange-tax-code', store: 'sqlite', people, linkedCodes: stored.written, linkSeconds: Math.round(linkSeconds * 10) / 10,
    connections, seconds, median, roundRates: rounds.map((r) => [r.verify.requestsPerSecond, r.taxCode.requestsPerSecond]), roundRatios: rounds.map((r) => r.ratio),
    // Server CPU µs a request [verify, tax-code]: steadier than the rates on a machine busy with other work.
    roundCpuUsPerRequest: rounds.map((r) => [r.verify.serverCpuUsPerRequest, r.taxCode.serverCpuUsPerRequest]), roundLoad1: rounds.map((r) => r.load1),
  }, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
