import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLeaf } from '../src/audit/access-record.js';
import { subscriptionRepository } from '../src/events/subscription.repository.js';
import { ExchangeDirectory } from '../src/exchange/exchange.directory.js';
import { GrantService } from '../src/exchange/grant.service.js';
import { MemberService } from '../src/exchange/member.service.js';
import { permissions } from '../src/identity/authorization.policy.js';
import { generatePopulation } from '../src/registry/population.generator.js';
import { systemClock } from '../src/shared/clock.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { replicaApplicationName } from '../src/store/read-replica.js';
import { recordMoves } from './change-events.harness.js';
import { clusterRun, clusterSql, eventually, throughBalancer, type Answer } from './cluster.harness.js';
import { clientAssertion, makeAgencyKeys, type TestAgency } from './exchange.fixture.js';
import { serviceAccountHeaders, testIdentity } from './officer-session.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

// Faults on a cluster of scripts/cluster.sh (docs/cluster.md): reads on the replica and without
// it, replays across nodes refused through NATS, NATS servers stopped, the replica promoted, a
// revocation seen by every node. Recovery times are printed as `[cluster-timing]` lines.
const cluster = clusterRun({ balancer: 18390, pgPrimary: 15633, pgReplica: 15634, nats: 14522 });
const { ports } = cluster;
const pgBin = '/usr/lib/postgresql/15/bin';
const timing = (what: string, ms: number): void => { console.log(`[cluster-timing] ${what}: ${ms} ms`); };

/** pg_ctl as PostgreSQL's user when the tests run as root. */
async function pgCtl(...args: string[]): Promise<number> {
  const command = [path.join(pgBin, 'pg_ctl'), ...args];
  const child = process.getuid?.() === 0 ? spawn('runuser', ['-u', 'postgres', '--', ...command], { stdio: 'ignore' }) : spawn(command[0] ?? '', command.slice(1), { stdio: 'ignore' });
  const [code] = (await once(child, 'exit')) as [number];
  return code;
}

/** scripts/cluster.sh without blocking the event loop (calls go on while it runs). */
async function clusterAsync(...args: string[]): Promise<number> {
  const child = spawn('scripts/cluster.sh', args, { env: { ...process.env, SACHSONG_CLUSTER_DIR: cluster.dir, SACHSONG_CLUSTER_PORT_BASE: String(ports.balancer), PG_PRIMARY_PORT: String(ports.pgPrimary), PG_REPLICA_PORT: String(ports.pgReplica), NATS_PORT_BASE: String(ports.nats) }, stdio: 'ignore' });
  const [code] = (await once(child, 'exit')) as [number];
  return code;
}

let store: Database;
let people: readonly string[];
let keyHeaders: Record<string, string>;
let agency: TestAgency;
let verifyGrantId: string;
let receiver: WebhookReceiver;

/**
 * A token as a client gets one across a fault: a 503 (or a connection closed without an answer)
 * is sent again after Retry-After with a new assertion, since the refused one may have claimed its jti.
 */
async function accessToken(): Promise<string> {
  for (const until = Date.now() + 60_000; ;) {
    const answer = await throughBalancer(ports.balancer, {
      method: 'POST', path: '/x/token',
      body: { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: await clientAssertion(agency, systemClock) },
    }).catch((error: unknown): Answer => ({ status: 0, node: null, retryAfter: null, body: String(error) }));
    if (answer.status === 200) return (JSON.parse(answer.body) as { access_token: string }).access_token;
    if ((answer.status !== 503 && answer.status !== 0) || Date.now() > until) throw new Error(`token: ${answer.status} ${answer.body}`);
    console.log(`[cluster-timing] token call answered ${answer.status}, sent again: ${codeOf(answer) ?? answer.body.slice(0, 80)}`);
    await new Promise((resolve) => setTimeout(resolve, 1_000 * Number(answer.retryAfter ?? 1)));
  }
}

/** A verify call through the balancer, or to one node's port. */
function verify(token: string, requestId: string, person: string, port = ports.balancer): Promise<Answer> {
  return throughBalancer(port, {
    method: 'POST', path: '/x/services/verify', body: { idNumber: person, sex: 'M' },
    headers: { authorization: `Bearer ${token}`, 'x-request-id': requestId, 'x-officer-id': agency.officerId, 'x-case-reference': 'HS-2026-0001', 'x-purpose': 'KYC' },
  });
}

