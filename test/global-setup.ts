import { migrateToLatest } from '../src/store/migrator.js';
import { openDatabase } from '../src/store/database.js';
import { postgresServerUrl, templateDatabase, withAdminClient } from './postgres-admin.js';

/** Migrates a template database once; each test file clones it (Immich's approach). */
export default async function setup(): Promise<() => Promise<void>> {
  process.env.SACHSONG_TEST_TEMPLATE = templateDatabase;
  await withAdminClient(async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${templateDatabase} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${templateDatabase}`);
  }).catch((error: unknown) => {
    throw new Error(`PostgreSQL is required for the store tests at ${postgresServerUrl} (start it: pg_ctlcluster 15 main start)`, { cause: error });
  });
  const store = openDatabase({ databaseUrl: `${postgresServerUrl}/${templateDatabase}`, poolSize: 1 });
  try {
    await migrateToLatest(store.db, store.dialect);
  } finally {
    await store.close();
  }
  return async () => {
    await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS ${templateDatabase} WITH (FORCE)`));
  };
}
