import { closeSync, fstatSync, openSync, readdirSync, readSync, rmSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { decodeFrames, frameHeaderBytes, payloadRecordBytes, segmentWriterPid } from './access-journal.format.js';
import { sqliteBatchTransaction, sqliteTreeState } from './access-log.writer.js';
import { FrontierWriter, type FoldedRecord, type JournalMark } from './frontier.writer.js';
import { prefixedLeafHash } from './merkle-tree.js';

/** What folding a segment did. */
export interface FoldResult {
  readonly records: number;
  /** Bytes after the last whole frame of a closed segment: a write torn by a process's death, never acknowledged. */
  readonly tornBytes: number;
}

/**
 * The writer thread's side of the access journal (access-journal.ts): reads a segment's frames
 * from where the last fold stopped, hashes their leaves and commits them to the tree in batches
 * of whole frames, each batch with the segment's new folded-to mark in the SAME transaction
 * (access_log_journal_marks). So a record is folded exactly once, whenever the process stops: a
 * batch either committed with its mark or not at all, and the next fold starts at the mark.
 *
 * @example
 * const folder = new JournalFolder(sqlite, tree, dir);
 * await folder.foldTo(segment, end); // every frame before `end` is in the tree now
 * await folder.finish(oldSegment);   // a closed segment: folded to its end, then deleted
 */
export class JournalFolder {
  private readonly files = new Map<string, number>();
  private readonly markOf: SQLite.Statement<[string], number>;
  private readonly addMark: SQLite.Statement<[string]>;
  private readonly dropMark: SQLite.Statement<[string]>;

  constructor(
    sqlite: SQLite.Database,
    private readonly tree: FrontierWriter<FoldedRecord>,
    private readonly dir: string,
    private readonly maxRecords = 5_000,
  ) {
    this.markOf = sqlite.prepare<[string], number>('SELECT folded_to FROM access_log_journal_marks WHERE segment = ?').pluck();
    this.addMark = sqlite.prepare<[string]>('INSERT OR IGNORE INTO access_log_journal_marks (segment, folded_to) VALUES (?, 0)');
    this.dropMark = sqlite.prepare<[string]>('DELETE FROM access_log_journal_marks WHERE segment = ?');
  }

  /** Folds segment `name` up to byte `end`; every frame before `end` is whole (the main thread wrote it). */
  foldTo(name: string, end: number): Promise<FoldResult> {
    return this.fold(name, end);
  }

  /** Folds a closed segment to its end, dropping a torn last write, then deletes it and its mark. */
  async finish(name: string): Promise<FoldResult> {
    const result = await this.fold(name, undefined);
    const fd = this.files.get(name);
    if (fd !== undefined) closeSync(fd);
    this.files.delete(name);
    rmSync(path.join(this.dir, name), { force: true });
    this.dropMark.run(name);
    return result;
  }

  /** Closes the files it holds open (the segments stay). */
  close(): void {
    for (const fd of this.files.values()) closeSync(fd);
    this.files.clear();
  }

  private async fold(name: string, end: number | undefined): Promise<FoldResult> {
    let fd = this.files.get(name);
    if (fd === undefined) {
      fd = openSync(path.join(this.dir, name), 'r');
      this.files.set(name, fd);
    }
    this.addMark.run(name);
    const from = this.markOf.get(name) ?? 0;
    const to = end ?? fstatSync(fd).size;
    if (to <= from) return { records: 0, tornBytes: 0 };
    const bytes = Buffer.allocUnsafe(to - from);
    for (let read = 0; read < bytes.length;) {
      const n = readSync(fd, bytes, read, bytes.length - read, from + read);
      if (n === 0) break;
      read += n;
    }
    const { payloads, consumed, torn } = decodeFrames(bytes);
    let records = 0;
    let batch: FoldedRecord[] = [];
    let batchFrom = from;
    let at = from;
    for (const payload of payloads) {
      for (const r of payloadRecordBytes(payload)) batch.push({ person_id: r.person_id, deferred_until: r.deferred_until, leaf: r.leaf, leaf_hash: prefixedLeafHash(r.prefixedLeaf) });
      at += frameHeaderBytes + payload.length;
      if (batch.length >= this.maxRecords) {
        await this.commit(batch, { segment: name, from: batchFrom, to: at });
        records += batch.length;
        batch = [];
        batchFrom = at;
      }
    }
    if (batch.length > 0) {
      await this.commit(batch, { segment: name, from: batchFrom, to: at });
      records += batch.length;
    }
    return { records, tornBytes: torn ? bytes.length - consumed : 0 };
  }

  private async commit(records: readonly FoldedRecord[], mark: JournalMark): Promise<void> {
    await this.tree.commit(records, mark);
  }
}

/**
 * Folds the journal segments in `segmentsDir` into the access log file `logFile` (a copy: a
 * backup's), each from the mark the copy holds for it, then deletes them. A backup copies the
 * segments first and the log after: a record acknowledged before the backup is then either folded
 * in the copied log or past its mark in a copied segment. Returns the records folded.
 *
 * @example
 * await foldJournalCopy('backups/2026-12-05/access-log.db', 'backups/2026-12-05/journal-capture');
 */
export async function foldJournalCopy(logFile: string, segmentsDir: string): Promise<number> {
  const sqlite = new SQLite(logFile);
  try {
    const folder = new JournalFolder(sqlite, new FrontierWriter(sqliteTreeState(sqlite), sqliteBatchTransaction(sqlite)), segmentsDir);
    let records = 0;
    for (const name of readdirSync(segmentsDir).filter((n) => segmentWriterPid(n) !== undefined).sort()) records += (await folder.finish(name)).records;
    folder.close();
    return records;
  } finally {
    sqlite.close();
  }
}
