/**
 * The access log's writer thread: runs each batch's transaction on its own connection to the
 * access log's store, so that the main thread prepares the next batch meanwhile, and between
 * batches writes the person index behind them. The main thread acknowledges a record only after
 * this thread answers that its transaction committed.
 */
import SQLite from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import type { TreeNode } from './merkle-tree.js';
import { sqliteBatchTransaction, type ThreadBatch, type ThreadReply, type ThreadRequest, type WrittenRecord } from './access-log.writer.js';
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
const write = sqliteBatchTransaction(sqlite);
let indexError: { readonly name: string; readonly message: string } | undefined;
const indexer = indexerLoop(sqlitePersonIndexer(sqlite, personIndex), () => true, (error) => {
  const e = error instanceof Error ? error : new Error(String(error));
  indexError = { name: e.name, message: e.message };
});

function errorReply(id: number, error: unknown): ThreadReply {
  const e = error instanceof Error ? error : new Error(String(error));
  return { id, error: { name: e.name, message: e.message, ...('code' in e && typeof e.code === 'string' ? { code: e.code } : {}) } };
}

function writeBatch(batch: ThreadBatch): ThreadReply {
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
    const nodes = new Array<TreeNode>(batch.nodeLevels.length);
    for (let i = 0; i < nodes.length; i++) {
      nodes[i] = { level: batch.nodeLevels[i] as number, index: batch.nodeIndexes[i] as number, hash: Buffer.from(batch.nodeHashes, i * 32, 32) };
    }
    const written = write(batch.expectedSize, records, nodes);
    if (written) indexer.poke();
    return { id: batch.id, written };
  } catch (error) {
    return errorReply(batch.id, error);
  }
}

port.on('message', (request: ThreadRequest) => {
  if (request.kind === 'batch') {
    port.postMessage(writeBatch(request));
    return;
  }
  if (request.kind === 'indexed') {
    indexer.poke();
    void indexer.idle().then(() => {
      const failed = indexError;
      indexError = undefined;
      port.postMessage(failed === undefined ? { id: request.id, done: true } : errorReply(request.id, Object.assign(new Error(failed.message), { name: failed.name })));
    });
    return;
  }
  void indexer.stop().then(() => {
    sqlite.close();
    port.postMessage({ id: request.id, done: true });
    port.close();
  });
});
