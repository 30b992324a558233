/**
 * Where an import's checked batches come from: rows given in this thread (an iterable), or a
 * file read and checked in a worker thread (person-import.worker.ts) while this one writes.
 */
import { moduleWorker } from '../shared/module-worker.js';
import { DomainError, type ErrorKind } from '../shared/domain-error.js';
import type { PersonFileFormat } from './person-file.reader.js';
import type { StagedForm } from './import-stage.js';
import { ImportBatchPreparer, type ImportRow, type PreparedBatch } from './person-import.prepare.js';

/** A prepared batch and the number of file rows read up to its end. */
export type SourcedBatch = PreparedBatch & { readonly rowsThrough: number };

/** How each batch is to be checked: as of when, and packed or not (not: an earlier run committed it). */
export interface BatchPlan {
  now(): Date;
  pack(batchNo: number): boolean;
}

export interface BatchSource {
  /** The next batch (0, 1, 2... in file order), checked as the plan says; undefined after the last. */
  next(): Promise<SourcedBatch | undefined>;
  close(): Promise<void>;
}

/** Checks rows given in this thread, `batchSize` at a time. */
export function rowBatches(rows: AsyncIterable<ImportRow> | Iterable<ImportRow>, batchSize: number, officerId: string | null, plan: BatchPlan, form: StagedForm, newId?: () => string): BatchSource {
  const preparer = new ImportBatchPreparer({ officerId, form, ...(newId === undefined ? {} : { newId }) });
  const iterator: AsyncIterator<ImportRow> | Iterator<ImportRow> = Symbol.asyncIterator in rows ? rows[Symbol.asyncIterator]() : rows[Symbol.iterator]();
  let rowsThrough = 0;
  let ended = false;
  let batchNo = 0;
  return {
    async next() {
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
      return { ...preparer.prepare(batch, plan.now(), plan.pack(batchNo++)), rowsThrough };
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
  /** The form the store takes the rows in (importBatchRepository.rowForm). */
  readonly form: StagedForm;
}

export interface ImportWorkerRequest {
  /** Batches asked of one thread come in increasing order; it reads past the rows of those between. */
  readonly batchNo: number;
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
 * Reads and checks a person file in `checkers` worker threads (batch n in thread n mod checkers),
 * each thread up to two batches ahead of the caller: while the caller writes one batch, the next
 * ones are being checked.
 */
export function fileBatchesInWorker(input: ImportWorkerInput, plan: BatchPlan, checkers = 1): BatchSource {
  const count = Math.max(1, Math.min(8, Math.floor(checkers)));
  const threads = Array.from({ length: count }, () => checkingThread(input));
  const replies = new Map<number, Promise<ImportWorkerReply>>();
  let requested = 0;
  let taken = 0;
  let ended = false;
  const close = async (): Promise<void> => {
    ended = true;
    await Promise.all(threads.map((t) => t.terminate()));
  };
  return {
    async next() {
      if (ended) return undefined;
      // Two batches in flight in each thread: while this one is written, a thread that finishes the
      // next goes on to the one after instead of waiting for the writer to ask.
      while (requested < taken + 2 * count) {
        const batchNo = requested++;
        const reply = (threads[batchNo % count] as CheckingThread).ask({ batchNo, now: plan.now().getTime(), pack: plan.pack(batchNo) });
        reply.catch(() => undefined); // awaited in its turn below
        replies.set(batchNo, reply);
      }
      const no = taken++;
      const pending = replies.get(no);
      replies.delete(no);
      const reply = await (pending as Promise<ImportWorkerReply>);
      if (reply.kind === 'end') {
        await close();
        return undefined;
      }
      if (reply.kind === 'error') {
        if ('domain' in reply) throw new DomainError(reply.domain.kind, reply.domain.code, reply.domain.message, reply.domain.action, reply.domain.details);
        throw new Error(`reading the file failed: ${reply.message}`);
      }
      return { ...reply.batch, rowsThrough: reply.rowsThrough };
    },
    close,
  };
}

interface CheckingThread {
  /** Asks for one batch; a thread answers its requests in the order asked. */
  ask(request: ImportWorkerRequest): Promise<ImportWorkerReply>;
  terminate(): Promise<void>;
}

function checkingThread(input: ImportWorkerInput): CheckingThread {
  // A young generation large enough for a batch's garbage, which then dies young instead of being promoted.
  const worker = moduleWorker(import.meta.url, 'person-import.worker', { workerData: input, resourceLimits: { maxYoungGenerationSizeMb: 64 } });
  const waiting: { resolve: (reply: ImportWorkerReply) => void; reject: (error: Error) => void }[] = [];
  let failure: Error | undefined;
  let stopped = false;
  worker.on('message', (reply: ImportWorkerReply) => {
    waiting.shift()?.resolve(reply);
  });
  const fail = (error: Error): void => {
    failure ??= error;
    for (const w of waiting.splice(0)) w.reject(error);
  };
  worker.on('error', fail);
  worker.on('exit', (code) => {
    if (!stopped) fail(new Error(`the import's reading thread stopped (exit code ${code})`));
  });
  return {
    ask(request) {
      if (failure !== undefined) return Promise.reject(failure);
      return new Promise<ImportWorkerReply>((resolve, reject) => {
        waiting.push({ resolve, reject });
        worker.postMessage(request);
      });
    },
    async terminate() {
      stopped = true;
      await worker.terminate();
    },
  };
}
