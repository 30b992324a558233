/**
 * An import's reading and checking, in a worker thread: the parent asks for one batch at a time
 * (with the time to check it as of, and whether an earlier run committed it) and writes it while
 * this thread reads and checks the next. Only refusals (row numbers, codes, columns) and packed
 * rows cross back; nothing is logged.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isDomainError } from '../shared/domain-error.js';
import { uuidV7Generator } from '../shared/uuid-v7.js';
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
const preparer = new ImportBatchPreparer({ officerId: input.officerId, newId: uuidV7Generator() });
let rows: AsyncIterator<ImportRow> | undefined;
let rowsThrough = 0;

async function next(request: ImportWorkerRequest): Promise<void> {
  rows ??= (await readPersonFile(input.file, options)).rows[Symbol.asyncIterator]();
  // Each row checked and packed as it is read: its objects die young.
  preparer.begin(new Date(request.now), request.pack, input.batchSize);
  let read = 0;
  while (read < input.batchSize) {
    const item = await rows.next();
    if (item.done === true) break;
    preparer.add(item.value);
    read++;
  }
  const prepared = preparer.finish();
  if (read === 0) {
    reply({ kind: 'end' });
    return;
  }
  rowsThrough += read;
  const tables = [prepared.persons, prepared.events, prepared.outbox];
  const buffers = [prepared.rowNumbers.buffer, prepared.lines.buffer, prepared.personOrder.buffer, ...tables.flatMap((t) => [t.ends.buffer, t.kinds.buffer])] as ArrayBuffer[];
  reply({ kind: 'batch', batch: prepared, rowsThrough }, buffers);
}

// One request at a time: the parent asks for the next batch only once it has this one.
port.on('message', (request: ImportWorkerRequest) => {
  next(request).catch((error: unknown) => {
    reply(isDomainError(error)
      ? { kind: 'error', domain: { kind: error.kind, code: error.code, message: error.message, action: error.action, ...(error.details === undefined ? {} : { details: error.details }) } }
      : { kind: 'error', message: error instanceof Error ? error.message : String(error) });
  });
});
