import { createHash, randomUUID, verify as verifySignature } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import type { DB } from '../store/database.types.js';
import type { DocumentKeys } from './residence-document.keys.js';
import { residenceDocumentRepository } from './residence-document.repository.js';
import { residenceClaimNames, residenceVct } from './residence-document.service.js';

/** What a verifier learns: the document holds (valid), or why not. */
export type VerificationOutcome = 'valid' | 'revoked' | 'expired' | 'forged' | 'malformed';

export interface Verification {
  readonly verificationId: string;
  readonly result: VerificationOutcome;
  /** The document's id when the registry's signature holds. */
  readonly documentId: string | null;
  readonly issuedAt: string | null;
  readonly expiresAt: string | null;
  /** The claims the holder chose to show (valid, revoked and expired documents only); nothing else. */
  readonly disclosed: Readonly<Record<string, unknown>>;
  readonly verifiedAt: string;
}

export interface DocumentVerifyDeps {
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  readonly keys: DocumentKeys;
  /** The issuer identifier documents carry (`iss`). */
  readonly issuer: string;
}

/** A compact SD-JWT: the issuer-signed JWT, then disclosures, each followed by `~` (an optional KB-JWT last). */
const compactPattern = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+~(?:[A-Za-z0-9_-]+~)*(?:[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)?$/;
/** Longer than any document of this registry (ten claims): refused unread. */
export const maxPresentationLength = 16_384;

/**
 * The presentation inside what a verifier pasted or scanned: the SD-JWT itself, or the verify
 * page's address with the SD-JWT after `#` (what the PDF's QR code holds). Undefined when it is
 * neither.
 */
export function presentationOf(input: string): string | undefined {
  let text = input.trim();
  const hash = text.indexOf('#');
  if (hash >= 0) text = text.slice(hash + 1);
  if (text.includes('%')) {
    try {
      text = decodeURIComponent(text);
    } catch {
      return undefined;
    }
  }
  text = text.replace(/\s+/g, '');
  if (text.length === 0 || text.length > maxPresentationLength || !compactPattern.test(text)) return undefined;
  return text;
}

function jsonPart(part: string | undefined): Record<string, unknown> | undefined {
  if (part === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

function jsonArray(part: string): unknown[] | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

const digestOf = (disclosure: string): string => createHash('sha256').update(disclosure).digest('base64url');

/**
 * Verifies residence documents presented to anyone (no sign-in): the registry's signature over
 * the issuer JWT with a published key, every disclosure bound to a digest the issuer signed, the
 * expiry, and the revocation status from the store (the status list publishes the same bit).
 * Each online verification is recorded with its result and the names of the claims shown, no
 * values and nothing of the verifier.
 */
export class DocumentVerifyService {
  constructor(private readonly deps: DocumentVerifyDeps) {}

  async verify(input: string, channel: 'page' | 'api'): Promise<Verification> {
    const checked = await this.check(input);
    const verification: Verification = { verificationId: randomUUID(), verifiedAt: this.deps.clock.now().toISOString(), ...checked };
    await residenceDocumentRepository.insertVerification(this.deps.db, {
      verification_id: verification.verificationId,
      document_id: verification.documentId,
      result: verification.result,
      disclosed: JSON.stringify(Object.keys(verification.disclosed)),
      channel,
      verified_at: verification.verifiedAt,
    });
    return verification;
  }

  private async check(input: string): Promise<Omit<Verification, 'verificationId' | 'verifiedAt'>> {
    const refused = (result: 'forged' | 'malformed'): Omit<Verification, 'verificationId' | 'verifiedAt'> => ({ result, documentId: null, issuedAt: null, expiresAt: null, disclosed: {} });
    const presentation = presentationOf(input);
    if (presentation === undefined) return refused('malformed');
    const [jwt = '', ...rest] = presentation.split('~');
    const [headerPart, payloadPart] = jwt.split('.');
    const header = jsonPart(headerPart);
    const unverified = jsonPart(payloadPart);
    if (header === undefined || unverified === undefined) return refused('malformed');
    // A key the registry never published, another algorithm or type: not the registry's document.
    const key = typeof header.kid === 'string' ? this.deps.keys.publicKeys.get(header.kid) : undefined;
    if (key === undefined || header.alg !== 'ES256' || (header.typ !== 'dc+sd-jwt' && header.typ !== 'vc+sd-jwt')) return refused('forged');
    const iat = typeof unverified.iat === 'number' ? unverified.iat : undefined;
    if (iat === undefined) return refused('forged');
    // The issuer's signature over header and payload (RFC 9901 §7.1), then each disclosure bound to a signed digest.
    const signature = Buffer.from(jwt.slice(jwt.lastIndexOf('.') + 1), 'base64url');
    if (!verifySignature('sha256', Buffer.from(`${headerPart ?? ''}.${payloadPart ?? ''}`), { key, dsaEncoding: 'ieee-p1363' }, signature)) return refused('forged');
    const signed = new Set(Array.isArray(unverified._sd) ? unverified._sd.filter((d): d is string => typeof d === 'string') : []);
    const claims: Record<string, unknown> = { ...unverified };
    for (const disclosure of rest) {
      // The last part is empty (no key binding); a KB-JWT is not asked for (bearer documents).
      if (disclosure === '' || disclosure.includes('.')) continue;
      const digest = digestOf(disclosure);
      // A digest the issuer did not sign (altered or added), or one shown twice (RFC 9901 §7.1).
      if (!signed.delete(digest)) return refused('forged');
      const decoded = jsonArray(disclosure);
      if (decoded?.length !== 3 || typeof decoded[1] !== 'string' || decoded[1] === '_sd' || decoded[1] === '...' || decoded[1] in unverified) return refused('forged');
      claims[decoded[1]] = decoded[2];
    }
    if (claims.iss !== this.deps.issuer || claims.vct !== residenceVct || typeof claims.jti !== 'string' || typeof claims.exp !== 'number') return refused('forged');
    const disclosed: Record<string, unknown> = {};
    for (const name of residenceClaimNames) if (claims[name] !== undefined) disclosed[name] = claims[name];
    const documentId = claims.jti;
    const base = { documentId, issuedAt: new Date(iat * 1000).toISOString(), expiresAt: new Date(claims.exp * 1000).toISOString(), disclosed };
    if (claims.exp * 1000 <= this.deps.clock.now().getTime()) return { result: 'expired', ...base };
    const row = await residenceDocumentRepository.byDocumentId(this.deps.db, documentId);
    // Signed by the registry but not in its store (a store restored from before): not to be relied on.
    if (row?.status !== 'valid') return { result: 'revoked', ...base };
    return { result: 'valid', ...base };
  }
}
