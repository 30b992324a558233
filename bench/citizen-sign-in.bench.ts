// Citizens' e-ID: a full sign-in at a relying party (authorize with PKCE, the password checked with
// argon2id at OWASP's cost, the code, the token with private_key_jwt, userinfo with its access
// record) per second and its p99, side by side with a bare Fastify hello-world in the same run;
// argon2id verifications per second on one core; level 1 activations per second in bulk.
//   npx tsx bench/citizen-sign-in.bench.ts [--accounts 200] [--users 8] [--seconds 20] [--activators 4]
//
// The server runs in its own process (bench/servers/citizen.server.ts); the relying party
// (openid-client: it signs its client assertion and checks the ID token) and the browsers'
// redirects run in this one, on the same 2 cores: the figures are those of the pair.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { exportJWK, generateKeyPair } from 'jose';
import * as openid from 'openid-client';
import { CitizenAccountService } from '../src/citizen/citizen-account.service.js';
import { argon2idPasswordHasher, owaspArgon2id } from '../src/citizen/citizen-password.hasher.js';
import { memoryOtpSender } from '../src/citizen/otp.sender.js';
import { RelyingPartyService } from '../src/citizen/relying-party.service.js';
import { memberRepository } from '../src/exchange/member.repository.js';
import { generatePopulation } from '../src/registry/population.generator.js';
import { systemClock } from '../src/shared/clock.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import { openDatabase } from '../src/store/database.js';
import { migrateAccessLogStore, migrateToLatest } from '../src/store/migrator.js';
import { load, startServer, stopServer } from './load.js';
import { CookieJar as Jar } from '../test/cookie-jar.js';

const { values } = parseArgs({
  options: {
    accounts: { type: 'string', default: '200' },
    users: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '20' },
    activators: { type: 'string', default: '4' },
  },
});
const accountCount = Number(values.accounts);
const users = Number(values.users);
const seconds = Number(values.seconds);
const activators = Number(values.activators);
const password = 'Hoa sen nở giữa đầm lầy 2026';
const clientId = 'VN/COM/BENCHBANK/login';
const redirectUri = 'http://bank.localhost:7009/cb';


