/**
 * The access log's writer thread: runs each batch's transaction on its own connection to the
 * store file, so that the main thread prepares the next batch meanwhile. The main thread
 * acknowledges a record only after this thread answers that its transaction committed.
 */
import SQLite from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import type { TreeNode } from './merkle-tree.js';
import { sqliteBatchTransaction, type ThreadBatch, type ThreadReply, type WrittenRecord } from './access-log.writer.js';

const port = parentPort;
if (port === null) throw new Error('access-log.worker must run as a worker thread');
const { file } = workerData as { readonly file: string };
const sqlite = new SQLite(file);
// The store's settings (openDatabase): the same durability, and waits for the main connection's writes.
sqlite.pragma('journal_mode = WAL');
sqlite.pragma('synchronous = NORMAL');
sqlite.pragma('busy_timeout = 5000');
const write = sqliteBatchTransaction(sqlite);

port.on('message', (batch: ThreadBatch) => {
  let reply: ThreadReply;
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
    reply = { id: batch.id, written: write(batch.expectedSize, records, nodes) };
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    reply = { id: batch.id, error: { name: e.name, message: e.message, ...('code' in e && typeof e.code === 'string' ? { code: e.code } : {}) } };
  }
  port.postMessage(reply);
});
