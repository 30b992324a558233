import path from 'node:path';
import { generatePopulation } from '../src/registry/population.generator.js';
import { systemClock } from '../src/shared/clock.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import { openDatabase } from '../src/store/database.js';
import { migrateAccessLogStore, migrateToLatest } from '../src/store/migrator.js';
import { signInOfficer, testIdentity } from '../test/officer-session.js';

/** What the officer-read benches serve and send: the store, an empty access log, the paths read and the session cookie. */
export interface OfficerReadStore {
  readonly registryFile: string;
  /** An empty access log (its own file, 4 KiB pages, as `sachsong serve` makes it). */
  readonly logFile: string;
  /** About 20,000 persons' `/api/persons/<id>`, in random order. */
  readonly personPaths: readonly string[];
  readonly cookie: string;
  readonly loadSeconds: number;
}

/**
 * Generates `people` persons into a SQLite store in `dir`, reads a sample of them once (the page
 * cache warm), signs in a national officer (a cheap password hash: sign-in is not what is
 * measured) and makes an empty access log beside it.
 *
 * @example
 * const store = await officerReadStore(dir, 1_000_000);
 */
export async function officerReadStore(dir: string, people: number): Promise<OfficerReadStore> {
  const registryFile = path.join(dir, 'sachsong.db');
  const logFile = path.join(dir, 'access-log.db');
  const database = openDatabase({ sqliteFile: registryFile });
  await migrateToLatest(database.db, database.dialect);
  const loadStarted = performance.now();
  await loadPopulation(database, generatePopulation({ people, seed: 7 }));
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  const ids = (await database.db.selectFrom('persons').select('id_number').orderBy('id_number').execute()).map((r) => r.id_number);
  const step = Math.max(1, Math.floor(ids.length / 20_000));
  const sample = ids.filter((_, i) => i % step === 0).sort(() => Math.random() - 0.5);
  for (const id of sample) await database.db.selectFrom('persons').selectAll().where('id_number', '=', id).executeTakeFirst();
  const officer = await signInOfficer(testIdentity(database.db, systemClock), systemClock, { role: 'national_officer', unit: { level: 'nation' } });
  await database.close();
  const logStore = openDatabase({ sqliteFile: logFile, pageSize: 4_096 });
  await migrateAccessLogStore(logStore.db, logStore.dialect);
  await logStore.close();
  return { registryFile, logFile, personPaths: sample.map((id) => `/api/persons/${id}`), cookie: officer.headers.cookie, loadSeconds };
}
