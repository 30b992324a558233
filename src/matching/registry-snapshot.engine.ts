import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { SnapshotPersonRow } from '../registry/registry-snapshot.read-model.js';
import { openDuckDb } from '../store/duckdb.bounds.js';
import { communeCodeMap } from './registry-snapshot.communes.js';
import { syntheticOldCardNumber } from './registry-snapshot.old-card.js';

/** What reconciliation needs of a registry person: the snapshot's row (the registry's read model gives it). */
export type SnapshotPerson = SnapshotPersonRow;

/** The manifest written beside the snapshot files; `fingerprint` says which registry state it holds. */
export interface SnapshotManifest {
  readonly fingerprint: string;
  readonly persons: number;
  readonly oldCards: number;
  readonly builtAt: string;
}

/** File names inside a snapshot folder. */
export const snapshotFiles = {
  persons: 'persons.parquet',
  /** The same persons as a DuckDB table (`persons`): scanned several times faster than Parquet by reconciliation. */
  personsDatabase: 'persons.duckdb',
  communes: 'communes.parquet',
  manifest: 'manifest.json',
} as const;

const personColumns = [
  'id_number', 'full_name', 'name_folded', 'birth_date', 'sex', 'status', 'death_date', 'current_commune', 'permanent_commune',
] as const satisfies readonly (keyof SnapshotPerson)[];

/** The table of persons.duckdb that holds each person's sorted name key and birth year (snapshots built before it lack it). */
export const snapshotNameKeysTable = 'name_keys';

