import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects } from '../../test/test-database.js';
import { fixedClock } from '../shared/clock.js';
import type { Database } from '../store/database.js';
import { PersonImportService, type ImportRow } from './person-import.service.js';
import { RegistryService } from './registry.service.js';

const clock = fixedClock('2025-09-01T08:00:00Z');

function row(rowNumber: number, overrides: Record<string, string | null> = {}): ImportRow {
  const serial = String(rowNumber).padStart(6, '0');
  return {
    rowNumber,
    record: { id_number: `001085${serial}`, full_name: 'Phạm Văn Hùng', birth_date: '1985-01-02', sex: 'M', birth_province: '001', nationality: 'VN', current_commune: '00004', ...overrides },
  };
}

describe.each(dialects)('person import on %s', (dialect) => {
  let database: Database;
  let importer: PersonImportService;

  beforeEach(async () => {
    database = await createTestDatabase(dialect);
    importer = new PersonImportService({ db: database.db, clock, registry: new RegistryService({ db: database.db, clock }) });
  });
  afterEach(async () => {
    await database.close();
  });

  const count = async (table: 'persons' | 'life_events'): Promise<number> =>
    (await database.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;

  it('accepts good rows and reports each bad one with its row number and reason', async () => {
    const rows: ImportRow[] = [
      row(1),
      row(2, { id_number: '00108500000X' }),
      row(3, { birth_date: '1985-02-30' }),
      row(4, { sex: 'F' }),
      { rowNumber: 5, error: { code: 'CSV_ROW_MALFORMED', message: 'row 5 has 3 columns, the header 8' } },
      row(6, { current_commune: '99999' }),
      row(7, { full_name: 'Ph?m V?n H?ng' }),
      row(8, { id_number: '001085000001' }),
      row(9, { favourite_colour: 'blue' }),
      row(10),
    ];
    const report = await importer.run(rows, { importId: 'test-1', batchSize: 4, officerId: null });
    expect(report).toMatchObject({ rowsRead: 10, accepted: 2, rejected: 8, batchesCommitted: 3 });
    expect(report.rejections.map((r) => [r.rowNumber, r.code])).toEqual([
      [2, 'ID_NUMBER_MALFORMED'],
      [3, 'DATE_INVALID'],
      [4, 'ID_SEX_MISMATCH'],
      [5, 'CSV_ROW_MALFORMED'],
      [6, 'ADMIN_UNIT_UNKNOWN'],
      [7, 'NAME_INVALID'],
      [8, 'DUPLICATE_IN_FILE'],
      [9, 'COLUMN_UNKNOWN'],
    ]);
    expect(await count('persons')).toBe(2);
    expect(await count('life_events')).toBe(2);
  });

  it('resumes: batches committed by an earlier run are skipped, not written twice', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => row(i + 1));
    // The first run dies after its second batch.
    let n = 0;
    function* dying(): Generator<ImportRow> {
      for (const r of rows) {
        if (n++ === 7) throw new Error('killed');
        yield r;
      }
    }
    await expect(importer.run(dying(), { importId: 'resume-1', batchSize: 3, officerId: null })).rejects.toThrow('killed');
    expect(await count('persons')).toBe(6);
    const report = await importer.run(rows, { importId: 'resume-1', batchSize: 3, officerId: null });
    expect(report).toMatchObject({ accepted: 10, rejected: 0, batchesSkipped: 2, batchesCommitted: 2 });
    expect(await count('persons')).toBe(10);
    expect(await count('life_events')).toBe(10);
  });

  it('rejects rows whose ID number is already in the registry', async () => {
    await importer.run([row(1)], { importId: 'a', batchSize: 10, officerId: null });
    const report = await importer.run([row(1), row(2)], { importId: 'b', batchSize: 10, officerId: null });
    expect(report.rejections).toEqual([{ rowNumber: 1, code: 'ID_NUMBER_TAKEN', field: 'id_number', message: expect.any(String) as string }]);
    expect(await count('persons')).toBe(2);
  });
});
