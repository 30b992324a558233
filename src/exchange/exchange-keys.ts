import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import type { DB } from '../store/database.types.js';
import { exchangeKeyRepository } from './exchange-key.repository.js';

/** The exchange's own secrets, loaded once at start. */
export interface ExchangeKeys {
  /** Signs consent artefacts (Ed25519). */
  readonly consentKeyId: string;
  readonly consentPrivateKey: KeyObject;
  /** Every consent-signing public key by id, so that artefacts signed before a rotation still verify. */
  readonly consentPublicKeys: ReadonlyMap<string, KeyObject>;
  /** MAC secret of the exchange's access tokens. */
  readonly tokenMacSecret: Buffer;
}

/**
 * Loads the exchange's keys from the store, making them on first start. The first key of each
 * kind has a fixed id, so two nodes starting at once converge on the same one.
 * (A production deployment keeps these in an HSM or KMS; the store is the embedded default.)
 */
export async function loadExchangeKeys(db: Kysely<DB>, clock: Clock): Promise<ExchangeKeys> {
  const at = clock.now().toISOString();
  if ((await exchangeKeyRepository.current(db, 'consent-signing')) === undefined) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    await exchangeKeyRepository.insertIfAbsent(db, {
      key_id: 'consent-signing-1',
      purpose: 'consent-signing',
      secret: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      public_jwk: JSON.stringify(publicKey.export({ format: 'jwk' })),
      created_at: at,
    });
  }
  if ((await exchangeKeyRepository.current(db, 'token-mac')) === undefined) {
    await exchangeKeyRepository.insertIfAbsent(db, { key_id: 'token-mac-1', purpose: 'token-mac', secret: randomBytes(32).toString('base64url'), public_jwk: null, created_at: at });
  }
  const signing = await exchangeKeyRepository.current(db, 'consent-signing');
  const mac = await exchangeKeyRepository.current(db, 'token-mac');
  if (signing === undefined || mac === undefined) throw new Error('exchange keys could not be stored');
  const consentPublicKeys = new Map<string, KeyObject>();
  for (const row of await exchangeKeyRepository.all(db, 'consent-signing')) {
    consentPublicKeys.set(row.key_id, createPublicKey(createPrivateKey(row.secret)));
  }
  return {
    consentKeyId: signing.key_id,
    consentPrivateKey: createPrivateKey(signing.secret),
    consentPublicKeys,
    tokenMacSecret: Buffer.from(mac.secret, 'base64url'),
  };
}
