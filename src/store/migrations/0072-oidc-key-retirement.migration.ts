import type { Kysely } from 'kysely';

/**
 * Signing-key rotation (`sachsong oidc rotate-keys`): a key that is no longer the signing key stays
 * published in the JWKS until `retire_at`, then leaves it (null: not retiring).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('oidc_keys').addColumn('retire_at', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('oidc_keys').dropColumn('retire_at').execute();
}
