import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { decodeProtectedHeader, errors, importJWK, jwtVerify, type JWK } from 'jose';

/**
 * A verifier of residence documents written apart from the issuing code: jose for the JWTs, and
 * the SD-JWT (RFC 9901) and Token Status List drafts read directly. It is what an agency or a
 * phone app would write to check a document offline against the registry's published keys (and,
 * when it has one, a status list fetched earlier). It imports nothing from src/.
 */

export type OfflineResult = 'valid' | 'revoked' | 'expired' | 'forged';

export interface OfflineVerification {
  readonly result: OfflineResult;
  /** The disclosed claims, by name (empty for a forged document). */
  readonly claims: Readonly<Record<string, unknown>>;
  readonly statusChecked: boolean;
}

const b64json = (part: string): unknown => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

/**
 * Verifies a compact SD-JWT presentation `<issuer-jwt>~<disclosure>~…~` against a JWKS. With
 * `statusList` (a statuslist+jwt for the document's list, from the issuer), the revocation bit
 * is checked too; without it the verdict is the signature and the dates only.
 */
export async function verifyOffline(presentation: string, jwks: { readonly keys: readonly JWK[] }, options: { readonly now: Date; readonly issuer: string; readonly statusList?: string }): Promise<OfflineVerification> {
  const forged: OfflineVerification = { result: 'forged', claims: {}, statusChecked: false };
  const parts = presentation.split('~');
  const jwt = parts[0] ?? '';
  // The last part is empty (no key binding) in a presentation without KB-JWT.
  const disclosures = parts.slice(1).filter((p) => p !== '');
  let header;
  try {
    header = decodeProtectedHeader(jwt);
  } catch {
    return forged;
  }
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (jwk === undefined || header.alg !== 'ES256') return forged;
  const key = await importJWK(jwk, 'ES256');
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(jwt, key, { algorithms: ['ES256'], typ: 'dc+sd-jwt', issuer: options.issuer, currentDate: options.now }));
  } catch (error) {
    if (error instanceof errors.JWTExpired) return { result: 'expired', claims: {}, statusChecked: false };
    return forged;
  }
  if (payload._sd_alg !== undefined && payload._sd_alg !== 'sha-256') return forged;
  const digests = new Set(Array.isArray(payload._sd) ? payload._sd as string[] : []);
  const claims: Record<string, unknown> = {};
  for (const disclosure of disclosures) {
    // RFC 9901 §4.2.3: the digest is over the disclosure's base64url text as sent.
    const digest = createHash('sha256').update(disclosure, 'ascii').digest('base64url');
    // Each signed digest once: an unknown or a repeated disclosure is refused (RFC 9901 §7.1).
    if (!digests.delete(digest)) return forged;
    let decoded: unknown;
    try {
      decoded = b64json(disclosure);
    } catch {
      return forged;
    }
    if (!Array.isArray(decoded) || decoded.length !== 3 || typeof decoded[1] !== 'string') return forged;
    claims[decoded[1]] = decoded[2];
  }
  let statusChecked = false;
  const status = (payload.status as { status_list?: { idx?: unknown; uri?: unknown } } | undefined)?.status_list;
  if (options.statusList !== undefined && status !== undefined) {
    const listHeader = decodeProtectedHeader(options.statusList);
    const listKey = jwks.keys.find((k) => k.kid === listHeader.kid);
    if (listKey === undefined) return forged;
    const { payload: list } = await jwtVerify(options.statusList, await importJWK(listKey, 'ES256'), { typ: 'statuslist+jwt', currentDate: options.now });
    if (list.sub !== status.uri || typeof status.idx !== 'number') return forged;
    const sl = list.status_list as { bits: number; lst: string };
    if (sl.bits !== 1) return forged;
    const bytes = inflateSync(Buffer.from(sl.lst, 'base64url'));
    // Token Status List §4.1: index i is bit i % 8 (least significant first) of byte i / 8.
    const bit = ((bytes[Math.floor(status.idx / 8)] ?? 0) >> (status.idx % 8)) & 1;
    statusChecked = true;
    if (bit === 1) return { result: 'revoked', claims, statusChecked };
  }
  return { result: 'valid', claims, statusChecked };
}