const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-citizen-bench-'));
const registryFile = path.join(dir, 'sachsong.db');
try {
  const database = openDatabase({ sqliteFile: registryFile });
  await migrateToLatest(database.db, database.dialect);
  await loadPopulation(database, generatePopulation({ people: Math.max(4 * accountCount, 2_000), seed: 15, today: '2026-12-01' }));
  const adults = await database.db.selectFrom('persons').select(['id_number', 'full_name', 'birth_date']).where('status', '=', 'alive')
    .where('birth_date', 'like', '19__-__-__').orderBy('id_number').limit(accountCount).execute();

  // Level 1 activations in bulk (a province's drive): details checked, a code sent and confirmed, the password hashed.
  const otp = memoryOtpSender();
  const accounts = new CitizenAccountService({ db: database.db, clock: systemClock, hasher: argon2idPasswordHasher(), otp });
  let next = 0;
  const activationStarted = performance.now();
  await Promise.all(Array.from({ length: activators }, async () => {
    for (let i = next++; i < adults.length; i = next++) {
      const person = adults[i];
      if (person === undefined) continue;
      const phone = `09${String(10_000_000 + i).slice(-8)}`;
      const { challengeId } = await accounts.startActivation({ idNumber: person.id_number, fullName: person.full_name, birthDate: person.birth_date, phone });
      const code = otp.sent.filter((m) => m.phone === `+84${phone.slice(1)}`).at(-1)?.code ?? '';
      await accounts.confirmActivation({ challengeId, code, password });
    }
  }));
  const activationSeconds = (performance.now() - activationStarted) / 1000;

  // argon2id verifications on one core (this process, one at a time).
  const hasher = argon2idPasswordHasher();
  const stored = await hasher.hash(password);
  const hashStarted = performance.now();
  const cpuStarted = process.cpuUsage();
  for (let i = 0; i < 20; i++) await hasher.verify(password, stored);
  const verifyMs = (performance.now() - hashStarted) / 20;
  const cpu = process.cpuUsage(cpuStarted);
  const verifyCpuMs = (cpu.user + cpu.system) / 1000 / 20;

  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const at = new Date().toISOString();
  await memberRepository.insertMember(database.db, { memberId: 'VN/COM/BENCHBANK', name: 'Bench bank', kind: 'bank', status: 'active', createdAt: at });
  await memberRepository.insertClient(database.db, { clientId, memberId: 'VN/COM/BENCHBANK', name: 'login', jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'b-1', use: 'sig' }] }, status: 'active', createdAt: at });
  await new RelyingPartyService({ db: database.db, clock: systemClock }).onboard({ clientId, displayName: 'Ngân hàng thử', redirectUris: [redirectUri], allowedClaims: ['name', 'birthdate', 'gender'] });
  await database.close();
  const logFile = path.join(dir, 'access-log.db');
  const logStore = openDatabase({ sqliteFile: logFile, pageSize: 4_096 });
  await migrateAccessLogStore(logStore.db, logStore.dialect);
  await logStore.close();

  const citizen = await startServer('bench/servers/citizen.server.ts', [registryFile, logFile, path.join(dir, 'otp-outbox.jsonl')]);
  const hello = await startServer('bench/servers/hello.server.ts', []);
  try {
    const origin = citizen.url;
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- loopback HTTP
    const rp = await openid.discovery(new URL(`${origin}/oidc`), clientId, { id_token_signed_response_alg: 'RS256' }, openid.PrivateKeyJwt({ key: privateKey, kid: 'b-1' }), { execute: [openid.allowInsecureRequests] });
    const go = async (jar: Jar, url: string, form?: Record<string, string>): Promise<Response> => {
      const response = await fetch(new URL(url, origin), form === undefined
        ? { redirect: 'manual', headers: { cookie: jar.header() } }
        : { method: 'POST', redirect: 'manual', headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
      jar.take(response);
      return response;
    };
    /** One complete sign-in from a browser without a provider session; consents when asked. */
    const signIn = async (idNumber: string): Promise<void> => {
      const jar = new Jar();
      const verifier = openid.randomPKCECodeVerifier();
      const state = openid.randomState();
      const nonce = openid.randomNonce();
      const url = openid.buildAuthorizationUrl(rp, { redirect_uri: redirectUri, scope: 'openid profile', code_challenge: await openid.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce });
      let response = await go(jar, url.href);
      let callback: string | undefined;
      for (let i = 0; i < 12 && callback === undefined; i++) {
        const location = response.headers.get('location');
        if (location !== null) {
          const target = new URL(location, origin);
          if (target.origin !== origin) callback = target.href;
          else response = await go(jar, target.href);
          continue;
        }
        const html = await response.text();
        const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
        const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
        if (action === undefined) throw new Error(`sign-in stopped at ${String(response.status)}`);
        response = await go(jar, action, action.endsWith('/login') ? { csrf, idNumber, password } : { csrf, decision: 'approve' });
      }
      if (callback === undefined) throw new Error('no callback');
      const tokens = await openid.authorizationCodeGrant(rp, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
      await openid.fetchUserInfo(rp, tokens.access_token, tokens.claims()?.sub ?? '');
    };
    const ids = adults.map((a) => a.id_number);
    // Consent once per account (not measured), which also warms the server.
    let k = 0;
    await Promise.all(Array.from({ length: users }, async () => { for (let i = k++; i < ids.length; i = k++) await signIn(ids[i] ?? ''); }));

    const latencies: number[] = [];
    let failures = 0;
    const until = performance.now() + seconds * 1000;
    let n = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: users }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        try {
          await signIn(ids[n++ % ids.length] ?? '');
          latencies.push(performance.now() - t);
        } catch {
          failures++;
        }
      }
    }));
    const elapsed = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const q = (p: number): number => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0);
    const baseline = await load(hello.url, ['/'], { seconds, connections: users, warmup: 3 });
    const signInsPerSecond = latencies.length / elapsed;
    process.stdout.write(`${JSON.stringify({
      cores: availableParallelism(),
      argon2id: owaspArgon2id,
      verifyWallMs: Math.round(verifyMs * 10) / 10,
      verifyCpuMs: Math.round(verifyCpuMs * 10) / 10,
      verificationsPerSecondPerCore: Math.round(1000 / verifyCpuMs * 10) / 10,
      activations: { accounts: adults.length, activators, seconds: Math.round(activationSeconds * 10) / 10, perSecond: Math.round(adults.length / activationSeconds * 10) / 10 },
      signIn: { users, seconds: Math.round(elapsed), completed: latencies.length, failures, perSecond: Math.round(signInsPerSecond * 10) / 10, p50Ms: q(0.5), p99Ms: q(0.99) },
      helloWorld: { connections: users, requestsPerSecond: Math.round(baseline.requestsPerSecond), p50Ms: baseline.p50Ms, p99Ms: baseline.p99Ms },
      ratio: Math.round(signInsPerSecond / baseline.requestsPerSecond * 100_000) / 100_000,
    }, null, 2)}\n`);
  } finally {
    await stopServer(citizen.child);
    await stopServer(hello.child);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
