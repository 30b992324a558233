import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * The exchange's durable replay memory on PostgreSQL (src/exchange/replay-ledger.repository.ts):
 * one row per claimed request id or assertion jti, keyed by a 64-bit fingerprint of (kind,
 * client, id) under the exchange's shared secret, with the instant (ms) it may be forgotten.
 * Every node inserts with ON CONFLICT, so the unique key decides which of two calls came first.
 * expires_at is indexed so that expired rows are pruned in slices (its values arrive in about
 * time order, so the index grows at its right edge).
 *
 * On SQLite the claims live in a file of their own beside the registry's (replay-ledger.db, made
 * by the ledger itself), so that they never take the registry's write lock: nothing here.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await db.schema
    .createTable('exchange_replay_claims')
    .ifNotExists()
    .addColumn('fp', 'bigint', (c) => c.primaryKey())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await sql`create index if not exists exchange_replay_claims_expiry on exchange_replay_claims (expires_at)`.execute(db);
}

export async function down(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await db.schema.dropTable('exchange_replay_claims').ifExists().execute();
}
