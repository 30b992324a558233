import type { FastifyReply, FastifyRequest } from 'fastify';

/** The officer's console session cookie: HttpOnly, SameSite=Strict, Path=/, Secure over HTTPS. */
export const sessionCookieName = 'sachsong_session';
/** The header that carries the session's CSRF token on unsafe methods (Fastify lower-cases header names). */
export const csrfHeaderName = 'x-csrf-token';

export interface SessionCookieOptions {
  /** Adds `Secure`: true when the request came over HTTPS or the configuration asks for it. */
  readonly secure: boolean;
}

// A session id is base64url or hex (session.repository.ts); anything else is not ours and is ignored.
const sessionIdShape = /^[A-Za-z0-9_-]{16,128}$/;

function serialise(value: string, maxAgeSeconds: number | undefined, secure: boolean): string {
  const parts = [`${sessionCookieName}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Strict'];
  if (maxAgeSeconds !== undefined) parts.push(`Max-Age=${String(maxAgeSeconds)}`);
  if (secure) parts.push('Secure');
  return parts.join('; ');
}

/**
 * Writes the session cookie. No Max-Age: the browser forgets it when it closes, and the server
 * ends the session anyway after 15 idle minutes or 12 hours.
 *
 * @example
 * setSessionCookie(reply, signedIn.sessionId, { secure: request.protocol === 'https' });
 */
export function setSessionCookie(reply: FastifyReply, sessionId: string, options: SessionCookieOptions): FastifyReply {
  if (!sessionIdShape.test(sessionId)) throw new TypeError('a session id is 16–128 base64url characters');
  // Fastify appends a second Set-Cookie instead of replacing the first.
  return reply.header('set-cookie', serialise(sessionId, undefined, options.secure));
}

/** Tells the browser to forget the session cookie (sign-out, an ended session). */
export function clearSessionCookie(reply: FastifyReply, options: SessionCookieOptions = { secure: false }): FastifyReply {
  return reply.header('set-cookie', serialise('', 0, options.secure));
}

/** The session id from the request's Cookie header, or undefined when absent or malformed. */
export function sessionIdOf(request: FastifyRequest): string | undefined {
  return sessionIdFromCookieHeader(request.headers.cookie);
}

/** Parses one Cookie header for the session cookie (the first occurrence wins, as browsers send the most specific path first). */
export function sessionIdFromCookieHeader(header: string | undefined): string | undefined {
  if (header === undefined || header.length > 8192) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    if (pair.slice(0, eq).trim() !== sessionCookieName) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    return sessionIdShape.test(value) ? value : undefined;
  }
  return undefined;
}

/** The CSRF token header's value, when sent once. */
export function csrfTokenOf(request: FastifyRequest): string | undefined {
  const value = request.headers[csrfHeaderName];
  return typeof value === 'string' ? value : undefined;
}
