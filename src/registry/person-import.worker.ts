/**
 * An import's reading and checking, in one of its worker threads: the parent asks for batches by
 * number (with the time to check each as of, and whether an earlier run committed it) and writes
 * one while the threads check the next ones. Each thread reads the whole file and checks its own
 * share of the batches. Only refusals (row numbers, codes, columns), ID numbers and staged rows
 * cross back; nothing is logged.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isDomainError } from '../shared/domain-error.js';
import { uuidV7Generator } from '../shared/uuid-v7.js';
import { copyBuffers } from './import-stage.js';
import { readPersonFile, type ReadPersonFileOptions } from './person-file.reader.js';
import { ImportBatchPreparer, type ImportRow } from './person-import.prepare.js';
import type { ImportWorkerInput, ImportWorkerReply, ImportWorkerRequest } from './person-import.source.js';

const input = workerData as ImportWorkerInput;
const port = parentPort;
if (port === null) throw new Error('person-import.worker must run as a worker thread');

const reply = (message: ImportWorkerReply, transfer: ArrayBuffer[] = []): void => {
  port.postMessage(message, transfer);
};

const options: ReadPersonFileOptions = { ...input.read, withLines: true };
const preparer = new ImportBatchPreparer({ officerId: input.officerId, newId: uuidV7Generator(), form: input.form });
/** The file's rows a piece at a time, and where this thread is in the current piece. */
let pieces: AsyncIterator<readonly ImportRow[]> | undefined;
let piece: readonly ImportRow[] = [];
let inPiece = 0;
/** Rows of the file read so far, this thread's and the others'. */
let position = 0;
let atEnd = false;

/** The next row of the file; undefined at its end. Awaits only when a piece is used up. */
async function nextRow(): Promise<ImportRow | undefined> {
  while (inPiece === piece.length) {
    if (atEnd) return undefined;
    pieces ??= (await readPersonFile(input.file, options)).rowChunks[Symbol.asyncIterator]();
    const item = await pieces.next();
    if (item.done === true) {
      atEnd = true;
      return undefined;
    }
    piece = item.value;
    inPiece = 0;
  }
  return piece[inPiece++];
}

async function next(request: ImportWorkerRequest): Promise<void> {
  // Past the batches the other threads check: read (rows are counted as read), not checked.
  const start = request.batchNo * input.batchSize;
  while (position < start && !atEnd) {
    if ((inPiece < piece.length ? piece[inPiece++] : await nextRow()) !== undefined) position++;
  }
  // Each row checked and packed as it is read: its objects die young.
  preparer.begin(new Date(request.now), request.pack);
  let read = 0;
  while (read < input.batchSize) {
    const row = inPiece < piece.length ? piece[inPiece++] : await nextRow();
    if (row === undefined) break;
    preparer.add(row);
    read++;
  }
  const prepared = preparer.finish();
  if (read === 0) {
    reply({ kind: 'end' });
    return;
  }
  position += read;
  const buffers = [prepared.rowNumbers.buffer, prepared.lines.buffer, ...(prepared.copy === undefined ? [] : copyBuffers(prepared.copy))] as ArrayBuffer[];
  reply({ kind: 'batch', batch: prepared, rowsThrough: position }, buffers);
}

// Requests are answered one at a time, in the order they came.
let queue = Promise.resolve();
port.on('message', (request: ImportWorkerRequest) => {
  queue = queue.then(() => next(request)).catch((error: unknown) => {
    reply(isDomainError(error)
      ? { kind: 'error', domain: { kind: error.kind, code: error.code, message: error.message, action: error.action, ...(error.details === undefined ? {} : { details: error.details }) } }
      : { kind: 'error', message: error instanceof Error ? error.message : String(error) });
  });
});
