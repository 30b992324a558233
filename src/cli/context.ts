import path from 'node:path';
import type { Logger } from 'pino';
import { loadConfig, type AppConfig } from '../config/config.js';
import { createLogger } from '../shared/logger.js';
import { openDatabase, type Database } from '../store/database.js';
import { migrateToLatest } from '../store/migrator.js';

export interface CliContext {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly database: Database;
}

/** Loads the configuration and opens the store (SQLite under the data folder unless DATABASE_URL), migrated. */
export async function openContext(): Promise<CliContext> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const database = openDatabase({ databaseUrl: config.databaseUrl, sqliteFile: path.join(config.dataDir, 'sachsong.db') });
  await migrateToLatest(database.db, database.dialect);
  return { config, logger, database };
}
