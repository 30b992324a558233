import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { trackerPageView } from '../audit/tracker.view.js';
import { TrackerPageView } from '../audit/audit.schemas.js';
import type { AuditService } from '../audit/audit.service.js';
import type { RegistryService } from '../registry/registry.service.js';
import { DomainError } from '../shared/domain-error.js';
import type { AddressLimiter } from './attempt.limiter.js';
import type { CitizenModule } from './citizen.module.js';
import type { CitizenAccount } from './citizen.types.js';
import { signedInServiceRepository } from './signed-in-service.repository.js';
import type { Kysely } from 'kysely';
import type { AccessLog } from '../audit/access-log.types.js';
import type { Clock } from '../shared/clock.js';
import { recordOwnRead } from './portal.record.js';
import type { DB } from '../store/database.types.js';

export interface PortalRoutesOptions {
  readonly citizen: CitizenModule;
  readonly registry: RegistryService;
  readonly audit: AuditService;
  readonly db: Kysely<DB>;
  readonly secureCookies: boolean;
  readonly addressLimiter?: AddressLimiter;
  /** The citizen's reads of their own record leave an access record here (portal-pages.routes.ts's recordOwnRead). */
  readonly accessLog: AccessLog;
  readonly clock: Clock;
}

const cookieName = 'sachsong_citizen';
const cookiePath = '/citizen/portal';

/** The portal session's cookie (the pages of portal-pages.routes.ts share it). */
export function cookieOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined || header.length > 8192) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === cookieName) return pair.slice(eq + 1).trim();
  }
  return undefined;
}

export function setPortalCookie(reply: FastifyReply, value: string, maxAge: number | undefined, secure: boolean): void {
  void reply.header('set-cookie', [`${cookieName}=${value}`, `Path=${cookiePath}`, 'HttpOnly', 'SameSite=Strict', ...(maxAge === undefined ? [] : [`Max-Age=${String(maxAge)}`]), ...(secure ? ['Secure'] : [])].join('; '));
}

/** A device label from the user agent: a kind of system, never the string itself. */
export function deviceOf(request: FastifyRequest): string {
  const agent = request.headers['user-agent'] ?? '';
  return /Android/.test(agent) ? 'Android' : /iPhone|iPad/.test(agent) ? 'iOS' : /Windows/.test(agent) ? 'Windows' : /Mac OS/.test(agent) ? 'macOS' : /Linux/.test(agent) ? 'Linux' : 'other';
}

const AccountView = Type.Object({ accountId: Type.String(), level: Type.Integer(), status: Type.String(), totpEnrolled: Type.Boolean(), createdAt: Type.String() });
const accountView = (a: CitizenAccount): { accountId: string; level: number; status: string; totpEnrolled: boolean; createdAt: string } =>
  ({ accountId: a.accountId, level: a.level, status: a.status, totpEnrolled: a.totpEnrolled, createdAt: a.createdAt });

/**
 * The citizen's portal API (the pages are portal-pages.routes.ts): sign-in with the e-ID (a session cookie
 * on /citizen/portal, HttpOnly, SameSite=Strict; unsafe methods need X-CSRF-Token), my record and
 * household, my data-use log with its proofs (the tracker, now the citizen's own), the services I
 * signed in to with revoke, my sessions with revoke; level 2 by the card chip and the
 * authenticator's set-up.
 */
