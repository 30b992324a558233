import Fastify, { type FastifyInstance } from 'fastify';
import * as openid from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerErrorHandler } from '../src/http/error-handler.js';
import { createIdentityModule, type IdentityModule } from '../src/identity/identity.module.js';
import { loadOidcKeys } from '../src/identity/oidc.keys.js';
import { registerOfficerSignIn } from '../src/identity/oidc.routes.js';
import { registerOfficerEnrolment } from '../src/identity/enrolment.routes.js';
import { scryptPasswordHasher } from '../src/identity/password.hasher.js';
import { movableClock, officerFactory, totpCode, type TestOfficer } from './officer-accounts.js';
import { testAdminActor } from './officer-session.js';
import { createTestDatabase } from './test-database.js';
import { CookieJar as Jar } from './cookie-jar.js';

/**
 * The officers' OpenID provider (/oidc) with openid-client as a relying party: discovery, code +
 * PKCE, the interaction form (password + TOTP), the ID token verified; and the attacks the
 * provider must refuse. Then the console's backend-for-frontend (/auth/*).
 */

type Store = Awaited<ReturnType<typeof createTestDatabase>>;
let store: Store;
let app: FastifyInstance;
let origin: string;
let identity: IdentityModule;
let officer: TestOfficer;
const clock = movableClock();
const sprayLimit = 8;


async function get(jar: Jar, url: string): Promise<Response> {
  const response = await fetch(new URL(url, origin), { redirect: 'manual', headers: { cookie: jar.header() } });
  jar.take(response);
  return response;
}

