import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAccessLog } from '../src/audit/access-log.service.js';
import { openAccessLogStore } from '../src/audit/access-log.store.js';
import { parseLeaf } from '../src/audit/access-record.js';
import { defaultTokenAudience, jwtBearerAssertionType } from '../src/exchange/agency-auth.service.js';
import { createExchange } from '../src/exchange/exchange.module.js';
import { buildApp } from '../src/http/app.js';
import { VerifyService } from '../src/matching/verify.service.js';
import { generatePopulation } from '../src/registry/population.generator.js';
import { RegistryService } from '../src/registry/registry.service.js';
import type { DomainError } from '../src/shared/domain-error.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { adoptApp, callHeaders, clientAssertion, grant, makeAgencyKeys, movableClock, onboard, operatorToken, startExchangeFixture, type ExchangeFixture, type TestAgency } from './exchange.fixture.js';
import { testIdentity } from './officer-session.js';
import { createTestDatabase, dialects } from './test-database.js';

/** A server process on a store: its own connection(s), access log handle and exchange. */
interface Node {
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

const clock = movableClock('2026-03-01T08:00:00.000Z');

async function startNode(database: Database): Promise<Node> {
  const accessLogStore = await openAccessLogStore(database, database.dialect === 'sqlite' ? path.join(path.dirname(database.location), 'access-log.db') : undefined);
  const identity = testIdentity(database.db, clock);
  const app = await buildApp({ database, accessLogStore, clock, operatorToken, identity, logger: false, webRoot: '/nonexistent-web-root' });
  await app.ready();
  adoptApp(app, identity, clock);
  return { app, close: async () => { await app.close(); await accessLogStore.close(); } };
}

/** Another connection to the same store, as another process would have. */
const reopen = (database: Database): Database => openDatabase(database.dialect === 'sqlite' ? { sqliteFile: database.location } : { databaseUrl: database.location, poolSize: 4 });

const tokenForm = (assertion: string): Record<string, string> => ({ grant_type: 'client_credentials', client_assertion_type: jwtBearerAssertionType, client_assertion: assertion });

for (const dialect of dialects) {
  describe(`replays across restarts and nodes on ${dialect}`, () => {
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    let other: Database;
    let bank: TestAgency;
    let person: string;

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      await loadPopulation(database, generatePopulation({ people: 50, seed: 3, today: '2026-01-01' }));
      other = reopen(database);
      person = (await database.db.selectFrom('persons').select('id_number').where('status', '=', 'alive').limit(1).executeTakeFirstOrThrow()).id_number;
      bank = await makeAgencyKeys('VN/COM/REPLAY/ekyc');
      const setup = await startNode(database);
      await onboard(setup.app, bank, 'bank');
      await grant(setup.app, bank.clientId, { service: 'verify', fields: ['sex'] });
      await setup.close();
    });
    afterAll(async () => {
      await other.close();
      await database.close();
    });

    const token = async (app: FastifyInstance, assertion?: string) =>
      app.inject({ method: 'POST', url: '/x/token', payload: tokenForm(assertion ?? await clientAssertion(bank, clock)) });
    const verify = (app: FastifyInstance, accessToken: string, requestId: string) =>
      app.inject({ method: 'POST', url: '/x/services/verify', headers: callHeaders(accessToken, bank, { 'x-request-id': requestId }), payload: { idNumber: person, sex: 'M' } });
    const recordsFor = async (requestId: string): Promise<number> => {
      const logDb = dialect === 'sqlite' ? openDatabase({ sqliteFile: path.join(path.dirname(database.location), 'access-log.db') }) : undefined;
      try {
        const rows = await (logDb ?? database).db.selectFrom('access_records').select('leaf').execute();
        return rows.filter((r) => parseLeaf(r.leaf)?.requestId === requestId).length;
      } finally {
        await logDb?.close();
      }
    };

    it('refuses after a restart a request id and an assertion used before it, with no second record', async () => {
      const before = await startNode(database);
      const assertion = await clientAssertion(bank, clock);
      const issued = await token(before.app, assertion);
      expect(issued.statusCode, issued.body).toBe(200);
      const accessToken = issued.json<{ access_token: string }>().access_token;
      const requestId = randomUUID();
      expect((await verify(before.app, accessToken, requestId)).statusCode).toBe(200);
      await before.close();

      const after = await startNode(database);
      try {
        const replay = await verify(after.app, accessToken, requestId);
        expect(replay.statusCode).toBe(409);
        expect(replay.json()).toMatchObject({ code: 'REQUEST_REPLAYED' });
        expect(await recordsFor(requestId)).toBe(1);
        const again = await token(after.app, assertion);
        expect(again.statusCode).toBe(401);
        expect(again.json()).toMatchObject({ code: 'CLIENT_ASSERTION_REPLAYED' });
        // fresh ones still go through
        expect((await verify(after.app, accessToken, randomUUID())).statusCode).toBe(200);
        expect((await token(after.app)).statusCode).toBe(200);
      } finally {
        await after.close();
      }
    });

    it('refuses on one node a request id and an assertion used on another node of the same store', async () => {
      const a = await startNode(database);
      const b = await startNode(other);
      try {
        const assertion = await clientAssertion(bank, clock);
        const issued = await token(a.app, assertion);
        expect(issued.statusCode).toBe(200);
        const replayedAssertion = await token(b.app, assertion);
        expect(replayedAssertion.statusCode).toBe(401);
        expect(replayedAssertion.json()).toMatchObject({ code: 'CLIENT_ASSERTION_REPLAYED' });

        const accessToken = issued.json<{ access_token: string }>().access_token;
        const requestId = randomUUID();
        expect((await verify(a.app, accessToken, requestId)).statusCode).toBe(200);
        const replay = await verify(b.app, accessToken, requestId);
        expect(replay.statusCode).toBe(409);
        expect(replay.json()).toMatchObject({ code: 'REQUEST_REPLAYED' });
        expect(await recordsFor(requestId)).toBe(1);

        // Sent to both at once: one answer, one record.
        const raced = randomUUID();
        const both = await Promise.all([verify(a.app, accessToken, raced), verify(b.app, accessToken, raced)]);
        expect(both.map((r) => r.statusCode).sort()).toEqual([200, 409]);
        expect(await recordsFor(raced)).toBe(1);
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
}

describe('client assertion checks and the token endpoint throttle', () => {
  let fx: ExchangeFixture;
  let bank: TestAgency;

  beforeAll(async () => {
    fx = await startExchangeFixture('sqlite', { people: 50 });
    bank = await makeAgencyKeys('VN/COM/CHECK/ekyc');
    await onboard(fx.app, bank, 'bank');
    await grant(fx.app, bank.clientId, { service: 'verify', fields: ['sex'] });
  });
  afterAll(async () => {
    await fx.close();
  });

  const signed = (claims: { readonly iat?: number; readonly nbf?: number; readonly jti?: string }, agency = bank): Promise<string> => {
    const now = Math.floor(fx.clock.now().getTime() / 1000);
    const jwt = new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid: agency.kid }).setIssuer(agency.clientId).setSubject(agency.clientId).setAudience(defaultTokenAudience).setIssuedAt(claims.iat ?? now).setExpirationTime(now + 120);
    if (claims.nbf !== undefined) jwt.setNotBefore(claims.nbf);
    if (claims.jti !== undefined) jwt.setJti(claims.jti);
    return jwt.sign(agency.privateKey);
  };
  const post = (assertion: string, remoteAddress = '10.0.0.1') => fx.app.inject({ method: 'POST', url: '/x/token', remoteAddress, payload: tokenForm(assertion) });

  it('refuses an assertion issued or valid only in the future, and an empty or over-long jti', async () => {
    const now = Math.floor(fx.clock.now().getTime() / 1000);
    const aYear = 365 * 86_400;
    expect((await post(await signed({ iat: now + aYear, jti: randomUUID() }))).json()).toMatchObject({ status: 401, code: 'CLIENT_ASSERTION_NOT_YET_VALID' });
    expect((await post(await signed({ nbf: now + 3_600, jti: randomUUID() }))).json()).toMatchObject({ status: 401, code: 'CLIENT_ASSERTION_NOT_YET_VALID' });
    expect((await post(await signed({ jti: '' }))).json()).toMatchObject({ status: 401, code: 'CLIENT_ASSERTION_JTI_INVALID' });
    expect((await post(await signed({ jti: 'x'.repeat(129) }))).json()).toMatchObject({ status: 401, code: 'CLIENT_ASSERTION_JTI_INVALID' });
    // within the clock skew, and a 128-character jti, are fine
    expect((await post(await signed({ iat: now + 20, nbf: now + 20, jti: 'y'.repeat(128) }))).statusCode).toBe(200);
  });

  it('answers 429 with Retry-After past the limit per address and per claimed client', async () => {
    const flooder = await makeAgencyKeys('VN/COM/FLOOD/ekyc');
    await onboard(fx.app, flooder, 'bank');
    const stranger = await makeAgencyKeys(flooder.clientId);
    const forged = async (): Promise<string> => clientAssertion({ ...stranger, kid: flooder.kid }, fx.clock);
    const statuses: number[] = [];
    for (let i = 0; i < 125; i++) statuses.push((await fx.app.inject({ method: 'POST', url: '/x/token', remoteAddress: '10.0.0.9', payload: { grant_type: 'client_credentials' } })).statusCode);
    expect(statuses.slice(0, 120).every((s) => s === 400)).toBe(true);
    const limited = await fx.app.inject({ method: 'POST', url: '/x/token', remoteAddress: '10.0.0.9', payload: { grant_type: 'client_credentials' } });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toContain('application/problem+json');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ code: 'TOKEN_RATE_LIMITED', status: 429 });
    // one client id from many addresses
    const perClient: number[] = [];
    for (let i = 0; i < 65; i++) perClient.push((await post(await forged(), `10.1.0.${i}`)).statusCode);
    expect(perClient.slice(0, 60).every((s) => s === 401)).toBe(true);
    expect(perClient.slice(60).every((s) => s === 429)).toBe(true);
    // another client, from a fresh address, is not held back
    const other = await makeAgencyKeys('VN/COM/OTHER/ekyc');
    await onboard(fx.app, other, 'bank');
    expect((await post(await clientAssertion(other, fx.clock), '10.2.0.1')).statusCode).toBe(200);
  });

  it('raises a misuse alert for a client and an address sending many failed assertions', async () => {
    const target = await makeAgencyKeys('VN/COM/TARGET/ekyc');
    await onboard(fx.app, target, 'bank');
    const stranger = await makeAgencyKeys(target.clientId);
    for (let i = 0; i < 25; i++) expect((await post(await clientAssertion({ ...stranger, kid: target.kid }, fx.clock), '10.3.0.1')).statusCode).toBe(401);
    // stored once the app has settled its alerts (closing waits for them)
    await fx.app.close();
    const alerts = await fx.database.db.selectFrom('exchange_alerts').selectAll().where('client_id', '=', target.clientId).execute();
    expect(alerts.map((a) => `${a.subject_kind}:${a.subject_id}`).sort()).toEqual([`token-address:10.3.0.1`, `token-client:${target.clientId}`]);
    expect(alerts.every((a) => a.reads > 20)).toBe(true);
  });
});

