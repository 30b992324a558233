import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import type { AccessLog } from '../src/audit/access-log.types.js';
import { parseLeaf, type CanonicalAccessRecord } from '../src/audit/access-record.js';
import { defaultTokenAudience } from '../src/exchange/agency-auth.service.js';
import { openAccessLog, type AppendingAccessLog } from '../src/audit/access-log.service.js';
import { openAccessLogStore } from '../src/audit/access-log.store.js';
import { buildApp, type AppDeps } from '../src/http/app.js';
import type { OfficialReadSink } from '../src/http/official-reads.js';
import type { Database } from '../src/store/database.js';
import { generatePopulation } from '../src/registry/population.generator.js';
import type { Clock } from '../src/shared/clock.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import type { Dialect } from '../src/store/dialect.js';
import type { RouteOptions } from 'fastify';
import path from 'node:path';
import { createTestDatabase } from './test-database.js';
import { serviceAccountHeaders, signInOfficer, testIdentity, type SignedInOfficer } from './officer-session.js';
import type { IdentityModule } from '../src/identity/identity.module.js';
import { permissions, type Role } from '../src/identity/authorization.policy.js';
import type { UnitInput } from '../src/identity/unit.directory.js';

/** A clock the test moves by hand. */
export interface MovableClock extends Clock {
  advance(ms: number): void;
}

export function movableClock(at: string): MovableClock {
  let t = Date.parse(at);
  return { now: () => new Date(t), advance: (ms) => { t += ms; } };
}

/** An agency's subsystem as the test drives it: its id and private key. */
export interface TestAgency {
  readonly clientId: string;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: Record<string, unknown>;
  readonly officerId: string;
}

export async function makeAgencyKeys(clientId: string, officerId = 'officer-1'): Promise<TestAgency> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const kid = `k-${randomUUID().slice(0, 8)}`;
  return { clientId, kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' }, officerId };
}

/** An RFC 7523 client assertion for the agency; claims may be overridden to forge bad ones. */
export async function clientAssertion(agency: TestAgency, clock: Clock, overrides: { readonly aud?: string; readonly iss?: string; readonly expIn?: number; readonly jti?: string; readonly key?: CryptoKey } = {}): Promise<string> {
  const now = Math.floor(clock.now().getTime() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'EdDSA', kid: agency.kid })
    .setIssuer(overrides.iss ?? agency.clientId)
    .setSubject(overrides.iss ?? agency.clientId)
    .setAudience(overrides.aud ?? defaultTokenAudience)
    .setIssuedAt(now)
    .setExpirationTime(now + (overrides.expIn ?? 120))
    .setJti(overrides.jti ?? randomUUID())
    .sign(overrides.key ?? agency.privateKey);
}

export interface ExchangeFixture {
  readonly app: FastifyInstance;
  readonly database: Awaited<ReturnType<typeof createTestDatabase>>;
  /** Where the access log is: its own file beside a SQLite store (as `sachsong serve` has it), else the store. */
  readonly accessLogDatabase: Database;
  /** Resolves once every access record acknowledged so far is in the tree (the access journal folded): call before reading accessLogDatabase. */
  settled(): Promise<void>;
  readonly clock: MovableClock;
  readonly operatorToken: string;
  /** Officers and service accounts of the app (a cheap password hash). */
  readonly identity: IdentityModule;
  /** Living adults with a household, for calls. */
  readonly people: readonly string[];
  readonly routes: readonly RouteOptions[];
  close(): Promise<void>;
}

export const operatorToken = 'exchange-test-operator-token-0123456789';

/** The whole app on a fresh store of the dialect with a small population; the clock is movable. */
export async function startExchangeFixture(dialect: Dialect, options: { readonly accessLog?: AccessLog; readonly webRoot?: string; readonly people?: number; readonly officialReads?: OfficialReadSink; readonly events?: AppDeps['events']; readonly cardIssuerKeys?: AppDeps['cardIssuerKeys'] } = {}): Promise<ExchangeFixture> {
  const database = await createTestDatabase(dialect);
  await loadPopulation(database, generatePopulation({ people: options.people ?? 300, seed: 11, today: '2026-01-01' }));
  const people = (await database.db
    .selectFrom('persons')
    .select('id_number')
    .where('status', '=', 'alive')
    .where('household_id', 'is not', null)
    .where('birth_date', 'like', '19__-__-__')
    .orderBy('id_number')
    .limit(50)
    .execute()).map((r) => r.id_number);
  const clock = movableClock('2026-03-01T08:00:00.000Z');
  const routes: RouteOptions[] = [];
  const accessLogStore = await openAccessLogStore(database, database.dialect === 'sqlite' ? path.join(path.dirname(database.location), 'access-log.db') : undefined);
  const identity = testIdentity(database.db, clock);
  // The log as the server opens it (with its journal on SQLite), kept here so that tests can wait for its fold.
  const accessLog = options.accessLog ?? openAccessLog(accessLogStore.database, { writerThread: accessLogStore.separate });
  const app = await buildApp({
    database,
    accessLogStore,
    clock,
    operatorToken,
    identity,
    logger: false,
    webRoot: options.webRoot ?? '/nonexistent-web-root',
    onRoute: (r) => routes.push(r),
    accessLog,
    ...(options.officialReads === undefined ? {} : { officialReads: options.officialReads }),
    ...(options.events === undefined ? {} : { events: options.events }),
    ...(options.cardIssuerKeys === undefined ? {} : { cardIssuerKeys: options.cardIssuerKeys }),
  });
  await app.ready();
  fixtures.set(app, { identity, clock });
  return {
    app,
    identity,
    database,
    accessLogDatabase: accessLogStore.database,
    settled: () => ('settled' in accessLog && typeof accessLog.settled === 'function' ? (accessLog as AppendingAccessLog).settled() : Promise.resolve()),
    clock,
    operatorToken,
    people,
    routes,
    close: async () => {
      await app.close();
      if (options.accessLog === undefined) await accessLog.close();
      await accessLogStore.close();
      await database.close();
    },
  };
}

