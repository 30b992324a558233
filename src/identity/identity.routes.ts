import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { actorOf, officerOf } from '../http/api-auth.js';
import { clearSessionCookie } from '../http/session-cookie.js';
import { DomainError } from '../shared/domain-error.js';
import { isRole, permissionsOf, roles, type Unit } from './authorization.policy.js';
import type { IdentityModule } from './identity.module.js';
import type { Officer, ServiceAccount, SessionInfo } from './identity.types.js';
import type { Enrolment } from './officer-admin.service.js';
import type { UnitInput } from './unit.directory.js';

export interface IdentityRoutesOptions {
  readonly identity: IdentityModule;
  /** Whether cookies carry `Secure` regardless of the request's scheme (config). */
  readonly secureCookies: boolean;
}

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T): ReturnType<typeof Type.Union<[T, ReturnType<typeof Type.Null>]>> => Type.Union([t, Type.Null()]);

const UnitView = Type.Object({
  level: Type.Union([Type.Literal('nation'), Type.Literal('province'), Type.Literal('commune')]),
  code: Type.Optional(Type.String()),
  province: Type.Optional(Type.String()),
});
const UnitBody = Type.Object({
  level: Type.Union([Type.Literal('nation'), Type.Literal('province'), Type.Literal('commune')]),
  code: Type.Optional(Type.String({ pattern: '^[0-9]{2}([0-9]{3})?$', description: '2-digit province or 5-digit 2025 commune code' })),
}, { additionalProperties: false });
const RoleSchema = Type.Union(roles.map((r) => Type.Literal(r)));

