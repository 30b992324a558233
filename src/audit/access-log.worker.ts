/**
 * The access log's writer thread: keeps the tree's frontier, hashes each batch's subtrees and
 * runs its transaction on its own connection to the access log's store, so that the main thread
 * prepares the next batches meanwhile; between batches it writes the person index behind them.
 * The main thread acknowledges a record only after this thread answers that its transaction
 * committed.
 */
import SQLite from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { JournalFolder } from './access-journal.folder.js';
import { sqliteBatchTransaction, sqliteTreeState, type ThreadBatch, type ThreadJournalFold, type ThreadReply, type ThreadRequest, type ThreadWriterData, type WrittenRecord } from './access-log.writer.js';
import { FrontierWriter } from './frontier.writer.js';
import { indexerLoop, sqlitePersonIndexer } from './person-index.writer.js';

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

const folder = journal === undefined ? undefined : new JournalFolder(sqlite, tree, journal.dir);
/** Segments of earlier runs, folded to their ends (and deleted) before this run's first fold. */
const leftOver = [...(journal?.leftOver ?? [])];
/** The segment the main thread writes to, as far as the last fold request said. */
let live: string | undefined;

async function foldJournal(request: ThreadJournalFold): Promise<ThreadReply> {
  try {
    if (folder === undefined) throw new Error('this writer thread has no journal');
    while (leftOver.length > 0) {
      await folder.finish(leftOver[0] as string);
      leftOver.shift();
    }
    // The main thread moved on to a new segment: the one before is closed, folded to its end.
    if (live !== undefined && live !== request.segment) await folder.finish(live);
    live = request.segment;
    await folder.foldTo(request.segment, request.end);
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
  if (folder !== undefined && live !== undefined) await folder.finish(live).catch(() => undefined);
  folder?.close();
  await indexer.stop();
  sqlite.close();
  return { id: request.id, done: true };
}

// One request at a time, in the order sent: batch n + 1 joins the tree after batch n, and
// 'indexed' or 'close' come after the batches sent before them.
let previous: Promise<unknown> = Promise.resolve();
port.on('message', (request: ThreadRequest) => {
  previous = previous.then(async () => {
    port.postMessage(await answer(request));
    if (request.kind === 'close') port.close();
  });
});