export const portalRoutes: FastifyPluginAsyncTypebox<PortalRoutesOptions> = (app, { citizen, registry, audit, db, secureCookies, addressLimiter, accessLog, clock }) => {
  const limiter = addressLimiter ?? citizen.addressLimits.portalSignIn;
  const tags = ['citizen portal'];
  const signedIn = async (request: FastifyRequest): Promise<Awaited<ReturnType<CitizenModule['accounts']['authenticate']>>> => {
    const csrf = request.headers['x-csrf-token'];
    return citizen.accounts.authenticate(cookieOf(request) ?? '', { unsafe: request.method !== 'GET', csrfToken: typeof csrf === 'string' ? csrf : undefined });
  };

  app.post('/citizen/portal/sign-in', {
    schema: { tags, summary: 'Sign in to the portal with the e-ID (the code of the authenticator gives level 2)', security: [],
      body: Type.Object({ idNumber: Type.String({ maxLength: 12 }), password: Type.String({ maxLength: 1024 }), code: Type.Optional(Type.String({ maxLength: 6 })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ account: AccountView, level: Type.Integer(), csrfToken: Type.String() }) } },
  }, async (request, reply) => {
    const until = await limiter.blockedUntil(request.ip);
    if (until !== undefined) throw new DomainError('rate_limited', 'TOO_MANY_ATTEMPTS', 'too many attempts from this address', 'Wait and try again', { retryAt: new Date(until).toISOString() });
    const code = request.body.code ?? '';
    let result;
    try {
      result = await citizen.accounts.verifySignIn({ idNumber: request.body.idNumber, password: request.body.password, code, level: code === '' ? 1 : 2 });
    } catch (error) {
      if (error instanceof DomainError && error.code === 'SIGN_IN_FAILED') await limiter.fail(request.ip);
      throw error;
    }
    const session = await citizen.accounts.openSession(result.account.accountId, result.level, deviceOf(request));
    setPortalCookie(reply, session.sessionId, undefined, secureCookies);
    return { account: accountView(result.account), level: result.level, csrfToken: session.csrfToken };
  });

  app.post('/citizen/portal/sign-out', { schema: { tags, summary: 'Sign out of the portal', security: [], response: { 204: Type.Null() } } }, async (request, reply) => {
    await signedIn(request);
    await citizen.accounts.signOut(cookieOf(request) ?? '');
    setPortalCookie(reply, '', 0, secureCookies);
    return reply.code(204).send(null);
  });

  app.get('/citizen/portal/me', {
    schema: { tags, summary: 'My account, my record and my household', security: [],
      response: { 200: Type.Object({
        account: AccountView,
        person: Type.Object({ idNumber: Type.String(), fullName: Type.String(), birthDate: Type.String(), sex: Type.String(), nationality: Type.String(), permanentAddress: Type.Union([Type.String(), Type.Null()]), currentAddress: Type.Union([Type.String(), Type.Null()]), updatedAt: Type.String() }),
        household: Type.Union([Type.Null(), Type.Object({ householdId: Type.String(), members: Type.Array(Type.Object({ fullName: Type.String(), relationshipToHead: Type.Union([Type.String(), Type.Null()]) })) })]),
      }) } },
  }, async (request) => {
    const { account } = await signedIn(request);
    const person = await registry.getPerson(account.personId);
    const household = person.householdId === null ? null : await registry.household(person.householdId);
    // The answer leaves only once the access record of this read is durable.
    await recordOwnRead(accessLog, clock, account, 'portal.me', ['fullName', 'birthDate', 'sex', 'nationality', 'permanentAddress', 'currentAddress', ...(household === null ? [] : ['household'])], request.id);
    return {
      account: accountView(account),
      person: { idNumber: person.idNumber, fullName: person.fullName, birthDate: person.birthDate, sex: person.sex, nationality: person.nationality, permanentAddress: person.permanentAddress, currentAddress: person.currentAddress, updatedAt: person.updatedAt },
      household: household === null ? null : { householdId: household.household.householdId, members: household.members.filter((m) => m.status === 'alive').map((m) => ({ fullName: m.fullName, relationshipToHead: m.relationshipToHead })) },
    };
  });

  app.get('/citizen/portal/access-records', {
    schema: { tags, summary: 'My data-use log: who received my data, when, why, under which law or consent, each entry with its inclusion proof', security: [],
      querystring: Type.Object({ before: Type.Optional(Type.Integer({ minimum: 0 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) }, { additionalProperties: false }),
      response: { 200: TrackerPageView } },
  }, async (request) => {
    const { account } = await signedIn(request);
    return trackerPageView(await audit.tracker(account.personId, { ...(request.query.limit === undefined ? {} : { limit: request.query.limit }), ...(request.query.before === undefined ? {} : { before: request.query.before }) }));
  });

  const ServiceView = Type.Object({ clientId: Type.String(), name: Type.String(), scopes: Type.Array(Type.String()), grantedAt: Type.Union([Type.String(), Type.Null()]) });
  app.get('/citizen/portal/services', {
    schema: { tags, summary: 'The services I signed in to and what I agreed they receive', security: [], response: { 200: Type.Array(ServiceView) } },
  }, async (request) => {
    const { account } = await signedIn(request);
    const out = [];
    for (const g of await signedInServiceRepository.ofAccount(db, account.accountId)) {
      const rp = await citizen.relyingParties.get(g.clientId).catch(() => undefined);
      out.push({ clientId: g.clientId, scopes: [...g.scopes], grantedAt: g.grantedAt, name: rp?.displayName ?? g.clientId });
    }
    return out;
  });

  app.post('/citizen/portal/services/revoke', {
    schema: { tags, summary: 'Withdraw my consent from a service: its tokens end and it must ask again', security: [], body: Type.Object({ clientId: Type.String({ maxLength: 200 }) }, { additionalProperties: false }), response: { 204: Type.Null() } },
  }, async (request, reply) => {
    const { account } = await signedIn(request);
    if (!(await signedInServiceRepository.revoke(db, account.accountId, request.body.clientId))) throw new DomainError('not_found', 'GRANT_NOT_FOUND', 'no such service of yours', 'List your services again');
    return reply.code(204).send(null);
  });

  const SessionView = Type.Object({ sessionRef: Type.String(), device: Type.String(), level: Type.Integer(), createdAt: Type.String(), lastSeenAt: Type.String(), current: Type.Boolean() });
  app.get('/citizen/portal/sessions', { schema: { tags, summary: 'My portal sessions and their devices', security: [], response: { 200: Type.Array(SessionView) } } }, async (request) => {
    const { account, sessionRef } = await signedIn(request);
    return (await citizen.accounts.listSessions(account.accountId)).map((s) => ({ ...s, current: s.sessionRef === sessionRef }));
  });

  app.post('/citizen/portal/sessions/:sessionRef/revoke', {
    schema: { tags, summary: 'End one of my sessions', security: [], params: Type.Object({ sessionRef: Type.String({ maxLength: 40 }) }), response: { 204: Type.Null() } },
  }, async (request, reply) => {
    const { account } = await signedIn(request);
    await citizen.accounts.revokeSession(account.accountId, request.params.sessionRef);
    return reply.code(204).send(null);
  });

  // Level 2 from the phone: the app reads the card chip over NFC and posts its signed data, then
  // sets up the authenticator (the same steps as the portal's security page).
  app.post('/citizen/portal/level2/chip', {
    schema: { tags, summary: 'Raise my account to level 2 by my ID card chip\'s data, signed by the card issuer (the card issuer\'s key is simulated here)', security: [],
      body: Type.Object({ data: Type.String({ maxLength: 8192, description: 'base64url of the chip data (JSON)' }), signature: Type.String({ maxLength: 200, description: 'base64url Ed25519 signature of the card issuer' }) }, { additionalProperties: false }),
      response: { 200: AccountView } },
  }, async (request) => {
    const { account } = await signedIn(request);
    return accountView(await citizen.accounts.activateLevel2ByChip(account.accountId, request.body));
  });

  app.post('/citizen/portal/totp', {
    schema: { tags, summary: 'Start setting up my authenticator (level 2): my password again; a confirmed one is replaced only from a level 2 session', security: [],
      body: Type.Object({ password: Type.String({ maxLength: 1024 }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ totpSecret: Type.String(), otpauthUri: Type.String() }) } },
  }, async (request, reply) => {
    const { account, level } = await signedIn(request);
    const started = await citizen.accounts.startTotpEnrolment(account.accountId, { password: request.body.password, sessionLevel: level });
    return reply.header('cache-control', 'no-store').send(started);
  });

  app.post('/citizen/portal/totp/confirm', {
    schema: { tags, summary: 'Confirm my authenticator with its first code', security: [],
      body: Type.Object({ code: Type.String({ maxLength: 6 }) }, { additionalProperties: false }),
      response: { 200: AccountView } },
  }, async (request) => {
    const { account } = await signedIn(request);
    return accountView(await citizen.accounts.confirmTotp(account.accountId, request.body.code));
  });
  return Promise.resolve();
};
