import path from 'node:path';
import { openDuckDb } from './duckdb.bounds.js';

/** Column name → DuckDB type, in file order. */
export type ParquetColumns = Readonly<Record<string, 'VARCHAR' | 'INTEGER' | 'BIGINT' | 'DATE' | 'TIMESTAMP'>>;

function quote(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/**
 * Converts a newline-delimited JSON file to Parquet with DuckDB in-process (zstd-compressed),
 * typed by `columns` so that nothing is left to inference.
 */
export async function ndjsonToParquet(ndjsonPath: string, parquetPath: string, columns: ParquetColumns): Promise<void> {
  // Bounded like every bulk job; it spills beside the file it writes.
  const duck = await openDuckDb(path.join(path.dirname(path.resolve(parquetPath)), '.duckdb-spill'));
  const connection = await duck.instance.connect();
  try {
    const spec = Object.entries(columns).map(([name, type]) => `${quote(name)}: ${quote(type)}`).join(', ');
    await connection.run(
      `COPY (SELECT * FROM read_json(${quote(ndjsonPath)}, format = 'newline_delimited', columns = {${spec}})) TO ${quote(parquetPath)} (FORMAT parquet, COMPRESSION zstd)`,
    );
  } finally {
    connection.closeSync();
    duck.close();
  }
}
