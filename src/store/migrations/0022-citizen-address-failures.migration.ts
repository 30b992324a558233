import type { Kysely } from 'kysely';

/**
 * Failed attempts per network address at the citizen's doors (sign-in, activation and recovery
 * codes), in the store so that every node counts them (src/citizen/attempt.limiter.ts). The
 * address is kept as a keyed hash, never as it is. Rows older than the window are pruned.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('citizen_address_failures')
    .ifNotExists()
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('address_hash', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('citizen_address_failures_key').ifNotExists().on('citizen_address_failures').columns(['scope', 'address_hash', 'at']).execute();
  await db.schema.createIndex('citizen_address_failures_at').ifNotExists().on('citizen_address_failures').columns(['at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('citizen_address_failures').ifExists().execute();
}
