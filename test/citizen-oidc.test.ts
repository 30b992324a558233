import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JSONWebKeySet } from 'jose';
import * as openid from 'openid-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CitizenAccountService } from '../src/citizen/citizen-account.service.js';
import { argon2idPasswordHasher } from '../src/citizen/citizen-password.hasher.js';
import { acrLevel1, acrLevel2 } from '../src/citizen/citizen.types.js';
import { memoryOtpSender } from '../src/citizen/otp.sender.js';
import { simulatedCardIssuer, type ChipData } from '../src/citizen/card-chip.verifier.js';
import { RelyingPartyService } from '../src/citizen/relying-party.service.js';
import { memberRepository } from '../src/exchange/member.repository.js';
import { withCheckDigit } from '../src/matching/tax-code.js';
import { TaxCodeLinkService } from '../src/matching/tax-code-link.service.js';
import { buildApp } from '../src/http/app.js';
import { rotateSigningKey } from '../src/identity/oidc.keys.js';
import { totpCodeAt } from '../src/identity/totp.verifier.js';
import { RegistryService } from '../src/registry/registry.service.js';
import { fixedClock, systemClock } from '../src/shared/clock.js';
import { citizenLan, citizenMinh, registerCitizens } from './citizen.fixture.js';
import { createTestDatabase } from './test-database.js';
import { CookieJar as Jar } from './cookie-jar.js';

/**
 * The citizen audience of the one OpenID provider, driven by openid-client as real relying
 * parties (a bank and a shop, exchange members authenticating with their exchange keys): level 1
 * activation over HTTP, sign-in, the consent screen, claims at userinfo with their access records,
 * pairwise subjects, step-up to level 2, logout; and the attacks the provider must refuse.
 */

type Store = Awaited<ReturnType<typeof createTestDatabase>>;
let store: Store;
let app: FastifyInstance;
let origin: string;
const otp = memoryOtpSender();
/** The card issuer's document-signing key, simulated; the app is configured with its public half. */
const cardIssuer = simulatedCardIssuer();
const hasher = argon2idPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
const password = 'Hoa sen nở giữa đầm lầy';
let lanSeed = '';

/**
 * A relying party's back-channel logout endpoint, a real HTTP server on loopback: each POST's
 * body is handed to whoever waits for the next one.
 */
let receiver: Server;
let receiverOrigin = '';
const waiting: ((body: string) => void)[] = [];
const deliveries: string[] = [];
function nextDelivery(): Promise<string> {
  return new Promise((resolve) => { waiting.push(resolve); });
}
/** The provider's SSRF guard refuses loopback receivers: this test's own receiver is let through, nothing else. */
const loopbackReceiverFetch: typeof fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : input);
  if (url.origin !== receiverOrigin || init === undefined) return fetch(input, init);
  const rest: RequestInit & { dispatcher?: unknown } = { ...init };
  delete rest.dispatcher;
  return fetch(input, rest);
};


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
async function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(new URL(url, origin), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}
function location(response: Response): string {
  const to = response.headers.get('location');
  if (to === null) throw new Error(`expected a redirect, got ${String(response.status)}`);
  return new URL(to, origin).href;
}
const csrfOf = (html: string): string => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

interface TestRp { readonly clientId: string; readonly redirectUri: string; readonly config: openid.Configuration; readonly privateKey: CryptoKey; readonly kid: string }

async function onboardRp(code: string, host: string, claims: readonly string[], backchannelUri?: string): Promise<TestRp> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kid = `${code}-key-1`;
  const at = new Date().toISOString();
  const memberId = `VN/COM/${code}`;
  const clientId = `${memberId}/login`;
  await memberRepository.insertMember(store.db, { memberId, name: code, kind: 'bank', status: 'active', createdAt: at });
  await memberRepository.insertClient(store.db, { clientId, memberId, name: 'login', jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' }] }, status: 'active', createdAt: at });
  const redirectUri = `http://${host}/cb`;
  await new RelyingPartyService({ db: store.db, clock: systemClock }).onboard({
    clientId, displayName: `Dịch vụ ${code}`, redirectUris: [redirectUri], postLogoutRedirectUris: [`http://${host}/bye`], allowedClaims: claims,
    ...(backchannelUri === undefined ? {} : { backchannelLogoutUri: backchannelUri }),
  });
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- the test server speaks plain HTTP on loopback
  const config = await openid.discovery(new URL(`${origin}/oidc`), clientId, { id_token_signed_response_alg: 'RS256' }, openid.PrivateKeyJwt({ key: privateKey, kid }), { execute: [openid.allowInsecureRequests] });
  return { clientId, redirectUri, config, privateKey, kid };
}

interface Flow { readonly verifier: string; readonly state: string; readonly nonce: string; readonly url: string }
async function startFlow(rp: TestRp, params: Record<string, string> = {}): Promise<Flow> {
  const verifier = openid.randomPKCECodeVerifier();
  const state = openid.randomState();
  const nonce = openid.randomNonce();
  const url = openid.buildAuthorizationUrl(rp.config, { redirect_uri: rp.redirectUri, scope: 'openid profile', code_challenge: await openid.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce, ...params });
  return { verifier, state, nonce, url: url.href };
}

/** Follows redirects inside the provider until it leaves for the relying party or shows a page. */
async function follow(jar: Jar, response: Response): Promise<{ readonly callback?: string; readonly page?: Response }> {
  let current = response;
  for (let i = 0; i < 10; i++) {
    if (current.status !== 302 && current.status !== 303) return { page: current };
    const to = location(current);
    if (!to.startsWith(origin)) return { callback: to };
    current = await get(jar, to);
  }
  throw new Error('too many redirects');
}

async function signIn(jar: Jar, page: Response, who: { idNumber: string; code?: string }): Promise<Response> {
  const html = await page.text();
  expect(html).toContain('data-testid="citizen-id-number"');
  return postForm(jar, `${new URL(page.url).pathname}/audience/login`, { csrf: csrfOf(html), idNumber: who.idNumber, password, ...(who.code === undefined ? {} : { code: who.code }) });
}

/**
 * Drives an authorization through the provider's pages: signs in when the sign-in form shows
 * (once), answers the consent screen when it shows; returns the callback (or the page it stopped
 * at) and the consent screen's HTML when one was shown.
 */
async function drive(jar: Jar, response: Response, who: { idNumber: string; code?: string }, decision: 'approve' | 'deny' = 'approve'): Promise<{ readonly callback?: string; readonly page?: Response; readonly consentHtml?: string }> {
  let step = await follow(jar, response);
  let signedIn = false;
  let consentHtml: string | undefined;
  for (let i = 0; i < 4 && step.page !== undefined; i++) {
    const page = step.page;
    const html = await page.clone().text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1] ?? '';
    if (html.includes('data-testid="citizen-id-number"') && !signedIn) {
      signedIn = true;
      step = await follow(jar, await postForm(jar, action, { csrf: csrfOf(html), idNumber: who.idNumber, password, ...(who.code === undefined ? {} : { code: who.code }) }));
    } else if (html.includes('data-testid="consent-claims"') && consentHtml === undefined) {
      consentHtml = html;
      step = await follow(jar, await postForm(jar, action, { csrf: csrfOf(html), decision }));
    } else {
      break;
    }
  }
  return { ...step, ...(consentHtml === undefined ? {} : { consentHtml }) };
}

/** Sign-in and consent: the callback URL. */
async function fullSignIn(jar: Jar, flow: Flow, who: { idNumber: string; code?: string }): Promise<{ readonly callback: string; readonly consentHtml?: string }> {
  const step = await drive(jar, await get(jar, flow.url), who);
  if (step.callback === undefined) throw new Error(`no callback: ${String(step.page?.status)} ${await step.page?.text() ?? ''}`);
  return { callback: step.callback, ...(step.consentHtml === undefined ? {} : { consentHtml: step.consentHtml }) };
}

async function leaves(): Promise<readonly Record<string, unknown>[]> {
  const rows = await store.db.selectFrom('access_records').select('leaf').orderBy('idx').execute();
  return rows.map((r) => JSON.parse(r.leaf) as Record<string, unknown>);
}

