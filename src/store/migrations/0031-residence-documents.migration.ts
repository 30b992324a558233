import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * Signed residence documents (src/services): the registry's document-signing keys, one row per
 * document issued (its outbox-style seq is its place in the status lists), one lock row per
 * holder (issuance and a life event's revocation take it in turn), and the online verifications.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('document_signing_keys')
    .ifNotExists()
    .addColumn('key_id', 'text', (c) => c.primaryKey())
    .addColumn('alg', 'text', (c) => c.notNull())
    .addColumn('private_pem', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('retired_at', 'text')
    .execute();
  await db.schema
    .createTable('residence_documents')
    .ifNotExists()
    .addColumn('seq', big, (c) => (dialect === 'postgres' ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey()))
    .addColumn('document_id', 'text', (c) => c.notNull().unique())
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('issued_to', 'text', (c) => c.notNull())
    .addColumn('issued_by', 'text', (c) => c.notNull())
    .addColumn('claims', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('issued_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addColumn('revoked_reason', 'text')
    .execute();
  await db.schema.createIndex('residence_documents_person_idx').ifNotExists().on('residence_documents').columns(['person_id', 'status']).execute();
  await db.schema.createIndex('residence_documents_revoked_idx').ifNotExists().on('residence_documents').columns(['status', 'seq']).execute();
  await db.schema
    .createTable('document_holders')
    .ifNotExists()
    .addColumn('person_id', 'text', (c) => c.primaryKey())
    .addColumn('touched_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('document_verifications')
    .ifNotExists()
    .addColumn('verification_id', 'text', (c) => c.primaryKey())
    .addColumn('document_id', 'text')
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('disclosed', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('verified_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('document_verifications_document_idx').ifNotExists().on('document_verifications').columns(['document_id', 'verified_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['document_verifications', 'document_holders', 'residence_documents', 'document_signing_keys']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
