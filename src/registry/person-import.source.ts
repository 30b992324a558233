/**
 * Where an import's checked batches come from: rows given in this thread (an iterable), or a
 * file read and checked in a worker thread (person-import.worker.ts) while this one writes.
 */
import { moduleWorker } from '../shared/module-worker.js';
import { DomainError, type ErrorKind } from '../shared/domain-error.js';
import type { PersonFileFormat } from './person-file.reader.js';
import { ImportBatchPreparer, type ImportRow, type PreparedBatch } from './person-import.prepare.js';

/** A prepared batch and the number of file rows read up to its end. */
export type SourcedBatch = PreparedBatch & { readonly rowsThrough: number };

export interface BatchSource {
  /** The next batch, checked as of `now`, packed unless `pack` is false; undefined after the last. */
  next(now: Date, pack: boolean): Promise<SourcedBatch | undefined>;
  close(): Promise<void>;
}

/** Checks rows given in this thread, `batchSize` at a time. */
export function rowBatches(rows: AsyncIterable<ImportRow> | Iterable<ImportRow>, batchSize: number, officerId: string | null, newId?: () => string): BatchSource {
  const preparer = new ImportBatchPreparer({ officerId, ...(newId === undefined ? {} : { newId }) });
  const iterator: AsyncIterator<ImportRow> | Iterator<ImportRow> = Symbol.asyncIterator in rows ? rows[Symbol.asyncIterator]() : rows[Symbol.iterator]();
  let rowsThrough = 0;
  let ended = false;
  return {
    async next(now, pack) {
      if (ended) return undefined;
      const batch: ImportRow[] = [];
      while (batch.length < batchSize) {
        const item = await iterator.next();
        if (item.done === true) {
          ended = true;
          break;
        }
        batch.push(item.value);
      }
      if (batch.length === 0) return undefined;
      rowsThrough += batch.length;
      return { ...preparer.prepare(batch, now, pack), rowsThrough };
    },
    async close() {
      if (!ended) await iterator.return?.();
    },
  };
}

export interface ImportWorkerInput {
  readonly file: string;
  readonly read: { readonly format?: PersonFileFormat; readonly allowLegacy?: boolean };
  readonly batchSize: number;
  readonly officerId: string | null;
}

export interface ImportWorkerRequest {
  /** Check the batch as of this time (ms since the epoch): the parent's clock rules. */
  readonly now: number;
  readonly pack: boolean;
}

export type ImportWorkerReply =
  | { readonly kind: 'batch'; readonly batch: PreparedBatch; readonly rowsThrough: number }
  | { readonly kind: 'end' }
  | { readonly kind: 'error'; readonly domain: { readonly kind: ErrorKind; readonly code: string; readonly message: string; readonly action: string; readonly details?: Readonly<Record<string, unknown>> } }
  | { readonly kind: 'error'; readonly message: string };

/**
 * Reads and checks a person file in a worker thread, one batch ahead of the caller: each next()
 * answers with the batch asked for, and the caller asks for the following one before writing it.
 */
export function fileBatchesInWorker(input: ImportWorkerInput): BatchSource {
  // A young generation large enough for a batch's garbage, which then dies young instead of being promoted.
  const worker = moduleWorker(import.meta.url, 'person-import.worker', { workerData: input, resourceLimits: { maxYoungGenerationSizeMb: 64 } });
  let waiting: { resolve: (reply: ImportWorkerReply) => void; reject: (error: Error) => void } | undefined;
  let failure: Error | undefined;
  let ended = false;
  worker.on('message', (reply: ImportWorkerReply) => {
    const w = waiting;
    waiting = undefined;
    w?.resolve(reply);
  });
  const fail = (error: Error): void => {
    failure ??= error;
    const w = waiting;
    waiting = undefined;
    w?.reject(error);
  };
  worker.on('error', fail);
  worker.on('exit', (code) => {
    if (!ended) fail(new Error(`the import's reading thread stopped (exit code ${code})`));
  });
  return {
    async next(now, pack) {
      if (ended) return undefined;
      if (failure !== undefined) throw failure;
      const reply = await new Promise<ImportWorkerReply>((resolve, reject) => {
        waiting = { resolve, reject };
        worker.postMessage({ now: now.getTime(), pack } satisfies ImportWorkerRequest);
      });
      if (reply.kind === 'end') {
        ended = true;
        await worker.terminate();
        return undefined;
      }
      if (reply.kind === 'error') {
        if ('domain' in reply) throw new DomainError(reply.domain.kind, reply.domain.code, reply.domain.message, reply.domain.action, reply.domain.details);
        throw new Error(`reading the file failed: ${reply.message}`);
      }
      return { ...reply.batch, rowsThrough: reply.rowsThrough };
    },
    async close() {
      ended = true;
      await worker.terminate();
    },
  };
}
