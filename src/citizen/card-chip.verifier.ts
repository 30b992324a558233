import { createHash, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { DomainError } from '../shared/domain-error.js';

/** What a citizen ID card's chip holds about its holder (ICAO 9303 DG1/DG13, simplified). */
export interface ChipData {
  readonly idNumber: string;
  readonly fullName: string;
  readonly birthDate: string;
  readonly cardNumber: string;
  readonly issuedOn: string;
}

/** The chip's signed data as a phone app reads it over NFC: the data and the issuer's signature. */
export interface SignedChipData {
  /** base64url of the UTF-8 JSON of ChipData. */
  readonly data: string;
  /** base64url Ed25519 signature of `data`'s bytes by the card issuer's document-signing key. */
  readonly signature: string;
}

/**
 * The card issuer's document-signing key, SIMULATED: the real one belongs to the Police's card
 * centre (ICAO PKI) and is not available; this key pair stands in for it so that level 2 by chip
 * runs end to end. The public half is what the platform would be configured with.
 */
export interface CardIssuerSimulator {
  readonly publicKey: KeyObject;
  sign(data: ChipData): SignedChipData;
}

export function simulatedCardIssuer(): CardIssuerSimulator {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    publicKey,
    sign(data: ChipData): SignedChipData {
      const bytes = Buffer.from(JSON.stringify(data), 'utf8');
      return { data: bytes.toString('base64url'), signature: sign(null, bytes, privateKey).toString('base64url') };
    },
  };
}

/**
 * Checks a chip's signature against the issuer's keys and returns its data and a digest of the
 * evidence; throws 'invalid' CHIP_DATA_INVALID (never saying which part failed).
 */
export function verifyChipData(signed: SignedChipData, issuerKeys: readonly KeyObject[]): { readonly data: ChipData; readonly evidenceSha256: string } {
  const bad = (): DomainError => new DomainError('invalid', 'CHIP_DATA_INVALID', 'the card chip\'s data is not signed by the card issuer', 'Read the card again with the app');
  if (typeof signed.data !== 'string' || typeof signed.signature !== 'string' || signed.data.length > 8192 || signed.signature.length > 200) throw bad();
  const bytes = Buffer.from(signed.data, 'base64url');
  const signature = Buffer.from(signed.signature, 'base64url');
  if (!issuerKeys.some((key) => verify(null, bytes, key, signature))) throw bad();
  let data: ChipData;
  try {
    data = JSON.parse(bytes.toString('utf8')) as ChipData;
  } catch {
    throw bad();
  }
  for (const field of ['idNumber', 'fullName', 'birthDate', 'cardNumber', 'issuedOn'] as const) {
    if (typeof data[field] !== 'string') throw bad();
  }
  return { data, evidenceSha256: createHash('sha256').update(bytes).digest('hex') };
}
