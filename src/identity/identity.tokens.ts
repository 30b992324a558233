import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/** A random secret of `bytes` bytes, base64url (256 bits by default). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** SHA-256 (hex) of a high-entropy secret: enough for session ids, enrolment tokens and keys, which nobody can guess. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** A fresh opaque id (officers, accounts, session handles). */
export function newId(): string {
  return randomUUID();
}

/**
 * The CSRF token of a session: an HMAC of a fixed label under the session id. It is bound to
 * the session, needs no storage, and cannot be computed without the id (an HttpOnly cookie).
 */
export function csrfTokenFor(sessionId: string): string {
  return createHmac('sha256', sessionId).update('sachsong csrf v1').digest('base64url');
}

/** Compares two strings in time independent of where they differ. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
