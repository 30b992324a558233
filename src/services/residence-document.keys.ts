import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import type { DB } from '../store/database.types.js';
import { documentKeyRepository } from './residence-document.repository.js';

/** A public key as published in the issuer's JWKS. */
export interface PublishedJwk {
  readonly kty: string;
  readonly crv: string;
  readonly x: string;
  readonly y: string;
  readonly kid: string;
  readonly alg: string;
  readonly use: 'sig';
}

/** The registry's document-signing keys, loaded once at start. */
export interface DocumentKeys {
  /** The key that signs new documents and status lists. */
  readonly keyId: string;
  readonly alg: 'ES256';
  readonly privateKey: KeyObject;
  /** Every key by id, so that documents signed before a rotation still verify. */
  readonly publicKeys: ReadonlyMap<string, KeyObject>;
  /** The JWKS published at /.well-known/jwt-vc-issuer and /documents/jwks.json. */
  readonly jwks: readonly PublishedJwk[];
}

/**
 * Loads the registry's document-signing keys from the store, making the first on first start
 * (a fixed id, so two nodes starting at once converge on one). ES256 (P-256): what SD-JWT VC
 * wallets and verifiers support everywhere. A production deployment keeps the private key in
 * an HSM or KMS; the store is the embedded default, as for the exchange's keys.
 */
export async function loadDocumentKeys(db: Kysely<DB>, clock: Clock): Promise<DocumentKeys> {
  if ((await documentKeyRepository.current(db)) === undefined) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await documentKeyRepository.insertIfAbsent(db, {
      key_id: 'residence-documents-1',
      alg: 'ES256',
      private_pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      public_jwk: JSON.stringify(publicKey.export({ format: 'jwk' })),
      created_at: clock.now().toISOString(),
      retired_at: null,
    });
  }
  const current = await documentKeyRepository.current(db);
  if (current === undefined) throw new Error('document-signing key could not be stored');
  const publicKeys = new Map<string, KeyObject>();
  const jwks: PublishedJwk[] = [];
  for (const row of await documentKeyRepository.all(db)) {
    publicKeys.set(row.key_id, createPublicKey(createPrivateKey(row.private_pem)));
    const jwk = JSON.parse(row.public_jwk) as { kty: string; crv: string; x: string; y: string };
    jwks.push({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid: row.key_id, alg: row.alg, use: 'sig' });
  }
  return { keyId: current.key_id, alg: 'ES256', privateKey: createPrivateKey(current.private_pem), publicKeys, jwks };
}
