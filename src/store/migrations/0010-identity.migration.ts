import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * Officers, their console sessions, service accounts and the bootstrap mark (src/identity).
 * Same tables on both stores. The TOTP seed must be read back to check a code, so it is sealed
 * (AES-256-GCM, identity/totp-secret.sealer.ts) rather than hashed like passwords, session ids,
 * enrolment tokens and keys.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('identity_officers')
    .ifNotExists()
    .addColumn('officer_id', 'text', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull().unique())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('unit_level', 'text', (c) => c.notNull())
    .addColumn('unit_code', 'text')
    .addColumn('unit_province', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text')
    .addColumn('totp_secret', 'text')
    .addColumn('totp_confirmed_at', 'text')
    .addColumn('totp_last_step', bigint)
    .addColumn('enrolment_hash', 'text', (c) => c.unique())
    .addColumn('enrolment_expires_at', 'text')
    .addColumn('failed_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('locked_until', 'text')
    .addColumn('last_sign_in_at', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // The bootstrap check and the console's lists filter by role.
  await db.schema.createIndex('identity_officers_role').ifNotExists().on('identity_officers').column('role').execute();

  await db.schema
    .createTable('identity_sessions')
    .ifNotExists()
    .addColumn('session_hash', 'text', (c) => c.primaryKey())
    .addColumn('session_ref', 'text', (c) => c.notNull().unique())
    .addColumn('officer_id', 'text', (c) => c.notNull().references('identity_officers.officer_id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('absolute_expires_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addColumn('revoked_reason', 'text')
    .execute();
  await db.schema.createIndex('identity_sessions_officer').ifNotExists().on('identity_sessions').column('officer_id').execute();
  // Pruning finds expired sessions by their absolute end.
  await db.schema.createIndex('identity_sessions_expiry').ifNotExists().on('identity_sessions').column('absolute_expires_at').execute();

  await db.schema
    .createTable('identity_service_accounts')
    .ifNotExists()
    .addColumn('account_id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('unit_level', 'text', (c) => c.notNull())
    .addColumn('unit_code', 'text')
    .addColumn('unit_province', 'text')
    .addColumn('key_id', 'text', (c) => c.notNull().unique())
    .addColumn('key_hash', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addColumn('last_used_at', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  // Its primary key is the guard: two nodes bootstrapping at once cannot both insert id 1.
  await db.schema
    .createTable('identity_bootstrap')
    .ifNotExists()
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('officer_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['identity_bootstrap', 'identity_service_accounts', 'identity_sessions', 'identity_officers']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