// eslint-disable-next-line @typescript-eslint/no-deprecated -- these calls test refusals of the token itself, not the subject
const skipSubject: typeof openid.skipSubjectCheck = openid.skipSubjectCheck;
let bank: TestRp;
let shop: TestRp;

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => { body += chunk; });
    request.on('end', () => {
      deliveries.push(`${request.method ?? ''} ${request.url ?? ''} ${request.headers['content-type'] ?? ''}`);
      response.writeHead(200).end();
      waiting.shift()?.(body);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverOrigin = `http://127.0.0.1:${String((receiver.address() as AddressInfo).port)}`;
  store = await createTestDatabase('sqlite');
  const registry = new RegistryService({ db: store.db, clock: systemClock });
  await registerCitizens(registry, [citizenLan, citizenMinh]);
  app = await buildApp({ database: store, clock: systemClock, operatorToken: 'citizen-test-operator-token-0123456789', logger: false, citizenOtp: otp, citizenHasher: hasher, oidcFetch: loopbackReceiverFetch, cardIssuerKeys: [cardIssuer.publicKey] });
  origin = await app.listen({ host: '127.0.0.1', port: 0 });
  bank = await onboardRp('BANKX', 'bank.localhost:7001', ['name', 'birthdate', 'gender', 'vn_tax_code'], 'https://bank.example/backchannel');
  shop = await onboardRp('SHOPY', 'shop.localhost:7002', ['name']);
});

afterAll(async () => {
  await app.close();
  await store.close();
  await new Promise((resolve) => receiver.close(resolve));
});

