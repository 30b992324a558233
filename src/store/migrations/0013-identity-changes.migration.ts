import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * The identity change counter: one row, bumped in the same transaction as every change that can
 * end a console session's right to be used: a session revoked (sign-out, revocation, expiry) or
 * deleted, and any change to an officer (status, role, unit, second factor, password…). Triggers
 * bump it, so a change holds whichever process makes it, even one that bypasses the services. A
 * running server compares it with the value its cached sessions were filled under
 * (officer-auth.service.ts), so the next request after such a change reads the store again.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('identity_changes')
    .ifNotExists()
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('counter', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
    .execute();
  // Re-runnable: SQLite DDL here is not wrapped, and a stop before Kysely records the migration runs it again.
  await sql`INSERT INTO identity_changes (id, counter) VALUES (1, 0) ON CONFLICT (id) DO NOTHING`.execute(db);
  if (dialect === 'sqlite') {
    const bump = 'BEGIN UPDATE identity_changes SET counter = counter + 1 WHERE id = 1; END';
    await sql.raw(`CREATE TRIGGER IF NOT EXISTS identity_changes_session_update AFTER UPDATE OF revoked_at, revoked_reason, officer_id, absolute_expires_at ON identity_sessions ${bump}`).execute(db);
    await sql.raw(`CREATE TRIGGER IF NOT EXISTS identity_changes_session_delete AFTER DELETE ON identity_sessions ${bump}`).execute(db);
    await sql.raw(`CREATE TRIGGER IF NOT EXISTS identity_changes_officer_update AFTER UPDATE ON identity_officers ${bump}`).execute(db);
    await sql.raw(`CREATE TRIGGER IF NOT EXISTS identity_changes_officer_delete AFTER DELETE ON identity_officers ${bump}`).execute(db);
    return;
  }
  await sql.raw(`CREATE OR REPLACE FUNCTION identity_changes_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE identity_changes SET counter = counter + 1 WHERE id = 1;
  RETURN NULL;
END
$$`).execute(db);
  const triggers: readonly (readonly [string, string, string])[] = [
    ['identity_changes_session_update', 'UPDATE OF revoked_at, revoked_reason, officer_id, absolute_expires_at', 'identity_sessions'],
    ['identity_changes_session_delete', 'DELETE', 'identity_sessions'],
    ['identity_changes_officer_update', 'UPDATE', 'identity_officers'],
    ['identity_changes_officer_delete', 'DELETE', 'identity_officers'],
  ];
  for (const [name, event, table] of triggers) {
    await sql.raw(`DROP TRIGGER IF EXISTS ${name} ON ${table}`).execute(db);
    await sql.raw(`CREATE TRIGGER ${name} AFTER ${event} ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION identity_changes_bump()`).execute(db);
  }
}

export async function down(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  for (const [name, table] of [
    ['identity_changes_session_update', 'identity_sessions'],
    ['identity_changes_session_delete', 'identity_sessions'],
    ['identity_changes_officer_update', 'identity_officers'],
    ['identity_changes_officer_delete', 'identity_officers'],
  ] as const) {
    await sql.raw(dialect === 'sqlite' ? `DROP TRIGGER IF EXISTS ${name}` : `DROP TRIGGER IF EXISTS ${name} ON ${table}`).execute(db);
  }
  if (dialect === 'postgres') await sql`DROP FUNCTION IF EXISTS identity_changes_bump()`.execute(db);
  await db.schema.dropTable('identity_changes').ifExists().execute();
}
