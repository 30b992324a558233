// Residence documents issued and verified a second, beside a bare Fastify hello-world in the same run.
//   npx tsx bench/residence-documents.bench.ts [--people 20000] [--seconds 5] [--connections 32] [--warmup 2] [--rounds 2]
//
// Over HTTP, each server in its own process (the registry as `sachsong serve` builds it, SQLite,
// access log in its own file): issuance = POST /api/persons/:id/residence-documents with a
// service account key (person.write, nation): the holder's lock, the person read, the document
// row, the ES256 signature over ten disclosable claims, the presentation, the access record
// durable, in that order; verification = POST /documents/verify of presentations issued before
// the run: the ES256 check, the disclosures' digests, the status read and the verification
// record. Then, in this process, the library's SD-JWT issuing and checking and a bare ES256 check
// (no store, no HTTP).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { generatePopulation } from '../src/registry/population.generator.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import { openDatabase } from '../src/store/database.js';
import { migrateAccessLogStore, migrateToLatest } from '../src/store/migrator.js';
import { systemClock } from '../src/shared/clock.js';
import { serverNodeFlags } from '../src/shared/server-flags.js';
import { loadDocumentKeys } from '../src/services/residence-document.keys.js';
import { claimsOf, issuingInstance, sdHasher } from '../src/services/residence-document.service.js';
import { personRepository } from '../src/registry/person.repository.js';
import { verify as verifySignature } from 'node:crypto';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { serviceAccountHeaders, testIdentity } from '../test/officer-session.js';
import { processCpuSeconds, startServer, stopServer } from './load.js';

const { values } = parseArgs({
  options: {
    people: { type: 'string', default: '20000' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '2' },
  },
});
const people = Number(values.people);
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const warmup = Number(values.warmup);
const rounds = Number(values.rounds);

interface Run { readonly perSecond: number; readonly p50Ms: number; readonly p99Ms: number; readonly non2xx: number; readonly errors: number; readonly cpuMicros: number }

/** autocannon with one request shape cycled through, and the server's CPU a request. */
async function run(url: string, requests: readonly { method: 'GET' | 'POST'; path: string; body?: string }[], headers: Record<string, string>, duration: number, pid: number | undefined): Promise<Run> {
  let i = 0;
  const cpuBefore = pid === undefined ? 0 : processCpuSeconds(pid);
  const r = await autocannon({
    url, connections, pipelining: 1, duration,
    headers: { 'content-type': 'application/json', ...headers },
    requests: [{ setupRequest: (req) => { const q = requests[i++ % requests.length]; return { ...req, method: q?.method ?? 'GET', path: q?.path ?? '/', ...(q?.body === undefined ? {} : { body: q.body }) }; } }],
  });
  const cpu = pid === undefined ? 0 : processCpuSeconds(pid) - cpuBefore;
  return { perSecond: Math.round(r.requests.average), p50Ms: r.latency.p50, p99Ms: r.latency.p99, non2xx: r.non2xx, errors: r.errors, cpuMicros: r.requests.total === 0 ? 0 : Math.round((cpu * 1e6) / r.requests.total) };
}

