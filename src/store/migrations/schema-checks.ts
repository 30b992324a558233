import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * What a migration that may run again finds already done: a table or a column of the current
 * schema (PostgreSQL) or of the main database (SQLite).
 */
export async function tableExists(db: Kysely<unknown>, dialect: Dialect, table: string): Promise<boolean> {
  const rows = dialect === 'sqlite'
    ? await sql<{ n: number }>`select count(*) as n from sqlite_master where type = 'table' and name = ${table}`.execute(db)
    : await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_schema = current_schema() and table_name = ${table}`.execute(db);
  return rows.rows[0]?.n === 1;
}

export async function columnExists(db: Kysely<unknown>, dialect: Dialect, table: string, column: string): Promise<boolean> {
  const rows = dialect === 'sqlite'
    ? await sql<{ n: number }>`select count(*) as n from pragma_table_info(${table}) where name = ${column}`.execute(db)
    : await sql<{ n: number }>`select count(*)::int as n from information_schema.columns where table_schema = current_schema() and table_name = ${table} and column_name = ${column}`.execute(db);
  return rows.rows[0]?.n === 1;
}
