import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * A `changes` grant limited to some provinces (src/exchange/grant.service.ts): a JSON array of
 * 2-digit province codes. Grants made before it get `[]`, every province, as they had.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') {
    await sql`alter table exchange_grants add column if not exists provinces text not null default '[]'`.execute(db);
    return;
  }
  // SQLite has no "if not exists" here: a change made but not recorded leaves the column in place.
  const columns = await sql<{ name: string }>`select name from pragma_table_info('exchange_grants')`.execute(db);
  if (columns.rows.some((c) => c.name === 'provinces')) return;
  await sql`alter table exchange_grants add column provinces text not null default '[]'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table exchange_grants drop column provinces`.execute(db);
}
