/**
 * The officer's console session. The session itself is an HttpOnly cookie the server sets after
 * the identity provider's sign-in (/auth/login → /oidc → /auth/callback); the console never sees
 * it. It asks GET /api/identity/me who is signed in and which CSRF token to send on unsafe
 * requests, and keeps both in memory only.
 */
import { ApiError, apiGet, lastApiActivity, type Me } from './api.js';

/** Where the sign-in starts: the server's backend-for-frontend redirects to the identity provider. */
export const signInPath = '/auth/login';

/** The server ends a session after 15 minutes without a request (identity's idle limit). */
export const idleLimitMs = 15 * 60_000;

/** True when no request has reached the server for the idle limit: the session is over there too. */
export function idleExpired(now: number = Date.now()): boolean {
  return now - lastApiActivity() >= idleLimitMs;
}

/** Who is signed in, or null when there is no (valid) session: 401 means "sign in". */
export async function loadMe(signal?: AbortSignal): Promise<Me | null> {
  try {
    const me = await apiGet<Me>('/api/identity/me', signal);
    return me.csrfToken === undefined ? null : me;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return null;
    throw error;
  }
}

/**
 * Ends the console session (POST /auth/logout with the CSRF token) and returns where the browser
 * goes next: the identity provider's sign-out (RP-initiated logout), which comes back to the console.
 */
export async function signOutAt(csrfToken: string): Promise<string> {
  try {
    const response = await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrfToken, Accept: 'application/json' } });
    if (!response.ok) return '/';
    const body = (await response.json()) as { readonly location?: unknown };
    return typeof body.location === 'string' ? body.location : '/';
  } catch {
    return '/';
  }
}
