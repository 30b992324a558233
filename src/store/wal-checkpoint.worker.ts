/**
 * Checkpoints a SQLite file's WAL from a connection of its own, every `intervalMs`. A commit that
 * crosses SQLite's automatic threshold runs the checkpoint itself, copying the WAL back and
 * syncing while its writer waits (measured on the access log: 25-30 ms stalls with 16 KiB pages).
 * A passive checkpoint here runs beside the writer instead, and often enough to stay small.
 * Posting 'close' stops it and closes its connection.
 */
import SQLite from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { lowerThreadPriority, writerNiceIncrement } from '../shared/thread-priority.js';

const port = parentPort;
if (port === null) throw new Error('wal-checkpoint.worker must run as a worker thread');
const { file, intervalMs, background } = workerData as { readonly file: string; readonly intervalMs: number; readonly background: boolean };
// Background work: below the thread that answers requests (but not below a bulk writer it must keep up with).
if (background) lowerThreadPriority(writerNiceIncrement);
const sqlite = new SQLite(file);
sqlite.pragma('busy_timeout = 5000');
const timer = setInterval(() => {
  try {
    sqlite.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or interrupted: the next tick tries again, and the writer's own threshold is the backstop.
  }
}, intervalMs);
port.on('message', (message: unknown) => {
  if (message !== 'close') return;
  clearInterval(timer);
  sqlite.close();
  port.close();
});