describe('citizen e-ID over HTTP', () => {
  it('activates level 1 over HTTP: details checked, the code confirms the phone', async () => {
    const mismatch = await postJson('/citizen/activation', { idNumber: citizenLan.idNumber, fullName: 'Nguyễn Thị Lam', birthDate: citizenLan.facts.birthDate, phone: citizenLan.phone });
    expect(mismatch.status).toBe(400);
    expect(((await mismatch.json()) as { code: string }).code).toBe('ACTIVATION_DETAILS_MISMATCH');
    for (const who of [citizenLan, citizenMinh]) {
      const started = await postJson('/citizen/activation', { idNumber: who.idNumber, fullName: who.facts.fullName, birthDate: who.facts.birthDate, phone: who.phone });
      expect(started.status).toBe(202);
      const { challengeId } = (await started.json()) as { challengeId: string };
      const confirmed = await postJson('/citizen/activation/confirm', { challengeId, code: otp.sent.at(-1)?.code, password });
      expect(confirmed.status).toBe(201);
      expect(await confirmed.json()).toMatchObject({ level: 1, status: 'active' });
    }
    // Lan goes to level 2 at the commune police and enrols an authenticator.
    const accounts = new CitizenAccountService({ db: store.db, clock: systemClock, hasher, otp });
    const lan = await accounts.attestLevel2({ officerId: 'officer-7', unit: 'commune:00004' }, { idNumber: citizenLan.idNumber, cardNumber: 'AB1234567' });
    lanSeed = (await accounts.beginTotp(lan.accountId)).totpSecret;
    await accounts.confirmTotp(lan.accountId, totpCodeAt(lanSeed, new Date(Date.now() - 30_000)));
  });

  it('discovery publishes pairwise subjects, both levels, PKCE S256 and back-channel logout', () => {
    const meta = bank.config.serverMetadata();
    expect(meta.subject_types_supported).toEqual(expect.arrayContaining(['pairwise']));
    expect(meta.acr_values_supported).toEqual([acrLevel1, acrLevel2]);
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.backchannel_logout_supported).toBe(true);
    expect(meta.scopes_supported).toEqual(expect.arrayContaining(['profile', 'residence', 'vn_tax_code']));
  });

  it('signs in with consent; claims leave at userinfo after their access record; subjects are pairwise', async () => {
    const jar = new Jar();
    // A scope whose claims the bank may not receive is refused outright.
    const tooMuch = await startFlow(bank, { scope: 'openid profile residence' });
    expect(new URL(location(await get(jar, tooMuch.url))).searchParams.get('error')).toBe('invalid_scope');
    const flow = await startFlow(bank, { scope: 'openid profile vn_tax_code' });
    const { callback, consentHtml } = await fullSignIn(jar, flow, { idNumber: citizenMinh.idNumber });
    // The consent screen lists each claim asked for, with source and date.
    const listed = [...(consentHtml ?? '').matchAll(/data-claim="([^"]+)"/g)].map((m) => m[1]);
    expect(listed).toEqual(['name', 'birthdate', 'gender', 'vn_tax_code']);
    expect(consentHtml).toContain('Cơ sở dữ liệu quốc gia về dân cư');
    expect(consentHtml).toMatch(/cập nhật · updated \d{4}-\d{2}-\d{2}/);
    const before = (await leaves()).length;
    const tokens = await openid.authorizationCodeGrant(bank.config, new URL(callback), { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce });
    const claims = tokens.claims();
    expect(claims?.acr).toBe(acrLevel1);
    expect(claims?.name).toBeUndefined();
    const minh = await store.db.selectFrom('citizen_accounts').select('account_id').where('person_id', '=', citizenMinh.idNumber).executeTakeFirstOrThrow();
    expect(claims?.sub).not.toBe(minh.account_id);
    expect((await leaves()).length).toBe(before);
    const info = await openid.fetchUserInfo(bank.config, tokens.access_token, claims?.sub ?? '');
    expect(info).toMatchObject({ name: citizenMinh.facts.fullName, birthdate: citizenMinh.facts.birthDate, gender: 'male', vn_tax_code: citizenMinh.idNumber });
    expect(info).not.toHaveProperty('vn_permanent_residence');
    const records = (await leaves()).slice(before);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ personId: citizenMinh.idNumber, clientId: bank.clientId, service: 'oidc.userinfo', fields: ['name', 'birthdate', 'gender', 'vn_tax_code'] });

    // The shop sees another subject for the same citizen; the bank the same one again (no consent asked twice).
    const again = await startFlow(bank);
    const second = await fullSignIn(jar, again, { idNumber: citizenMinh.idNumber });
    expect(second.consentHtml).toBeUndefined();
    const t2 = await openid.authorizationCodeGrant(bank.config, new URL(second.callback), { pkceCodeVerifier: again.verifier, expectedState: again.state, expectedNonce: again.nonce });
    expect(t2.claims()?.sub).toBe(claims?.sub);
    const shopFlow = await startFlow(shop);
    const third = await fullSignIn(jar, shopFlow, { idNumber: citizenMinh.idNumber });
    const t3 = await openid.authorizationCodeGrant(shop.config, new URL(third.callback), { pkceCodeVerifier: shopFlow.verifier, expectedState: shopFlow.state, expectedNonce: shopFlow.nonce });
    expect(t3.claims()?.sub).not.toBe(claims?.sub);
    // Wrong audience: the bank's ID token is not the shop's.
    const jwks = createRemoteJWKSet(new URL(`${origin}/oidc/jwks`));
    await expect(jwtVerify(tokens.id_token ?? '', jwks, { issuer: `${origin}/oidc`, audience: shop.clientId })).rejects.toThrow(/aud/);
    await expect(jwtVerify(tokens.id_token ?? '', jwks, { issuer: `${origin}/oidc`, audience: bank.clientId })).resolves.toBeDefined();
  });

  it('steps up to level 2: a level 1 session is asked for the authenticator code', async () => {
    const jar = new Jar();
    const first = await startFlow(bank);
    const one = await fullSignIn(jar, first, { idNumber: citizenLan.idNumber });
    const t1 = await openid.authorizationCodeGrant(bank.config, new URL(one.callback), { pkceCodeVerifier: first.verifier, expectedState: first.state, expectedNonce: first.nonce });
    expect(t1.claims()?.acr).toBe(acrLevel1);
    const up = await startFlow(bank, { acr_values: acrLevel2 });
    const step = await follow(jar, await get(jar, up.url));
    const html = await step.page?.clone().text();
    expect(html).toContain('data-testid="citizen-code"');
    if (step.page === undefined) throw new Error('no step-up page');
    const wrong = await signIn(jar, step.page, { idNumber: citizenLan.idNumber, code: '000000' });
    expect(wrong.status).toBe(401);
    const done = await drive(jar, wrong, { idNumber: citizenLan.idNumber, code: totpCodeAt(lanSeed, new Date()) });
    if (done.callback === undefined) throw new Error(`no callback after step-up: ${String(done.page?.status)} ${await done.page?.text() ?? ''}`);
    const t2 = await openid.authorizationCodeGrant(bank.config, new URL(done.callback), { pkceCodeVerifier: up.verifier, expectedState: up.state, expectedNonce: up.nonce });
    expect(t2.claims()?.acr).toBe(acrLevel2);
    expect(t2.claims()?.amr).toEqual(['pwd', 'otp']);
    // A level 1 account asked for level 2 ends the flow with unmet_authentication_requirements.
    const minhJar = new Jar();
    const minhUp = await startFlow(bank, { acr_values: acrLevel2 });
    const refused = await drive(minhJar, await get(minhJar, minhUp.url), { idNumber: citizenMinh.idNumber, code: '123456' });
    expect(new URL(refused.callback ?? '').searchParams.get('error')).toBe('unmet_authentication_requirements');
  });

  it('refuses a wrong redirect URI, a missing PKCE challenge, a reused code, and state or nonce mismatches', async () => {
    const jar = new Jar();
    const wrongRedirect = new URL((await startFlow(bank)).url);
    wrongRedirect.searchParams.set('redirect_uri', 'http://bank.localhost:7001/cb/evil');
    const r1 = await get(jar, wrongRedirect.href);
    expect(r1.status).toBe(400);
    expect(r1.headers.get('location')).toBeNull();
    const otherHost = new URL((await startFlow(bank)).url);
    otherHost.searchParams.set('redirect_uri', shop.redirectUri);
    expect((await get(jar, otherHost.href)).status).toBe(400);
    const noPkce = new URL((await startFlow(bank)).url);
    noPkce.searchParams.delete('code_challenge');
    noPkce.searchParams.delete('code_challenge_method');
    const r2 = await get(jar, noPkce.href);
    expect(new URL(location(r2)).searchParams.get('error')).toBe('invalid_request');
    const plain = new URL((await startFlow(bank)).url);
    plain.searchParams.set('code_challenge_method', 'plain');
    expect(new URL(location(await get(jar, plain.href))).searchParams.get('error')).toBe('invalid_request');

    const flow = await startFlow(bank);
    const { callback } = await fullSignIn(jar, flow, { idNumber: citizenMinh.idNumber });
    await expect(openid.authorizationCodeGrant(bank.config, new URL(callback), { pkceCodeVerifier: flow.verifier, expectedState: 'another-state', expectedNonce: flow.nonce })).rejects.toMatchObject({ code: 'OAUTH_INVALID_RESPONSE', message: expect.stringMatching(/invalid response/) as unknown });
    await expect(openid.authorizationCodeGrant(bank.config, new URL(callback), { pkceCodeVerifier: openid.randomPKCECodeVerifier(), expectedState: flow.state, expectedNonce: flow.nonce })).rejects.toMatchObject({ error: 'invalid_grant' });
    // The right verifier still redeems it, once.
    await openid.authorizationCodeGrant(bank.config, new URL(callback), { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce });
    await expect(openid.authorizationCodeGrant(bank.config, new URL(callback), { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce })).rejects.toMatchObject({ error: 'invalid_grant' });

    const flow2 = await startFlow(bank);
    const second = await fullSignIn(jar, flow2, { idNumber: citizenMinh.idNumber });
    await expect(openid.authorizationCodeGrant(bank.config, new URL(second.callback), { pkceCodeVerifier: flow2.verifier, expectedState: flow2.state, expectedNonce: 'another-nonce' })).rejects.toMatchObject({ code: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED', cause: { message: expect.stringContaining('nonce') as unknown } });

    const flow3 = await startFlow(bank);
    const third = await fullSignIn(jar, flow3, { idNumber: citizenMinh.idNumber });
    const tokens = await openid.authorizationCodeGrant(bank.config, new URL(third.callback), { pkceCodeVerifier: flow3.verifier, expectedState: flow3.state, expectedNonce: flow3.nonce });
    // Replaying the code revokes what it gave: the access token no longer opens userinfo.
    await expect(openid.authorizationCodeGrant(bank.config, new URL(third.callback), { pkceCodeVerifier: flow3.verifier, expectedState: flow3.state, expectedNonce: flow3.nonce })).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(openid.fetchUserInfo(bank.config, tokens.access_token, skipSubject)).rejects.toThrow();
  });

  it('refuses an expired access token', async () => {
    const jar = new Jar();
    const flow = await startFlow(bank);
    const { callback } = await fullSignIn(jar, flow, { idNumber: citizenMinh.idNumber });
    const tokens = await openid.authorizationCodeGrant(bank.config, new URL(callback), { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce });
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 11 * 60_000 });
    try {
      await expect(openid.fetchUserInfo(bank.config, tokens.access_token, skipSubject)).rejects.toThrow();
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses a consent posted without the interaction\'s token or cookie (CSRF), and forbids framing', async () => {
    const jar = new Jar();
    const flow = await startFlow(shop);
    let step = await follow(jar, await get(jar, flow.url));
    expect(step.page?.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(step.page?.headers.get('x-frame-options')).toBe('DENY');
    if (step.page === undefined) throw new Error('no page');
    step = await follow(jar, await signIn(jar, step.page, { idNumber: citizenLan.idNumber }));
    // Lan has not yet consented for the shop: the consent screen.
    if (step.page === undefined) throw new Error('no consent page');
    const consentPath = `${new URL(step.page.url).pathname}/audience/consent`;
    await step.page.text();
    const grantsBefore = await store.db.selectFrom('oidc_payloads').select('id').where('kind', '=', 'Grant').execute();
    expect((await postForm(jar, consentPath, { decision: 'approve' })).status).toBe(400);
    expect((await postForm(jar, consentPath, { decision: 'approve', csrf: 'forged' })).status).toBe(400);
    const crossSite = await fetch(new URL(consentPath, origin), { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' });
    expect(crossSite.status).toBe(400);
    const grantsAfter = await store.db.selectFrom('oidc_payloads').select('id').where('kind', '=', 'Grant').execute();
    expect(grantsAfter.length).toBe(grantsBefore.length);
  });

  it('gives a new provider session at sign-in (no fixation) and ends the flow when consent is refused', async () => {
    const jar = new Jar();
    const flow = await startFlow(shop);
    const page = await follow(jar, await get(jar, flow.url));
    jar.set('_session', 'attacker-chosen-session-id');
    if (page.page === undefined) throw new Error('no page');
    const after = await drive(jar, page.page, { idNumber: citizenMinh.idNumber });
    expect(after.callback ?? '').toContain('code=');
    expect(jar.get('_session')).toBeDefined();
    expect(jar.get('_session')).not.toBe('attacker-chosen-session-id');
    const jar2 = new Jar();
    const flow2 = await startFlow(shop);
    const refused = await drive(jar2, await get(jar2, flow2.url), { idNumber: citizenLan.idNumber }, 'deny');
    expect(refused.consentHtml).toBeDefined();
    expect(new URL(refused.callback ?? '').searchParams.get('error')).toBe('access_denied');
  });

  it('slows credential stuffing per account and per address, and code guessing per challenge and address', async () => {
    // Per account: 5 wrong passwords lock Lan for 15 minutes, whatever the address.
    const jar = new Jar();
    for (let i = 0; i < 5; i++) {
      const flow = await startFlow(shop);
      const page = await follow(jar, await get(jar, flow.url));
      if (page.page === undefined) throw new Error('no page');
      const html = await page.page.text();
      const r = await postForm(jar, `${new URL(page.page.url).pathname}/audience/login`, { csrf: csrfOf(html), idNumber: citizenLan.idNumber, password: `wrong password ${String(i)}` });
      expect(r.status).toBe(401);
    }
    const flow = await startFlow(shop);
    const page = await follow(jar, await get(jar, flow.url));
    if (page.page === undefined) throw new Error('no page');
    const locked = await signIn(jar, page.page, { idNumber: citizenLan.idNumber });
    expect(locked.status).toBe(403);
    expect(await locked.text()).toContain('citizen-sign-in-error');
    // Per address: wrong codes at activation are counted; after 10 failures the address waits.
    const started = await postJson('/citizen/recovery', { idNumber: citizenMinh.idNumber, phone: citizenMinh.phone });
    const { challengeId } = (await started.json()) as { challengeId: string };
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await postJson('/citizen/recovery/confirm', { challengeId, code: String(100000 + i), newPassword: 'Mặt trời mọc ở đằng đông' })).status);
    // The mismatched activation of the first test was this address's first failure: 9 more, then 429.
    expect(statuses.slice(0, 9)).toEqual(Array(9).fill(401));
    expect(statuses.slice(9)).toEqual([429, 429]);
  });

  it('logs out at the relying party\'s request', async () => {
    const jar = new Jar();
    const flow = await startFlow(bank);
    const { callback } = await fullSignIn(jar, flow, { idNumber: citizenMinh.idNumber });
    const tokens = await openid.authorizationCodeGrant(bank.config, new URL(callback), { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce });
    const end = openid.buildEndSessionUrl(bank.config, { id_token_hint: tokens.id_token ?? '', post_logout_redirect_uri: 'http://bank.localhost:7001/bye' });
    const confirm = await get(jar, end.href);
    expect(confirm.status).toBe(200);
    const html = await confirm.text();
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1] ?? '';
    const done = await postForm(jar, action, { xsrf, logout: 'yes' });
    expect(location(done)).toBe('http://bank.localhost:7001/bye');
    // Signed out: the next authorization asks for the password again.
    const next = await follow(jar, await get(jar, (await startFlow(bank)).url));
    expect(await next.page?.text()).toContain('data-testid="citizen-password"');
  });

  it('back-channel logout: the citizen\'s sign-out posts a logout token, signed with the provider\'s key, to the relying party', async () => {
    const news = await onboardRp('NEWSZ', 'news.localhost:7004', ['name'], `${receiverOrigin}/backchannel`);
    const jar = new Jar();
    const flow = await startFlow(news);
    const { callback } = await fullSignIn(jar, flow, { idNumber: citizenMinh.idNumber });
    const tokens = await openid.authorizationCodeGrant(news.config, new URL(callback), { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce });
    const sub = tokens.claims()?.sub ?? '';
    const delivered = nextDelivery();
    const end = openid.buildEndSessionUrl(news.config, { id_token_hint: tokens.id_token ?? '', post_logout_redirect_uri: 'http://news.localhost:7004/bye' });
    const confirm = await get(jar, end.href);
    const html = await confirm.text();
    const done = await postForm(jar, /<form[^>]*action="([^"]+)"/.exec(html)?.[1] ?? '', { xsrf: /name="xsrf" value="([^"]+)"/.exec(html)?.[1] ?? '', logout: 'yes' });
    expect(location(done)).toBe('http://news.localhost:7004/bye');
    const body = await delivered;
    expect(deliveries.at(-1)).toBe('POST /backchannel application/x-www-form-urlencoded');
    const logoutToken = new URLSearchParams(body).get('logout_token') ?? '';
    // Verified as the relying party would: the provider's published keys, its issuer, this client as audience.
    const jwks = createRemoteJWKSet(new URL(`${origin}/oidc/jwks`));
    const { payload, protectedHeader } = await jwtVerify(logoutToken, jwks, { issuer: `${origin}/oidc`, audience: news.clientId });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload.sub).toBe(sub);
    expect(payload.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
    expect(typeof payload.jti).toBe('string');
    expect(payload.nonce).toBeUndefined();
    // A token whose signature is not the provider's is refused.
    await expect(jwtVerify(logoutToken.replace(/\.[^.]+$/, '.AAAA'), jwks)).rejects.toThrow();
  });

  it('back-channel logout: an account locked by failed sign-ins ends its provider sessions and tells the relying party', async () => {
    const huy = { idNumber: '001092000321', facts: { fullName: 'Đỗ Quang Huy', birthDate: '1992-04-09', sex: 'M', ethnicity: 'Kinh', birthProvince: '001', permanentCommune: '00004', permanentAddress: 'Số 9 ngõ 3 Kim Mã', householdId: 'HH-CIT-9', relationshipToHead: 'head' }, phone: '0903 333 444' };
    await registerCitizens(new RegistryService({ db: store.db, clock: systemClock }), [huy]);
    // Activated through the service: this address has used up its activation attempts above.
    const accounts = new CitizenAccountService({ db: store.db, clock: systemClock, hasher, otp });
    const { challengeId } = await accounts.startActivation({ idNumber: huy.idNumber, fullName: huy.facts.fullName, birthDate: huy.facts.birthDate, phone: huy.phone });
    await accounts.confirmActivation({ challengeId, code: otp.sent.at(-1)?.code ?? '', password });
    const post = await onboardRp('POSTZ', 'post.localhost:7005', ['name'], `${receiverOrigin}/locked`);
    const jar = new Jar();
    const flow = await startFlow(post);
    const { callback } = await fullSignIn(jar, flow, { idNumber: huy.idNumber });
    const tokens = await openid.authorizationCodeGrant(post.config, new URL(callback), { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce });
    const delivered = nextDelivery();
    // Five wrong passwords (at the portal) lock the account.
    for (let i = 0; i < 5; i++) expect((await postJson('/citizen/portal/sign-in', { idNumber: huy.idNumber, password: `wrong password number ${String(i)}` })).status).toBe(401);
    const body = await delivered;
    expect(deliveries.at(-1)).toBe('POST /locked application/x-www-form-urlencoded');
    const { payload } = await jwtVerify(new URLSearchParams(body).get('logout_token') ?? '', createRemoteJWKSet(new URL(`${origin}/oidc/jwks`)), { issuer: `${origin}/oidc`, audience: post.clientId });
    expect(payload.sub).toBe(tokens.claims()?.sub);
    expect(payload.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
    // The provider's session ended with it: the next authorization in the same browser asks to sign in again.
    const next = await follow(jar, await get(jar, (await startFlow(post)).url));
    expect(await next.page?.text()).toContain('data-testid="citizen-password"');
  });
});