const OfficerView = Type.Object({
  officerId: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
  role: Type.String(),
  unit: UnitView,
  status: Type.String(),
  enrolled: Type.Boolean(),
  enrolmentPending: Type.Boolean(),
  lockedUntil: Nullable(Type.String()),
  lastSignInAt: Nullable(Type.String()),
  createdBy: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
const EnrolmentView = Type.Object({ officer: OfficerView, enrolmentToken: Type.String(), enrolmentExpiresAt: Type.String() });
const SessionView = Type.Object({
  sessionRef: Type.String(),
  officerId: Type.String(),
  createdAt: Type.String(),
  lastSeenAt: Type.String(),
  idleExpiresAt: Type.String(),
  absoluteExpiresAt: Type.String(),
  revokedAt: Nullable(Type.String()),
  current: Type.Boolean(),
});
const ServiceAccountView = Type.Object({
  accountId: Type.String(),
  name: Type.String(),
  scopes: Type.Array(Type.String()),
  unit: UnitView,
  keyId: Type.String(),
  expiresAt: Type.String(),
  status: Type.String(),
  revokedAt: Nullable(Type.String()),
  lastUsedAt: Nullable(Type.String()),
  createdBy: Type.String(),
  createdAt: Type.String(),
});
const OfficerIdParam = Type.Object({ officerId: Type.String({ minLength: 1, maxLength: 64 }) });
const Token = Type.String({ minLength: 16, maxLength: 128 });

const unitInput = (u: { readonly level: 'nation' | 'province' | 'commune'; readonly code?: string | undefined }): UnitInput =>
  u.level === 'nation' ? { level: 'nation' } : { level: u.level, code: u.code ?? '' };
type UnitOut = Static<typeof UnitView>;
type OfficerOut = Static<typeof OfficerView>;
type EnrolmentOut = Static<typeof EnrolmentView>;
type AccountOut = Static<typeof ServiceAccountView>;
type SessionOut = Static<typeof SessionView>;
const unitView = (u: Unit): UnitOut =>
  u.level === 'nation' ? { level: 'nation' } : u.level === 'province' ? { level: 'province', code: u.code } : { level: 'commune', code: u.code, province: u.province };
const officerView = (o: Officer): OfficerOut => ({ ...o, unit: unitView(o.unit) });
const enrolmentView = (e: Enrolment): EnrolmentOut => ({ officer: officerView(e.officer), enrolmentToken: e.enrolmentToken, enrolmentExpiresAt: e.enrolmentExpiresAt });
const accountView = (a: ServiceAccount): AccountOut => ({ ...a, scopes: [...a.scopes], unit: unitView(a.unit) });
const sessionView = (s: SessionInfo, currentRef: string | undefined): SessionOut => ({ ...s, current: s.sessionRef === currentRef });

/**
 * Officers and service accounts over HTTP: the bootstrap (operator token, once), enrolment of the
 * second factor (the one-time token is the credential), who am I, sign-out and sessions, and the
 * administration of officers and service accounts (identity.admin; lists identity.read).
 * Signing in is the OpenID provider's interaction, not a route here.
 */
export const identityRoutes: FastifyPluginAsyncTypebox<IdentityRoutesOptions> = (app, { identity, secureCookies }) => {
  const tags = ['identity'];

  app.post('/identity/bootstrap', {
    schema: {
      tags,
      summary: 'Create the first system administrator (operator token; refused once one exists: BOOTSTRAP_CLOSED)',
      security: [{ operatorToken: [] }],
      body: Type.Object({ username: Type.String({ maxLength: 64 }), displayName: Type.String({ maxLength: 200 }) }, { additionalProperties: false }),
      response: { 201: EnrolmentView },
    },
  }, async (request, reply) => reply.status(201).send(enrolmentView(await identity.officers.bootstrapFirstAdmin(request.body))));

  app.post('/identity/enrolment/begin', {
    schema: {
      tags,
      summary: 'Start enrolment with the one-time token: a fresh authenticator seed and its otpauth URI (for the QR code)',
      security: [],
      body: Type.Object({ enrolmentToken: Token }, { additionalProperties: false }),
      response: { 200: Type.Object({ officerId: Type.String(), username: Type.String(), totpSecret: Type.String(), otpauthUri: Type.String() }) },
    },
  }, async (request, reply) => reply.header('cache-control', 'no-store').send(await identity.auth.beginEnrolment(request.body.enrolmentToken)));

  app.post('/identity/enrolment/complete', {
    schema: {
      tags,
      summary: 'Finish enrolment: set the password and confirm the authenticator with its first code',
      security: [],
      body: Type.Object({ enrolmentToken: Token, password: Type.String({ maxLength: 1024 }), code: Type.String({ pattern: '^[0-9]{6}$' }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ officer: OfficerView }) },
    },
  }, async (request) => ({ officer: officerView(await identity.auth.completeEnrolment(request.body)) }));

  app.get('/identity/me', {
    schema: {
      tags,
      summary: 'Who is calling: the officer or service account, role, unit, permissions and (officers) the CSRF token for unsafe requests',
      response: {
        200: Type.Object({
          kind: Type.String(),
          id: Type.String(),
          role: Nullable(Type.String()),
          unit: UnitView,
          permissions: Type.Array(Type.String()),
          officer: Type.Optional(OfficerView),
          serviceAccount: Type.Optional(ServiceAccountView),
          session: Type.Optional(SessionView),
          csrfToken: Type.Optional(Type.String()),
        }),
      },
    },
  }, (request, reply) => {
    const actor = actorOf(request);
    const signedIn = officerOf(request);
    const principal = request.principal;
    void reply.header('cache-control', 'no-store');
    return {
      kind: actor.kind,
      id: actor.id,
      role: actor.kind === 'officer' ? actor.role : null,
      unit: unitView(actor.unit),
      permissions: [...permissionsOf(actor)],
      ...(signedIn === undefined ? {} : {
        officer: officerView(signedIn.officer),
        session: sessionView(signedIn.session, signedIn.session.sessionRef),
        csrfToken: identity.auth.csrfToken(signedIn.sessionId),
      }),
      ...(principal?.kind === 'service_account' ? { serviceAccount: accountView(principal.account) } : {}),
    };
  });

  app.post('/identity/sign-out', {
    schema: { tags, summary: 'End this session and clear its cookie', response: { 204: Type.Null() } },
  }, async (request, reply) => {
    const signedIn = officerOf(request);
    if (signedIn !== undefined) await identity.auth.signOut(signedIn.sessionId);
    clearSessionCookie(reply, { secure: secureCookies || request.protocol === 'https' });
    return reply.status(204).send(null);
  });

  app.get('/identity/sessions', {
    schema: { tags, summary: 'My sessions, newest first (ended ones included)', response: { 200: Type.Object({ items: Type.Array(SessionView) }) } },
  }, async (request) => {
    const signedIn = officerOf(request);
    if (signedIn === undefined) return { items: [] };
    return { items: (await identity.auth.listSessions(signedIn.officer.officerId)).map((s) => sessionView(s, signedIn.session.sessionRef)) };
  });

  app.post('/identity/sessions/:sessionRef/revoke', {
    schema: { tags, summary: 'End one of my sessions (or anyone\'s, for a system administrator)', params: Type.Object({ sessionRef: Type.String({ minLength: 1, maxLength: 128 }) }), response: { 204: Type.Null() } },
  }, async (request, reply) => {
    await identity.auth.revokeSession(actorOf(request), request.params.sessionRef);
    return reply.status(204).send(null);
  });

  app.get('/identity/officers', {
    schema: {
      tags,
      summary: 'Officers, by role and status',
      querystring: Type.Object({ role: Type.Optional(Type.String({ maxLength: 32, description: roles.join(', ') })), status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('suspended')])) }),
      response: { 200: Type.Object({ items: Type.Array(OfficerView) }) },
    },
  }, async (request) => {
    const { role, status } = request.query;
    if (role !== undefined && !isRole(role)) throw new DomainError('invalid', 'ROLE_INVALID', 'no such role', `Use one of: ${roles.join(', ')}`);
    return { items: (await identity.officers.list(actorOf(request), { ...(role === undefined ? {} : { role }), ...(status === undefined ? {} : { status }) })).map(officerView) };
  });

  app.get('/identity/officer-names', {
    schema: {
      tags,
      summary: "Officers' display names by id (any signed-in actor): who acted, as pages show it",
      querystring: Type.Object({ ids: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 200 }) }),
      response: { 200: Type.Object({ items: Type.Array(Type.Object({ officerId: Type.String(), displayName: Type.String() })) }) },
    },
  }, async (request) => ({ items: [...(await identity.officers.names(request.query.ids))] }));

  app.get('/identity/officers/:officerId', {
    schema: { tags, summary: 'An officer', params: OfficerIdParam, response: { 200: OfficerView } },
  }, async (request) => officerView(await identity.officers.get(actorOf(request), request.params.officerId)));

  app.get('/identity/officers/:officerId/history', {
    schema: {
      tags, summary: "What administrators did to an officer: role and unit changes, second factor resets, suspensions (the administration log)", params: OfficerIdParam,
      response: { 200: Type.Object({ items: Type.Array(Type.Object({ actionId: Type.String(), at: Type.String(), actorId: Type.String(), action: Type.String(), subject: Type.String(), detail: Type.Record(Type.String(), Type.String()) })) }) },
    },
  }, async (request) => ({ items: (await identity.officers.history(actorOf(request), request.params.officerId)).map((a) => ({ ...a, detail: { ...a.detail } })) }));

  app.post('/identity/officers', {
    schema: {
      tags,
      summary: 'Create an officer; hand them the one-time enrolment token (shown once)',
      body: Type.Object({ username: Type.String({ maxLength: 64 }), displayName: Type.String({ maxLength: 200 }), role: RoleSchema, unit: UnitBody }, { additionalProperties: false }),
      response: { 201: EnrolmentView },
    },
  }, async (request, reply) => {
    const { username, displayName, role, unit } = request.body;
    return reply.status(201).send(enrolmentView(await identity.officers.createOfficer(actorOf(request), { username, displayName, role, unit: unitInput(unit) })));
  });

  const officerAction = (path: string, summary: string, act: (officerId: string, actor: ReturnType<typeof actorOf>) => Promise<Officer>): void => {
    app.post(`/identity/officers/:officerId/${path}`, {
      schema: { tags, summary, params: OfficerIdParam, response: { 200: OfficerView } },
    }, async (request) => officerView(await act(request.params.officerId, actorOf(request))));
  };
  officerAction('suspend', 'Suspend an officer (their sessions end)', (id, actor) => identity.officers.suspend(actor, id));
  officerAction('reactivate', 'Reactivate a suspended officer', (id, actor) => identity.officers.reactivate(actor, id));
  officerAction('unlock', 'Unlock an officer locked out by failed sign-ins', (id, actor) => identity.officers.unlock(actor, id));

  app.post('/identity/officers/:officerId/role', {
    schema: { tags, summary: "Change an officer's role and unit (their sessions end)", params: OfficerIdParam, body: Type.Object({ role: RoleSchema, unit: UnitBody }, { additionalProperties: false }), response: { 200: OfficerView } },
  }, async (request) => officerView(await identity.officers.changeRole(actorOf(request), request.params.officerId, request.body.role, unitInput(request.body.unit))));

  app.post('/identity/officers/:officerId/reset-second-factor', {
    schema: { tags, summary: "Reset an officer's authenticator: sessions end, a new enrolment token (shown once)", params: OfficerIdParam, response: { 200: EnrolmentView } },
  }, async (request) => enrolmentView(await identity.officers.resetSecondFactor(actorOf(request), request.params.officerId)));

  app.get('/identity/officers/:officerId/sessions', {
    schema: { tags, summary: "An officer's sessions", params: OfficerIdParam, response: { 200: Type.Object({ items: Type.Array(SessionView) }) } },
  }, async (request) => {
    const target = await identity.officers.get(actorOf(request), request.params.officerId);
    return { items: (await identity.auth.listSessions(target.officerId)).map((s) => sessionView(s, undefined)) };
  });

  app.get('/identity/service-accounts', {
    schema: { tags, summary: 'Service accounts', response: { 200: Type.Object({ items: Type.Array(ServiceAccountView) }) } },
  }, async (request) => ({ items: (await identity.serviceAccounts.list(actorOf(request))).map(accountView) }));

  app.post('/identity/service-accounts', {
    schema: {
      tags,
      summary: 'Create a service account for scripts: its key (Authorization: Bearer sk_…) is shown once',
      body: Type.Object({ name: Type.String({ maxLength: 200 }), scopes: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 32 }), unit: UnitBody, validDays: Type.Integer({ minimum: 1, maximum: 366 }) }, { additionalProperties: false }),
      response: { 201: Type.Object({ account: ServiceAccountView, apiKey: Type.String() }) },
    },
  }, async (request, reply) => {
    const { account, apiKey } = await identity.serviceAccounts.create(actorOf(request), { ...request.body, unit: unitInput(request.body.unit) });
    return reply.status(201).header('cache-control', 'no-store').send({ account: accountView(account), apiKey });
  });

  app.post('/identity/service-accounts/:accountId/revoke', {
    schema: { tags, summary: 'Revoke a service account (its key stops working at once)', params: Type.Object({ accountId: Type.String({ minLength: 1, maxLength: 64 }) }), response: { 200: ServiceAccountView } },
  }, async (request) => accountView(await identity.serviceAccounts.revoke(actorOf(request), request.params.accountId)));
  return Promise.resolve();
};
