import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/** The access log: records, the Merkle tree's complete subtrees, the committed size, signed checkpoints. */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('access_records')
    // SQLite: INTEGER PRIMARY KEY is the rowid, so the leaf index costs no extra B-tree.
    .addColumn('idx', bigint, (c) => c.primaryKey())
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('deferred_until', 'text')
    .addColumn('leaf', 'text', (c) => c.notNull())
    .addColumn('leaf_hash', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
    .execute();
  // The citizen's tracker: one person's records, newest first, at 100 million rows and more.
  // (A SQLite index entry ends with the rowid, which is idx: indexing person_id alone orders by both.)
  await db.schema
    .createIndex('access_records_person_idx')
    .on('access_records')
    .columns(dialect === 'postgres' ? ['person_id', 'idx'] : ['person_id'])
    .execute();

  const nodes = db.schema
    .createTable('access_log_nodes')
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('idx', bigint, (c) => c.notNull())
    .addColumn('hash', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
    .addPrimaryKeyConstraint('access_log_nodes_pk', ['level', 'idx']);
  // Without a rowid the rows live in the primary-key B-tree itself: one lookup per node, less space.
  await (dialect === 'sqlite' ? nodes.modifyEnd(sql`without rowid`) : nodes).execute();

  await db.schema
    .createTable('access_log_head')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('tree_size', bigint, (c) => c.notNull())
    .execute();
  await sql`insert into access_log_head (id, tree_size) values (1, 0)`.execute(db);

  await db.schema
    .createTable('access_log_checkpoints')
    .addColumn('tree_size', bigint, (c) => c.primaryKey())
    .addColumn('root_hash', 'text', (c) => c.notNull())
    .addColumn('note', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['access_log_checkpoints', 'access_log_head', 'access_log_nodes', 'access_records']) {
    await db.schema.dropTable(table).execute();
  }
}
