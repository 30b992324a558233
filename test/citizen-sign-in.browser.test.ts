import { exportJWK, generateKeyPair } from 'jose';
import * as openid from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CitizenAccountService } from '../src/citizen/citizen-account.service.js';
import { argon2idPasswordHasher } from '../src/citizen/citizen-password.hasher.js';
import { acrLevel1, acrLevel2 } from '../src/citizen/citizen.types.js';
import { memoryOtpSender } from '../src/citizen/otp.sender.js';
import { RelyingPartyService } from '../src/citizen/relying-party.service.js';
import { memberRepository } from '../src/exchange/member.repository.js';
import { buildApp } from '../src/http/app.js';
import { totpCodeAt } from '../src/identity/totp.verifier.js';
import { RegistryService } from '../src/registry/registry.service.js';
import { systemClock } from '../src/shared/clock.js';
import { citizenLan, registerCitizens } from './citizen.fixture.js';
import { createTestDatabase } from './test-database.js';
import { launchTestBrowser } from './test-browser.js';

/**
 * A citizen signs in to a bank in a real browser (Debian's chromium, a 390 px phone viewport):
 * openid-client is the bank; the provider's sign-in form, the consent screen, the code back at the
 * bank; step-up to level 2 with the authenticator; logout at the bank's request. Every page is
 * watched for CSP refusals and for content wider than the screen.
 */

type Store = Awaited<ReturnType<typeof createTestDatabase>>;
let store: Store;
let app: FastifyInstance;
let origin: string;
let browser: Browser;
let bank: openid.Configuration;
let seed = '';
const password = 'Hoa sen nở giữa đầm lầy';
const clientId = 'VN/COM/BANKZ/login';
const redirectUri = 'http://bank.localhost:7003/cb';

beforeAll(async () => {
  store = await createTestDatabase('sqlite');
  await registerCitizens(new RegistryService({ db: store.db, clock: systemClock }), [citizenLan]);
  const hasher = argon2idPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
  const otp = memoryOtpSender();
  app = await buildApp({ database: store, clock: systemClock, operatorToken: 'citizen-browser-operator-token-0123456789', logger: false, citizenOtp: otp, citizenHasher: hasher });
  origin = await app.listen({ host: '127.0.0.1', port: 0 });
  const accounts = new CitizenAccountService({ db: store.db, clock: systemClock, hasher, otp });
  const { challengeId } = await accounts.startActivation({ idNumber: citizenLan.idNumber, fullName: citizenLan.facts.fullName, birthDate: citizenLan.facts.birthDate, phone: citizenLan.phone });
  const lan = await accounts.confirmActivation({ challengeId, code: otp.sent.at(-1)?.code ?? '', password });
  await accounts.attestLevel2({ officerId: 'officer-7', unit: 'commune:00004' }, { idNumber: citizenLan.idNumber, cardNumber: 'AB1234567' });
  seed = (await accounts.beginTotp(lan.accountId)).totpSecret;
  await accounts.confirmTotp(lan.accountId, totpCodeAt(seed, new Date(Date.now() - 30_000)));

  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const at = new Date().toISOString();
  await memberRepository.insertMember(store.db, { memberId: 'VN/COM/BANKZ', name: 'Ngân hàng Z', kind: 'bank', status: 'active', createdAt: at });
  await memberRepository.insertClient(store.db, { clientId, memberId: 'VN/COM/BANKZ', name: 'login', jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'z-1', alg: 'EdDSA', use: 'sig' }] }, status: 'active', createdAt: at });
  await new RelyingPartyService({ db: store.db, clock: systemClock }).onboard({ clientId, displayName: 'Ngân hàng Z', redirectUris: [redirectUri], postLogoutRedirectUris: ['http://bank.localhost:7003/bye'], allowedClaims: ['name', 'birthdate', 'gender', 'vn_tax_code'] });
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- the test server speaks plain HTTP on loopback
  bank = await openid.discovery(new URL(`${origin}/oidc`), clientId, { id_token_signed_response_alg: 'RS256' }, openid.PrivateKeyJwt({ key: privateKey, kid: 'z-1' }), { execute: [openid.allowInsecureRequests] });
  browser = await launchTestBrowser();
});

afterAll(async () => {
  await browser.close();
  await app.close();
  await store.close();
});

interface Watched { readonly context: BrowserContext; readonly page: Page; readonly violations: string[]; readonly arrivals: string[] }

