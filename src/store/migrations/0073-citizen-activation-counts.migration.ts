import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * The activation drive's counts of living e-ID accounts by day of activation (Viet Nam's day,
 * UTC+7 all year), province and level, kept by triggers on `citizen_accounts` in the same
 * transaction as every write to it (an activation, a level 2 attestation, a lock by the
 * registry's death record, a closure, a bulk COPY), so that the dashboard reads a few thousand
 * rows instead of scanning forty million accounts (a full scan took 34.9 s at 40 M on
 * PostgreSQL). The existing accounts are counted once here.
 *
 * On PostgreSQL the triggers are per statement over transition tables: a COPY of a province's
 * accounts updates each (day, province, level) once, not once a row. On SQLite they are per row.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema.createTable('citizen_activation_counts').ifNotExists()
    .addColumn('day', 'text', (c) => c.notNull())
    // '' when the account carries no province (accounts opened before provinces were recorded)
    .addColumn('province', 'text', (c) => c.notNull())
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('accounts', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('citizen_activation_counts_pk', ['day', 'province', 'level'])
    .execute();
  if (dialect === 'postgres') await postgresTriggers(db);
  else await sqliteTriggers(db);
  await sql`delete from citizen_activation_counts`.execute(db);
  await sql.raw(`insert into citizen_activation_counts (day, province, level, accounts)
    select ${dayOf(dialect, 'created_at')}, coalesce(province, ''), level, count(*) from citizen_accounts
    where status = 'active' group by 1, 2, 3`).execute(db);
}

/** The day of an instant (ISO-8601 UTC text) in Viet Nam, which keeps UTC+7 all year. */
function dayOf(dialect: Dialect, column: string): string {
  return dialect === 'postgres'
    ? `to_char(${column}::timestamptz at time zone 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD')`
    : `date(${column}, '+7 hours')`;
}

async function sqliteTriggers(db: Kysely<unknown>): Promise<void> {
  const add = (row: string): string => `insert into citizen_activation_counts (day, province, level, accounts)
      select ${dayOf('sqlite', `${row}.created_at`)}, coalesce(${row}.province, ''), ${row}.level, 1 where ${row}.status = 'active'
      on conflict (day, province, level) do update set accounts = accounts + 1;`;
  const remove = (row: string): string => `update citizen_activation_counts set accounts = accounts - 1
      where ${row}.status = 'active' and day = ${dayOf('sqlite', `${row}.created_at`)} and province = coalesce(${row}.province, '') and level = ${row}.level;`;
  await sql.raw(`create trigger if not exists citizen_accounts_count_insert after insert on citizen_accounts
    begin ${add('new')} end`).execute(db);
  await sql.raw(`create trigger if not exists citizen_accounts_count_delete after delete on citizen_accounts
    begin ${remove('old')} end`).execute(db);
  await sql.raw(`create trigger if not exists citizen_accounts_count_update after update of status, level, province, created_at on citizen_accounts
    begin ${remove('old')} ${add('new')} end`).execute(db);
}

async function postgresTriggers(db: Kysely<unknown>): Promise<void> {
  const day = dayOf('postgres', 'created_at');
  // One function for the three statements: each passes the transition tables it has.
  await sql.raw(`create or replace function citizen_accounts_count() returns trigger language plpgsql as $$
    begin
      if tg_op in ('UPDATE', 'DELETE') then
        update citizen_activation_counts c set accounts = c.accounts - o.n
          from (select ${day} as day, coalesce(province, '') as province, level, count(*) as n
                from old_accounts where status = 'active' group by 1, 2, 3) o
          where c.day = o.day and c.province = o.province and c.level = o.level;
      end if;
      if tg_op in ('INSERT', 'UPDATE') then
        insert into citizen_activation_counts (day, province, level, accounts)
          select ${day}, coalesce(province, ''), level, count(*) from new_accounts where status = 'active' group by 1, 2, 3
          on conflict (day, province, level) do update set accounts = citizen_activation_counts.accounts + excluded.accounts;
      end if;
      return null;
    end $$`).execute(db);
  const triggers = [
    ['insert', 'referencing new table as new_accounts'],
    ['update', 'referencing old table as old_accounts new table as new_accounts'],
    ['delete', 'referencing old table as old_accounts'],
  ] as const;
  for (const [op, tables] of triggers) {
    await sql.raw(`drop trigger if exists citizen_accounts_count_${op} on citizen_accounts`).execute(db);
    await sql.raw(`create trigger citizen_accounts_count_${op} after ${op} on citizen_accounts
      ${tables} for each statement execute function citizen_accounts_count()`).execute(db);
  }
}

export async function down(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  for (const op of ['insert', 'update', 'delete']) {
    await sql.raw(dialect === 'postgres' ? `drop trigger if exists citizen_accounts_count_${op} on citizen_accounts` : `drop trigger if exists citizen_accounts_count_${op}`).execute(db);
  }
  if (dialect === 'postgres') await sql`drop function if exists citizen_accounts_count()`.execute(db);
  await db.schema.dropTable('citizen_activation_counts').ifExists().execute();
}
