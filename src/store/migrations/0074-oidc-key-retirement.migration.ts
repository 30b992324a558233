import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';
import { columnExists } from './schema-checks.js';

/**
 * Signing-key rotation (`sachsong oidc rotate-keys`): a key that is no longer the signing key stays
 * published in the JWKS until `retire_at`, then leaves it (null: not retiring).
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (!(await columnExists(db, dialect, 'oidc_keys', 'retire_at'))) await db.schema.alterTable('oidc_keys').addColumn('retire_at', 'text').execute();
}

export async function down(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (await columnExists(db, dialect, 'oidc_keys', 'retire_at')) await db.schema.alterTable('oidc_keys').dropColumn('retire_at').execute();
}
