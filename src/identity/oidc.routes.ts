import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { ClientMetadata } from 'oidc-provider';
import * as openid from 'openid-client';
import { clearSessionCookie, csrfTokenOf, sessionIdOf, setSessionCookie } from '../http/session-cookie.js';
import type { Clock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import { safeEqual } from './identity.tokens.js';
import type { OfficerAuthService } from './officer-auth.service.js';
import { loadOidcKeys, signingKeyIds, type OidcKeys } from './oidc.keys.js';
import { SignInThrottle, type SignInThrottleOptions } from './sign-in.throttle.js';
import type { AudienceInteraction } from './oidc.interaction.js';
import { consoleClientId, createOidcProvider, isFirstPartyClient, officerScopes, oidcMountPath, type OidcAudience, type OidcProvider } from './oidc.provider.js';
import { renderCallbackFailed, renderSignInForm, signInStylesheet, signInStylesheetPath, type SignInProblem } from './sign-in.page.js';

export interface OfficerSignInOptions {
  readonly db: Kysely<DB>;
  readonly auth: OfficerAuthService;
  readonly clock: Clock;
  /**
   * The address browsers reach the server at (config.publicUrl, e.g. https://registry.example.vn):
   * the issuer is `<publicUrl>/oidc`. Without it the listening address is used (loopback use).
   */
  readonly publicUrl?: string;
  /** Cookies carry `Secure` even over plain HTTP (behind a TLS proxy); with an https public URL they always do. */
  readonly secureCookies?: boolean;
  /** Relying parties besides the console (the citizen e-ID issue). */
  readonly relyingParties?: readonly ClientMetadata[];
  /** Failed sign-ins per network address (default 20 in 15 minutes): credential stuffing across accounts. */
  readonly signInThrottle?: SignInThrottleOptions;
  /** The citizen audience (src/citizen): its relying parties, accounts and claims. */
  readonly audience?: OidcAudience;
  /** Runs the interaction (sign-in, step-up, consent) of every client that is not first-party. */
  readonly audienceInteraction?: AudienceInteraction;
  /** The provider's outgoing requests (OidcProviderDeps.fetch; tests only). */
  readonly providerFetch?: typeof fetch;
}


interface Runtime {
  readonly oidc: OidcProvider;
  readonly keys: OidcKeys;
  readonly callback: ReturnType<OidcProvider['provider']['callback']>;
  readonly client: openid.Configuration;
  readonly secure: boolean;
}

const flowCookie = 'sachsong_signin';
const flowPath = '/auth/callback';
const flowTtlMs = 10 * 60_000;
/** How often a node asks the store whether the signing keys changed. */
const keyCheckMs = 60_000;
/** The provider reads at most this much of a body (oidc-provider's own limit). */
const bodyLimit = 56 * 1024;

function listeningOrigin(app: FastifyInstance): string {
  const address: AddressInfo | string | null = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the server is not listening on a TCP port: set the public URL');
  const host = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '[::1]' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${String(address.port)}`;
}

/** HMAC of an interaction's uid: the hidden field of its form (with the interaction cookie, SameSite=Lax). */
function interactionToken(keys: OidcKeys, uid: string): string {
  return createHmac('sha256', keys.consoleFlowKey).update(`interaction:${uid}`).digest('base64url');
}

interface Flow { readonly state: string; readonly nonce: string; readonly verifier: string; readonly expires: number }

function sealFlow(key: Buffer, flow: Flow): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(flow), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

function openFlow(key: Buffer, sealed: string, now: number): Flow | undefined {
  try {
    const raw = Buffer.from(sealed, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    const flow = JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')) as Flow;
    return typeof flow.expires === 'number' && flow.expires > now ? flow : undefined;
  } catch {
    return undefined;
  }
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined || header.length > 8192) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}

function flowCookieHeader(value: string, maxAgeSeconds: number, secure: boolean): string {
  return [`${flowCookie}=${value}`, `Path=${flowPath}`, 'HttpOnly', 'SameSite=Lax', `Max-Age=${String(maxAgeSeconds)}`, ...(secure ? ['Secure'] : [])].join('; ');
}

function problemOf(error: unknown): SignInProblem | undefined {
  if (!(error instanceof DomainError)) return undefined;
  if (error.code === 'SIGN_IN_FAILED') return 'failed';
  if (error.code === 'ACCOUNT_LOCKED') return 'locked';
  if (error.code === 'ACCOUNT_SUSPENDED') return 'suspended';
  return undefined;
}

function formField(body: unknown, name: string): string {
  if (!Buffer.isBuffer(body)) return '';
  const value = new URLSearchParams(body.toString('utf8')).get(name);
  return value ?? '';
}

/**
 * Officers sign in through the platform's OpenID provider:
 * - `/oidc/*`: the provider itself (discovery, authorize, token, JWKS, end session), handed the raw
 *   request in an encapsulated context whose content-type parser only buffers the body (≤ 56 KiB)
 *   for the provider to read;
 * - `/oidc/interaction/:uid`: the sign-in form (user name, password, TOTP code), checked by
 *   OfficerAuthService.verifySignIn; the first-party console's consent is given with the sign-in;
 * - `/auth/login`, `/auth/callback`, `POST /auth/logout`: the console's backend-for-frontend, a
 *   confidential client using openid-client (code + PKCE, state and nonce sealed in a 10-minute
 *   cookie), which opens the console session (OfficerAuthService.openSession) and sets its cookie.
 * The provider is built at the first request: its issuer may be the listening address.
 */
/** What the app may ask of the provider outside a request. */
export interface OidcSessionControl {
  /**
   * Ends an account's sessions at the provider: every relying party signed in through one that
   * registered a back-channel logout URI receives a signed logout token, then the sessions and
   * their grants are removed. Returns how many sessions ended and how many tokens were delivered.
   */
  endAccountSessions(accountId: string): Promise<{ readonly sessions: number; readonly notified: number }>;
}

export async function registerOfficerSignIn(app: FastifyInstance, options: OfficerSignInOptions): Promise<OidcSessionControl> {
  let runtime: Promise<Runtime> | undefined;
  // A key rotation (sachsong oidc rotate-keys) reaches every node within a minute: the provider is
  // built again when the signing keys in force change (its state lives in the store).
  let keysCheckedAt = 0;
  let loadedKeyIds = '';
  const resolve = async (): Promise<Runtime> => {
    const now = options.clock.now().getTime();
    // Either way: a clock stepped back must not stop the checks.
    if (runtime !== undefined && Math.abs(now - keysCheckedAt) >= keyCheckMs) {
      keysCheckedAt = now;
      const ids = await signingKeyIds(options.db, new Date(now).toISOString()).catch(() => loadedKeyIds);
      if (ids !== loadedKeyIds) runtime = undefined;
    }
    runtime ??= (async (): Promise<Runtime> => {
      const local = listeningOrigin(app);
      const origin = (options.publicUrl ?? local).replace(/\/+$/, '');
      const issuer = `${origin}${oidcMountPath}`;
      const loadedAt = options.clock.now();
      const keys = await loadOidcKeys(options.db, loadedAt.toISOString());
      loadedKeyIds = await signingKeyIds(options.db, loadedAt.toISOString());
      keysCheckedAt = loadedAt.getTime();
      const oidc = await createOidcProvider({
        db: options.db, issuer, keys,
        ...(options.relyingParties === undefined ? {} : { relyingParties: options.relyingParties }),
        ...(options.audience === undefined ? {} : { audience: options.audience }),
        ...(options.providerFetch === undefined ? {} : { fetch: options.providerFetch }),
      });
      const client = new openid.Configuration(
        {
          issuer,
          authorization_endpoint: `${issuer}/auth`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          end_session_endpoint: `${issuer}/session/end`,
          id_token_signing_alg_values_supported: ['RS256'],
          code_challenge_methods_supported: ['S256'],
        },
        consoleClientId,
        { client_secret: keys.consoleClientSecret, id_token_signed_response_alg: 'RS256' },
        openid.ClientSecretBasic(keys.consoleClientSecret),
      );
      // The backend calls its own provider in-process over loopback, whatever the public address.
      client[openid.customFetch] = (url: string, init: openid.CustomFetchOptions): Promise<Response> => {
        const target = new URL(url);
        const rewritten = target.origin === origin ? new URL(`${target.pathname}${target.search}`, local) : target;
        return fetch(rewritten, init as RequestInit);
      };
      // eslint-disable-next-line @typescript-eslint/no-deprecated -- loopback over plain HTTP; a public URL is https
      if (!issuer.startsWith('https:')) openid.allowInsecureRequests(client);
      return { oidc, keys, callback: oidc.provider.callback(), client, secure: (options.secureCookies ?? false) || origin.startsWith('https:') };
    })();
    runtime.catch(() => { runtime = undefined; });
    return runtime;
  };

  const prune = setInterval(() => {
    if (runtime === undefined) return;
    void runtime.then((r) => r.oidc.adapter.prune()).catch((error: unknown) => { app.log.warn({ err: { type: (error as Error).name } }, 'oidc payload pruning failed'); });
  }, 10 * 60_000);
  prune.unref();
  app.addHook('onClose', () => { clearInterval(prune); });

  const throttle = new SignInThrottle(options.clock, options.signInThrottle);

  // The provider and its interaction: bodies are only buffered, never parsed by Fastify.
  await app.register((scope: FastifyInstance, _opts, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, next) => { next(null, body); });

    scope.get(signInStylesheetPath, { schema: { hide: true } }, (_request, reply) =>
      reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(signInStylesheet));

    const showForm = (reply: FastifyReply, uid: string, keys: OidcKeys, status: number, problem?: SignInProblem, username?: string): FastifyReply =>
      reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(renderSignInForm({
        action: `${oidcMountPath}/interaction/${uid}/login`,
        csrfToken: interactionToken(keys, uid),
        ...(problem === undefined ? {} : { problem }),
        ...(username === undefined ? {} : { username }),
      }));
    const expired = (reply: FastifyReply): FastifyReply =>
      reply.code(400).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(renderCallbackFailed());

    /** Gives the first-party console its grant and ends the interaction (the provider redirects on). */
    const finish = async (request: FastifyRequest, reply: FastifyReply, r: Runtime, accountId: string | undefined, details: Awaited<ReturnType<OidcProvider['provider']['interactionDetails']>>): Promise<void> => {
      const { provider } = r.oidc;
      const clientId = String(details.params.client_id);
      const account = accountId ?? details.session?.accountId;
      if (account === undefined) throw new Error('no account to finish the interaction with');
      const grant = details.grantId === undefined ? new provider.Grant({ accountId: account, clientId }) : await provider.Grant.find(details.grantId);
      if (grant === undefined) throw new Error('grant not found');
      const requested = new Set(typeof details.params.scope === 'string' ? details.params.scope.split(' ') : []);
      grant.addOIDCScope(officerScopes.split(' ').filter((s) => requested.has(s)).join(' '));
      const grantId = await grant.save();
      reply.hijack();
      await provider.interactionFinished(request.raw, reply.raw, {
        ...(accountId === undefined ? {} : { login: { accountId, amr: ['pwd', 'otp'] } }),
        consent: { grantId },
      }, { mergeWithLastSubmission: false });
    };

    scope.get<{ Params: { uid: string } }>(`${oidcMountPath}/interaction/:uid`, { schema: { hide: true } }, async (request, reply) => {
      const r = await resolve();
      const details = await r.oidc.provider.interactionDetails(request.raw, reply.raw).catch(() => undefined);
      if (details?.uid !== request.params.uid) return expired(reply);
      const clientId = String(details.params.client_id);
      if (!isFirstPartyClient(clientId) && options.audienceInteraction !== undefined) {
        await options.audienceInteraction.show({ request, reply, provider: r.oidc.provider, details, csrfToken: interactionToken(r.keys, details.uid), form: new URLSearchParams() });
        return reply;
      }
      if (details.prompt.name === 'login') return showForm(reply, details.uid, r.keys, 200);
      // Only first-party clients skip the consent screen; the citizen audience's consent screen is issue 15's.
      if (details.prompt.name === 'consent' && isFirstPartyClient(clientId)) {
        await finish(request, reply, r, undefined, details);
        return reply;
      }
      return expired(reply);
    });

    scope.post<{ Params: { uid: string } }>(`${oidcMountPath}/interaction/:uid/login`, { schema: { hide: true } }, async (request, reply) => {
      const r = await resolve();
      const details = await r.oidc.provider.interactionDetails(request.raw, reply.raw).catch(() => undefined);
      if (details?.uid !== request.params.uid || details.prompt.name !== 'login') return expired(reply);
      if (!safeEqual(formField(request.body, 'csrf'), interactionToken(r.keys, details.uid))) return expired(reply);
      const username = formField(request.body, 'username').slice(0, 64);
      // Refused before the password is checked: a blocked address learns nothing of its guesses.
      const wait = throttle.blockedSeconds(request.ip);
      if (wait > 0) return showForm(reply.header('retry-after', String(wait)), details.uid, r.keys, 429, 'throttled', username);
      let officerId: string;
      try {
        officerId = (await options.auth.verifySignIn({ username, password: formField(request.body, 'password').slice(0, 1024), code: formField(request.body, 'code').slice(0, 16) })).officerId;
      } catch (error) {
        const problem = problemOf(error);
        if (problem === undefined) throw error;
        throttle.failed(request.ip);
        return showForm(reply, details.uid, r.keys, problem === 'suspended' ? 403 : 401, problem, username);
      }
      if (!isFirstPartyClient(String(details.params.client_id))) return expired(reply);
      await finish(request, reply, r, officerId, details);
      return reply;
    });

    scope.post<{ Params: { uid: string; step: string } }>(`${oidcMountPath}/interaction/:uid/audience/:step`, { schema: { hide: true } }, async (request, reply) => {
      const r = await resolve();
      const details = await r.oidc.provider.interactionDetails(request.raw, reply.raw).catch(() => undefined);
      if (details?.uid !== request.params.uid || options.audienceInteraction === undefined || isFirstPartyClient(String(details.params.client_id))) return expired(reply);
      const csrfToken = interactionToken(r.keys, details.uid);
      if (!safeEqual(formField(request.body, 'csrf'), csrfToken)) return expired(reply);
      const form = Buffer.isBuffer(request.body) ? new URLSearchParams(request.body.toString('utf8')) : new URLSearchParams();
      await options.audienceInteraction.submit(request.params.step, { request, reply, provider: r.oidc.provider, details, csrfToken, form });
      return reply;
    });

    const handOver = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      const r = await resolve();
      reply.hijack();
      const raw = request.raw as typeof request.raw & { originalUrl?: string; body?: unknown };
      raw.originalUrl = raw.url ?? oidcMountPath;
      raw.url = (raw.url ?? '/').slice(oidcMountPath.length) || '/';
      if (Buffer.isBuffer(request.body)) raw.body = request.body;
      await r.callback(raw, reply.raw);
    };
    scope.all(oidcMountPath, { schema: { hide: true } }, handOver);
    scope.all(`${oidcMountPath}/*`, { schema: { hide: true } }, handOver);
    done();
  });

  // The console's backend-for-frontend.
  app.get('/auth/login', { schema: { hide: true } }, async (_request, reply) => {
    const r = await resolve();
    const verifier = openid.randomPKCECodeVerifier();
    const flow: Flow = { state: openid.randomState(), nonce: openid.randomNonce(), verifier, expires: Date.now() + flowTtlMs };
    const url = openid.buildAuthorizationUrl(r.client, {
      redirect_uri: `${r.oidc.origin}/auth/callback`,
      scope: officerScopes,
      code_challenge: await openid.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
      // Every console session starts with the password and a code, never from the provider's own session.
      prompt: 'login',
    });
    return reply.header('set-cookie', flowCookieHeader(sealFlow(r.keys.consoleFlowKey, flow), flowTtlMs / 1000, r.secure)).header('cache-control', 'no-store').redirect(url.href, 303);
  });

  app.get('/auth/callback', { schema: { hide: true } }, async (request, reply) => {
    const r = await resolve();
    reply.header('cache-control', 'no-store').header('set-cookie', flowCookieHeader('', 0, r.secure));
    const sealed = cookieValue(request.headers.cookie, flowCookie);
    const flow = sealed === undefined ? undefined : openFlow(r.keys.consoleFlowKey, sealed, Date.now());
    const failed = (): FastifyReply => reply.code(400).type('text/html; charset=utf-8').send(renderCallbackFailed());
    if (flow === undefined) return failed();
    let officerId: string | undefined;
    try {
      const tokens = await openid.authorizationCodeGrant(r.client, new URL(request.url, r.oidc.origin), {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      officerId = tokens.claims()?.sub;
    } catch (error) {
      app.log.info({ err: { type: (error as Error).name, code: (error as { code?: unknown }).code } }, 'console sign-in callback refused');
      return failed();
    }
    if (officerId === undefined) return failed();
    let sessionId: string;
    try {
      sessionId = (await options.auth.openSession(officerId)).sessionId;
    } catch (error) {
      if (error instanceof DomainError) return failed();
      throw error;
    }
    setSessionCookie(reply, sessionId, { secure: r.secure });
    return reply.redirect('/', 303);
  });

  app.post('/auth/logout', { schema: { hide: true } }, async (request, reply) => {
    const r = await resolve();
    const sessionId = sessionIdOf(request);
    if (sessionId !== undefined) {
      try {
        await options.auth.authenticate(sessionId, { unsafe: true, csrfToken: csrfTokenOf(request) });
      } catch (error) {
        // A forged request (no CSRF token) ends nothing; an already ended session is just cleared.
        if (error instanceof DomainError && error.code === 'CSRF_INVALID') throw error;
      }
      await options.auth.signOut(sessionId);
    }
    clearSessionCookie(reply, { secure: r.secure });
    const end = openid.buildEndSessionUrl(r.client, { client_id: consoleClientId, post_logout_redirect_uri: `${r.oidc.origin}/` });
    return reply.header('cache-control', 'no-store').send({ location: end.href });
  });
  return {
    async endAccountSessions(accountId: string): Promise<{ readonly sessions: number; readonly notified: number }> {
      const { oidc } = await resolve();
      const sessions = await oidc.adapter.sessionsOf(accountId);
      let notified = 0;
      for (const session of sessions) {
        for (const [clientId, authorization] of Object.entries(session.authorizations)) {
          const client = await oidc.provider.Client.find(clientId);
          if (client?.backchannelLogoutUri !== undefined) {
            try {
              // oidc-provider's own delivery (the logout token signed as the client's ID tokens), not in its type declarations.
              await (client as unknown as { backchannelLogout(sub: string, sid: string): Promise<void> }).backchannelLogout(accountId, authorization.sid ?? '');
              notified += 1;
            } catch (error) {
              app.log.warn({ err: { type: (error as Error).name }, clientId }, 'back-channel logout not delivered');
            }
          }
          if (authorization.grantId !== undefined) await oidc.adapter.factory('Grant').revokeByGrantId(authorization.grantId);
        }
        await oidc.adapter.factory('Session').destroy(session.id);
      }
      return { sessions: sessions.length, notified };
    },
  };
}
