import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { JWK } from 'oidc-provider';
import type { DB } from '../store/database.types.js';

/** The OpenID provider's secrets, shared by every node through the store. */
export interface OidcKeys {
  /** Private JWKs that sign ID tokens (RS256), newest first; the provider publishes their public halves at /oidc/jwks. */
  readonly signingKeys: readonly JWK[];
  /** Secrets that sign the provider's cookies, newest first (older ones still verify). */
  readonly cookieKeys: readonly string[];
  /** The console's client secret (sachsong-console is a confidential client run by this server). */
  readonly consoleClientSecret: string;
  /** 32 bytes that seal the console's short sign-in cookie (state, nonce, PKCE verifier). */
  readonly consoleFlowKey: Buffer;
}

type Purpose = 'signing' | 'cookie' | 'console-client' | 'console-flow';

const makers: Readonly<Record<Purpose, () => string>> = {
  signing: () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = privateKey.export({ format: 'jwk' });
    const kid = createHash('sha256').update(String(jwk.n)).digest('base64url').slice(0, 16);
    return JSON.stringify({ ...jwk, kid, alg: 'RS256', use: 'sig' });
  },
  cookie: () => randomBytes(32).toString('base64url'),
  'console-client': () => randomBytes(32).toString('base64url'),
  'console-flow': () => randomBytes(32).toString('base64url'),
};

async function ensure(db: Kysely<DB>, purpose: Purpose, at: string): Promise<readonly string[]> {
  const read = async (): Promise<readonly string[]> =>
    (await db.selectFrom('oidc_keys').select('secret').where('purpose', '=', purpose).orderBy('created_at', 'desc').orderBy('key_id', 'desc').execute()).map((r) => r.secret);
  const found = await read();
  if (found.length > 0) return found;
  // A fixed first id: two nodes starting at once both try it and converge on one key.
  await db.insertInto('oidc_keys').values({ key_id: `${purpose}-1`, purpose, secret: makers[purpose](), created_at: at }).onConflict((oc) => oc.column('key_id').doNothing()).execute();
  return read();
}

/**
 * Loads the provider's keys from the store, making them on first start (rotation: insert a newer
 * row of the same purpose; older signing keys stay published so that tokens they signed verify).
 * A production deployment keeps them in an HSM or KMS; the store is the embedded default.
 *
 * @example
 * const keys = await loadOidcKeys(db, new Date().toISOString());
 */
export async function loadOidcKeys(db: Kysely<DB>, at: string): Promise<OidcKeys> {
  const signing = await ensure(db, 'signing', at);
  const cookies = await ensure(db, 'cookie', at);
  const [client] = await ensure(db, 'console-client', at);
  const [flow] = await ensure(db, 'console-flow', at);
  if (client === undefined || flow === undefined || signing.length === 0 || cookies.length === 0) throw new Error('OpenID provider keys could not be stored');
  return {
    signingKeys: signing.map((s) => JSON.parse(s) as JWK),
    cookieKeys: cookies,
    consoleClientSecret: client,
    consoleFlowKey: Buffer.from(flow, 'base64url'),
  };
}
