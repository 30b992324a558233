import path from 'node:path';
import type { Logger } from 'pino';
import { openAccessLogStore, type AccessLogStore } from '../audit/access-log.store.js';
import { localSigningKey } from '../audit/signing-key.file.js';
import { loadConfig, type AppConfig } from '../config/config.js';
import { createLogger } from '../shared/logger.js';
import { openDatabase, type Database } from '../store/database.js';
import { migrateToLatest } from '../store/migrator.js';

export interface CliContext {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly database: Database;
  /** The access log's store: access-log.db beside the SQLite file, or the PostgreSQL database itself. */
  readonly accessLogStore: AccessLogStore;
  /** The checkpoint signing key: the configured one, or the data folder's own outside production. */
  readonly auditSigningKey: string;
  /** Closes the log's store and the registry's. */
  close(): Promise<void>;
}

/** Loads the configuration and opens the store (SQLite under the data folder unless DATABASE_URL) and the access log's, migrated. */
export async function openContext(): Promise<CliContext> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const database = openDatabase({ databaseUrl: config.databaseUrl, sqliteFile: path.join(config.dataDir, 'sachsong.db') });
  try {
    await migrateToLatest(database.db, database.dialect);
    const accessLogStore = await openAccessLogStore(database, path.join(config.dataDir, 'access-log.db'));
    const auditSigningKey = config.auditSigningKey ?? localSigningKey(path.join(config.dataDir, 'audit-signing-key'));
    return { config, logger, database, accessLogStore, auditSigningKey, close: async () => { await accessLogStore.close(); await database.close(); } };
  } catch (error) {
    await database.close();
    throw error;
  }
}