describe('service calls take JSON only', () => {
  let fx: ExchangeFixture;
  let bank: TestAgency;
  let accessToken: string;

  beforeAll(async () => {
    fx = await startExchangeFixture('sqlite', { people: 50 });
    bank = await makeAgencyKeys('VN/COM/FORM/ekyc');
    await onboard(fx.app, bank, 'bank');
    await grant(fx.app, bank.clientId, { service: 'verify', fields: ['sex'] });
    const res = await fx.app.inject({ method: 'POST', url: '/x/token', payload: tokenForm(await clientAssertion(bank, fx.clock)) });
    accessToken = res.json<{ access_token: string }>().access_token;
  });
  afterAll(async () => {
    await fx.close();
  });

  it('refuses a form-encoded or text body with 415 and writes no record; JSON with a charset is answered', async () => {
    const id = fx.people[0] ?? '';
    for (const type of ['application/x-www-form-urlencoded', 'text/plain']) {
      const headers = callHeaders(accessToken, bank);
      const res = await fx.app.inject({ method: 'POST', url: '/x/services/verify', headers: { ...headers, 'content-type': type }, payload: type === 'text/plain' ? JSON.stringify({ idNumber: id, sex: 'M' }) : `idNumber=${id}&sex=M` });
      expect(res.statusCode, type).toBe(415);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'MEDIA_TYPE_UNSUPPORTED' });
      await fx.settled();
      const records = await fx.accessLogDatabase.db.selectFrom('access_records').select('leaf').execute();
      expect(records.filter((r) => parseLeaf(r.leaf)?.requestId === headers['x-request-id'])).toHaveLength(0);
    }
    const ok = await fx.app.inject({ method: 'POST', url: '/x/services/verify', headers: { ...callHeaders(accessToken, bank), 'content-type': 'application/json; charset=utf-8' }, payload: JSON.stringify({ idNumber: id, sex: 'M' }) });
    expect(ok.statusCode, ok.body).toBe(200);
  });
});

