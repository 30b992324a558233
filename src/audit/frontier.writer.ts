import { DomainError } from '../shared/domain-error.js';
import { nodeHash, type TreeNode } from './merkle-tree.js';

/** What a batch transaction writes of a record: its columns but the index, which the batch gives. */
export interface WrittenRecord {
  readonly person_id: string;
  readonly deferred_until: string | null;
  readonly leaf: string;
  readonly leaf_hash: Buffer;
}

/** A record folded from the access journal: the leaf as the UTF-8 bytes written there (stored as the same text). */
export interface FoldedRecord extends Omit<WrittenRecord, 'leaf'> {
  readonly leaf: Buffer;
}

/** What the frontier needs of a record. */
export type TreeRecord = Pick<WrittenRecord, 'leaf_hash'>;

/** The committed size of the tree and its frontier: the complete subtrees a new leaf may join. */
export interface TreeState {
  readonly size: number;
  readonly frontier: readonly TreeNode[];
}

/**
 * Where a batch from the access journal (access-journal.folder.ts) came from: its segment was
 * folded up to `from` before it, and is folded up to `to` once it commits. The transaction moves
 * the segment's mark only if it still stands at `from`.
 */
export interface JournalMark {
  readonly segment: string;
  readonly from: number;
  readonly to: number;
}

/**
 * Writes a batch of records (record i at leaf index `expectedSize + i`) and the interior nodes
 * they complete in ONE transaction, moving the committed size from `expectedSize` on. False,
 * writing nothing, when the committed size is not `expectedSize` (another writer got there first).
 */
export type BatchTransaction<R extends TreeRecord = WrittenRecord> = (expectedSize: number, records: readonly R[], nodes: readonly TreeNode[], mark?: JournalMark) => boolean | Promise<boolean>;

/**
 * The tree's frontier, kept in memory by the one writer of a process, around its batch
 * transactions: a batch's interior nodes are hashed from the frontier, written with the records,
 * and the frontier moves on only once the transaction committed. A writer in another process is
 * noticed (the committed size moved): the frontier is reloaded and the batch written again.
 * Used on the main thread (PostgreSQL, a shared SQLite connection) and by the writer thread.
 *
 * @example
 * const tree = new FrontierWriter(() => loadState(db), sqliteBatchTransaction(sqlite));
 * const first = await tree.commit(records); // records[i] is leaf first + i, durable now
 */
export class FrontierWriter<R extends TreeRecord = WrittenRecord> {
  private state: TreeState | undefined;

  constructor(
    private readonly load: () => TreeState | Promise<TreeState>,
    private readonly write: BatchTransaction<R>,
  ) {}

  /** Commits the batch (with the journal's mark, for a folded batch); resolves to the leaf index of its first record. */
  async commit(records: readonly R[], mark?: JournalMark): Promise<number> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const state = this.state ?? (await this.load());
      this.state = undefined; // until this write is known to have committed (or not)
      const { frontier, nodes } = extendFrontier(state, records);
      if (await this.write(state.size, records, nodes, mark)) {
        this.state = { size: state.size + records.length, frontier };
        return state.size;
      }
    }
    throw new DomainError('unavailable', 'ACCESS_LOG_CONTENDED', 'The access log is being appended to by other writers', 'Retry the request');
  }
}

/**
 * The interior nodes a batch of records completes when appended to a tree in `state`, and the
 * frontier after it. Pure: nothing moves until the caller's transaction commits.
 */
export function extendFrontier(state: TreeState, records: readonly TreeRecord[]): { readonly frontier: TreeNode[]; readonly nodes: TreeNode[] } {
  const frontier = [...state.frontier];
  const nodes: TreeNode[] = [];
  for (let i = 0; i < records.length; i++) {
    const index = state.size + i;
    // appendToFrontier inlined: level 0 is the record's own leaf_hash column, so only the
    // interior subtrees the leaf completes go to the nodes table.
    let level = 0;
    let hash = (records[i] as TreeRecord).leaf_hash;
    for (let last = frontier.at(-1); last?.level === level; last = frontier.at(-1)) {
      frontier.pop();
      hash = nodeHash(last.hash, hash);
      level++;
      // `last` is the left sibling (an even index): the parent is one level up at half its index.
      nodes.push({ level, index: last.index / 2, hash });
    }
    frontier.push(level === 0 ? { level, index, hash } : (nodes.at(-1) as TreeNode));
  }
  return { frontier, nodes };
}
