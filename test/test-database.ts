import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase, type Database } from '../src/store/database.js';
import type { Dialect } from '../src/store/dialect.js';
import { migrateToLatest } from '../src/store/migrator.js';
import { postgresServerUrl, templateDatabase, withAdminClient } from './postgres-admin.js';

export { dialects } from '../src/store/dialect.js';

let counter = 0;

/**
 * A fresh, migrated database of the given dialect: a SQLite file in a temp folder, or a
 * PostgreSQL database cloned from the migrated template. `close()` removes it.
 */
export async function createTestDatabase(dialect: Dialect): Promise<Database & { readonly url: string | undefined }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-test-'));
    const store = openDatabase({ sqliteFile: path.join(dir, 'test.db') });
    await migrateToLatest(store.db, store.dialect);
    return {
      ...store,
      url: undefined,
      close: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const name = `sachsong_test_${process.pid}_${Date.now()}_${counter++}`;
  await withAdminClient(async (client) => {
    // Concurrent clones of one template can collide; retry briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE ${name} TEMPLATE ${templateDatabase}`);
        return;
      } catch (error) {
        if (attempt >= 20) throw error;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  });
  const url = `${postgresServerUrl}/${name}`;
  const store = openDatabase({ databaseUrl: url, poolSize: 4 });
  return {
    ...store,
    url,
    close: async () => {
      await store.close();
      await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