describe('each client has its own bound on remembered assertions', () => {
  it('refuses only the client past its bound, with an action, while another client gets its token', async () => {
    const database = await createTestDatabase('sqlite');
    const accessLog = openAccessLog(database);
    try {
      const exchange = await createExchange({ db: database.db, clock, accessLog, registry: new RegistryService({ db: database.db, clock }), verifier: new VerifyService({ db: database.db, clock }), maxAssertionsPerClient: 3 });
      const agencies = [await makeAgencyKeys('VN/COM/BULK/ekyc'), await makeAgencyKeys('VN/COM/CALM/ekyc')];
      for (const agency of agencies) {
        const [country, cls, member, subsystem] = agency.clientId.split('/');
        await exchange.members.onboard({ memberId: `${country ?? ''}/${cls ?? ''}/${member ?? ''}`, name: 'A', kind: 'bank', subsystems: [{ code: subsystem ?? '', name: 'app', jwks: { keys: [agency.publicJwk] } }], officers: [] });
      }
      const [bulk, calm] = agencies as [TestAgency, TestAgency];
      const issue = async (agency: TestAgency) => exchange.auth.issueToken({ grantType: 'client_credentials', clientAssertionType: jwtBearerAssertionType, clientAssertion: await clientAssertion(agency, clock) });
      for (let i = 0; i < 3; i++) await issue(bulk);
      const refused = await issue(bulk).then(() => undefined, (error: unknown) => error);
      expect(refused).toMatchObject({ code: 'CLIENT_ASSERTIONS_EXHAUSTED' });
      expect((refused as DomainError).action).toMatch(/Reuse/);
      expect(Number((refused as DomainError).details?.retryAfterSeconds)).toBeGreaterThan(0);
      await expect(issue(calm)).resolves.toMatchObject({ tokenType: 'Bearer' });
      // once its assertions expire, the client gets tokens again
      clock.advance(200_000);
      await expect(issue(bulk)).resolves.toMatchObject({ tokenType: 'Bearer' });
      await exchange.close();
    } finally {
      await accessLog.close();
      await database.close();
    }
  });
});
