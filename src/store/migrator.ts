import { Migrator, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import type { Dialect } from './dialect.js';
import { ensureRegistryIndexes } from './registry-indexes.js';
import * as registry0001 from './migrations/0001-registry.migration.js';
import * as quality0002 from './migrations/0002-quality.migration.js';
import * as matchingReconcile0003 from './migrations/0003-matching-reconcile.migration.js';
import * as exchange0004 from './migrations/0004-exchange.migration.js';
import * as audit0005 from './migrations/0005-audit.migration.js';
import * as auditPersonIndex0006 from './migrations/0006-audit-person-index.migration.js';
import * as auditPersonRuns0007 from './migrations/0007-audit-person-runs.migration.js';
import * as exchangeChanges0008 from './migrations/0008-exchange-changes.migration.js';
import * as exchangeReplayClaims0009 from './migrations/0009-exchange-replay-claims.migration.js';
import * as identity0010 from './migrations/0010-identity.migration.js';
import * as identityOidc0011 from './migrations/0011-identity-oidc.migration.js';
import * as officialReads0012 from './migrations/0012-official-reads.migration.js';
import * as identityChanges0013 from './migrations/0013-identity-changes.migration.js';
import * as breakGlassReads0014 from './migrations/0014-break-glass-reads.migration.js';
import * as identityChangesColumns0015 from './migrations/0015-identity-changes-columns.migration.js';
import * as accessJournal0016 from './migrations/0016-access-journal.migration.js';
import * as citizen0020 from './migrations/0020-citizen.migration.js';
import * as citizenRequests0021 from './migrations/0021-citizen-requests.migration.js';
import * as citizenAddressFailures0022 from './migrations/0022-citizen-address-failures.migration.js';
import * as changeEvents0030 from './migrations/0030-change-events.migration.js';
import * as residenceDocuments0031 from './migrations/0031-residence-documents.migration.js';
import * as procedures0035 from './migrations/0035-procedures.migration.js';
import * as direction0040 from './migrations/0040-direction.migration.js';
import * as adminActions0041 from './migrations/0041-admin-actions.migration.js';
import * as taxCodeLinks0050 from './migrations/0050-tax-code-links.migration.js';
import * as jobLeases0070 from './migrations/0070-job-leases.migration.js';
import * as findingStatuses0071 from './migrations/0071-finding-statuses.migration.js';
import * as grantProvinces0072 from './migrations/0072-grant-provinces.migration.js';
import * as citizenActivationCounts0073 from './migrations/0073-citizen-activation-counts.migration.js';
import * as oidcKeyRetirement0074 from './migrations/0074-oidc-key-retirement.migration.js';

interface DialectMigration {
  up(db: Kysely<unknown>, dialect: Dialect): Promise<void>;
  down(db: Kysely<unknown>, dialect: Dialect): Promise<void>;
}

/** Every migration, in order. Names are stable: they are recorded in the database. */
// Each module adds its migrations on their own line (0002-quality, 0003-matching, 0004-exchange, 0005-audit, 0006-audit-person-index, 0007-audit-person-runs).
const migrations: ReadonlyArray<readonly [string, DialectMigration]> = [
  ['0001-registry', registry0001],
  ['0002-quality', quality0002],
  ['0003-matching-reconcile', matchingReconcile0003],
  ['0004-exchange', exchange0004],
  ['0005-audit', audit0005],
  ['0006-audit-person-index', auditPersonIndex0006],
  ['0007-audit-person-runs', auditPersonRuns0007],
  ['0008-exchange-changes', exchangeChanges0008],
  ['0009-exchange-replay-claims', exchangeReplayClaims0009],
  ['0010-identity', identity0010],
  ['0011-identity-oidc', identityOidc0011],
  ['0012-official-reads', officialReads0012],
  ['0013-identity-changes', identityChanges0013],
  ['0014-break-glass-reads', breakGlassReads0014],
  ['0015-identity-changes-columns', identityChangesColumns0015],
  ['0016-access-journal', accessJournal0016],
  ['0020-citizen', citizen0020],
  ['0021-citizen-requests', citizenRequests0021],
  ['0022-citizen-address-failures', citizenAddressFailures0022],
  ['0030-change-events', changeEvents0030],
  ['0031-residence-documents', residenceDocuments0031],
  ['0035-procedures', procedures0035],
  ['0040-direction', direction0040],
  ['0041-admin-actions', adminActions0041],
  ['0050-tax-code-links', taxCodeLinks0050],
  ['0070-job-leases', jobLeases0070],
  ['0071-finding-statuses', findingStatuses0071],
  ['0072-grant-provinces', grantProvinces0072],
  ['0073-citizen-activation-counts', citizenActivationCounts0073],
  ['0074-oidc-key-retirement', oidcKeyRetirement0074],
];

/** The access log's own store (a SQLite file beside the registry's): its tables only. */
const accessLogMigrations = migrations.filter(([name]) => name.startsWith('0005-') || name.startsWith('0006-') || name.startsWith('0007-') || name.startsWith('0016-'));

function provider(dialect: Dialect, list: typeof migrations): { getMigrations(): Promise<Record<string, Migration>> } {
  return {
    getMigrations: () =>
      Promise.resolve(
        Object.fromEntries(
          list.map(([name, m]) => [
            name,
            { up: (db: Kysely<unknown>) => m.up(db, dialect), down: (db: Kysely<unknown>) => m.down(db, dialect) },
          ]),
        ),
      ),
  };
}

/** Runs the list's pending migrations; throws with the failing migration's name; returns the names run. */
async function migrate<T>(db: Kysely<T>, dialect: Dialect, list: typeof migrations): Promise<readonly string[]> {
  const migrator = new Migrator({ db, provider: provider(dialect, list), allowUnorderedMigrations: true });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error !== undefined) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed`, { cause: result.error });
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Brings the schema to the latest migration; throws with the failing migration's name. */
export async function migrateToLatest<T>(db: Kysely<T>, dialect: Dialect): Promise<readonly string[]> {
  const ran = await migrate(db, dialect, migrations);
  // A bulk load killed mid-way leaves its deferred indexes dropped: put them back.
  await ensureRegistryIndexes(db);
  return ran;
}

/**
 * Brings a separate access-log store (see audit/access-log.store.ts) to its latest schema: the
 * audit migrations alone, recorded under the same names as in the registry's store.
 */
export function migrateAccessLogStore<T>(db: Kysely<T>, dialect: Dialect): Promise<readonly string[]> {
  return migrate(db, dialect, accessLogMigrations);
}

/** The registry's migrations this version of sachsong knows (a restore refuses a backup with others). */
export const registryMigrationNames: readonly string[] = migrations.map(([name]) => name);