describe('the citizen\'s portal API', () => {
  const portal = async (jar: Jar, method: string, url: string, body?: unknown, csrf?: string): Promise<Response> => {
    const response = await fetch(new URL(url, origin), {
      method, redirect: 'manual',
      headers: { cookie: jar.header(), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(csrf === undefined ? {} : { 'x-csrf-token': csrf }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    jar.take(response);
    return response;
  };

  it('shows my record, my data-use log with proofs, the services I signed in to (revocable) and my sessions', async () => {
    const jar = new Jar();
    const wrong = await portal(jar, 'POST', '/citizen/portal/sign-in', { idNumber: citizenMinh.idNumber, password: 'not the password at all' });
    expect(wrong.status).toBe(401);
    expect((await portal(jar, 'GET', '/citizen/portal/me')).status).toBe(401);
    const signedIn = await portal(jar, 'POST', '/citizen/portal/sign-in', { idNumber: citizenMinh.idNumber, password });
    expect(signedIn.status).toBe(200);
    expect(signedIn.headers.get('set-cookie')).toMatch(/sachsong_citizen=.*HttpOnly; SameSite=Strict/);
    const { csrfToken, level } = (await signedIn.json()) as { csrfToken: string; level: number };
    expect(level).toBe(1);

    const me = (await (await portal(jar, 'GET', '/citizen/portal/me')).json()) as { person: { fullName: string }; household: { members: { fullName: string }[] } | null };
    expect(me.person.fullName).toBe(citizenMinh.facts.fullName);
    expect(me.household?.members.map((m) => m.fullName)).toEqual([citizenMinh.facts.fullName]);

    const log = (await (await portal(jar, 'GET', '/citizen/portal/access-records')).json()) as { personId: string; entries: { record: { clientId: string; service: string; fields: string[] }; proof: string[] }[] };
    expect(log.personId).toBe(citizenMinh.idNumber);
    const releases = log.entries.filter((e) => e.record.service === 'oidc.userinfo');
    expect(releases.length).toBeGreaterThan(0);
    expect(releases.every((e) => e.record.clientId === bank.clientId || e.record.clientId === shop.clientId)).toBe(true);
    expect(releases.some((e) => e.record.fields.includes('vn_tax_code'))).toBe(true);
    expect(Array.isArray(releases[0]?.proof)).toBe(true);

    // A fresh token for the bank, then the consent withdrawn: the token no longer opens userinfo.
    const signInJar = new Jar();
    const flow = await startFlow(bank);
    const { callback } = await fullSignIn(signInJar, flow, { idNumber: citizenMinh.idNumber });
    const tokens = await openid.authorizationCodeGrant(bank.config, new URL(callback), { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce });
    const services = (await (await portal(jar, 'GET', '/citizen/portal/services')).json()) as { clientId: string; name: string; scopes: string[] }[];
    expect(services.map((g) => g.clientId).sort()).toEqual([bank.clientId, shop.clientId].sort());
    const bankGrant = services.find((g) => g.clientId === bank.clientId);
    expect(bankGrant?.name).toBe('Dịch vụ BANKX');
    expect(bankGrant?.scopes).toEqual(expect.arrayContaining(['openid', 'profile']));
    expect((await portal(jar, 'POST', '/citizen/portal/services/revoke', { clientId: bank.clientId })).status).toBe(403);
    expect((await portal(jar, 'POST', '/citizen/portal/services/revoke', { clientId: 'VN/COM/NOTMINE/login' }, csrfToken)).status).toBe(404);
    expect((await portal(jar, 'POST', '/citizen/portal/services/revoke', { clientId: bank.clientId }, csrfToken)).status).toBe(204);
    await expect(openid.fetchUserInfo(bank.config, tokens.access_token, skipSubject)).rejects.toThrow();
    const after = (await (await portal(jar, 'GET', '/citizen/portal/services')).json()) as { clientId: string }[];
    expect(after.map((g) => g.clientId)).toEqual([shop.clientId]);

    // Sessions: another device is listed and can be ended; signing out ends mine.
    const other = new Jar();
    expect((await portal(other, 'POST', '/citizen/portal/sign-in', { idNumber: citizenMinh.idNumber, password })).status).toBe(200);
    const sessions = (await (await portal(jar, 'GET', '/citizen/portal/sessions')).json()) as { sessionRef: string; current: boolean }[];
    expect(sessions.filter((x) => x.current)).toHaveLength(1);
    const otherRef = sessions.find((x) => !x.current)?.sessionRef ?? '';
    expect((await portal(jar, 'POST', `/citizen/portal/sessions/${otherRef}/revoke`, undefined, csrfToken)).status).toBe(204);
    expect((await portal(other, 'GET', '/citizen/portal/me')).status).toBe(401);
    expect((await portal(jar, 'POST', '/citizen/portal/sign-out', undefined, csrfToken)).status).toBe(204);
    expect((await portal(jar, 'GET', '/citizen/portal/me')).status).toBe(401);
  });
});


// Old tax codes (the ID number is the tax code since 1 July 2025): released like the other claims.
describe('the old tax code claim', () => {
  it('releases vn_old_tax_code only to a relying party allowed it, after consent, confirmed links only, each release recorded', async () => {
    const links = new TaxCodeLinkService({ db: store.db, clock: systemClock });
    const oldCode = withCheckDigit('830012345') ?? withCheckDigit('830012346') ?? '';
    const probableCode = withCheckDigit('830054321') ?? withCheckDigit('830054322') ?? '';
    await links.record({ oldTaxCode: oldCode, idNumber: citizenMinh.idNumber, status: 'confirmed', officerId: 'o-tax-1' });
    await links.record({ oldTaxCode: probableCode, idNumber: citizenMinh.idNumber, status: 'probable', officerId: 'o-tax-1' });
    const taxPortal = await onboardRp('TAXPORTAL', 'tax.localhost:7003', ['name', 'vn_tax_code', 'vn_old_tax_code']);

    const jar = new Jar();
    const flow = await startFlow(taxPortal, { scope: 'openid vn_tax_code' });
    const { callback, consentHtml } = await fullSignIn(jar, flow, { idNumber: citizenMinh.idNumber });
    expect([...(consentHtml ?? '').matchAll(/data-claim="([^"]+)"/g)].map((m) => m[1])).toEqual(['vn_tax_code', 'vn_old_tax_code']);
    expect(consentHtml).toContain('Mã số thuế cũ');
    expect(consentHtml).toContain('Liên kết mã số thuế cũ');
    const before = (await leaves()).length;
    const tokens = await openid.authorizationCodeGrant(taxPortal.config, new URL(callback), { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce });
    expect(tokens.claims()?.vn_old_tax_code).toBeUndefined();
    const info = await openid.fetchUserInfo(taxPortal.config, tokens.access_token, tokens.claims()?.sub ?? '');
    expect(info).toMatchObject({ vn_tax_code: citizenMinh.idNumber, vn_old_tax_code: oldCode });
    expect(JSON.stringify(info)).not.toContain(probableCode);
    const records = (await leaves()).slice(before);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ personId: citizenMinh.idNumber, clientId: taxPortal.clientId, service: 'oidc.userinfo', fields: ['vn_tax_code', 'vn_old_tax_code'] });

    // The bank may receive vn_tax_code but not the old code: not on its consent screen, not released, not recorded.
    const bankJar = new Jar();
    const bankFlow = await startFlow(bank, { scope: 'openid vn_tax_code' });
    const atBank = await fullSignIn(bankJar, bankFlow, { idNumber: citizenMinh.idNumber });
    expect(atBank.consentHtml ?? '').not.toContain('vn_old_tax_code');
    const bankTokens = await openid.authorizationCodeGrant(bank.config, new URL(atBank.callback), { pkceCodeVerifier: bankFlow.verifier, expectedState: bankFlow.state, expectedNonce: bankFlow.nonce });
    const beforeBank = (await leaves()).length;
    const bankInfo = await openid.fetchUserInfo(bank.config, bankTokens.access_token, bankTokens.claims()?.sub ?? '');
    expect(bankInfo).toMatchObject({ vn_tax_code: citizenMinh.idNumber });
    expect(bankInfo).not.toHaveProperty('vn_old_tax_code');
    expect((await leaves()).slice(beforeBank)[0]).toMatchObject({ clientId: bank.clientId, fields: ['vn_tax_code'] });

    // Refused consent: the flow ends with access_denied and nothing is released or recorded.
    const shop2 = await onboardRp('TAXSHOP', 'taxshop.localhost:7004', ['vn_tax_code', 'vn_old_tax_code']);
    const beforeDeny = (await leaves()).length;
    const denyJar = new Jar();
    const denyFlow = await startFlow(shop2, { scope: 'openid vn_tax_code' });
    const refused = await drive(denyJar, await get(denyJar, denyFlow.url), { idNumber: citizenMinh.idNumber }, 'deny');
    expect(refused.consentHtml).toContain('vn_old_tax_code');
    expect(new URL(refused.callback ?? '').searchParams.get('error')).toBe('access_denied');
    expect((await leaves()).length).toBe(beforeDeny);
  });
});


// Level 2 over HTTP: the card chip's signed data raises a level 1 account, the portal enrols TOTP
// (the password asked again), and the authenticator's code then gives acr level 2 at a relying party.
describe('level 2 through the portal pages', () => {
  const ha = { idNumber: '001195000654', facts: { fullName: 'Phạm Thu Hà', birthDate: '1995-07-21', sex: 'F', ethnicity: 'Kinh', birthProvince: '001', permanentCommune: '00004', permanentAddress: 'Số 2 ngõ 7 Kim Mã', householdId: 'HH-CIT-7', relationshipToHead: 'head' }, phone: '0904 555 666' };
  const chipOf = (who: { idNumber: string; facts: { fullName: string; birthDate: string } }): ChipData => ({ idNumber: who.idNumber, fullName: who.facts.fullName.toUpperCase(), birthDate: who.facts.birthDate, cardNumber: 'CH7654321', issuedOn: '2024-05-01' });
  const page = async (jar: Jar, path: string): Promise<{ status: number; html: string }> => {
    const response = await get(jar, path);
    return { status: response.status, html: await response.text() };
  };

  it('raises a level 1 account by the chip, enrols TOTP after the password, then signs in at acr level 2', async () => {
    await registerCitizens(new RegistryService({ db: store.db, clock: systemClock }), [ha]);
    const accounts = new CitizenAccountService({ db: store.db, clock: systemClock, hasher, otp });
    const { challengeId } = await accounts.startActivation({ idNumber: ha.idNumber, fullName: ha.facts.fullName, birthDate: ha.facts.birthDate, phone: ha.phone });
    await accounts.confirmActivation({ challengeId, code: otp.sent.at(-1)?.code ?? '', password });

    const jar = new Jar();
    const signedIn = await postForm(jar, '/citizen/portal/my/sign-in', { idNumber: ha.idNumber, password });
    expect(signedIn.status).toBe(303);
    const before = await page(jar, '/citizen/portal/my/security');
    expect(before.status).toBe(200);
    expect(before.html).toContain('data-level="1"');
    expect(before.html).toContain('data-testid="chip-data"');
    expect(before.html).not.toContain('data-testid="totp-begin"');
    const csrf = csrfOf(before.html);
    const chip = (signed: { data: string; signature: string }, token = csrf): Promise<Response> => postForm(jar, '/citizen/portal/my/security/chip', { csrf: token, chipData: signed.data, chipSignature: signed.signature });

    // Without the page's token, with another person's card, with data the issuer did not sign: refused, still level 1.
    expect((await chip(cardIssuer.sign(chipOf(ha)), 'forged')).status).toBe(403);
    const minhsCard = await chip(cardIssuer.sign(chipOf(citizenMinh)));
    expect(minhsCard.status).toBe(400);
    expect(await minhsCard.text()).toContain('Thẻ vừa đọc không phải thẻ căn cước của bạn.');
    const forged = await chip(simulatedCardIssuer().sign(chipOf(ha)));
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('chữ ký hợp lệ của cơ quan cấp thẻ');
    const signed = cardIssuer.sign(chipOf(ha));
    const tampered = Buffer.from(JSON.stringify({ ...chipOf(ha), birthDate: '1990-01-01' })).toString('base64url');
    expect((await chip({ data: tampered, signature: signed.signature })).status).toBe(400);
    expect((await accounts.accountOfPerson(ha.idNumber))?.level).toBe(1);
    // TOTP is not offered, nor taken, before level 2.
    expect((await postForm(jar, '/citizen/portal/my/security/totp', { csrf, password })).status).toBe(409);

    const raised = await chip(signed);
    expect(raised.status).toBe(303);
    expect(raised.headers.get('location')).toBe('/citizen/portal/my/security?done=level2');
    const account = await accounts.accountOfPerson(ha.idNumber);
    expect(account).toMatchObject({ level: 2, cardNumber: 'CH7654321', totpEnrolled: false });
    expect(await accounts.attestations(account?.accountId ?? '')).toEqual([expect.objectContaining({ method: 'chip', officerId: null })]);

    const level2 = await page(jar, '/citizen/portal/my/security?done=level2');
    expect(level2.html).toContain('data-level="2"');
    expect(level2.html).toContain('data-testid="portal-notice"');
    expect(level2.html).toContain('data-enrolled="false"');
    // The password is asked again before a seed is set; a wrong one counts towards the lockout.
    const wrong = await postForm(jar, '/citizen/portal/my/security/totp', { csrf, password: 'not my password at all' });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('Mật khẩu không đúng.');
    const failures = await store.db.selectFrom('citizen_accounts').select(['failed_attempts', 'totp_secret']).where('person_id', '=', ha.idNumber).executeTakeFirstOrThrow();
    expect(failures).toEqual({ failed_attempts: 1, totp_secret: null });
    expect((await postForm(jar, '/citizen/portal/my/security/totp', { password })).status).toBe(403);

    const begun = await postForm(jar, '/citizen/portal/my/security/totp', { csrf, password });
    expect(begun.status).toBe(200);
    expect(begun.headers.get('cache-control')).toBe('no-store');
    const enrolHtml = await begun.text();
    const seed = /data-testid="totp-secret">([A-Z2-7]+)</.exec(enrolHtml)?.[1] ?? '';
    expect(seed).toMatch(/^[A-Z2-7]{32}$/);
    expect(enrolHtml).toContain('<svg');
    const badCode = await postForm(jar, '/citizen/portal/my/security/totp/confirm', { csrf, code: '000000' });
    expect(badCode.status).toBe(400);
    expect(await badCode.text()).toContain('Mã của ứng dụng xác thực không đúng.');
    const confirmed = await postForm(jar, '/citizen/portal/my/security/totp/confirm', { csrf, code: totpCodeAt(seed, new Date(Date.now() - 30_000)) });
    expect(confirmed.headers.get('location')).toBe('/citizen/portal/my/security?done=totp-enrolled');
    expect((await accounts.accountOfPerson(ha.idNumber))?.totpEnrolled).toBe(true);
    // A level 1 session (the password alone) cannot replace the confirmed authenticator.
    const replace = await postForm(jar, '/citizen/portal/my/security/totp', { csrf, password });
    expect(replace.status).toBe(403);
    expect(await replace.text()).toContain('đăng nhập lại kèm mã của ứng dụng hiện tại');
    // The chip's static signed data again (a copy of it, with the password) does not clear the authenticator.
    const lost = await page(jar, '/citizen/portal/my/security');
    expect(lost.html).not.toContain('data-testid="chip-data"');
    expect(lost.html).toContain('data-testid="totp-lost"');
    expect((await chip(cardIssuer.sign(chipOf(ha)))).status).toBe(303);
    expect((await accounts.accountOfPerson(ha.idNumber))?.totpEnrolled).toBe(true);
    expect((await postForm(jar, '/citizen/portal/my/security/totp', { csrf, password })).status).toBe(403);
    // A lost authenticator: the commune police attest in person, which clears it; a new one is set up.
    await accounts.attestLevel2({ officerId: 'officer-12', unit: 'commune:00004' }, { idNumber: ha.idNumber, cardNumber: 'CH7654321' });
    expect((await accounts.accountOfPerson(ha.idNumber))?.totpEnrolled).toBe(false);
    const again = await postForm(jar, '/citizen/portal/my/security/totp', { csrf, password });
    expect(again.status).toBe(200);
    const newSeed = /data-testid="totp-secret">([A-Z2-7]+)</.exec(await again.text())?.[1] ?? '';
    expect(newSeed).not.toBe(seed);
    expect((await postForm(jar, '/citizen/portal/my/security/totp/confirm', { csrf, code: totpCodeAt(newSeed, new Date(Date.now() - 30_000)) })).status).toBe(303);
    expect((await accounts.attestations(account?.accountId ?? '')).map((a) => a.method)).toEqual(['chip', 'chip', 'officer']);
    // The old authenticator no longer signs in at level 2.
    expect((await postForm(new Jar(), '/citizen/portal/my/sign-in', { idNumber: ha.idNumber, password, code: totpCodeAt(seed, new Date()) })).status).toBe(401);

    // The portal signs in at level 2 with the code.
    const jar2 = new Jar();
    expect((await postForm(jar2, '/citizen/portal/my/sign-in', { idNumber: ha.idNumber, password, code: totpCodeAt(newSeed, new Date()) })).status).toBe(303);
    expect((await page(jar2, '/citizen/portal/my/security')).html).toContain('tài khoản mức 2 · level 2 account');

    // A relying party asking for level 2 gets it, with the authenticator's code.
    const up = await startFlow(bank, { acr_values: acrLevel2 });
    const rpJar = new Jar();
    const done = await drive(rpJar, await get(rpJar, up.url), { idNumber: ha.idNumber, code: totpCodeAt(newSeed, new Date(Date.now() + 30_000)) });
    if (done.callback === undefined) throw new Error(`no callback: ${String(done.page?.status)} ${await done.page?.text() ?? ''}`);
    const tokens = await openid.authorizationCodeGrant(bank.config, new URL(done.callback), { pkceCodeVerifier: up.verifier, expectedState: up.state, expectedNonce: up.nonce });
    expect(tokens.claims()?.acr).toBe(acrLevel2);
    expect(tokens.claims()?.amr).toEqual(['pwd', 'otp']);
  });
});


describe('level 2 through the portal API (the phone app)', () => {
  it('posts the chip\'s signed data, sets up the authenticator after the password, and signs in at level 2; replacing it needs a level 2 session', async () => {
    const nam = { idNumber: '001091000888', facts: { fullName: 'Hoàng Văn Nam', birthDate: '1991-09-09', sex: 'M', ethnicity: 'Tày', birthProvince: '001', permanentCommune: '00004', permanentAddress: 'Số 3 ngõ 5 Đội Cấn', householdId: 'HH-CIT-10', relationshipToHead: 'head' }, phone: '0906 999 000' };
    await registerCitizens(new RegistryService({ db: store.db, clock: systemClock }), [nam]);
    const accounts = new CitizenAccountService({ db: store.db, clock: systemClock, hasher, otp });
    const { challengeId } = await accounts.startActivation({ idNumber: nam.idNumber, fullName: nam.facts.fullName, birthDate: nam.facts.birthDate, phone: nam.phone });
    await accounts.confirmActivation({ challengeId, code: otp.sent.at(-1)?.code ?? '', password });
    const call = async (jar: Jar, url: string, body: unknown, csrf?: string): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> => {
      const response = await fetch(new URL(url, origin), { method: 'POST', headers: { cookie: jar.header(), 'content-type': 'application/json', ...(csrf === undefined ? {} : { 'x-csrf-token': csrf }) }, body: JSON.stringify(body) });
      jar.take(response);
      return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, unknown> };
    };
    const jar = new Jar();
    const signedIn = await call(jar, '/citizen/portal/sign-in', { idNumber: nam.idNumber, password });
    const csrf = String(signedIn.json.csrfToken);
    const chip = cardIssuer.sign({ idNumber: nam.idNumber, fullName: 'HOÀNG VĂN NAM', birthDate: nam.facts.birthDate, cardNumber: 'NM1234567', issuedOn: '2024-03-03' });
    expect((await call(jar, '/citizen/portal/level2/chip', chip)).status).toBe(403);
    expect(await call(jar, '/citizen/portal/level2/chip', { data: chip.data, signature: simulatedCardIssuer().sign({ idNumber: nam.idNumber, fullName: 'HOÀNG VĂN NAM', birthDate: nam.facts.birthDate, cardNumber: 'NM1234567', issuedOn: '2024-03-03' }).signature }, csrf)).toMatchObject({ status: 400, json: { code: 'CHIP_DATA_INVALID' } });
    expect(await call(jar, '/citizen/portal/totp', { password }, csrf)).toMatchObject({ status: 409, json: { code: 'LEVEL2_REQUIRED' } });
    expect(await call(jar, '/citizen/portal/level2/chip', chip, csrf)).toMatchObject({ status: 200, json: { level: 2, totpEnrolled: false } });
    expect(await call(jar, '/citizen/portal/totp', { password: 'certainly not it' }, csrf)).toMatchObject({ status: 401, json: { code: 'PASSWORD_INCORRECT' } });
    const started = await call(jar, '/citizen/portal/totp', { password }, csrf);
    expect(started.status).toBe(200);
    expect(started.headers.get('cache-control')).toBe('no-store');
    const seed = String(started.json.totpSecret);
    expect(String(started.json.otpauthUri)).toMatch(/^otpauth:\/\/totp\//);
    expect(await call(jar, '/citizen/portal/totp/confirm', { code: '000000' }, csrf)).toMatchObject({ status: 400, json: { code: 'TOTP_INVALID' } });
    expect(await call(jar, '/citizen/portal/totp/confirm', { code: totpCodeAt(seed, new Date(Date.now() - 30_000)) }, csrf)).toMatchObject({ status: 200, json: { level: 2, totpEnrolled: true } });
    // The level 1 session cannot replace it; a level 2 session (signed in with its code) can.
    expect(await call(jar, '/citizen/portal/totp', { password }, csrf)).toMatchObject({ status: 403, json: { code: 'LEVEL2_SESSION_REQUIRED' } });
    const jar2 = new Jar();
    const level2 = await call(jar2, '/citizen/portal/sign-in', { idNumber: nam.idNumber, password, code: totpCodeAt(seed, new Date()) });
    expect(level2).toMatchObject({ status: 200, json: { level: 2 } });
    expect((await call(jar2, '/citizen/portal/totp', { password }, String(level2.json.csrfToken))).status).toBe(200);
  });
});

// Nationality and residence: each claim on the consent screen with its source and the day the
// registry last changed it; released with its value; one access record naming exactly those fields.
describe('nationality and residence claims', () => {
  it('a relying party allowed them receives them after consent, each listed with source and last change, and one access record names exactly them', async () => {
    const tuan = { idNumber: '001088000777', facts: { fullName: 'Vũ Minh Tuấn', birthDate: '1988-02-14', sex: 'M', ethnicity: 'Kinh', nationality: 'VN', birthProvince: '001', permanentCommune: '00004', permanentAddress: 'Số 8 ngõ 1 Láng', householdId: 'HH-CIT-8', relationshipToHead: 'head' }, phone: '0905 777 888' };
    await registerCitizens(new RegistryService({ db: store.db, clock: fixedClock('2025-08-01T03:00:00.000Z') }), [tuan]);
    await new RegistryService({ db: store.db, clock: fixedClock('2025-11-20T02:00:00.000Z') }).recordEvent({
      personId: tuan.idNumber, type: 'residence_change', occurredOn: '2025-11-19', officerId: 'OFF-2', reason: null, data: { currentCommune: '26737', currentAddress: '45 Lê Lợi' },
    });
    const accounts = new CitizenAccountService({ db: store.db, clock: systemClock, hasher, otp });
    const { challengeId } = await accounts.startActivation({ idNumber: tuan.idNumber, fullName: tuan.facts.fullName, birthDate: tuan.facts.birthDate, phone: tuan.phone });
    await accounts.confirmActivation({ challengeId, code: otp.sent.at(-1)?.code ?? '', password });
    const post = await onboardRp('VNPOST', 'vnpost.localhost:7008', ['name', 'nationality', 'vn_permanent_residence', 'vn_current_residence']);

    const jar = new Jar();
    const flow = await startFlow(post, { scope: 'openid nationality residence' });
    const { callback, consentHtml } = await fullSignIn(jar, flow, { idNumber: tuan.idNumber });
    const listed = [...(consentHtml ?? '').matchAll(/<li data-testid="consent-claim" data-claim="([^"]+)"><strong>([^<]+)<\/strong><br><span class="en">Nguồn · Source: ([^;]+); cập nhật · updated (\d{4}-\d{2}-\d{2})/g)].map((m) => m.slice(1));
    expect(listed).toEqual([
      ['nationality', 'Quốc tịch', 'Cơ sở dữ liệu quốc gia về dân cư', '2025-08-01'],
      ['vn_permanent_residence', 'Nơi thường trú', 'Cơ sở dữ liệu quốc gia về dân cư', '2025-08-01'],
      ['vn_current_residence', 'Nơi ở hiện tại', 'Cơ sở dữ liệu quốc gia về dân cư', '2025-11-20'],
    ]);
    const before = (await leaves()).length;
    const tokens = await openid.authorizationCodeGrant(post.config, new URL(callback), { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce });
    const info = await openid.fetchUserInfo(post.config, tokens.access_token, tokens.claims()?.sub ?? '');
    expect(info).toEqual({
      sub: tokens.claims()?.sub,
      nationality: 'VN',
      vn_permanent_residence: { commune: '00004', address: 'Số 8 ngõ 1 Láng' },
      vn_current_residence: { commune: '26737', address: '45 Lê Lợi' },
    });
    const records = (await leaves()).slice(before);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ personId: tuan.idNumber, clientId: post.clientId, receivingAgency: 'Dịch vụ VNPOST', service: 'oidc.userinfo', fields: ['nationality', 'vn_permanent_residence', 'vn_current_residence'] });
  });
});

// The provider's side of the relying parties' attacks: client assertions (private_key_jwt, the
// method every relying party uses), bearer tokens at userinfo, and the logout hint.
describe('attacks on client authentication, userinfo and logout', () => {
  const tokenUrl = (): string => `${origin}/oidc/token`;
  const assertion = (rp: TestRp, claims: { readonly aud?: string; readonly jti?: string; readonly iss?: string; readonly key?: TestRp } = {}): Promise<string> =>
    new SignJWT({ jti: claims.jti ?? randomUUID() }).setProtectedHeader({ alg: 'EdDSA', kid: (claims.key ?? rp).kid })
      .setIssuer(claims.iss ?? rp.clientId).setSubject(rp.clientId).setAudience(claims.aud ?? tokenUrl()).setIssuedAt().setExpirationTime('60s').sign((claims.key ?? rp).privateKey);
  const redeem = async (rp: TestRp, clientAssertion: string): Promise<{ status: number; error: string }> => {
    const response = await fetch(tokenUrl(), {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'not-a-real-code', redirect_uri: rp.redirectUri, code_verifier: openid.randomPKCECodeVerifier(), client_id: rp.clientId, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: clientAssertion }).toString(),
    });
    return { status: response.status, error: ((await response.json()) as { error: string }).error };
  };

  it('refuses a client assertion for another audience, signed by another client\'s key, or replayed', async () => {
    // The assertion itself is good: the client is authenticated and only the code is refused.
    expect(await redeem(bank, await assertion(bank))).toEqual({ status: 400, error: 'invalid_grant' });
    // An assertion the bank made for the exchange's token endpoint (same keys) is not the provider's.
    expect(await redeem(bank, await assertion(bank, { aud: 'urn:sachsong:exchange:token' }))).toEqual({ status: 401, error: 'invalid_client' });
    expect(await redeem(bank, await assertion(bank, { aud: 'https://bank.example/oidc/token' }))).toEqual({ status: 401, error: 'invalid_client' });
    // The shop's key cannot speak for the bank.
    expect(await redeem(bank, await assertion(bank, { key: shop }))).toEqual({ status: 401, error: 'invalid_client' });
    // A replayed assertion: its jti was used once.
    const once = await assertion(bank);
    expect(await redeem(bank, once)).toEqual({ status: 400, error: 'invalid_grant' });
    expect(await redeem(bank, once)).toEqual({ status: 401, error: 'invalid_client' });
  });

  it('userinfo takes access tokens only: not an ID token, nor the token of a suspended relying party', async () => {
    const rp = await onboardRp('ATTACKRP', 'attack.localhost:7006', ['name']);
    const jar = new Jar();
    const flow = await startFlow(rp);
    const { callback } = await fullSignIn(jar, flow, { idNumber: citizenMinh.idNumber });
    const tokens = await openid.authorizationCodeGrant(rp.config, new URL(callback), { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce });
    const userinfo = (token: string): Promise<Response> => fetch(new URL('/oidc/me', origin), { headers: { authorization: `Bearer ${token}` } });
    expect((await userinfo(tokens.access_token)).status).toBe(200);
    const withIdToken = await userinfo(tokens.id_token ?? '');
    expect(withIdToken.status).toBe(401);
    expect(withIdToken.headers.get('www-authenticate')).toContain('invalid_token');
    const relyingParties = new RelyingPartyService({ db: store.db, clock: systemClock });
    await relyingParties.setStatus(rp.clientId, 'suspended');
    const before = (await leaves()).length;
    expect((await userinfo(tokens.access_token)).status).toBe(401);
    expect((await leaves()).length).toBe(before);
    await relyingParties.setStatus(rp.clientId, 'active');
  });

  it('logout: an expired ID token hint is accepted (RP-Initiated Logout 1.0 §2), a forged or foreign one is refused', async () => {
    const jar = new Jar();
    const flow = await startFlow(bank);
    const { callback } = await fullSignIn(jar, flow, { idNumber: citizenMinh.idNumber });
    const tokens = await openid.authorizationCodeGrant(bank.config, new URL(callback), { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce });
    const hint = tokens.id_token ?? '';
    const endSession = (idTokenHint: string, redirect: string, clientId?: string): string => {
      const url = new URL(`${origin}/oidc/session/end`);
      url.searchParams.set('id_token_hint', idTokenHint);
      url.searchParams.set('post_logout_redirect_uri', redirect);
      if (clientId !== undefined) url.searchParams.set('client_id', clientId);
      return url.href;
    };
    // Forged: the signature is not the provider's.
    const forged = await get(jar, endSession(hint.replace(/\.[^.]+$/, '.AAAA'), 'http://bank.localhost:7001/bye'));
    expect(forged.status).toBe(400);
    // Foreign: the bank's hint with the shop's client id, or with a redirect the bank did not register.
    expect((await get(jar, endSession(hint, 'http://shop.localhost:7002/bye', shop.clientId))).status).toBe(400);
    expect((await get(jar, endSession(hint, 'http://evil.localhost/bye'))).status).toBe(400);
    // Expired (ID tokens live 10 minutes): still names the relying party, so the logout goes on.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 11 * 60_000 });
    try {
      await expect(jwtVerify(hint, createRemoteJWKSet(new URL(`${origin}/oidc/jwks`)))).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });
      const confirm = await get(jar, endSession(hint, 'http://bank.localhost:7001/bye'));
      expect(confirm.status).toBe(200);
      const html = await confirm.text();
      const done = await postForm(jar, /<form[^>]*action="([^"]+)"/.exec(html)?.[1] ?? '', { xsrf: /name="xsrf" value="([^"]+)"/.exec(html)?.[1] ?? '', logout: 'yes' });
      expect(location(done)).toBe('http://bank.localhost:7001/bye');
    } finally {
      vi.useRealTimers();
    }
  });
});

