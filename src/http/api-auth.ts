import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { authorize, permissionScopes, type Actor } from '../identity/authorization.policy.js';
import type { IdentityModule } from '../identity/identity.module.js';
import type { Officer, ServiceAccount, SessionInfo } from '../identity/identity.types.js';
import { DomainError } from '../shared/domain-error.js';
import { routeKey, routePermissions, type RouteAccess } from './route-permissions.js';
import { csrfTokenOf, sessionIdOf } from './session-cookie.js';

/** Who made an authenticated /api request: an officer by session cookie, or a service account by key. */
export type Principal =
  | { readonly kind: 'officer'; readonly actor: Actor; readonly officer: Officer; readonly session: SessionInfo; readonly sessionId: string }
  | { readonly kind: 'service_account'; readonly actor: Actor; readonly account: ServiceAccount };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route needs (route-permissions.ts); set on every /api route at registration. */
    permission?: RouteAccess;
  }
  interface FastifyRequest {
    /** The authenticated actor of an /api request; null on public, enrolment and bootstrap routes. */
    actor: Actor | null;
    principal: Principal | null;
  }
}

export interface ApiAuthOptions {
  readonly identity: IdentityModule;
  /** Accepted only by POST /api/identity/bootstrap. */
  readonly operatorToken: string;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
const unsafeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const credentialsMissing = (): DomainError =>
  new DomainError('unauthorized', 'CREDENTIALS_MISSING', 'this endpoint needs a signed-in officer or a service account key', 'Sign in to the console, or send Authorization: Bearer sk_… (a service account key)');
const credentialsInvalid = (): DomainError =>
  new DomainError('unauthorized', 'CREDENTIALS_INVALID', 'the credentials are not valid', 'Sign in again, or use a valid service account key');
const operatorTokenRefused = (): DomainError =>
  new DomainError('unauthorized', 'OPERATOR_TOKEN_REFUSED', 'the operator token only creates the first system administrator', 'Sign in as an officer, or use a service account key');

/** The authenticated actor of a request, or CREDENTIALS_MISSING (a route whose access needs none never calls this). */
export function actorOf(request: FastifyRequest): Actor {
  if (request.actor === null) throw credentialsMissing();
  return request.actor;
}

/** The signed-in officer's session of a request, or undefined for a service account. */
export function officerOf(request: FastifyRequest): Extract<Principal, { kind: 'officer' }> | undefined {
  return request.principal?.kind === 'officer' ? request.principal : undefined;
}

/**
 * Authentication and the first authorisation gate for everything under /api (register it in the
 * /api scope before the routes):
 * - every route added in the scope takes its access from route-permissions.ts, and one without a
 *   line there stops the server from starting;
 * - an officer is known by the session cookie (unsafe methods also need the session's CSRF token
 *   in X-CSRF-Token), a service account by `Authorization: Bearer sk_…`;
 * - the operator token is accepted by the bootstrap route alone (OPERATOR_TOKEN_REFUSED elsewhere);
 * - the actor must hold the route's permission (global permissions are fully decided here; person
 *   and unit scopes are narrowed by the handler with the person's ties or the unit asked for).
 */
export function registerApiAuth(api: FastifyInstance, options: ApiAuthOptions): void {
  const expected = digest(options.operatorToken);
  const isOperatorToken = (value: string): boolean => timingSafeEqual(digest(value), expected);
  const { identity } = options;

  api.decorateRequest('actor', null);
  api.decorateRequest('principal', null);

  api.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const accesses = new Set(methods.map((m) => routePermissions[routeKey(m, route.url)]));
    const [access] = accesses;
    if (access === undefined || accesses.size !== 1) {
      throw new Error(`${methods.join(',')} ${route.url} has no permission: add it to src/http/route-permissions.ts`);
    }
    route.config = { ...(route.config ?? {}), permission: access };
  });

  api.addHook('onRequest', async (request) => {
    if (request.is404) return;
    const access = request.routeOptions.config.permission;
    if (access === undefined) throw new Error('route without a permission'); // unreachable: onRoute refuses it
    if (access === 'enrolment') return;
    const bearer = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (access === 'bootstrap') {
      if (bearer === undefined) throw new DomainError('unauthorized', 'CREDENTIALS_MISSING', 'bootstrap needs the operator token', 'Send Authorization: Bearer <operator token>');
      if (!isOperatorToken(bearer)) throw new DomainError('unauthorized', 'CREDENTIALS_INVALID', 'the operator token is not valid', 'Use the token from the server configuration (SACHSONG_OPERATOR_TOKEN or data/operator-token)');
      return;
    }
    let principal: Principal;
    if (bearer !== undefined) {
      if (bearer.startsWith('sk_')) {
        const { account, actor } = await identity.serviceAccounts.authenticate(bearer);
        principal = { kind: 'service_account', actor, account };
      } else if (isOperatorToken(bearer)) {
        throw operatorTokenRefused();
      } else {
        throw credentialsInvalid();
      }
    } else {
      const sessionId = sessionIdOf(request);
      if (sessionId === undefined) throw credentialsMissing();
      const { actor, officer, session } = await identity.auth.authenticate(sessionId, { unsafe: unsafeMethods.has(request.method), csrfToken: csrfTokenOf(request) });
      principal = { kind: 'officer', actor, officer, session, sessionId };
    }
    request.principal = principal;
    request.actor = principal.actor;
    if (access === 'authenticated') return;
    // Global permissions are decided whole; person and unit ones need the role here, the place in the handler.
    authorize(principal.actor, access, permissionScopes[access] === 'global' ? undefined : { kind: 'unit', unit: principal.actor.unit });
  });
}
