import { sign, verify, type KeyObject } from 'node:crypto';

/** The header carrying the signature of a webhook body. */
export const signatureHeader = 'x-sachsong-signature';

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/**
 * Signs a webhook body: a compact JWS with a detached payload (RFC 7515 Appendix F), EdDSA with
 * the exchange's key, `<protected header>..<signature>`. The receiver puts the base64url of the
 * exact body it received between the dots and checks it against the exchange's published keys
 * (/x/consent-keys). `iat` lets a receiver refuse stale replays; event ids de-duplicate.
 *
 * @example
 * const jws = signWebhookBody(body, keyId, privateKey, subscriptionId, Date.now());
 */
export function signWebhookBody(body: string, keyId: string, privateKey: KeyObject, subscriptionId: string, nowMs: number): string {
  const header = b64url(JSON.stringify({ alg: 'EdDSA', kid: keyId, typ: 'sachsong-events+jws', sub: subscriptionId, iat: Math.floor(nowMs / 1000) }));
  const signature = sign(null, Buffer.from(`${header}.${b64url(body)}`), privateKey);
  return `${header}..${b64url(signature)}`;
}

/** What a valid signature's protected header says. */
export interface WebhookSignatureHeader {
  readonly alg: 'EdDSA';
  readonly kid: string;
  readonly sub: string;
  readonly iat: number;
}

/**
 * Checks a webhook signature against the exchange's public keys by id; undefined when it does
 * not verify (wrong key, altered body, malformed). What a receiving agency runs.
 */
export function verifyWebhookBody(body: string, jws: string, keys: ReadonlyMap<string, KeyObject>): WebhookSignatureHeader | undefined {
  const parts = jws.split('.');
  if (parts.length !== 3 || parts[1] !== '') return undefined;
  const [header = '', , signature = ''] = parts;
  let parsed: Partial<WebhookSignatureHeader>;
  try {
    parsed = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Partial<WebhookSignatureHeader>;
  } catch {
    return undefined;
  }
  if (parsed.alg !== 'EdDSA' || typeof parsed.kid !== 'string') return undefined;
  const key = keys.get(parsed.kid);
  if (key === undefined) return undefined;
  const ok = verify(null, Buffer.from(`${header}.${b64url(body)}`), key, Buffer.from(signature, 'base64url'));
  return ok ? (parsed as WebhookSignatureHeader) : undefined;
}
