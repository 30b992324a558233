import type { Kysely } from 'kysely';

/** The exchange: members, clients, officers, grants, consents, misuse alerts and the exchange's keys. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('exchange_members')
    .addColumn('member_id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('exchange_clients')
    .addColumn('client_id', 'text', (c) => c.primaryKey())
    .addColumn('member_id', 'text', (c) => c.notNull().references('exchange_members.member_id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('jwks', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('exchange_clients_member').on('exchange_clients').column('member_id').execute();

  await db.schema
    .createTable('exchange_officers')
    .addColumn('member_id', 'text', (c) => c.notNull().references('exchange_members.member_id'))
    .addColumn('officer_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('exchange_officers_pk', ['member_id', 'officer_id'])
    .execute();

  await db.schema
    .createTable('exchange_grants')
    .addColumn('grant_id', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('exchange_clients.client_id'))
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('fields', 'text', (c) => c.notNull())
    .addColumn('purposes', 'text', (c) => c.notNull())
    .addColumn('legal_basis', 'text', (c) => c.notNull())
    .addColumn('defer_days', 'integer', (c) => c.notNull())
    .addColumn('requires_consent', 'integer', (c) => c.notNull())
    .addColumn('valid_from', 'text', (c) => c.notNull())
    .addColumn('valid_until', 'text', (c) => c.notNull())
    .addColumn('rate_per_minute', 'integer', (c) => c.notNull())
    .addColumn('daily_cap', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('exchange_grants_client_service').on('exchange_grants').columns(['client_id', 'service']).execute();

  await db.schema
    .createTable('exchange_consents')
    .addColumn('consent_id', 'text', (c) => c.primaryKey())
    .addColumn('citizen_id', 'text', (c) => c.notNull())
    .addColumn('data_user', 'text', (c) => c.notNull())
    .addColumn('purpose_code', 'text', (c) => c.notNull())
    .addColumn('purpose_text', 'text', (c) => c.notNull())
    .addColumn('fields', 'text', (c) => c.notNull())
    .addColumn('data_life', 'text', (c) => c.notNull())
    .addColumn('frequency', 'text', (c) => c.notNull())
    .addColumn('start_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('artefact', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // The hot lookup on every consented call: this citizen, this data user.
  await db.schema.createIndex('exchange_consents_citizen_user').on('exchange_consents').columns(['citizen_id', 'data_user']).execute();

  await db.schema
    .createTable('exchange_alerts')
    .addColumn('alert_id', 'text', (c) => c.primaryKey())
    .addColumn('subject_kind', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('window_start', 'text', (c) => c.notNull())
    .addColumn('window_seconds', 'integer', (c) => c.notNull())
    .addColumn('reads', 'integer', (c) => c.notNull())
    .addColumn('baseline', 'real', (c) => c.notNull())
    .addColumn('raised_at', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('acknowledged_at', 'text')
    .execute();
  await db.schema.createIndex('exchange_alerts_raised').on('exchange_alerts').column('raised_at').execute();

  await db.schema
    .createTable('exchange_keys')
    .addColumn('key_id', 'text', (c) => c.primaryKey())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['exchange_keys', 'exchange_alerts', 'exchange_consents', 'exchange_grants', 'exchange_officers', 'exchange_clients', 'exchange_members']) {
    await db.schema.dropTable(table).execute();
  }
}