const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-documents-bench-'));
const registryFile = path.join(dir, 'sachsong.db');
const logFile = path.join(dir, 'access-log.db');
try {
  const database = openDatabase({ sqliteFile: registryFile });
  await migrateToLatest(database.db, database.dialect);
  await loadPopulation(database, generatePopulation({ people, seed: 7 }));
  const ids = (await database.db.selectFrom('persons').select('id_number').where('status', '=', 'alive').where('permanent_commune', 'is not', null).orderBy('id_number').limit(5_000).execute()).map((r) => r.id_number);
  const { authorization } = await serviceAccountHeaders(testIdentity(database.db, systemClock), ['person.write', 'person.read'], { level: 'nation' }, 30);
  // The same keys the server will load (made now, in the store), for the in-process figures.
  const keys = await loadDocumentKeys(database.db, systemClock);
  const samplePerson = await personRepository.findById(database.db, ids[0] ?? '');
  await database.close();
  const logStore = openDatabase({ sqliteFile: logFile, pageSize: 4_096 });
  await migrateAccessLogStore(logStore.db, logStore.dialect);
  await logStore.close();

  const flags = serverNodeFlags();
  const hello = await startServer('bench/servers/hello.server.ts', [], flags);
  const registry = await startServer('bench/servers/residence-documents.server.ts', [registryFile, logFile], flags);
  const auth = { authorization };
  try {
    // Presentations to verify: issued before the run, half showing every claim, half the province alone.
    const presentations: string[] = [];
    for (const [n, id] of ids.slice(0, 400).entries()) {
      const res = await fetch(`${registry.url}/api/persons/${id}/residence-documents`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(n % 2 === 0 ? {} : { disclose: ['residenceProvince'] }) });
      if (res.status !== 200) throw new Error(`issuance failed: ${String(res.status)} ${await res.text()}`);
      presentations.push(((await res.json()) as { presentation: string }).presentation);
    }
    const issueRequests = ids.map((id) => ({ method: 'POST' as const, path: `/api/persons/${id}/residence-documents`, body: '{}' }));
    const verifyRequests = presentations.map((p) => ({ method: 'POST' as const, path: '/documents/verify', body: JSON.stringify({ presentation: p }) }));
    const helloRequests = [{ method: 'GET' as const, path: '/' }];
    const phases = [
      { name: 'helloWorld', url: hello.url, requests: helloRequests, headers: {}, pid: hello.child.pid },
      { name: 'issue', url: registry.url, requests: issueRequests, headers: auth, pid: registry.child.pid },
      { name: 'verify', url: registry.url, requests: verifyRequests, headers: {}, pid: registry.child.pid },
    ];
    for (const p of phases) await run(p.url, p.requests, p.headers, warmup, undefined);
    const results: Record<string, Run[]> = {};
    for (let round = 0; round < rounds; round++) {
      for (const p of phases) (results[p.name] ??= []).push(await run(p.url, p.requests, p.headers, seconds, p.pid));
    }
    // Signing and checking alone, in this process.
    const sd = issuingInstance(keys);
    const claims = samplePerson === undefined ? {} : claimsOf(samplePerson, '2026-12-05');
    const payload = { iss: 'https://registry.example.vn', vct: 'urn:vn:sachsong:residence-confirmation:1', jti: 'bench', iat: 1_800_000_000, exp: 1_900_000_000, status: { status_list: { idx: 1, uri: 'https://registry.example.vn/documents/status-lists/0' } }, ...claims };
    const frame = { _sd: Object.keys(claims) } as never;
    const key = keys.publicKeys.get(keys.keyId);
    const checker = new SDJwtVcInstance({ hasher: sdHasher, verifier: (data, sig) => key !== undefined && verifySignature('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url')) });
    const timed = async (f: () => Promise<unknown>, ms: number): Promise<number> => {
      const end = performance.now() + ms;
      let n = 0;
      const start = performance.now();
      while (performance.now() < end) { await f(); n++; }
      return Math.round(n / ((performance.now() - start) / 1000));
    };
    const credential = await sd.issue(payload, frame, { header: { kid: keys.keyId } });
    const signPerSecond = await timed(() => sd.issue(payload, frame, { header: { kid: keys.keyId } }), 2_000);
    const checkPerSecond = await timed(() => checker.validate(credential, { currentDate: 1_800_000_001 }), 2_000);
    // The signature alone, as the online verifier checks it (with the digests, a few microseconds more).
    const [h = '', p = '', sig = ''] = (credential.split('~')[0] ?? '').split('.');
    const rawVerifyPerSecond = await timed(() => Promise.resolve(key !== undefined && verifySignature('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url'))), 2_000);
    const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const summary = (rs: readonly Run[]): Record<string, unknown> => ({
      perSecond: Math.round(rs.reduce((t, r) => t + r.perSecond, 0) / Math.max(rs.length, 1)),
      rounds: rs.map((r) => r.perSecond), p50Ms: median(rs.map((r) => r.p50Ms)), p99Ms: median(rs.map((r) => r.p99Ms)),
      non2xx: rs.reduce((t, r) => t + r.non2xx, 0), errors: rs.reduce((t, r) => t + r.errors, 0), serverCpuMicrosPerRequest: median(rs.map((r) => r.cpuMicros)),
    });
    const rate = (name: string): number => (results[name] ?? []).reduce((t, r) => t + r.perSecond, 0) / Math.max((results[name] ?? []).length, 1);
    console.log(JSON.stringify({
      bench: 'residence-documents', people, connections, seconds, warmupSeconds: warmup, rounds, serverFlags: flags,
      helloWorld: summary(results.helloWorld ?? []),
      issue: summary(results.issue ?? []),
      verify: summary(results.verify ?? []),
      issueRatio: Math.round((rate('issue') / rate('helloWorld')) * 1000) / 1000,
      verifyRatio: Math.round((rate('verify') / rate('helloWorld')) * 1000) / 1000,
      inProcess: { libraryIssuePerSecond: signPerSecond, libraryCheckPerSecond: checkPerSecond, es256VerifyPerSecond: rawVerifyPerSecond, credentialBytes: credential.length },
    }, null, 2));
  } finally {
    await stopServer(registry.child);
    await stopServer(hello.child);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
