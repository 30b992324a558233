/**
 * The access log's writer thread: keeps the tree's frontier, hashes each batch's subtrees and
 * runs its transaction on its own connection to the access log's store, so that the main thread
 * prepares the next batches meanwhile; between batches it writes the person index behind them.
 * The main thread acknowledges a record only after this thread answers that its transaction
 * committed.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { JournalFolder } from './access-journal.folder.js';
import { segmentName } from './access-journal.format.js';
import { sqliteBatchTransaction, sqliteTreeState, unpackPosition, type ThreadBatch, type ThreadJournalFold, type ThreadReply, type ThreadRequest, type ThreadWriterData, type WrittenRecord } from './access-log.writer.js';
import { FrontierWriter } from './frontier.writer.js';
import { lowerThreadPriority, writerNiceIncrement } from '../shared/thread-priority.js';
import { indexerLoop, sqlitePersonIndexer } from './person-index.writer.js';

// Below the request thread: answers come first, folding and indexing take the time left over (a
// thread's own nice value on Linux; ignored where the system refuses it).
lowerThreadPriority(writerNiceIncrement);
const port = parentPort;
if (port === null) throw new Error('access-log.worker must run as a worker thread');
const { file, personIndex, journal } = workerData as ThreadWriterData;
const sqlite = new SQLite(file);
// The store's settings (openDatabase): the same durability, and waits for other connections' writes.
sqlite.pragma('journal_mode = WAL');
sqlite.pragma('synchronous = NORMAL');
sqlite.pragma('busy_timeout = 5000');
// The checkpointer thread (wal-checkpoint.worker.ts) folds the WAL back while batches go on; this
// connection checkpoints only if that thread falls far behind (40 MB of WAL at 4 KiB pages).
sqlite.pragma('wal_autocheckpoint = 10000');
// This thread keeps the tree's frontier: the main thread hands over leaves and gets their indexes back.
const tree = new FrontierWriter(sqliteTreeState(sqlite), sqliteBatchTransaction(sqlite));
let indexError: Error | undefined;
const indexer = indexerLoop(sqlitePersonIndexer(sqlite, personIndex), () => true, (error) => {
  indexError = error instanceof Error ? error : new Error(String(error));
  // Told at once (the server logs it), and kept for the next 'indexed' request.
  port.postMessage({ indexError: { name: indexError.name, message: indexError.message } } satisfies ThreadReply);
});

// A backlog left by a writer that stopped is taken up at once, not at the first append.
indexer.poke();

/**
 * How often the journal's shared position is looked at. Larger folds cost less a record (measured:
 * 82 against 90 µs of server CPU an officer's read at 50 against 5 ms; at 200 against 50 ms,
 * 23,872 against 22,908 reads a second, 2026-12-06); readers of the log ask for a fold at once
 * (settled), so only the tree's own lag grows.
 */
const pollEveryMs = 200;

const folder = journal === undefined ? undefined : new JournalFolder(sqlite, tree, journal.dir);
/** Segments of earlier runs, folded to their ends (and deleted) before this run's first fold. */
const leftOver = [...(journal?.leftOver ?? [])];
/** The number of the segment the main thread writes to, as far as the last fold request said. */
let live = 0;

async function foldJournal(request: ThreadJournalFold): Promise<ThreadReply> {
  try {
    if (folder === undefined || journal === undefined) throw new Error('this writer thread has no journal');
    while (leftOver.length > 0) {
      await folder.finish(leftOver[0] as string);
      leftOver.shift();
    }
    const nameOf = (n: number): string => segmentName(journal.startedMs, journal.pid, n);
    // A request older than the segment now folded (a poll got there first): that segment is finished.
    if (request.segmentNumber < live) return { id: request.id, done: true };
    // The main thread moved on to a new segment: the ones before are closed, each folded to its end
    // (a number whose segment could not be begun has no file).
    for (; live < request.segmentNumber; live++) {
      if (existsSync(path.join(journal.dir, nameOf(live)))) await folder.finish(nameOf(live));
    }
    const segment = nameOf(request.segmentNumber);
    if (request.end === 0 && !existsSync(path.join(journal.dir, segment))) return { id: request.id, done: true };
    await folder.foldTo(segment, request.end);
    indexer.poke();
    return { id: request.id, done: true };
  } catch (error) {
    return errorReply(request.id, error);
  }
}