const fixtures = new WeakMap<FastifyInstance, { readonly identity: IdentityModule; readonly clock: Clock }>();

/** Lets the fixture's helpers (onboard, grant, officerOf, adminKey) drive an app built elsewhere with this identity module. */
export function adoptApp(app: FastifyInstance, identity: IdentityModule, clock: Clock): void {
  fixtures.set(app, { identity, clock });
}

/** A freshly signed-in officer of the fixture's app (each call a new officer: a moved clock never finds its session idle). */
export async function officerOf(app: FastifyInstance, role: Role, unit: UnitInput = { level: 'nation' }): Promise<SignedInOfficer> {
  const fx = fixtures.get(app);
  if (fx === undefined) throw new Error('not an app of startExchangeFixture');
  return signInOfficer(fx.identity, fx.clock, { role, unit });
}

/** Headers of a freshly signed-in exchange administrator (what the operator token used to be for the exchange's administration). */
export async function exchangeAdminHeaders(app: FastifyInstance): Promise<Record<string, string>> {
  return { ...(await officerOf(app, 'exchange_admin')).headers };
}

const keys = new WeakMap<FastifyInstance, Record<string, string>>();

/**
 * Headers with a service account key of the fixture's app holding every permission but
 * identity.admin, made once per app: a key does not idle out when a test moves the clock.
 */
export async function adminKey(app: FastifyInstance): Promise<Record<string, string>> {
  const known = keys.get(app);
  if (known !== undefined) return known;
  const fx = fixtures.get(app);
  if (fx === undefined) throw new Error('not an app of startExchangeFixture');
  const { authorization } = await serviceAccountHeaders(fx.identity, permissions.filter((p) => p !== 'identity.admin'), { level: 'nation' }, 366);
  const headers = { authorization };
  keys.set(app, headers);
  return headers;
}

/** Onboards the agency's member and subsystem (and officer) through the admin API. */
export async function onboard(app: FastifyInstance, agency: TestAgency, kind = 'ministry'): Promise<void> {
  const [country, cls, member, subsystem] = agency.clientId.split('/');
  const res = await app.inject({
    method: 'POST',
    url: '/api/exchange/members',
    headers: await exchangeAdminHeaders(app),
    payload: { memberId: `${country}/${cls}/${member}`, name: `Agency ${member}`, kind, subsystems: [{ code: subsystem, name: 'portal', jwks: { keys: [agency.publicJwk] } }], officers: [{ officerId: agency.officerId, name: 'Officer One' }] },
  });
  if (res.statusCode !== 201) throw new Error(`onboard failed: ${res.statusCode} ${res.body}`);
}

export interface GrantOptions {
  readonly service: string;
  readonly fields: readonly string[];
  readonly provinces?: readonly string[];
  readonly purposes?: readonly { code: string; text: string }[];
  readonly requiresConsent?: boolean;
  readonly ratePerMinute?: number;
  readonly dailyCap?: number;
  readonly validUntil?: string;
}

export async function grant(app: FastifyInstance, clientId: string, g: GrantOptions): Promise<{ grantId: string }> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/exchange/grants',
    headers: await exchangeAdminHeaders(app),
    payload: {
      clientId,
      service: g.service,
      fields: g.fields,
      ...(g.provinces === undefined ? {} : { provinces: g.provinces }),
      purposes: g.purposes ?? [{ code: 'KYC', text: 'Xác minh khách hàng' }],
      legalBasis: 'Luật Căn cước 2023',
      requiresConsent: g.requiresConsent ?? false,
      validUntil: g.validUntil ?? '2027-01-01',
      ratePerMinute: g.ratePerMinute ?? 10_000,
      dailyCap: g.dailyCap ?? 1_000_000,
    },
  });
  if (res.statusCode !== 201) throw new Error(`grant failed: ${res.statusCode} ${res.body}`);
  return res.json<{ grantId: string }>();
}

/** Gets an access token for the agency. */
export async function accessToken(app: FastifyInstance, agency: TestAgency, clock: Clock): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/x/token',
    payload: { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: await clientAssertion(agency, clock) },
  });
  if (res.statusCode !== 200) throw new Error(`token failed: ${res.statusCode} ${res.body}`);
  return res.json<{ access_token: string }>().access_token;
}

/** The headers of a service call. */
export function callHeaders(token: string, agency: TestAgency, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    authorization: `Bearer ${token}`,
    'x-request-id': randomUUID(),
    'x-officer-id': agency.officerId,
    'x-case-reference': 'HS-2026-0001',
    'x-purpose': 'KYC',
    ...overrides,
  };
}

/** The access records written for a request id (read back from their leaves). */
export async function accessRecordsFor(fx: ExchangeFixture, requestId: string): Promise<readonly CanonicalAccessRecord[]> {
  await fx.settled();
  const rows = await fx.accessLogDatabase.db.selectFrom('access_records').select('leaf').orderBy('idx').execute();
  return rows.map((r) => parseLeaf(r.leaf)).filter((r): r is CanonicalAccessRecord => r?.requestId === requestId);
}
