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

/** A purpose's rows in force at `at` (not past their retirement), newest first. */
function inForce(db: Kysely<DB>, purpose: string, at: string) {
  return db.selectFrom('oidc_keys').where('purpose', '=', purpose)
    .where((eb) => eb.or([eb('retire_at', 'is', null), eb('retire_at', '>', at)]))
    .orderBy('created_at', 'desc').orderBy('key_id', 'desc');
}

async function ensure(db: Kysely<DB>, purpose: Purpose, at: string): Promise<readonly string[]> {
  const read = async (): Promise<readonly string[]> => (await inForce(db, purpose, at).select('secret').execute()).map((r) => r.secret);
  const found = await read();
  if (found.length > 0) return found;
  // A fixed first id: two nodes starting at once both try it and converge on one key.
  await db.insertInto('oidc_keys').values({ key_id: `${purpose}-1`, purpose, secret: makers[purpose](), created_at: at }).onConflict((oc) => oc.column('key_id').doNothing()).execute();
  return read();
}

/**
 * Loads the provider's keys from the store, making them on first start. The newest signing key
 * signs; older ones stay published until their retirement time (rotateSigningKey).
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

/** How long a rotated-out signing key stays published: ID tokens live 10 minutes, relying parties cache the JWKS for hours. */
export const defaultKeyOverlapMs = 24 * 3_600_000;

export interface KeyRotation {
  /** The new signing key's kid. */
  readonly kid: string;
  /** Every signing key still published after the rotation, newest first, with its retirement time (null: the signing key). */
  readonly published: readonly { readonly kid: string; readonly retireAt: string | null }[];
  /** The kids of keys past their retirement time, removed by this rotation. */
  readonly retired: readonly string[];
}

function kidOf(secret: string): string {
  return String((JSON.parse(secret) as JWK).kid);
}

/**
 * Rotates the ID-token signing key: a new key becomes the signing key; the keys it replaces stay
 * in the JWKS until `at + overlapMs` (a key already retiring keeps its earlier time), so tokens
 * they signed still verify; keys past their retirement leave the store. Every node picks the
 * change up within a minute (oidc.routes.ts checks signingKeyIds), no restart needed.
 */
export async function rotateSigningKey(db: Kysely<DB>, at: string, overlapMs: number = defaultKeyOverlapMs): Promise<KeyRotation> {
  if (!Number.isFinite(overlapMs) || overlapMs < 0) throw new RangeError('the overlap is a non-negative number of milliseconds');
  const retireAt = new Date(Date.parse(at) + overlapMs).toISOString();
  const secret = makers.signing();
  const kid = kidOf(secret);
  return db.transaction().execute(async (trx) => {
    const expired = await trx.selectFrom('oidc_keys').select(['key_id', 'secret']).where('purpose', '=', 'signing').where('retire_at', '<=', at).execute();
    if (expired.length > 0) await trx.deleteFrom('oidc_keys').where('key_id', 'in', expired.map((r) => r.key_id)).execute();
    await trx.updateTable('oidc_keys').set({ retire_at: retireAt }).where('purpose', '=', 'signing').where('retire_at', 'is', null).execute();
    await trx.insertInto('oidc_keys').values({ key_id: `signing-${at.replace(/[^0-9]/g, '')}-${kid}`, purpose: 'signing', secret, created_at: at, retire_at: null }).execute();
    const published = (await inForce(trx, 'signing', at).select(['secret', 'retire_at']).execute()).map((r) => ({ kid: kidOf(r.secret), retireAt: r.retire_at }));
    return { kid, published, retired: expired.map((r) => kidOf(r.secret)) };
  });
}

/** The signing keys in force at `at` (their row ids, newest first): a node reloads its provider when they change. */
export async function signingKeyIds(db: Kysely<DB>, at: string): Promise<string> {
  return (await inForce(db, 'signing', at).select('key_id').execute()).map((r) => r.key_id).join(',');
}