// Runs last: it changes the provider's signing key under the running server.
describe('signing key rotation', () => {
  const jwks = async (): Promise<JSONWebKeySet> => (await (await fetch(new URL('/oidc/jwks', origin))).json()) as JSONWebKeySet;
  const kids = (set: JSONWebKeySet): (string | undefined)[] => set.keys.map((k) => k.kid);
  const idToken = async (): Promise<string> => {
    const jar = new Jar();
    const flow = await startFlow(bank);
    const { callback } = await fullSignIn(jar, flow, { idNumber: citizenMinh.idNumber });
    const tokens = await openid.authorizationCodeGrant(bank.config, new URL(callback), { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce });
    return tokens.id_token ?? '';
  };

  it('a new key signs the next ID tokens; the old one stays published until its retirement, then leaves', async () => {
    const before = await idToken();
    const oldKid = decodeProtectedHeader(before).kid;
    const start = Date.now();
    const rotation = await rotateSigningKey(store.db, new Date(start).toISOString(), 3_600_000);
    expect(rotation.kid).not.toBe(oldKid);
    expect(rotation.published.map((k) => k.kid)).toEqual([rotation.kid, oldKid]);
    expect(rotation.published[1]?.retireAt).toBe(new Date(start + 3_600_000).toISOString());
    try {
      // Within a minute every node takes the new key up.
      vi.useFakeTimers({ toFake: ['Date'], now: start + 61_000 });
      const after = await idToken();
      expect(decodeProtectedHeader(after).kid).toBe(rotation.kid);
      const published = await jwks();
      expect(kids(published)).toEqual([rotation.kid, oldKid]);
      // Both verify against the published keys, as a relying party checks them.
      for (const token of [before, after]) await expect(jwtVerify(token, createLocalJWKSet(published), { issuer: `${origin}/oidc`, audience: bank.clientId })).resolves.toBeDefined();

      // Past its retirement the old key leaves the JWKS; the next rotation removes it from the store.
      vi.setSystemTime(start + 3_600_000 + 61_000);
      const later = await jwks();
      expect(kids(later)).toEqual([rotation.kid]);
      await expect(jwtVerify(before, createLocalJWKSet(later), { currentDate: new Date(start) })).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
      const next = await rotateSigningKey(store.db, new Date().toISOString());
      expect(next.retired).toEqual([oldKid]);
      expect(next.published.map((k) => k.kid)).toEqual([next.kid, rotation.kid]);
      expect(await store.db.selectFrom('oidc_keys').select('key_id').where('purpose', '=', 'signing').execute()).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