function errorReply(id: number, error: unknown): ThreadReply {
  const e = error instanceof Error ? error : new Error(String(error));
  return { id, error: { name: e.name, message: e.message, ...('code' in e && typeof e.code === 'string' ? { code: e.code } : {}) } };
}

async function writeBatch(batch: ThreadBatch): Promise<ThreadReply> {
  try {
    const records = new Array<WrittenRecord>(batch.personIds.length);
    for (let i = 0; i < records.length; i++) {
      records[i] = {
        person_id: batch.personIds[i] as string,
        deferred_until: batch.deferredUntil[i] ?? null,
        leaf: batch.leaves[i] as string,
        leaf_hash: Buffer.from(batch.leafHashes, i * 32, 32),
      };
    }
    const first = await tree.commit(records);
    indexer.poke();
    return { id: batch.id, first };
  } catch (error) {
    return errorReply(batch.id, error);
  }
}
/** The last write's position, as the main thread stored it, as a fold request. */
function latestWrite(): ThreadJournalFold | undefined {
  if (journal === undefined || position === undefined) return undefined;
  const { segmentNumber, end } = unpackPosition(Atomics.load(position, 0));
  return { kind: 'journal', id: -1, segmentNumber, end };
}

async function answer(request: ThreadRequest): Promise<ThreadReply> {
  if (request.kind === 'batch') return writeBatch(request);
  if (request.kind === 'journal') return foldJournal(request);
  if (request.kind === 'indexed') {
    indexer.poke();
    await indexer.idle();
    const failed = indexError;
    indexError = undefined;
    return failed === undefined ? { id: request.id, done: true } : errorReply(request.id, failed);
  }
  // An orderly stop: the main thread has closed the journal; what it wrote last is folded now
  // (if that fails, the segment stays and the next start folds it).
  clearInterval(polling);
  const last = latestWrite();
  if (last !== undefined && last.end > 0) await foldJournal(last);
  if (folder !== undefined && journal !== undefined) {
    // This run's segments from the live one on (one begun after the last write is empty).
    const prefix = segmentName(journal.startedMs, journal.pid, 0).slice(0, -'000000.seg'.length);
    const ours = readdirSync(journal.dir).filter((name) => name.startsWith(prefix) && name >= segmentName(journal.startedMs, journal.pid, live)).sort();
    for (const name of ours) await folder.finish(name).catch(() => undefined);
  }
  folder?.close();
  await indexer.stop();
  sqlite.close();
  return { id: request.id, done: true };
}

let polling: NodeJS.Timeout | undefined;

// One request at a time, in the order sent: batch n + 1 joins the tree after batch n, and
// 'indexed' or 'close' come after the batches sent before them.
let previous: Promise<unknown> = Promise.resolve();
port.on('message', (request: ThreadRequest) => {
  previous = previous.then(async () => {
    port.postMessage(await answer(request));
    if (request.kind === 'close') port.close();
  });
});

// Every pollEveryMs, what was written since the last fold is folded, in turn with the requests.
const position = journal === undefined ? undefined : new BigInt64Array(journal.position);
let polled = 0n;
let pollQueued = false;
if (position !== undefined) {
  polling = setInterval(() => {
    if (pollQueued || Atomics.load(position, 0) === polled) return;
    pollQueued = true;
    previous = previous.then(async () => {
      pollQueued = false;
      const packed = Atomics.load(position, 0);
      const request = latestWrite();
      // A failed fold is tried again at the next poll (the records wait in the journal).
      if (request !== undefined && !('error' in (await foldJournal(request)))) polled = packed;
    });
  }, pollEveryMs).unref();
}