async function postForm(jar: Jar, url: string, form: Record<string, string>): Promise<Response> {
  const response = await fetch(new URL(url, origin), { method: 'POST', redirect: 'manual', headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  jar.take(response);
  return response;
}

function location(response: Response): string {
  const to = response.headers.get('location');
  if (to === null) throw new Error(`expected a redirect, got ${String(response.status)}`);
  return new URL(to, origin).href;
}

/** Follows an authorization request through the sign-in form; returns the redirect back to the client. */
async function authorize(jar: Jar, authUrl: string, code?: string): Promise<string> {
  const started = await get(jar, authUrl);
  expect(started.status).toBe(303);
  const interaction = location(started);
  expect(new URL(interaction).pathname).toMatch(/^\/oidc\/interaction\/[\w-]+$/);
  const page = await get(jar, interaction);
  expect(page.status).toBe(200);
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  clock.advance(30_000);
  const submitted = await postForm(jar, `${interaction}/login`, { csrf, username: officer.username, password: officer.password, code: code ?? totpCode(officer.seed, clock.now()) });
  expect(submitted.status).toBe(303);
  const resumed = await get(jar, location(submitted));
  expect(resumed.status).toBe(303);
  return location(resumed);
}

let rp: openid.Configuration;
let redirectUri: string;

beforeAll(async () => {
  store = await createTestDatabase('sqlite');
  identity = createIdentityModule({ db: store.db, clock, hasher: scryptPasswordHasher({ params: { ln: 10, r: 8, p: 1 } }) });
  officer = await officerFactory(identity, clock).create({ username: 'canbo.binh', displayName: 'Trần Văn Bình', role: 'national_officer', unit: { level: 'nation' } });
  app = Fastify({ logger: false });
  registerErrorHandler(app);
  // Failed sign-ins per address: a low limit, reached by the credential-stuffing test at the end.
  await registerOfficerSignIn(app, { db: store.db, auth: identity.auth, clock, signInThrottle: { maxFailures: sprayLimit } });
  await registerOfficerEnrolment(app, { auth: identity.auth });
  origin = await app.listen({ host: '127.0.0.1', port: 0 });
  redirectUri = `${origin}/auth/callback`;
  // Discovery starts the provider; its keys (and the console's secret) are then in the store.
  const probe = await fetch(`${origin}/oidc/.well-known/openid-configuration`);
  expect(probe.status).toBe(200);
  const keys = await loadOidcKeys(store.db, new Date().toISOString());
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- the test server speaks plain HTTP on loopback
  rp = await openid.discovery(new URL(`${origin}/oidc`), 'sachsong-console', keys.consoleClientSecret, undefined, { execute: [openid.allowInsecureRequests] });
});

afterAll(async () => {
  await app.close();
  await store.close();
});

async function pkce(): Promise<{ verifier: string; challenge: string; state: string; nonce: string }> {
  const verifier = openid.randomPKCECodeVerifier();
  return { verifier, challenge: await openid.calculatePKCECodeChallenge(verifier), state: openid.randomState(), nonce: openid.randomNonce() };
}

describe('the officers\' OpenID provider with openid-client as relying party', () => {
  it('discovery names the issuer under /oidc, code flow and S256 only', () => {
    const meta = rp.serverMetadata();
    expect(meta.issuer).toBe(`${origin}/oidc`);
    expect(meta.response_types_supported).toEqual(['code']);
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.jwks_uri).toBe(`${origin}/oidc/jwks`);
  });

  it('signs an officer in with password and TOTP: code + PKCE, the ID token verified with sub, name, role and unit', async () => {
    const p = await pkce();
    const url = openid.buildAuthorizationUrl(rp, { redirect_uri: redirectUri, scope: 'openid profile officer', code_challenge: p.challenge, code_challenge_method: 'S256', state: p.state, nonce: p.nonce });
    const back = await authorize(new Jar(), url.href);
    const tokens = await openid.authorizationCodeGrant(rp, new URL(back), { pkceCodeVerifier: p.verifier, expectedState: p.state, expectedNonce: p.nonce, idTokenExpected: true });
    const claims = tokens.claims();
    expect(claims).toMatchObject({ sub: officer.officerId, name: 'Trần Văn Bình', role: 'national_officer', unit: { level: 'nation' }, iss: `${origin}/oidc`, aud: 'sachsong-console' });

    // The same code a second time is refused (and revokes what it gave).
    await expect(openid.authorizationCodeGrant(rp, new URL(back), { pkceCodeVerifier: p.verifier, expectedState: p.state, expectedNonce: p.nonce })).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses an authorization request without PKCE', async () => {
    const p = await pkce();
    const url = openid.buildAuthorizationUrl(rp, { redirect_uri: redirectUri, scope: 'openid', state: p.state, nonce: p.nonce });
    const response = await get(new Jar(), url.href);
    expect(response.status).toBe(303);
    const back = new URL(location(response));
    expect(back.origin + back.pathname).toBe(redirectUri);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('refuses a redirect URI the client did not register, without redirecting to it', async () => {
    const p = await pkce();
    const url = openid.buildAuthorizationUrl(rp, { redirect_uri: 'https://attacker.example/callback', scope: 'openid', code_challenge: p.challenge, code_challenge_method: 'S256', state: p.state });
    const response = await get(new Jar(), url.href);
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('invalid_redirect_uri');
  });

  it('refuses a code whose PKCE verifier is not the one that started the flow', async () => {
    const p = await pkce();
    const url = openid.buildAuthorizationUrl(rp, { redirect_uri: redirectUri, scope: 'openid', code_challenge: p.challenge, code_challenge_method: 'S256', state: p.state, nonce: p.nonce });
    const back = await authorize(new Jar(), url.href);
    await expect(openid.authorizationCodeGrant(rp, new URL(back), { pkceCodeVerifier: openid.randomPKCECodeVerifier(), expectedState: p.state, expectedNonce: p.nonce })).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('the relying party refuses an answer whose state is not the one it sent', async () => {
    const p = await pkce();
    const url = openid.buildAuthorizationUrl(rp, { redirect_uri: redirectUri, scope: 'openid', code_challenge: p.challenge, code_challenge_method: 'S256', state: p.state, nonce: p.nonce });
    const back = await authorize(new Jar(), url.href);
    const refused = await openid.authorizationCodeGrant(rp, new URL(back), { pkceCodeVerifier: p.verifier, expectedState: openid.randomState(), expectedNonce: p.nonce }).then(() => undefined, (error: unknown) => error as Error & { cause?: Error });
    expect(refused?.cause?.message).toMatch(/"state"/);
  });

  it('a wrong code re-shows the form with the generic message; the interaction form needs its hidden token', async () => {
    const p = await pkce();
    const url = openid.buildAuthorizationUrl(rp, { redirect_uri: redirectUri, scope: 'openid', code_challenge: p.challenge, code_challenge_method: 'S256', state: p.state, nonce: p.nonce });
    const jar = new Jar();
    const interaction = location(await get(jar, url.href));
    const html = await (await get(jar, interaction)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    expect(html).not.toMatch(/<script|style=/);

    const forged = await postForm(jar, `${interaction}/login`, { csrf: 'x', username: officer.username, password: officer.password, code: '000000' });
    expect(forged.status).toBe(400);

    const noCookie = await postForm(new Jar(), `${interaction}/login`, { csrf, username: officer.username, password: officer.password, code: '000000' });
    expect(noCookie.status).toBe(400);

    clock.advance(30_000);
    const wrong = totpCode(officer.seed, new Date(clock.now().getTime() + 10 * 60_000));
    const failed = await postForm(jar, `${interaction}/login`, { csrf, username: officer.username, password: officer.password, code: wrong });
    expect(failed.status).toBe(401);
    const text = await failed.text();
    expect(text).toContain('Tên đăng nhập, mật khẩu hoặc mã xác thực không đúng.');
    expect(text).not.toContain(officer.password);
    // A right attempt afterwards goes through (one failure does not lock).
    const ok = await postForm(jar, `${interaction}/login`, { csrf, username: officer.username, password: officer.password, code: totpCode(officer.seed, clock.now()) });
    expect(ok.status).toBe(303);
  });
});

describe('the console\'s backend-for-frontend', () => {
  it('/auth/login → provider → /auth/callback opens a console session; a tampered state is refused; logout ends it', async () => {
    const jar = new Jar();
    const login = await get(jar, '/auth/login');
    expect(login.status).toBe(303);
    expect(jar.has('sachsong_signin')).toBe(true);
    const authUrl = new URL(location(login));
    expect(authUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authUrl.searchParams.get('prompt')).toBe('login');
    const back = new URL(await authorize(jar, authUrl.href));
    expect(back.pathname).toBe('/auth/callback');

    const tampered = new URL(back);
    tampered.searchParams.set('state', openid.randomState());
    const refused = await get(jar, tampered.href);
    expect(refused.status).toBe(400);
    expect(jar.has('sachsong_session')).toBe(false);

    // The flow cookie was spent by the refused attempt: start again.
    const again = await get(jar, '/auth/login');
    const back2 = await authorize(jar, location(again));
    const done = await get(jar, back2);
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/');
    expect(jar.has('sachsong_session')).toBe(true);

    const forged = await fetch(`${origin}/auth/logout`, { method: 'POST', headers: { cookie: jar.header() } });
    expect(forged.status).toBe(403);

    const sessionCookie = /sachsong_session=([^;]+)/.exec(jar.header())?.[1] ?? '';
    const csrf = identity.auth.csrfToken(sessionCookie);
    await expect(identity.auth.authenticate(sessionCookie, { unsafe: false })).resolves.toMatchObject({ officer: { officerId: officer.officerId } });
    const out = await fetch(`${origin}/auth/logout`, { method: 'POST', headers: { cookie: jar.header(), 'x-csrf-token': csrf } });
    expect(out.status).toBe(200);
    const { location: end } = (await out.json()) as { location: string };
    expect(new URL(end).pathname).toBe('/oidc/session/end');
    await expect(identity.auth.authenticate(sessionCookie, { unsafe: false })).rejects.toMatchObject({ code: 'SESSION_INVALID' });
  });
});

describe('credential stuffing from one address', () => {
  it('after the failures an address may make, refuses even right credentials with 429 and Retry-After until the window ends', async () => {
    const p = await pkce();
    const url = openid.buildAuthorizationUrl(rp, { redirect_uri: redirectUri, scope: 'openid', code_challenge: p.challenge, code_challenge_method: 'S256', state: p.state, nonce: p.nonce });
    const jar = new Jar();
    const interaction = location(await get(jar, url.href));
    const csrf = /name="csrf" value="([^"]+)"/.exec(await (await get(jar, interaction)).text())?.[1] ?? '';
    // A spray: one password tried on many accounts (none of them locks: one failure each). The
    // address already failed once above (the wrong-code test): it has sprayLimit - 1 left.
    const statuses: number[] = [];
    for (let i = 0; i < sprayLimit; i++) {
      statuses.push((await postForm(jar, `${interaction}/login`, { csrf, username: `canbo.${String(i)}`, password: 'Matkhau@2026', code: '123456' })).status);
    }
    expect(statuses).toEqual([...Array.from({ length: sprayLimit - 1 }, () => 401), 429]);
    clock.advance(30_000);
    const right = { csrf, username: officer.username, password: officer.password, code: totpCode(officer.seed, clock.now()) };
    const blocked = await postForm(jar, `${interaction}/login`, right);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await blocked.text()).toContain('Quá nhiều lần đăng nhập sai từ mạng này.');
    // The account itself is not locked: once the address's window has ended, the same sign-in goes through.
    clock.advance(15 * 60_000);
    const ok = await postForm(jar, `${interaction}/login`, { ...right, code: totpCode(officer.seed, clock.now()) });
    expect(ok.status).toBe(303);
  });
});

describe('enrolment pages', () => {
  const post = (path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${origin}${path}`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString() });

  it('refuses a form posted from another site, and an unknown code, without starting anything; never cached', async () => {
    const { enrolmentToken, officer: created } = await identity.officers.createOfficer(testAdminActor, { username: 'canbo.enrol', displayName: 'Vũ Thị Lan', role: 'auditor', unit: { level: 'nation' } });
    const forged = await post('/auth/enrol/begin', { token: enrolmentToken }, { origin: 'https://attacker.example' });
    expect(forged.status).toBe(403);
    const pending = await store.db.selectFrom('identity_officers').select('totp_secret').where('officer_id', '=', created.officerId).executeTakeFirstOrThrow();
    expect(pending.totp_secret).toBeNull();
    const unknown = await post('/auth/enrol/begin', { token: 'x'.repeat(43) });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('Mã kích hoạt không đúng');
    const started = await post('/auth/enrol/begin', { token: enrolmentToken }, { origin });
    expect(started.status).toBe(200);
    expect(started.headers.get('cache-control')).toBe('no-store');
    const page = await started.text();
    expect(page).toContain('<svg');
    const seed = (/data-testid="enrol-secret">([A-Z2-7 ]+)</.exec(page)?.[1] ?? '').replaceAll(' ', '');
    const wrong = await post('/auth/enrol/complete', { token: enrolmentToken, username: 'canbo.enrol', password: 'một câu đủ dài để nhớ 2026', code: totpCode(seed, new Date(clock.now().getTime() + 10 * 60_000)) });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('Mã 6 số không đúng');
    const done = await post('/auth/enrol/complete', { token: enrolmentToken, username: 'canbo.enrol', password: 'một câu đủ dài để nhớ 2026', code: totpCode(seed, clock.now()) });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Tài khoản đã được kích hoạt');
  });
});
