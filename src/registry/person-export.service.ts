import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { stringify } from 'csv-stringify';
import type { DB, PersonsTable } from '../store/database.types.js';
import { csvSafeCell, jsonWithoutControls } from './csv-safety.js';
import { personRowsAfter } from './person.repository.js';

export type ExportFormat = 'csv' | 'ndjson' | 'parquet';

/** Exported columns: the person row less the derived search key. The importer reads the same names. */
export const exportColumns = [
  'id_number', 'full_name', 'birth_date', 'sex', 'ethnicity', 'religion', 'nationality', 'birth_province', 'birth_commune',
  'hometown', 'permanent_commune', 'permanent_address', 'temporary_commune', 'temporary_address', 'current_commune',
  'current_address', 'father_id', 'mother_id', 'spouse_id', 'household_id', 'relationship_to_head', 'status',
  'death_date', 'version', 'created_at', 'updated_at',
] as const satisfies readonly (keyof PersonsTable)[];

export interface ParquetConverter {
  (ndjsonPath: string, parquetPath: string, columns: Readonly<Record<string, 'VARCHAR' | 'INTEGER'>>): Promise<void>;
}

async function* pages(db: Kysely<DB>, pageSize: number): AsyncGenerator<PersonsTable> {
  let after = '';
  for (;;) {
    const rows = await personRowsAfter(db, after, pageSize);
    yield* rows;
    const last = rows.at(-1);
    if (last === undefined || rows.length < pageSize) return;
    after = last.id_number;
  }
}

/** A person row with every text value made safe for a spreadsheet (see csv-safety.ts). */
function csvSafeRow(row: PersonsTable): Record<string, unknown> {
  return Object.fromEntries(exportColumns.map((c) => {
    const value = row[c];
    return [c, typeof value === 'string' ? csvSafeCell(value) : value];
  }));
}

async function write(stream: NodeJS.WritableStream, chunk: string): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

/**
 * Writes every person to a file, streaming in ID order. The file appears under its name only
 * when complete (written to `<out>.partial`, then renamed), so an interrupted export leaves no
 * half file behind. CSV cells that a spreadsheet would run as a formula get a leading `'`, and no
 * format writes a control character raw (see csv-safety.ts).
 */
/**
 * Where an export reports the persons it includes (audit's BulkJobWriter): ids in ascending order
 * as written, and `commit` (the job's access record, durable) before the file is released.
 */
export interface ExportJobSink {
  add(personIds: readonly string[]): Promise<void>;
  commit(): Promise<unknown>;
}

export async function exportPersons(db: Kysely<DB>, out: string, format: ExportFormat, toParquet: ParquetConverter, job?: ExportJobSink): Promise<number> {
  const partial = `${out}.partial`;
  const ndjsonPath = format === 'parquet' ? `${out}.ndjson.partial` : partial;
  let count = 0;
  let included: string[] = [];
  const include = async (id: string): Promise<void> => {
    if (job === undefined) return;
    included.push(id);
    if (included.length >= 5_000) {
      const ids = included;
      included = [];
      await job.add(ids);
    }
  };
  try {
    const file = createWriteStream(ndjsonPath);
    if (format === 'csv') {
      const csv = stringify({ header: true, columns: [...exportColumns] });
      csv.pipe(file);
      for await (const row of pages(db, 5_000)) {
        if (!csv.write(csvSafeRow(row))) await once(csv, 'drain');
        await include(row.id_number);
        count++;
      }
      csv.end();
    } else {
      for await (const row of pages(db, 5_000)) {
        const picked = Object.fromEntries(exportColumns.map((c) => [c, row[c]]));
        await write(file, `${jsonWithoutControls(picked)}\n`);
        await include(row.id_number);
        count++;
      }
      file.end();
    }
    await once(file, 'finish');
    if (format === 'parquet') {
      await toParquet(ndjsonPath, partial, Object.fromEntries(exportColumns.map((c) => [c, c === 'version' ? 'INTEGER' : 'VARCHAR'])));
      rmSync(ndjsonPath, { force: true });
    }
    if (job !== undefined) {
      await job.add(included);
      // The job's record is durable before the file appears under its name.
      await job.commit();
    }
    renameSync(partial, out);
    return count;
  } catch (error) {
    rmSync(partial, { force: true });
    rmSync(ndjsonPath, { force: true });
    throw error;
  }
}
