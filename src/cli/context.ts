import path from 'node:path';
import { pino, type Logger } from 'pino';
import { openAccessLogStore, type AccessLogStore } from '../audit/access-log.store.js';
import { localSigningKey } from '../audit/signing-key.file.js';
import { loadConfigWith, type AppConfig, type CommandLineSettings } from '../config/config.js';
import { createLogger } from '../shared/logger.js';
import { DomainError } from '../shared/domain-error.js';
import { openDatabase, type Database } from '../store/database.js';
import { migrateToLatest } from '../store/migrator.js';

export interface CliContext {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly database: Database;
  /** The access log's store: access-log.db beside the SQLite file, or the PostgreSQL database itself. */
  readonly accessLogStore: AccessLogStore;
  /** The registry's migrations this opening applied (for `db migrate` to report). */
  readonly migrated: readonly string[];
  /** The checkpoint signing key: the configured one, or the data folder's own outside production. */
  readonly auditSigningKey: string;
  /** Closes the log's store and the registry's. */
  close(): Promise<void>;
}

/** The system's or the driver's code, looked for along the causes (the migrator wraps what the driver throws). */
function codeOf(error: unknown): string | undefined {
  for (let at = error, depth = 0; typeof at === 'object' && at !== null && depth < 5; at = (at as { cause?: unknown }).cause, depth++) {
    if ('code' in at && typeof at.code === 'string') return at.code;
  }
  return undefined;
}

/** Where a PostgreSQL URL points, without its user or password: host:port/database. */
export function storeAddress(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    return `${url.hostname}:${url.port === '' ? '5432' : url.port}${url.pathname}`;
  } catch {
    return 'the DATABASE_URL address';
  }
}

/**
 * A store that cannot be opened, as an operator can act on it; anything else is passed on.
 *
 * @example
 * throw storeFailure(error, config) ?? error;
 */
export function storeFailure(error: unknown, config: Pick<AppConfig, 'databaseUrl' | 'dataDir'>): DomainError | undefined {
  const code = codeOf(error);
  if (config.databaseUrl !== undefined) {
    const where = storeAddress(config.databaseUrl);
    const database = where.slice(where.indexOf('/') + 1);
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'EAI_AGAIN') {
      return new DomainError('unavailable', 'STORE_UNREACHABLE', `PostgreSQL at ${where} cannot be reached (${code})`, 'Start PostgreSQL, or correct the host and port in DATABASE_URL');
    }
    if (code === '3D000') {
      return new DomainError('unavailable', 'STORE_MISSING', `the database "${database}" does not exist at ${where}`, `Create it (createdb ${database}), or correct the database name in DATABASE_URL`);
    }
    if (code === '28P01' || code === '28000') {
      return new DomainError('unavailable', 'STORE_LOGIN_REFUSED', `PostgreSQL at ${where} refused the user or password (${code})`, 'Correct the user and password in DATABASE_URL');
    }
    return undefined;
  }
  const file = path.join(config.dataDir, 'sachsong.db');
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new DomainError('unavailable', 'STORE_NOT_A_DATABASE', `${file} is not a sachsong store (${code})`, 'Point SACHSONG_DATA_DIR at a sachsong data folder, or restore the store from a backup (sachsong restore)');
  }
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_PERM') {
    return new DomainError('unavailable', 'STORE_NOT_WRITABLE', `${file} cannot be opened for writing (${code})`, 'Give this user write access to the data folder, or choose another with SACHSONG_DATA_DIR');
  }
  return undefined;
}

/**
 * Loads the configuration (the environment, with any command-line settings over it) and opens the
 * store (SQLite under the data folder unless DATABASE_URL) and the access log's, migrated. Logs go
 * to standard error: standard output is the command's own output (JSON a script may read).
 */
export async function openContext(settings: CommandLineSettings = {}): Promise<CliContext> {
  const config = loadConfigWith(settings);
  const logger = createLogger(config.logLevel, pino.destination({ dest: 2, sync: true }));
  let database: Database;
  try {
    database = openDatabase({ databaseUrl: config.databaseUrl, sqliteFile: path.join(config.dataDir, 'sachsong.db') });
  } catch (error) {
    throw storeFailure(error, config) ?? error;
  }
  try {
    const migrated = await migrateToLatest(database.db, database.dialect);
    const accessLogStore = await openAccessLogStore(database, path.join(config.dataDir, 'access-log.db'));
    const auditSigningKey = config.auditSigningKey ?? localSigningKey(path.join(config.dataDir, 'audit-signing-key'));
    return { config, logger, database, accessLogStore, migrated, auditSigningKey, close: async () => { await accessLogStore.close(); await database.close(); } };
  } catch (error) {
    await database.close();
    throw storeFailure(error, config) ?? error;
  }
}
