/**
 * The access log's writer thread: keeps the tree's frontier, hashes each batch's subtrees and
 * runs its transaction on its own connection to the access log's store, so that the main thread
 * prepares the next batches meanwhile; between batches it writes the person index behind them.
 * The main thread acknowledges a record only after this thread answers that its transaction
 * committed.
 */
import SQLite from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { sqliteBatchTransaction, sqliteTreeState, type ThreadBatch, type ThreadReply, type ThreadRequest, type WrittenRecord } from './access-log.writer.js';
import { FrontierWriter } from './frontier.writer.js';
import { indexerLoop, sqlitePersonIndexer, type PersonIndexOptions } from './person-index.writer.js';

const port = parentPort;
if (port === null) throw new Error('access-log.worker must run as a worker thread');
const { file, personIndex } = workerData as { readonly file: string; readonly personIndex: PersonIndexOptions };
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
  if (request.kind === 'indexed') {
    indexer.poke();
    await indexer.idle();
    const failed = indexError;
    indexError = undefined;
    return failed === undefined ? { id: request.id, done: true } : errorReply(request.id, failed);
  }
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
