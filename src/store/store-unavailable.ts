/**
 * Whether an error means the store cannot be reached right now (a PostgreSQL primary restarting,
 * failing over, or refusing connections while it starts; a SQLite file busy past its timeout):
 * the request did not get a wrong answer, it got none, and the same request may succeed shortly.
 * The error handler answers these 503 with Retry-After instead of 500.
 *
 * @example
 * storeUnavailable(Object.assign(new Error('terminating connection'), { code: '57P01' })) // true
 */
export function storeUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = 'code' in error ? String(error.code) : '';
  // PostgreSQL: class 08 connection exceptions; 57P01-57P03 admin/crash shutdown and "cannot connect now".
  if (/^08[0-9A-Z]{3}$/.test(code) || code === '57P01' || code === '57P02' || code === '57P03') return true;
  // Node's socket errors on the way to the server, SQLite's busy or locked store, and a disk (or
  // PostgreSQL's, 53100) full: nothing was written, and the same request succeeds once there is room.
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', '53100'].includes(code)) return true;
  // pg reports a connection lost mid-query, or one it could not open in time, by message only.
  const message = error instanceof Error ? error.message : '';
  return /^Connection terminated|^timeout exceeded when trying to connect|^Client has encountered a connection error/.test(message);
}

/** Seconds a caller is told to wait (Retry-After) when the store is unavailable: a restart or failover takes a few. */
export const storeRetryAfterSeconds = 2;
