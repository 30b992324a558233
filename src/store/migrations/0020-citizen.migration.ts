import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * Citizens' e-ID accounts (src/citizen): one account per living person (unique person id), the
 * one-time codes of activation and recovery (stored hashed), level 2 attestations (who attested,
 * how), the portal's sessions, and the relying parties onboarded to the OpenID provider.
 * Instants are ISO-8601 UTC text.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const int = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('citizen_accounts')
    .ifNotExists()
    .addColumn('account_id', 'text', (c) => c.primaryKey())
    .addColumn('person_id', 'text', (c) => c.notNull().unique())
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('phone', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('totp_secret', 'text')
    .addColumn('totp_last_step', int)
    .addColumn('card_number', 'text')
    .addColumn('province', 'text')
    .addColumn('failed_attempts', 'integer', (c) => c.notNull())
    .addColumn('locked_until', 'text')
    .addColumn('last_sign_in_at', 'text')
    .addColumn('level2_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('citizen_accounts_drive').ifNotExists().on('citizen_accounts').columns(['province', 'level', 'created_at']).execute();

  await db.schema
    .createTable('citizen_otp_challenges')
    .ifNotExists()
    .addColumn('challenge_id', 'text', (c) => c.primaryKey())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('phone', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('consumed_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('citizen_otp_person').ifNotExists().on('citizen_otp_challenges').columns(['person_id', 'created_at']).execute();

  await db.schema
    .createTable('citizen_attestations')
    .ifNotExists()
    .addColumn('attestation_id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('officer_id', 'text')
    .addColumn('officer_unit', 'text')
    .addColumn('card_number', 'text')
    .addColumn('evidence_sha256', 'text')
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('citizen_attestations_account').ifNotExists().on('citizen_attestations').column('account_id').execute();

  await db.schema
    .createTable('citizen_sessions')
    .ifNotExists()
    .addColumn('session_hash', 'text', (c) => c.primaryKey())
    .addColumn('session_ref', 'text', (c) => c.notNull().unique())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('acr_level', 'integer', (c) => c.notNull())
    .addColumn('device', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('absolute_expires_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addColumn('revoked_reason', 'text')
    .execute();
  await db.schema.createIndex('citizen_sessions_account').ifNotExists().on('citizen_sessions').column('account_id').execute();

  await db.schema
    .createTable('citizen_relying_parties')
    .ifNotExists()
    .addColumn('client_id', 'text', (c) => c.primaryKey())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('redirect_uris', 'text', (c) => c.notNull())
    .addColumn('post_logout_redirect_uris', 'text', (c) => c.notNull())
    .addColumn('allowed_claims', 'text', (c) => c.notNull())
    .addColumn('backchannel_logout_uri', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['citizen_relying_parties', 'citizen_sessions', 'citizen_attestations', 'citizen_otp_challenges', 'citizen_accounts']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
