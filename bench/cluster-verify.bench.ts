/**
 * Exchange verify through the cluster's balancer (scripts/cluster.sh: HAProxy, PostgreSQL with a
 * replica, three NATS servers) with 2 nodes and then 1, in the same run: each call authenticated,
 * granted, its request id claimed in NATS and its access record appended to the one log on the
 * primary before it is answered.
 *
 *   npx tsx bench/cluster-verify.bench.ts [--seconds 10] [--connections 32]
 *
 * Load: `--connections` keep-alive connections from this process, one call in flight each, a
 * fresh request id a call. Prints one JSON line per node count, with the load average. Its own
 * ports (18490…, 15733/15734, 14622…) and state folder, torn down at the end.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ExchangeDirectory } from '../src/exchange/exchange.directory.js';
import { GrantService } from '../src/exchange/grant.service.js';
import { MemberService } from '../src/exchange/member.service.js';
import { generatePopulation } from '../src/registry/population.generator.js';
import { systemClock } from '../src/shared/clock.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import { openDatabase } from '../src/store/database.js';
import { clusterRun, clusterSql, eventually, throughBalancer } from '../test/cluster.harness.js';
import { clientAssertion, makeAgencyKeys } from '../test/exchange.fixture.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '32' } } });
const cluster = clusterRun({ balancer: 18490, pgPrimary: 15733, pgReplica: 15734, nats: 14622 });
const { ports } = cluster;

try {
  const up = cluster.run('up', '2');
  if (up.code !== 0) throw new Error(`cluster up failed: ${up.stderr}`);
  const store = openDatabase({ databaseUrl: `postgres://postgres@127.0.0.1:${ports.pgPrimary}/sachsong`, poolSize: 2 });
  await loadPopulation(store, generatePopulation({ people: 2_000, seed: 7, today: '2026-01-01' }));
  const people = (await store.db.selectFrom('persons').select('id_number').where('status', '=', 'alive').limit(1_000).execute()).map((r) => r.id_number);
  const agency = await makeAgencyKeys('VN/COM/BENCH/portal');
  const directory = new ExchangeDirectory({ db: store.db, clock: systemClock });
  await new MemberService({ db: store.db, clock: systemClock, directory }).onboard({
    memberId: 'VN/COM/BENCH', name: 'Bench bank', kind: 'bank',
    subsystems: [{ code: 'portal', name: 'portal', jwks: { keys: [agency.publicJwk] } }], officers: [{ officerId: agency.officerId, name: 'Officer One' }],
  });
  await new GrantService({ db: store.db, clock: systemClock, directory }).add({
    clientId: agency.clientId, service: 'verify', fields: ['sex'], purposes: [{ code: 'KYC', text: 'Xác minh khách hàng' }], legalBasis: 'Luật Căn cước 2023',
    validUntil: '2099-01-01', ratePerMinute: 100_000_000, dailyCap: 1_000_000_000,
  });
  await store.close();
  const tokenAnswer = await throughBalancer(ports.balancer, {
    method: 'POST', path: '/x/token',
    body: { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: await clientAssertion(agency, systemClock) },
  });
  const token = (JSON.parse(tokenAnswer.body) as { access_token: string }).access_token;

  const run = async (nodes: number): Promise<Record<string, unknown>> => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: Number(values.connections) });
    const until = Date.now() + Number(values.seconds) * 1_000;
    const counts = new Map<number, number>();
    const byNode = new Map<string, number>();
    let i = 0;
    const call = (): Promise<void> => new Promise((resolve) => {
      const body = JSON.stringify({ idNumber: people[i++ % people.length], sex: 'M' });
      const req = http.request({
        host: '127.0.0.1', port: ports.balancer, path: '/x/services/verify', method: 'POST', agent,
        headers: { authorization: `Bearer ${token}`, 'x-request-id': randomUUID(), 'x-officer-id': agency.officerId, 'x-case-reference': 'HS-1', 'x-purpose': 'KYC', 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      }, (res) => {
        res.resume();
        res.on('end', () => {
          counts.set(res.statusCode ?? 0, (counts.get(res.statusCode ?? 0) ?? 0) + 1);
          const node = res.headers['x-sachsong-node'];
          if (typeof node === 'string') byNode.set(node, (byNode.get(node) ?? 0) + 1);
          resolve();
        });
      });
      req.on('error', () => { counts.set(0, (counts.get(0) ?? 0) + 1); resolve(); });
      req.end(body);
    });
    const started = Date.now();
    await Promise.all(Array.from({ length: Number(values.connections) }, async () => { while (Date.now() < until) await call(); }));
    const seconds = (Date.now() - started) / 1_000;
    agent.destroy();
    const ok = counts.get(200) ?? 0;
    return { nodes, seconds, verifyPerSecond: Math.round(ok / seconds), statuses: Object.fromEntries(counts), byNode: Object.fromEntries(byNode), loadAverage: os.loadavg().map((l) => l.toFixed(1)) };
  };

  const two = await run(2);
  console.log(JSON.stringify(two));
  // One node: the second stopped, and the balancer's check takes it out of turn.
  process.kill(Number(readFileSync(path.join(cluster.dir, 'node2.pid'), 'utf8')), 'SIGTERM');
  await eventually('node 2 out of the balancer', 30_000, () => Promise.resolve(/sachsong node 2 :\d+: down/.test(cluster.run('status').stdout) ? true : undefined));
  const one = await run(1);
  console.log(JSON.stringify(one));
  const records = await clusterSql<{ n: number }>(ports.pgPrimary, 'SELECT count(*)::int AS n FROM access_records');
  console.log(JSON.stringify({ twoOverOne: Number(two.verifyPerSecond) / Math.max(1, Number(one.verifyPerSecond)), accessRecords: records[0]?.n }));
} finally {
  cluster.remove();
}
