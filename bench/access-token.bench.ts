// Agency access tokens: the JWT access token (RFC 9068, HS256 with jose) against the `sx1.<claims>.<HMAC>`
// token it replaced, side by side in one run, in CPU microseconds per operation:
//   npx tsx bench/access-token.bench.ts [--rounds 5] [--calls 200000] [--fresh 5000]
// - per call: a service call with a token seen before (what nearly every call is: a token lives
//   5 minutes and is sent on each call): the cache lookup and expiry check;
// - first sight: the verification of a token this process has not seen (once per token per node);
// - issue: signing a token at POST /x/token (after the client assertion's check, not measured).
// The old token's code is kept here, as it was, as the baseline. Rounds alternate old and new;
// the ratio new/old is taken per round and the median printed (the machine may be shared).
import { createHmac, randomUUID, timingSafeEqual, webcrypto } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { AgencyAuthService, defaultTokenAudience, jwtBearerAssertionType } from '../src/exchange/agency-auth.service.js';
import type { ClientEntry, ExchangeDirectory } from '../src/exchange/exchange.directory.js';
import type { Clock } from '../src/shared/clock.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, calls: { type: 'string', default: '200000' }, fresh: { type: 'string', default: '5000' } } });
const rounds = Number(values.rounds);
const calls = Number(values.calls);
const fresh = Number(values.fresh);

const clientId = 'VN/GOV/BHXH/portal';
const memberId = 'VN/GOV/BHXH';
const macSecret = Buffer.alloc(32, 5);
const clock: Clock = { now: () => new Date() };

/** The replaced token, as agency-auth.service.ts had it: issue, first check, cached call. */
class Sx1Tokens {
  private readonly verified = new Map<string, { clientId: string; memberId: string; expiresAt: number }>();
  issue(): string {
    const body = Buffer.from(JSON.stringify({ sub: clientId, mem: memberId, exp: Math.floor(Date.now() / 1000) + 300, jti: randomUUID() })).toString('base64url');
    return `sx1.${body}.${this.mac(body)}`;
  }
  authenticate(header: string): { clientId: string; memberId: string; expiresAt: number } {
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    let principal = this.verified.get(token);
    if (principal === undefined) {
      principal = this.check(token);
      if (this.verified.size >= 50_000) this.verified.clear();
      this.verified.set(token, principal);
    }
    if (principal.expiresAt * 1000 <= clock.now().getTime()) throw new Error('expired');
    return principal;
  }
  forget(): void {
    this.verified.clear();
  }
  private check(token: string): { clientId: string; memberId: string; expiresAt: number } {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== 'sx1' || parts[1] === undefined || parts[2] === undefined) throw new Error('forged');
    const expected = Buffer.from(this.mac(parts[1]));
    const given = Buffer.from(parts[2]);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw new Error('forged');
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { sub: string; mem: string; exp: number };
    return { clientId: claims.sub, memberId: claims.mem, expiresAt: claims.exp };
  }
  private mac(body: string): string {
    return createHmac('sha256', macSecret).update(body).digest('base64url');
  }
}

const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
const publicJwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
const entry = {
  client: { clientId, memberId, name: 'portal', jwks: { keys: [publicJwk] }, status: 'active', createdAt: '2026-01-01T00:00:00Z' },
  member: { memberId, name: 'BHXH', kind: 'ministry', status: 'active', createdAt: '2026-01-01T00:00:00Z' },
  officers: new Set<string>(),
  grants: new Map(),
} as unknown as ClientEntry;
const directory = { get: () => Promise.resolve(entry) } as unknown as ExchangeDirectory;
let jti = 0;
const assertion = (): Promise<string> => {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid: 'k1' }).setIssuer(clientId).setSubject(clientId).setAudience(defaultTokenAudience)
    .setIssuedAt(now).setExpirationTime(now + 120).setJti(`bench-${jti++}`).sign(privateKey);
};
const newService = (): AgencyAuthService => new AgencyAuthService({ clock, directory, macSecret, maxAssertionsPerClient: 10_000_000 });