/** A phone-sized page; the bank's own pages are answered here and their URLs kept. */
async function phone(): Promise<Watched> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'vi-VN' });
  const page = await context.newPage();
  const violations: string[] = [];
  const arrivals: string[] = [];
  page.on('console', (message) => { if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text()); });
  await page.route('http://bank.localhost:7003/**', async (route) => {
    arrivals.push(route.request().url());
    await route.fulfill({ status: 200, contentType: 'text/html', body: '<p>bank</p>' });
  });
  return { context, page, violations, arrivals };
}

async function authorization(params: Record<string, string> = {}): Promise<{ url: string; verifier: string; state: string; nonce: string }> {
  const verifier = openid.randomPKCECodeVerifier();
  const state = openid.randomState();
  const nonce = openid.randomNonce();
  const url = openid.buildAuthorizationUrl(bank, { redirect_uri: redirectUri, scope: 'openid profile vn_tax_code', code_challenge: await openid.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce, ...params });
  return { url: url.href, verifier, state, nonce };
}

async function fitsTheScreen(page: Page): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
}

describe('citizen sign-in in a browser', () => {
  it('signs in, consents, steps up to level 2 and logs out', async () => {
    const { context, page, violations, arrivals } = await phone();
    const first = await authorization();
    await page.goto(first.url);
    await page.getByTestId('citizen-id-number').fill(citizenLan.idNumber);
    await page.getByTestId('citizen-password').fill(password);
    await fitsTheScreen(page);
    await page.getByTestId('citizen-sign-in-submit').click();
    await page.getByTestId('consent-claims').waitFor();
    await fitsTheScreen(page);
    expect(await page.getByTestId('consent-claim').evaluateAll((items) => items.map((i) => i.getAttribute('data-claim')))).toEqual(['name', 'birthdate', 'gender', 'vn_tax_code']);
    await page.getByTestId('consent-approve').click();
    await expect.poll(() => arrivals.length, { timeout: 15_000 }).toBe(1);
    const tokens = await openid.authorizationCodeGrant(bank, new URL(arrivals[0] ?? ''), { pkceCodeVerifier: first.verifier, expectedState: first.state, expectedNonce: first.nonce });
    expect(tokens.claims()?.acr).toBe(acrLevel1);
    const info = await openid.fetchUserInfo(bank, tokens.access_token, tokens.claims()?.sub ?? '');
    expect(info).toMatchObject({ name: citizenLan.facts.fullName, birthdate: citizenLan.facts.birthDate, gender: 'female', vn_tax_code: citizenLan.idNumber });

    // Step-up: the bank asks for level 2 for a transfer; the session is level 1, so the code is asked.
    // The bank's callback must have loaded first: under load the redirect that reached the bank can
    // still be committing in the page, and would interrupt the next navigation.
    await page.waitForURL((u) => u.pathname === '/cb' && u.searchParams.get('state') === first.state, { waitUntil: 'load' });
    const up = await authorization({ acr_values: acrLevel2 });
    await page.goto(up.url);
    await page.getByTestId('citizen-code').waitFor();
    await page.getByTestId('citizen-id-number').fill(citizenLan.idNumber);
    await page.getByTestId('citizen-password').fill(password);
    await page.getByTestId('citizen-code').fill(totpCodeAt(seed, new Date()));
    await page.getByTestId('citizen-sign-in-submit').click();
    await expect.poll(() => arrivals.length, { timeout: 15_000 }).toBe(2);
    const stepped = await openid.authorizationCodeGrant(bank, new URL(arrivals[1] ?? ''), { pkceCodeVerifier: up.verifier, expectedState: up.state, expectedNonce: up.nonce });
    expect(stepped.claims()?.acr).toBe(acrLevel2);
    expect(stepped.claims()?.sub).toBe(tokens.claims()?.sub);

    // Logout at the bank's request: the provider asks, then returns to the bank. As above, the
    // step-up's callback must have loaded before the next navigation.
    await page.waitForURL((u) => u.pathname === '/cb' && u.searchParams.get('state') === up.state, { waitUntil: 'load' });
    await page.goto(openid.buildEndSessionUrl(bank, { id_token_hint: stepped.id_token ?? '', post_logout_redirect_uri: 'http://bank.localhost:7003/bye' }).href);
    await page.getByTestId('logout-confirm').click();
    await expect.poll(() => arrivals.at(-1), { timeout: 15_000 }).toBe('http://bank.localhost:7003/bye');
    // The route answers before the page has moved there: a new navigation now would interrupt it.
    await page.waitForURL('http://bank.localhost:7003/bye');
    await page.goto((await authorization()).url);
    await page.getByTestId('citizen-password').waitFor();
    expect(violations).toEqual([]);
    await context.close();
  }, 90_000);
});