/** Quotes a value as a SQL string literal. */
export function sqlText(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Runs work on a bounded DuckDB instance that spills beside the snapshot folder `dir`. */
async function withDuckDb<T>(dir: string, work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  const duck = await openDuckDb(`${dir}.duckdb-spill`);
  const connection = await duck.instance.connect();
  try {
    return await work(connection);
  } finally {
    connection.closeSync();
    duck.close();
  }
}

/**
 * Writes a registry snapshot folder: persons.parquet (with the synthetic old card numbers that
 * resolve to exactly one person), communes.parquet (code → 2025 commune) and manifest.json. The
 * folder appears under its name only when complete (built beside it, then renamed).
 *
 * @example
 * await writeSnapshot('/data/snapshots/registry', personsFromStore(), 'sqlite:1000000:…');
 */
export async function writeSnapshot(dir: string, persons: AsyncIterable<readonly SnapshotPerson[]> | Iterable<readonly SnapshotPerson[]>, fingerprint: string): Promise<SnapshotManifest> {
  // A name of its own per build, so that two processes building at once never mix their files.
  const partial = `${dir}.partial-${process.pid}-${Date.now()}`;
  mkdirSync(partial, { recursive: true });
  try {
    const manifest = await withDuckDb(dir, async (connection) => {
      await connection.run(`CREATE TABLE p (${personColumns.map((c) => `${c} VARCHAR`).join(', ')}, old_card VARCHAR)`);
      const appender = await connection.createAppender('p');
      for await (const page of persons) {
        for (const person of page) {
          for (const column of personColumns) {
            const value = person[column];
            if (value === null) appender.appendNull();
            else appender.appendVarchar(value);
          }
          const old = syntheticOldCardNumber(person.id_number, person.birth_date);
          if (old === null) appender.appendNull();
          else appender.appendVarchar(old);
          appender.endRow();
        }
      }
      appender.closeSync();
      // A 9-digit number two persons would share identifies nobody: keep only the unique ones.
      await connection.run(`
        COPY (
          SELECT p.* REPLACE (CASE WHEN d.old_card IS NULL THEN p.old_card END AS old_card)
          FROM p LEFT JOIN (SELECT old_card FROM p WHERE old_card IS NOT NULL GROUP BY old_card HAVING count(*) > 1) d ON d.old_card = p.old_card
          ORDER BY id_number
        ) TO ${sqlText(path.join(partial, snapshotFiles.persons))} (FORMAT parquet, COMPRESSION zstd)`);
      await copyIntoDatabase(connection, path.join(partial, snapshotFiles.persons), path.join(partial, snapshotFiles.personsDatabase));
      await connection.run('CREATE TABLE c (code VARCHAR, commune_2025 VARCHAR)');
      const communes = await connection.createAppender('c');
      for (const [code, today] of communeCodeMap()) {
        communes.appendVarchar(code);
        communes.appendVarchar(today);
        communes.endRow();
      }
      communes.closeSync();
      await connection.run(`COPY c TO ${sqlText(path.join(partial, snapshotFiles.communes))} (FORMAT parquet)`);
      const counts = (await connection.runAndReadAll(`SELECT count(*)::INTEGER, count(old_card)::INTEGER FROM read_parquet(${sqlText(path.join(partial, snapshotFiles.persons))})`)).getRowsJS()[0];
      return { fingerprint, persons: Number(counts?.[0] ?? 0), oldCards: Number(counts?.[1] ?? 0), builtAt: new Date().toISOString() };
    });
    writeFileSync(path.join(partial, snapshotFiles.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(partial, dir);
    return manifest;
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  }
}

async function copyIntoDatabase(connection: DuckDBConnection, parquet: string, database: string): Promise<void> {
  await connection.run(`ATTACH ${sqlText(database)} AS snapshot_db`);
  try {
    await connection.run(`CREATE TABLE snapshot_db.persons AS SELECT * FROM read_parquet(${sqlText(parquet)})`);
    // Each name's syllables sorted, with the birth year: the candidate search's block (reconcile.candidates.ts), computed once per snapshot.
    await connection.run(`
      CREATE TABLE snapshot_db.${snapshotNameKeysTable} AS
      SELECT id_number, array_to_string(list_sort(string_split(name_folded, ' ')), ' ') AS sorted_key, substr(birth_date, 1, 4) AS birth_year
      FROM snapshot_db.persons`);
  } finally {
    await connection.run('DETACH snapshot_db');
  }
}

/**
 * Adds persons.duckdb to a snapshot folder written before it existed (built beside, then renamed,
 * so a reader never opens half a file). Returns whether it had to build it.
 *
 * @example
 * await ensureSnapshotDatabase('/data/snapshots/registry');
 */
export async function ensureSnapshotDatabase(dir: string): Promise<boolean> {
  const database = path.join(dir, snapshotFiles.personsDatabase);
  if (existsSync(database)) return false;
  const partial = `${database}.partial-${process.pid}-${Date.now()}`;
  try {
    await withDuckDb(dir, (connection) => copyIntoDatabase(connection, path.join(dir, snapshotFiles.persons), partial));
    renameSync(partial, database);
  } finally {
    rmSync(partial, { force: true });
    rmSync(`${partial}.wal`, { force: true });
  }
  return true;
}

/** The manifest of a complete snapshot folder, or undefined when there is none (or it is unreadable). */
export function readSnapshotManifest(dir: string): SnapshotManifest | undefined {
  const file = path.join(dir, snapshotFiles.manifest);
  if (!existsSync(file) || !existsSync(path.join(dir, snapshotFiles.persons))) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SnapshotManifest;
  } catch {
    return undefined;
  }
}

/** A snapshot person with the synthetic old card number the snapshot kept for them (null if none). */
export interface SnapshotPersonWithCard extends SnapshotPerson {
  readonly old_card: string | null;
}

/**
 * Reads a snapshot's persons back, in ID order (for the agency-file generator).
 */
export async function readSnapshotPersons(dir: string): Promise<SnapshotPersonWithCard[]> {
  return withDuckDb(dir, async (connection) => {
    const reader = await connection.runAndReadAll(`SELECT ${[...personColumns, 'old_card'].join(', ')} FROM read_parquet(${sqlText(path.join(dir, snapshotFiles.persons))}) ORDER BY id_number`);
    const columns = reader.getColumnsJS() as (string | null)[][];
    const at = (i: number): (string | null)[] => columns[i] ?? [];
    const [ids, names, folded, births, sexes, statuses, deaths, current, permanent, cards] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(at) as [
      (string | null)[], (string | null)[], (string | null)[], (string | null)[], (string | null)[], (string | null)[], (string | null)[], (string | null)[], (string | null)[], (string | null)[],
    ];
    const out: SnapshotPersonWithCard[] = new Array<SnapshotPersonWithCard>(ids.length);
    for (let i = 0; i < ids.length; i++) {
      out[i] = {
        id_number: ids[i] ?? '',
        full_name: names[i] ?? '',
        name_folded: folded[i] ?? '',
        birth_date: births[i] ?? '',
        sex: sexes[i] === 'F' ? 'F' : 'M',
        status: statuses[i] === 'deceased' ? 'deceased' : 'alive',
        death_date: deaths[i] ?? null,
        current_commune: current[i] ?? null,
        permanent_commune: permanent[i] ?? null,
        old_card: cards[i] ?? null,
      };
    }
    return out;
  });
}
