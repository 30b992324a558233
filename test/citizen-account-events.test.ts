import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import * as openid from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CitizenAccountService } from '../src/citizen/citizen-account.service.js';
import { argon2idPasswordHasher } from '../src/citizen/citizen-password.hasher.js';
import { memoryOtpSender } from '../src/citizen/otp.sender.js';
import { RelyingPartyService } from '../src/citizen/relying-party.service.js';
import { memberRepository } from '../src/exchange/member.repository.js';
import { buildApp } from '../src/http/app.js';
import { RegistryService } from '../src/registry/registry.service.js';
import { systemClock } from '../src/shared/clock.js';
import { registerCitizens } from './citizen.fixture.js';
import { CookieJar as Jar } from './cookie-jar.js';
import { allScopesKey } from './officer-session.js';
import { createTestDatabase } from './test-database.js';

/**
 * What the registry does to a citizen's e-ID account, end to end over HTTP: a death recorded by
 * an officer closes the account in the event's transaction, ends its portal and provider sessions
 * and sends a back-channel logout token to the relying party the citizen signed in to; a new card
 * re-binds the account the same way; recovery by the confirmed phone sets a new password and ends
 * every other session, the relying parties' included. A relying party here is openid-client with
 * a real back-channel logout endpoint on loopback.
 */

type Store = Awaited<ReturnType<typeof createTestDatabase>>;
let store: Store;
let app: FastifyInstance;
let origin = '';
let apiHeaders: Record<string, string> = {};
const otp = memoryOtpSender();
const hasher = argon2idPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
const password = 'Uống nước nhớ nguồn, ăn quả nhớ người trồng cây';
let accounts: CitizenAccountService;

let receiver: Server;
let receiverOrigin = '';
const deliveries: { readonly path: string; readonly body: string }[] = [];
const waiting: (() => void)[] = [];
/** The next back-channel logout delivered to `path`. */
async function deliveryTo(path: string): Promise<string> {
  for (;;) {
    const found = deliveries.find((d) => d.path === path);
    if (found !== undefined) return found.body;
    await new Promise<void>((resolve) => { waiting.push(resolve); });
  }
}
const loopbackReceiverFetch: typeof fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : input);
  if (url.origin !== receiverOrigin || init === undefined) return fetch(input, init);
  const rest: RequestInit & { dispatcher?: unknown } = { ...init };
  delete rest.dispatcher;
  return fetch(input, rest);
};

const person = (idNumber: string, fullName: string, birthDate: string, sex: string, household: string, phone: string): { idNumber: string; facts: Record<string, string>; phone: string } => ({
  idNumber, phone,
  facts: { fullName, birthDate, sex, ethnicity: 'Kinh', birthProvince: '001', permanentCommune: '00004', permanentAddress: 'Số 7 phố Huế', householdId: household, relationshipToHead: 'head' },
});
const hoa = person('001193000654', 'Phạm Thị Hoa', '1993-05-20', 'F', 'HH-EVT-1', '0912 000 111');
const nam = person('001088000987', 'Vũ Văn Nam', '1988-09-14', 'M', 'HH-EVT-2', '0912 000 222');
const thu = person('001195000111', 'Hoàng Thị Thu', '1995-01-30', 'F', 'HH-EVT-3', '0912 000 333');

