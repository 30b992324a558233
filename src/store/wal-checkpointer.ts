/**
 * A SQLite file's WAL checkpointed from a thread of its own (wal-checkpoint.worker.ts) while a
 * writer goes on: a commit that crosses SQLite's automatic threshold would otherwise copy the WAL
 * back and sync the file on the writer's thread, which then waits on the disk.
 */
import type { Worker } from 'node:worker_threads';
import { moduleWorker } from '../shared/module-worker.js';

export interface WalCheckpointer {
  /** Stops the thread once it has closed its connection. */
  stop(): Promise<void>;
}

/**
 * Starts checkpointing `file` every `intervalMs` (PASSIVE: never blocking the writer). Losing the
 * thread costs only the writer's waits: the writer's own threshold takes over. `background`
 * (default true) lowers the thread's priority below the request threads'; a bulk writer keeping
 * both cores busy needs it at its own priority, or the WAL outgrows what it folds back.
 *
 * @example
 * const checkpointer = startWalCheckpointer('./data/sachsong.db', 250);
 * try { ... } finally { await checkpointer.stop(); }
 */
export function startWalCheckpointer(file: string, intervalMs: number, options: { readonly background?: boolean } = {}): WalCheckpointer {
  const worker: Worker = moduleWorker(import.meta.url, 'wal-checkpoint.worker', { workerData: { file, intervalMs, background: options.background ?? true } });
  worker.unref();
  worker.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => { resolve(); }));
  return {
    async stop() {
      // Held open until it has closed its connection (unreferenced, it would not keep the process up to finish).
      worker.ref();
      worker.postMessage('close');
      await exited;
    },
  };
}
