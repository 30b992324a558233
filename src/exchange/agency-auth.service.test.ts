import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../shared/clock.js';
import { accessTokenAudience, accessTokenIssuer, AgencyAuthService, defaultTokenAudience, jwtBearerAssertionType } from './agency-auth.service.js';
import type { ClientEntry, ExchangeDirectory } from './exchange.directory.js';

const clientId = 'VN/GOV/BHXH/portal';
const macSecret = Buffer.alloc(32, 9);

/** A clock the test moves forward. */
function movingClock(at: string): Clock & { advance(ms: number): void } {
  let now = new Date(at).getTime();
  return { now: () => new Date(now), advance: (ms) => { now += ms; } };
}

describe('agency access tokens (RFC 9068 JWTs)', () => {
  const clock = movingClock('2026-12-04T10:00:00Z');
  let auth: AgencyAuthService;
  let privateKey: CryptoKey;
  let token: string;
  let jti = 0;
  const assertion = (): Promise<string> => new SignJWT({})
    .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
    .setIssuer(clientId).setSubject(clientId).setAudience(defaultTokenAudience)
    .setIssuedAt(Math.floor(clock.now().getTime() / 1000)).setExpirationTime(Math.floor(clock.now().getTime() / 1000) + 120)
    .setJti(`a-${jti++}`)
    .sign(privateKey);
  /** A token signed with the exchange's own secret, with the claims and header given. */
  const signedByExchange = (claims: Record<string, unknown>, typ: string | undefined, audience = accessTokenAudience): Promise<string> => {
    const at = Math.floor(clock.now().getTime() / 1000);
    return new SignJWT({ client_id: clientId, mem: 'VN/GOV/BHXH', ...claims })
      .setProtectedHeader({ alg: 'HS256', ...(typ === undefined ? {} : { typ }) })
      .setIssuer(accessTokenIssuer).setSubject(clientId).setAudience(audience)
      .setIssuedAt(at).setExpirationTime(at + 300).setJti('t-1')
      .sign(macSecret);
  };

  beforeAll(async () => {
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    privateKey = pair.privateKey;
    const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
    const entry = {
      client: { clientId, memberId: 'VN/GOV/BHXH', name: 'portal', jwks: { keys: [publicJwk] }, status: 'active', createdAt: '2026-01-01T00:00:00Z' },
      member: { memberId: 'VN/GOV/BHXH', name: 'BHXH', kind: 'ministry', status: 'active', createdAt: '2026-01-01T00:00:00Z' },
      officers: new Set<string>(),
      grants: new Map(),
    } as unknown as ClientEntry;
    // the service reads the directory through get() alone
    const directory = { get: (id: string) => Promise.resolve(id === clientId ? entry : undefined) } as unknown as ExchangeDirectory;
    auth = new AgencyAuthService({ clock, directory, macSecret });
    ({ accessToken: token } = await auth.issueToken({ grantType: 'client_credentials', clientAssertionType: jwtBearerAssertionType, clientAssertion: await assertion() }));
  });

  it('issues a JWT with the header and claims RFC 9068 requires, and the member', () => {
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'at+jwt' });
    const now = Math.floor(clock.now().getTime() / 1000);
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: accessTokenIssuer, sub: clientId, aud: accessTokenAudience, client_id: clientId, mem: 'VN/GOV/BHXH', iat: now, exp: now + 300 });
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('authenticates its own token, again from memory', async () => {
    const expected = { clientId, memberId: 'VN/GOV/BHXH', expiresAt: Math.floor(clock.now().getTime() / 1000) + 300 };
    expect(await auth.authenticate(`Bearer ${token}`)).toEqual(expected);
    expect(await auth.authenticate(`bearer ${token}`)).toEqual(expected);
  });

  it('refuses a token of another type, audience or key, or one with a second spelling of its signature', async () => {
    const refused = async (presented: string): Promise<unknown> => auth.authenticate(`Bearer ${presented}`).then(() => 'accepted', (error: unknown) => error);
    // the exchange's key, but not an access token: no typ, or another one (a client assertion's)
    expect(await refused(await signedByExchange({}, undefined))).toMatchObject({ code: 'TOKEN_INVALID' });
    expect(await refused(await signedByExchange({}, 'JWT'))).toMatchObject({ code: 'TOKEN_INVALID' });
    expect(await refused(await signedByExchange({}, 'at+jwt', defaultTokenAudience))).toMatchObject({ code: 'TOKEN_INVALID' });
    expect(await refused(await signedByExchange({ client_id: 'VN/GOV/BCA/police' }, 'at+jwt'))).toMatchObject({ code: 'TOKEN_INVALID' });
    // the right shape under another secret
    const other = new AgencyAuthService({ clock, directory: { get: () => Promise.resolve(undefined) } as unknown as ExchangeDirectory, macSecret: Buffer.alloc(32, 1) });
    expect(await other.authenticate(`Bearer ${token}`).then(() => 'accepted', (error: unknown) => error)).toMatchObject({ code: 'TOKEN_INVALID' });
    // the signature's last character with other unused low bits decodes to the same bytes
    const last = token.at(-1) ?? 'A';
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = alphabet[(alphabet.indexOf(last) & ~3) | ((alphabet.indexOf(last) + 1) & 3)] ?? 'A';
    expect(await refused(`${token.slice(0, -1)}${twin}`)).toMatchObject({ code: 'TOKEN_INVALID' });
    // a well-formed token accepted above still is
    expect(await refused(await signedByExchange({}, 'at+jwt'))).toBe('accepted');
  });

  it('refuses an expired token as expired, whether seen before or not', async () => {
    const fresh = await signedByExchange({}, 'at+jwt');
    await auth.authenticate(`Bearer ${token}`);
    clock.advance(301_000);
    await expect(auth.authenticate(`Bearer ${token}`)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
    await expect(auth.authenticate(`Bearer ${fresh}`)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
  });
});
