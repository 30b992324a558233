import { sharedRead } from './shared-read.js';

/**
 * Resolves once the reads queued so far on `db`'s SQLite connection have been run or handed to
 * their fallback: a probe queued after them runs in the same turn or a later one. Tests wait on
 * this instead of counting event-loop turns. On PostgreSQL (no shared turns) it resolves at once.
 */
export function readTurnEnded(db: object): Promise<void> {
  return sharedRead(db, () => undefined, () => Promise.resolve(undefined));
}