function search(name: string): Promise<Answer> {
  return throughBalancer(ports.balancer, { path: `/api/persons?name=${encodeURIComponent(name)}`, headers: keyHeaders });
}

const codeOf = (answer: Answer): string | undefined => {
  try { return (JSON.parse(answer.body) as { code?: string }).code; } catch { return undefined; }
};

describe('the cluster under faults', () => {
  beforeAll(async () => {
    const up = cluster.run('up', '2');
    if (up.code !== 0) throw new Error(`cluster up failed (${up.code}): ${up.stderr}`);
    store = openDatabase({ databaseUrl: `postgres://postgres@127.0.0.1:${ports.pgPrimary}/sachsong`, poolSize: 3 });
    await loadPopulation(store, generatePopulation({ people: 300, seed: 11, today: '2026-01-01' }));
    people = (await store.db.selectFrom('persons').select('id_number').where('status', '=', 'alive').where('household_id', 'is not', null)
      .orderBy('id_number').limit(50).execute()).map((r) => r.id_number);
    keyHeaders = { authorization: (await serviceAccountHeaders(testIdentity(store.db, systemClock), permissions.filter((p) => p !== 'identity.admin'))).authorization };
    // An agency onboarded as an operator would from another machine: straight into the store.
    agency = await makeAgencyKeys('VN/COM/BANK/portal');
    const directory = new ExchangeDirectory({ db: store.db, clock: systemClock });
    await new MemberService({ db: store.db, clock: systemClock, directory }).onboard({
      memberId: 'VN/COM/BANK', name: 'Ngân hàng thử', kind: 'bank',
      subsystems: [{ code: 'portal', name: 'portal', jwks: { keys: [agency.publicJwk] } }], officers: [{ officerId: agency.officerId, name: 'Officer One' }],
    });
    const grants = new GrantService({ db: store.db, clock: systemClock, directory });
    const grantOf = { purposes: [{ code: 'KYC', text: 'Xác minh khách hàng' }], legalBasis: 'Luật Căn cước 2023', validUntil: '2099-01-01', ratePerMinute: 1_000_000, dailyCap: 1_000_000_000 };
    verifyGrantId = (await grants.add({ ...grantOf, clientId: agency.clientId, service: 'verify', fields: ['sex'] })).grantId;
    const changes = await grants.add({ ...grantOf, clientId: agency.clientId, service: 'changes', fields: ['residence_change', 'permanentResidence'] });
    receiver = await startWebhookReceiver();
    const at = new Date().toISOString();
    await subscriptionRepository.insert(store.db, {
      subscriptionId: randomUUID(), clientId: agency.clientId, grantId: changes.grantId, officerId: agency.officerId, purposeCode: 'KYC',
      kinds: ['residence_change'], fields: ['permanentResidence'], provinces: [], url: receiver.url, status: 'active', fromSeq: 0, lastError: null, createdAt: at, updatedAt: at,
    });
  }, 300_000);

  afterAll(async () => {
    // Set only when the cluster came up (beforeAll may have failed before).
    await (receiver as WebhookReceiver | undefined)?.close();
    await (store as Database | undefined)?.close();
    cluster.remove();
  }, 120_000);

  it('serves searches from the replica, and from the primary while the replica is down', async () => {
    const name = (await store.db.selectFrom('persons').select('full_name').where('id_number', '=', people[0] ?? '').executeTakeFirstOrThrow()).full_name;
    const before = await Promise.all([search(name), search(name)]);
    expect(before.map((a) => a.status)).toEqual([200, 200]);
    expect(new Set(before.map((a) => a.node))).toEqual(new Set(['node1', 'node2']));
    // The nodes' read connections are on the replica, under their own application name; none on the primary.
    const on = async (port: number): Promise<number> => (await clusterSql<{ n: number }>(port, 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [replicaApplicationName]))[0]?.n ?? 0;
    expect(await on(ports.pgReplica)).toBeGreaterThan(0);
    expect(await on(ports.pgPrimary)).toBe(0);

    expect(await pgCtl('-D', path.join(cluster.dir, 'pg', 'replica'), '-m', 'fast', '-w', 'stop')).toBe(0);
    const stoppedAt = Date.now();
    const without = await Promise.all([search(name), search(name), search(name), search(name)]);
    timing('searches answered with the replica stopped (first 4)', Date.now() - stoppedAt);
    expect(without.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    const persons = (a: Answer): unknown => (JSON.parse(a.body) as { persons: unknown }).persons;
    for (const a of without) expect(persons(a)).toEqual(persons(before[0]));

    expect(await pgCtl('-D', path.join(cluster.dir, 'pg', 'replica'), '-l', path.join(cluster.dir, 'pg', 'replica.log'), '-w', 'start')).toBe(0);
    await eventually('the replica streaming again', 30_000, async () => ((await clusterSql<{ state: string }>(ports.pgPrimary, 'SELECT state FROM pg_stat_replication'))[0]?.state === 'streaming' ? true : undefined));
    // After its pause the handle tries the replica again, and the reads go back to it.
    await eventually('reads back on the replica', 30_000, async () => {
      await search(name);
      return (await on(ports.pgReplica)) > 0 ? true : undefined;
    });
  }, 120_000);

  it('refuses a request id replayed on the other node: the replay memory is the NATS cluster\'s', async () => {
    const token = await accessToken();
    const requestId = randomUUID();
    const first = await verify(token, requestId, people[1] ?? '');
    expect(first.status).toBe(200);
    const replays = [await verify(token, requestId, people[1] ?? ''), await verify(token, requestId, people[1] ?? '')];
    expect(replays.map((a) => [a.status, codeOf(a)])).toEqual([[409, 'REQUEST_REPLAYED'], [409, 'REQUEST_REPLAYED']]);
    // Round robin: one of the two replays went to the node that did not take the call.
    expect(replays.some((a) => a.node !== first.node)).toBe(true);
    // Kept by the three NATS servers, not in the store's table.
    const jsz = (await (await fetch(`http://127.0.0.1:${ports.nats + 4000}/jsz?streams=true&config=true`)).json()) as { account_details?: { stream_detail?: { name: string; config?: { num_replicas?: number }; state: { messages: number } }[] }[] };
    const stream = jsz.account_details?.flatMap((a) => a.stream_detail ?? []).find((s) => s.name === 'SACHSONG_REPLAY');
    expect(stream?.config?.num_replicas).toBe(3);
    expect(stream?.state.messages).toBeGreaterThanOrEqual(2);
    expect(await clusterSql<{ n: number }>(ports.pgPrimary, 'SELECT count(*)::int AS n FROM exchange_replay_claims')).toEqual([{ n: 0 }]);
  }, 60_000);

  it('keeps events flowing with one NATS server stopped; with two, the outbox holds them until one is back, then delivers every one', async () => {
    const moved = async (count: number): Promise<string[]> => {
      const ids: string[] = [];
      await recordMoves(store, count, (id) => ids.push(id));
      return ids;
    };
    const delivered = (ids: readonly string[]): boolean => ids.every((id) => receiver.unique().has(id));
    const warmup = await moved(3);
    await eventually('events delivered with three servers', 60_000, () => Promise.resolve(delivered(warmup) ? true : undefined));

    expect(cluster.run('nats', 'stop', '0').code).toBe(0);
    const oneDown = Date.now();
    const token = await accessToken();
    const calls = await Promise.all(people.slice(0, 4).map((p) => verify(token, randomUUID(), p)));
    expect(calls.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    const withTwo = await moved(10);
    await eventually('events delivered with two servers of three', 60_000, () => Promise.resolve(delivered(withTwo) ? true : undefined));
    timing('one NATS server stopped: 10 events recorded and delivered', Date.now() - oneDown);

    expect(cluster.run('nats', 'stop', '1').code).toBe(0);
    const held = await moved(10);
    // Without quorum nothing can be published: the events wait in the outbox. Watched for 5 s.
    const cursor = async (): Promise<number> => (await clusterSql<{ seq: number }>(ports.pgPrimary, "SELECT seq::int AS seq FROM event_cursors WHERE name = 'jetstream'"))[0]?.seq ?? 0;
    const last = (await clusterSql<{ seq: number }>(ports.pgPrimary, 'SELECT max(seq)::int AS seq FROM event_outbox'))[0]?.seq ?? 0;
    for (const until = Date.now() + 5_000; Date.now() < until;) {
      expect(await cursor()).toBeLessThan(last);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(held.some((id) => receiver.unique().has(id))).toBe(false);

    expect(cluster.run('nats', 'start', '1').code).toBe(0);
    const back = Date.now();
    await eventually('held events delivered once quorum is back', 90_000, () => Promise.resolve(delivered([...warmup, ...withTwo, ...held]) ? true : undefined));
    timing('two NATS servers stopped, one started again: the 10 held events delivered', Date.now() - back);
    expect(cluster.run('nats', 'start', '0').code).toBe(0);
  }, 300_000);

  it('promotes the replica under calls: callers get 200 or 503, and every acknowledged access record is on the new primary', async () => {
    const token = await accessToken();
    const answers: { requestId: string; answer: Answer }[] = [];
    let promoting: Promise<number> | undefined;
    const promoted: { at?: number } = {};
    let startedAt = 0;
    let firstOkAfter: number | undefined;
    for (let i = 0; ; i++) {
      const requestId = randomUUID();
      const answer = await verify(token, requestId, people[i % people.length] ?? '').catch((error: unknown) => ({ status: 0, node: null, retryAfter: null, body: String(error) }));
      answers.push({ requestId, answer });
      if (i === 20) {
        startedAt = Date.now();
        promoting = clusterAsync('promote').then((code) => { promoted.at = Date.now(); return code; });
      }
      if (promoting !== undefined && answer.status !== 200 && firstOkAfter === undefined) firstOkAfter = -1;
      if (firstOkAfter === -1 && answer.status === 200) firstOkAfter = Date.now();
      if (promoted.at !== undefined && answers.slice(-20).every((a) => a.answer.status === 200)) break;
      if (answer.status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await promoting).toBe(0);
    timing('replica promoted: from the old primary fenced to the promote command done (nodes restarted)', (promoted.at ?? 0) - startedAt);
    if (firstOkAfter !== undefined && firstOkAfter > 0) timing('replica promoted: from the old primary fenced to the first call answered 200 again', firstOkAfter - startedAt);
    // A connection the balancer closed without an answer (status 0: a node stopping as it took
    // the call) is no answer, as a 503 is: the caller sends again with a fresh request id.
    const dropped = answers.filter((a) => a.answer.status === 0);
    if (dropped.length > 0) console.log(`[cluster-timing] promotion: ${dropped.length} calls without an answer: ${dropped.map((a) => a.answer.body).join('; ')}`);
    for (const { answer } of answers) {
      expect([0, 200, 503]).toContain(answer.status);
      if (answer.status === 503) expect(answer.retryAfter).toBe('2');
    }
    expect(await clusterSql<{ recovery: boolean }>(ports.pgReplica, 'SELECT pg_is_in_recovery() AS recovery')).toEqual([{ recovery: false }]);
    const acknowledged = answers.filter((a) => a.answer.status === 200).map((a) => a.requestId);
    const leaves = await clusterSql<{ idx: number; leaf: string }>(ports.pgReplica, 'SELECT idx::int AS idx, leaf FROM access_records ORDER BY idx');
    const recorded = new Set(leaves.map((l) => parseLeaf(l.leaf)?.requestId));
    expect(acknowledged.filter((id) => !recorded.has(id))).toEqual([]);
    // One sequence, no gap.
    expect(leaves.map((l) => l.idx)).toEqual(leaves.map((_, i) => i));
    console.log(`[cluster-timing] promotion: ${acknowledged.length} calls acknowledged, ${answers.length - acknowledged.length} answered 503, ${leaves.length} records on the new primary`);
  }, 300_000);

  it('holds a grant revoked outside the nodes on every node\'s next call', async () => {
    // The store is the promoted replica now.
    await store.close();
    store = openDatabase({ databaseUrl: `postgres://postgres@127.0.0.1:${ports.pgReplica}/sachsong`, poolSize: 3 });
    const token = await accessToken();
    // Each node called directly: its next call after the revocation, whatever the balancer's turn.
    const atEach = (): Promise<Answer[]> => Promise.all([1, 2].map((n) => verify(token, randomUUID(), people[2] ?? '', ports.balancer + n)));
    const before = await atEach();
    expect(before.map((a) => a.status)).toEqual([200, 200]);
    await new GrantService({ db: store.db, clock: systemClock, directory: new ExchangeDirectory({ db: store.db, clock: systemClock }) }).revoke(verifyGrantId);
    const after = await atEach();
    expect(after.map((a) => [a.status, codeOf(a)])).toEqual([[403, 'SERVICE_NOT_GRANTED'], [403, 'SERVICE_NOT_GRANTED']]);
  }, 60_000);
});
