import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * The identity change counter (migration 0013) bumped only by officer changes that bear on a
 * session's right: name, role, unit, status, password, second factor, enrolment. Every sign-in
 * and every failed attempt updates the officer's row too (last sign-in, failure count, lock, the
 * last TOTP step); counting those emptied every node's session cache at each sign-in.
 */
const officerColumns = [
  'username', 'display_name', 'role', 'unit_level', 'unit_code', 'unit_province', 'status',
  'password_hash', 'totp_secret', 'totp_confirmed_at', 'enrolment_hash', 'enrolment_expires_at',
].join(', ');

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect === 'sqlite') {
    await sql`DROP TRIGGER IF EXISTS identity_changes_officer_update`.execute(db);
    await sql.raw(`CREATE TRIGGER identity_changes_officer_update AFTER UPDATE OF ${officerColumns} ON identity_officers BEGIN UPDATE identity_changes SET counter = counter + 1 WHERE id = 1; END`).execute(db);
    return;
  }
  await sql`DROP TRIGGER IF EXISTS identity_changes_officer_update ON identity_officers`.execute(db);
  await sql.raw(`CREATE TRIGGER identity_changes_officer_update AFTER UPDATE OF ${officerColumns} ON identity_officers FOR EACH STATEMENT EXECUTE FUNCTION identity_changes_bump()`).execute(db);
}

export async function down(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect === 'sqlite') {
    await sql`DROP TRIGGER IF EXISTS identity_changes_officer_update`.execute(db);
    await sql`CREATE TRIGGER identity_changes_officer_update AFTER UPDATE ON identity_officers BEGIN UPDATE identity_changes SET counter = counter + 1 WHERE id = 1; END`.execute(db);
    return;
  }
  await sql`DROP TRIGGER IF EXISTS identity_changes_officer_update ON identity_officers`.execute(db);
  await sql`CREATE TRIGGER identity_changes_officer_update AFTER UPDATE ON identity_officers FOR EACH STATEMENT EXECUTE FUNCTION identity_changes_bump()`.execute(db);
}