/** CPU µs per operation (user + system of this process, which runs nothing else). */
async function cpuPerOp(n: number, run: () => Promise<void> | void): Promise<number> {
  const start = process.cpuUsage();
  await run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

const jwtIssuer = newService();
const jwtTokens: string[] = [];
for (let i = 0; i < fresh; i++) jwtTokens.push((await jwtIssuer.issueToken({ grantType: 'client_credentials', clientAssertionType: jwtBearerAssertionType, clientAssertion: await assertion() })).accessToken);
const sx1 = new Sx1Tokens();
const sx1Tokens = Array.from({ length: fresh }, () => sx1.issue());

// Issuing, without the client assertion's check: the old token's body and MAC against SignJWT as issueToken calls it.
const signKey = await webcrypto.subtle.importKey('raw', macSecret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
const issueJwt = (): Promise<string> => {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ client_id: clientId, mem: memberId }).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).setIssuer('urn:sachsong:exchange').setSubject(clientId)
    .setAudience('urn:sachsong:exchange:services').setIssuedAt(now).setExpirationTime(now + 300).setJti(randomUUID()).sign(signKey);
};

interface Figures { perCall: number; firstSight: number; issue: number }
const results: { old: Figures; jwt: Figures }[] = [];
for (let round = 0; round < rounds; round++) {
  const old: Figures = { perCall: 0, firstSight: 0, issue: 0 };
  const jwt: Figures = { perCall: 0, firstSight: 0, issue: 0 };
  sx1.forget();
  old.firstSight = await cpuPerOp(fresh, () => { for (const t of sx1Tokens) sx1.authenticate(`Bearer ${t}`); });
  const verifier = newService();
  jwt.firstSight = await cpuPerOp(fresh, async () => { for (const t of jwtTokens) await verifier.authenticate(`Bearer ${t}`); });
  // Each call gets the header as a new string, as from the HTTP parser (a string's hash is kept on
  // the string: one reused would hide the cost of hashing a longer token).
  const oldHeader = Buffer.from(`Bearer ${sx1Tokens[0] ?? ''}`, 'latin1');
  const jwtHeader = Buffer.from(`Bearer ${jwtTokens[0] ?? ''}`, 'latin1');
  // as ExchangeService.admit/call ask: the old synchronous check, the new peek (the verified token's fast path)
  old.perCall = await cpuPerOp(calls, () => { for (let i = 0; i < calls; i++) sx1.authenticate(oldHeader.toString('latin1')); });
  jwt.perCall = await cpuPerOp(calls, async () => {
    for (let i = 0; i < calls; i++) {
      const header = jwtHeader.toString('latin1');
      if (verifier.peek(header) === undefined) await verifier.authenticate(header);
    }
  });
  old.issue = await cpuPerOp(fresh, () => { for (let i = 0; i < fresh; i++) sx1.issue(); });
  jwt.issue = await cpuPerOp(fresh, async () => { for (let i = 0; i < fresh; i++) await issueJwt(); });
  results.push({ old, jwt });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
console.log(`access tokens, CPU µs per operation; ${rounds} rounds, ${calls} calls, ${fresh} tokens; node ${process.version}, ${availableParallelism()} cores`);
console.log(`token length: sx1 ${sx1Tokens[0]?.length ?? 0}, JWT ${jwtTokens[0]?.length ?? 0} characters`);
console.log('operation      sx1 (old)   JWT (RFC 9068)   JWT/sx1 (median of rounds)');
for (const key of ['perCall', 'firstSight', 'issue'] as const) {
  const label = { perCall: 'per call', firstSight: 'first sight', issue: 'issue' }[key];
  const ratio = median(results.map((r) => r.jwt[key] / r.old[key]));
  console.log(`${label.padEnd(14)} ${median(results.map((r) => r.old[key])).toFixed(2).padStart(9)}   ${median(results.map((r) => r.jwt[key])).toFixed(2).padStart(14)}   ${ratio.toFixed(2).padStart(10)}`);
}
