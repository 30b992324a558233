import type { Kysely } from 'kysely';

/**
 * The OpenID provider's state (src/identity/oidc.adapter.ts, oidc.keys.ts), shared by every node
 * through the store. `oidc_payloads` holds what oidc-provider's adapter keeps (sessions,
 * interactions, authorization codes, grants, tokens…), one row per (kind, id), with the lookups
 * the adapter needs (grant, interaction uid, user code) indexed and the expiry indexed for pruning.
 * `oidc_keys` holds the ID-token signing keys (private JWKs) and the cookie-signing secrets,
 * made once by whichever node starts first (fixed first ids, insert-if-absent).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('oidc_payloads')
    .ifNotExists()
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('grant_id', 'text')
    .addColumn('uid', 'text')
    .addColumn('user_code', 'text')
    .addColumn('consumed_at', 'text')
    .addPrimaryKeyConstraint('oidc_payloads_pk', ['kind', 'id'])
    .execute();
  await db.schema.createIndex('oidc_payloads_grant').ifNotExists().on('oidc_payloads').column('grant_id').execute();
  await db.schema.createIndex('oidc_payloads_uid').ifNotExists().on('oidc_payloads').columns(['kind', 'uid']).execute();
  await db.schema.createIndex('oidc_payloads_user_code').ifNotExists().on('oidc_payloads').columns(['kind', 'user_code']).execute();
  await db.schema.createIndex('oidc_payloads_expiry').ifNotExists().on('oidc_payloads').column('expires_at').execute();

  await db.schema
    .createTable('oidc_keys')
    .ifNotExists()
    .addColumn('key_id', 'text', (c) => c.primaryKey())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('oidc_keys_purpose').ifNotExists().on('oidc_keys').columns(['purpose', 'created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('oidc_keys').ifExists().execute();
  await db.schema.dropTable('oidc_payloads').ifExists().execute();
}