async function get(jar: Jar, url: string): Promise<Response> {
  const response = await fetch(new URL(url, origin), { redirect: 'manual', headers: { cookie: jar.header() } });
  jar.take(response);
  return response;
}
async function post(jar: Jar, url: string, body: Record<string, string>, form = false): Promise<Response> {
  const response = await fetch(new URL(url, origin), {
    method: 'POST', redirect: 'manual',
    headers: { cookie: jar.header(), 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' },
    body: form ? new URLSearchParams(body).toString() : JSON.stringify(body),
  });
  jar.take(response);
  return response;
}
const csrfOf = (html: string): string => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

interface TestRp { readonly clientId: string; readonly redirectUri: string; readonly config: openid.Configuration }

async function onboardRp(code: string, backchannelPath: string): Promise<TestRp> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kid = `${code}-key-1`;
  const at = new Date().toISOString();
  const clientId = `VN/COM/${code}/login`;
  await memberRepository.insertMember(store.db, { memberId: `VN/COM/${code}`, name: code, kind: 'bank', status: 'active', createdAt: at });
  await memberRepository.insertClient(store.db, { clientId, memberId: `VN/COM/${code}`, name: 'login', jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' }] }, status: 'active', createdAt: at });
  const host = `${code.toLowerCase()}.localhost:7010`;
  const redirectUri = `http://${host}/cb`;
  await new RelyingPartyService({ db: store.db, clock: systemClock }).onboard({
    clientId, displayName: `Dịch vụ ${code}`, redirectUris: [redirectUri], postLogoutRedirectUris: [`http://${host}/bye`], allowedClaims: ['name'], backchannelLogoutUri: `${receiverOrigin}${backchannelPath}`,
  });
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- the test server speaks plain HTTP on loopback
  const config = await openid.discovery(new URL(`${origin}/oidc`), clientId, { id_token_signed_response_alg: 'RS256' }, openid.PrivateKeyJwt({ key: privateKey, kid }), { execute: [openid.allowInsecureRequests] });
  return { clientId, redirectUri, config };
}

/** Signs the citizen in at the relying party (sign-in and consent pages, code, tokens): the provider's session stays in `jar`. */
async function signInAt(rp: TestRp, idNumber: string, jar: Jar): Promise<string> {
  const verifier = openid.randomPKCECodeVerifier();
  const state = openid.randomState();
  const nonce = openid.randomNonce();
  const url = openid.buildAuthorizationUrl(rp.config, { redirect_uri: rp.redirectUri, scope: 'openid profile', code_challenge: await openid.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce });
  let response = await get(jar, url.href);
  for (let i = 0; i < 12; i++) {
    if (response.status === 302 || response.status === 303) {
      const to = new URL(response.headers.get('location') ?? '', origin).href;
      if (!to.startsWith(origin)) {
        const tokens = await openid.authorizationCodeGrant(rp.config, new URL(to), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
        return tokens.claims()?.sub ?? '';
      }
      response = await get(jar, to);
      continue;
    }
    const html = await response.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1] ?? '';
    if (html.includes('data-testid="citizen-id-number"')) response = await post(jar, action, { csrf: csrfOf(html), idNumber, password }, true);
    else if (html.includes('data-testid="consent-claims"')) response = await post(jar, action, { csrf: csrfOf(html), decision: 'approve' }, true);
    else throw new Error(`stopped at ${String(response.status)}: ${html.slice(0, 300)}`);
  }
  throw new Error('too many steps');
}

/** Does a new authorization in this browser ask for the password again (the provider's session ended)? */
async function asksToSignIn(rp: TestRp, jar: Jar): Promise<boolean> {
  const url = openid.buildAuthorizationUrl(rp.config, { redirect_uri: rp.redirectUri, scope: 'openid', code_challenge: await openid.calculatePKCECodeChallenge(openid.randomPKCECodeVerifier()), code_challenge_method: 'S256', state: 's', nonce: 'n' });
  let response = await get(jar, url.href);
  for (let i = 0; i < 6 && (response.status === 302 || response.status === 303); i++) {
    const to = new URL(response.headers.get('location') ?? '', origin).href;
    if (!to.startsWith(origin)) return false;
    response = await get(jar, to);
  }
  return (await response.text()).includes('data-testid="citizen-password"');
}

async function logoutSubject(path: string, rp: TestRp): Promise<unknown> {
  const body = await deliveryTo(path);
  const { payload } = await jwtVerify(new URLSearchParams(body).get('logout_token') ?? '', createRemoteJWKSet(new URL(`${origin}/oidc/jwks`)), { issuer: `${origin}/oidc`, audience: rp.clientId });
  expect(payload.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
  return payload.sub;
}

async function recordEvent(idNumber: string, type: string, data: Record<string, unknown>): Promise<Response> {
  return fetch(`${origin}/api/persons/${idNumber}/events`, {
    method: 'POST', headers: { ...apiHeaders, 'content-type': 'application/json' },
    body: JSON.stringify({ type, occurredOn: new Date().toISOString().slice(0, 10), officerId: null, reason: null, data }),
  });
}

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => { body += chunk; });
    request.on('end', () => {
      deliveries.push({ path: request.url ?? '', body });
      response.writeHead(200).end();
      for (const wake of waiting.splice(0)) wake();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverOrigin = `http://127.0.0.1:${String((receiver.address() as AddressInfo).port)}`;
  store = await createTestDatabase('sqlite');
  await registerCitizens(new RegistryService({ db: store.db, clock: systemClock }), [hoa, nam, thu]);
  const keyed = await allScopesKey(store.db, systemClock);
  apiHeaders = keyed.headers;
  app = await buildApp({ database: store, clock: systemClock, operatorToken: 'citizen-events-operator-token-0123456789', logger: false, citizenOtp: otp, citizenHasher: hasher, oidcFetch: loopbackReceiverFetch, identity: keyed.identity });
  origin = await app.listen({ host: '127.0.0.1', port: 0 });
  accounts = new CitizenAccountService({ db: store.db, clock: systemClock, hasher, otp });
  for (const p of [hoa, nam, thu]) {
    const { challengeId } = await accounts.startActivation({ idNumber: p.idNumber, fullName: p.facts.fullName ?? '', birthDate: p.facts.birthDate ?? '', phone: p.phone });
    await accounts.confirmActivation({ challengeId, code: otp.sent.at(-1)?.code ?? '', password });
  }
}, 60_000);

afterAll(async () => {
  await app.close();
  await store.close();
  await new Promise((resolve) => receiver.close(resolve));
});

describe('the registry acts on the e-ID account, and relying parties are told', () => {
  it('a recorded death closes the account in the event\'s transaction: sessions end, the relying party gets a logout token', async () => {
    const rp = await onboardRp('HOSPZ', '/death');
    const browser = new Jar();
    const sub = await signInAt(rp, hoa.idNumber, browser);
    const portal = new Jar();
    expect((await post(portal, '/citizen/portal/sign-in', { idNumber: hoa.idNumber, password })).status).toBe(200);

    const recorded = await recordEvent(hoa.idNumber, 'death', {});
    expect(recorded.status, await recorded.clone().text()).toBe(201);
    expect(await logoutSubject('/death', rp)).toBe(sub);
    expect((await accounts.accountOfPerson(hoa.idNumber))?.status).toBe('deceased');
    expect((await get(portal, '/citizen/portal/me')).status).toBe(401);
    const again = await post(new Jar(), '/citizen/portal/sign-in', { idNumber: hoa.idNumber, password });
    expect(((await again.json()) as { code: string }).code).toBe('CITIZEN_ACCOUNT_CLOSED');
    expect(await asksToSignIn(rp, browser)).toBe(true);
  });

  it('a new card re-binds the account: sessions end, the relying party is told, the password still signs in', async () => {
    const rp = await onboardRp('CARDZ', '/card');
    const browser = new Jar();
    const sub = await signInAt(rp, nam.idNumber, browser);
    const portal = new Jar();
    expect((await post(portal, '/citizen/portal/sign-in', { idNumber: nam.idNumber, password })).status).toBe(200);

    const refused = await recordEvent(nam.idNumber, 'id_issuance', { cardNumber: 'NC1234567', fullName: 'Vũ Văn Năm' });
    expect(refused.status).toBe(400);
    expect(deliveries.some((d) => d.path === '/card')).toBe(false);
    expect((await get(portal, '/citizen/portal/me')).status).toBe(200);

    const recorded = await recordEvent(nam.idNumber, 'id_issuance', { cardNumber: 'NC1234567' });
    expect(recorded.status, await recorded.clone().text()).toBe(201);
    expect(await logoutSubject('/card', rp)).toBe(sub);
    const account = await accounts.accountOfPerson(nam.idNumber);
    expect(account).toMatchObject({ status: 'active', cardNumber: 'NC1234567' });
    expect((await get(portal, '/citizen/portal/me')).status).toBe(401);
    expect(await asksToSignIn(rp, browser)).toBe(true);
    expect((await post(new Jar(), '/citizen/portal/sign-in', { idNumber: nam.idNumber, password })).status).toBe(200);
  });

  it('recovery by the confirmed phone: a new password, every other session ended, the relying party told', async () => {
    const rp = await onboardRp('SHOPR', '/recovered');
    const browser = new Jar();
    const sub = await signInAt(rp, thu.idNumber, browser);
    const portal = new Jar();
    expect((await post(portal, '/citizen/portal/sign-in', { idNumber: thu.idNumber, password })).status).toBe(200);

    const asked = await post(new Jar(), '/citizen/recovery', { idNumber: thu.idNumber, phone: thu.phone });
    expect(asked.status).toBe(202);
    const { challengeId } = (await asked.json()) as { challengeId: string };
    const code = otp.sent.at(-1)?.code ?? '';
    const wrong = await post(new Jar(), '/citizen/recovery/confirm', { challengeId, code: code === '000000' ? '111111' : '000000', newPassword: 'Một mật khẩu mới đủ dài và khó đoán' });
    expect(((await wrong.json()) as { code: string }).code).toBe('OTP_INVALID');
    expect((await get(portal, '/citizen/portal/me')).status).toBe(200);

    const newPassword = 'Một cây làm chẳng nên non, ba cây chụm lại nên hòn núi cao';
    const done = await post(new Jar(), '/citizen/recovery/confirm', { challengeId, code, newPassword });
    expect(done.status, await done.clone().text()).toBe(200);
    expect(await logoutSubject('/recovered', rp)).toBe(sub);
    expect((await get(portal, '/citizen/portal/me')).status).toBe(401);
    expect(await asksToSignIn(rp, browser)).toBe(true);
    expect((await post(new Jar(), '/citizen/portal/sign-in', { idNumber: thu.idNumber, password })).status).toBe(401);
    expect((await post(new Jar(), '/citizen/portal/sign-in', { idNumber: thu.idNumber, password: newPassword })).status).toBe(200);
  });
});
