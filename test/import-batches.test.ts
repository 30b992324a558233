import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toVni } from '../src/registry/legacy-encoding.test-helper.js';
import { readPersonFile } from '../src/registry/person-file.reader.js';
import { PersonImportService, type ImportReport } from '../src/registry/person-import.service.js';
import { RegistryService } from '../src/registry/registry.service.js';
import { fixedClock } from '../src/shared/clock.js';
import type { Database } from '../src/store/database.js';
import { registryIndexedColumns } from '../src/store/registry-indexes.js';
import { createTestDatabase, dialects } from './test-database.js';

// The import's fast path (prepared statements on SQLite, COPY on PostgreSQL) keeps the batches
// all or nothing: a batch that fails in the database half way leaves none of its rows.

const clock = fixedClock('2025-09-01T08:00:00Z');
const header = 'id_number,full_name,birth_date,sex,birth_province,nationality,current_commune,current_address';

/** Men born 1985 registered in Hà Nội; the address holds a comma, so the exporter's quoting is exercised. */
function line(serial: number): string {
  return `001085${String(serial).padStart(6, '0')},Nguyễn Văn Hùng,1985-03-1${serial % 10},M,001,VN,00004,"Số ${serial}, phố Hàng Bông"`;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sachsong-import-batches-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe.each(dialects)('import batches on %s', (dialect) => {
  let database: Database;
  let importer: PersonImportService;

  beforeEach(async () => {
    database = await createTestDatabase(dialect);
    importer = new PersonImportService({ db: database.db, clock, registry: new RegistryService({ db: database.db, clock }) });
  });
  afterEach(async () => {
    await database.close();
  });

  const counts = async (): Promise<{ persons: number; events: number; batches: number; accepted: number }> => {
    const n = async (table: 'persons' | 'life_events' | 'import_batches'): Promise<number> =>
      Number((await database.db.selectFrom(table).select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow()).n);
    const sum = await database.db.selectFrom('import_batches').select((eb) => eb.fn.sum<string | number | null>('rows_accepted').as('s')).executeTakeFirstOrThrow();
    return { persons: await n('persons'), events: await n('life_events'), batches: await n('import_batches'), accepted: Number(sum.s ?? 0) };
  };

  async function importFile(name: string, text: string | Uint8Array, batchSize: number, options: { allowLegacy?: boolean; checkers?: number } = {}): Promise<ImportReport> {
    const file = path.join(dir, `${dialect}-${name}`);
    writeFileSync(file, text);
    // As the CLI does: the file opened here first, then read and checked in the import's worker thread.
    const read = await readPersonFile(file, { ...(options.allowLegacy === undefined ? {} : { allowLegacy: options.allowLegacy }) });
    return importer.runFile(file, { ...options, format: read.format }, { importId: `${dialect}-${name}`, batchSize, officerId: null });
  }

  /** Makes the store refuse one person row, as a constraint or a full disk would, after others of its batch are in. */
  async function refuseInStore(idNumber: string): Promise<void> {
    if (dialect === 'sqlite') {
      await sql.raw(`CREATE TRIGGER refuse_one BEFORE INSERT ON persons WHEN NEW.id_number = '${idNumber}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`).execute(database.db);
    } else {
      await sql.raw(`CREATE FUNCTION refuse_one() RETURNS trigger AS $$ BEGIN IF NEW.id_number = '${idNumber}' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`).execute(database.db);
      await sql.raw('CREATE TRIGGER refuse_one BEFORE INSERT ON persons FOR EACH ROW EXECUTE FUNCTION refuse_one()').execute(database.db);
    }
  }

  it('a batch the store refuses half way leaves none of its rows, the batches before it whole, and a re-run finishes the job', async () => {
    const text = [header, ...Array.from({ length: 1_000 }, (_, i) => line(i + 1))].join('\n');
    // Row 650 is in the fourth batch of 200; its persons are written in ID order, so 49 go in before it.
    await refuseInStore('001085000650');
    await expect(importFile('refused.csv', text, 200)).rejects.toMatchObject({
      code: 'IMPORT_BATCH_REFUSED',
      message: expect.stringMatching(/^batch 4 \(rows 601–800\) was not written, none of it: the store refused row 650 \(line 651 of the file\)/) as string,
      details: { batchNo: 3, rowNumber: 650, line: 651, table: 'persons', report: { accepted: 600, batchesCommitted: 3 } },
    });
    const after = await counts();
    expect(after).toEqual({ persons: 600, events: 600, batches: 3, accepted: 600 });

    await sql.raw('DROP TRIGGER refuse_one' + (dialect === 'postgres' ? ' ON persons' : '')).execute(database.db);
    const report = await importFile('refused.csv', text, 200);
    expect(report).toMatchObject({ rowsRead: 1_000, accepted: 1_000, rejected: 0, batchesSkipped: 3, batchesCommitted: 2, acceptedEarlier: 600 });
    expect(await counts()).toEqual({ persons: 1_000, events: 1_000, batches: 5, accepted: 1_000 });
  });

  it('into an empty registry the non-unique indexes are built once, at the end, also when a batch is refused; into one with persons they stay', async () => {
    const indexes = async (): Promise<string[]> => {
      const names = dialect === 'sqlite'
        ? await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ('persons_name_birth_idx', 'persons_household_idx', 'life_events_person_idx')`.execute(database.db)
        : await sql<{ name: string }>`SELECT indexname AS name FROM pg_indexes WHERE indexname IN ('persons_name_birth_idx', 'persons_household_idx', 'life_events_person_idx')`.execute(database.db);
      return names.rows.map((r) => r.name).sort();
    };
    const all = ['life_events_person_idx', 'persons_household_idx', 'persons_name_birth_idx'];
    expect(await indexes()).toEqual(all);
    const during: string[][] = [];
    const importWatching = async (name: string, rows: readonly string[]): Promise<ImportReport> => {
      const file = path.join(dir, `${dialect}-${name}`);
      writeFileSync(file, [header, ...rows].join('\n'));
      const read = await readPersonFile(file);
      // Looked at as each batch is reported, synchronously (SQLite's own handle): PostgreSQL's answer would come later.
      const sqlite = database.sqlite;
      const look = (): void => {
        if (sqlite !== undefined) during.push((sqlite.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ('persons_name_birth_idx', 'persons_household_idx', 'life_events_person_idx')`).all() as { name: string }[]).map((r) => r.name));
      };
      return importer.runFile(file, { format: read.format }, { importId: `${dialect}-${name}`, batchSize: 10, officerId: null, onProgress: look });
    };
    // A dropped and rebuilt PostgreSQL index is a new relation.
    const oids = async (): Promise<string[]> => (dialect === 'postgres'
      ? (await sql<{ oid: string }>`SELECT oid::text AS oid FROM pg_class WHERE relname IN ('persons_name_birth_idx', 'persons_household_idx', 'life_events_person_idx') ORDER BY relname`.execute(database.db)).rows.map((r) => r.oid)
      : []);
    const before = await oids();
    await refuseInStore('001085000025');
    await expect(importWatching('deferred.csv', Array.from({ length: 30 }, (_, i) => line(i + 1)))).rejects.toMatchObject({ code: 'IMPORT_BATCH_REFUSED' });
    expect(during.length).toBe(dialect === 'sqlite' ? 2 : 0);
    expect(during.every((names) => names.length === 0)).toBe(true);
    expect(await indexes()).toEqual(all);
    const rebuilt = await oids();
    expect(rebuilt.every((oid) => !before.includes(oid))).toBe(true);
    during.length = 0;
    await sql.raw('DROP TRIGGER refuse_one' + (dialect === 'postgres' ? ' ON persons' : '')).execute(database.db);
    await importWatching('kept.csv', Array.from({ length: 30 }, (_, i) => line(i + 101)));
    expect(during.length).toBe(dialect === 'sqlite' ? 3 : 0);
    expect(during.every((names) => names.length === 3)).toBe(true);
    expect(await oids()).toEqual(rebuilt);
    // The persons found by name through the rebuilt index.
    expect((await database.db.selectFrom('persons').select('id_number').where('name_folded', '=', 'nguyen van hung').execute()).length).toBe(50);
  });

  it.runIf(dialect === 'postgres')('into an empty registry on PostgreSQL the indexed columns are analysed at the end, the others left to autovacuum', async () => {
    const analysed = async (): Promise<Record<string, string[]>> => {
      const rows = await sql<{ table: string; column: string }>`SELECT tablename AS table, attname AS column FROM pg_stats WHERE schemaname = current_schema() AND tablename IN ('persons', 'life_events') ORDER BY 1, 2`.execute(database.db);
      const by: Record<string, string[]> = {};
      for (const r of rows.rows) (by[r.table] ??= []).push(r.column);
      return by;
    };
    expect(await analysed()).toEqual({});
    await importFile('analysed.csv', [header, ...Array.from({ length: 30 }, (_, i) => line(i + 1))].join('\n'), 10);
    expect(await analysed()).toEqual({
      life_events: [...registryIndexedColumns.life_events].sort(),
      persons: [...registryIndexedColumns.persons].sort(),
    });
  });

  it('a row the store refuses is named by its line in the file, past a field over two lines and a blank line', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => line(i + 1));
    // Lines 4–5; refused itself (a line break in an address) but it moves the lines after it.
    rows[2] = '001085000003,Nguyễn Văn Hùng,1985-03-13,M,001,VN,00004,"Số 3,\nphố Hàng Bông"';
    rows[4] = `${line(5)}\n`; // a blank line after row 5 (line 7)
    await refuseInStore('001085000025');
    await expect(importFile('lines.csv', [header, ...rows].join('\n'), 10)).rejects.toMatchObject({
      code: 'IMPORT_BATCH_REFUSED',
      message: expect.stringContaining('the store refused row 25 (line 28 of the file)') as string,
      details: { batchNo: 2, firstRow: 21, lastRow: 30, rowNumber: 25, line: 28 },
    });
    expect(await counts()).toEqual({ persons: 19, events: 19, batches: 2, accepted: 19 });
    const outbox = Number((await database.db.selectFrom('event_outbox').select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow()).n);
    expect(outbox).toBe(19); // each person's change event with it, none of the refused batch
  });

  it('broken rows are refused with their numbers while the rest of their batch goes in, with the fields as written', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => line(i + 1));
    rows[4] = '001085000005,"Nguyễn Văn Hùng,1985-03-15,M,001,VN,00004,x'; // a quote never closed
    rows[9] = '001085000010,Nguyễn Văn Hùng,1985-02-30,M,001,VN,00004,x'; // no such day
    rows[14] = '001085000015,Nguyễn Văn "Hùng",1985-03-15,M,001,VN,00004,x'; // a stray quote
    rows[19] = '001085000020,Nguyễn Văn Hùng,1985-03-10,M,001,VN'; // too few fields
    rows[24] = line(3); // the same person again
    const report = await importFile('broken.csv', [header, ...rows].join('\r\n'), 10);
    expect(report.rejections.map((r) => [r.rowNumber, r.code])).toEqual([
      [5, 'CSV_ROW_MALFORMED'],
      [10, 'DATE_INVALID'],
      [15, 'CSV_ROW_MALFORMED'],
      [20, 'CSV_ROW_MALFORMED'],
      [25, 'DUPLICATE_IN_FILE'],
    ]);
    expect(report).toMatchObject({ rowsRead: 30, accepted: 25, rejected: 5, batchesCommitted: 3 });
    expect(await counts()).toEqual({ persons: 25, events: 25, batches: 3, accepted: 25 });
    const stored = await database.db.selectFrom('persons').select(['full_name', 'current_address']).where('id_number', '=', '001085000007').executeTakeFirstOrThrow();
    expect(stored).toEqual({ full_name: 'Nguyễn Văn Hùng', current_address: 'Số 7, phố Hàng Bông' });
  });

  it('a row with bytes that are not UTF-8 is refused alone; a legacy file refused by option writes nothing', async () => {
    const good = Buffer.from([header, line(1), line(2)].join('\n') + '\n', 'utf8');
    const bad = Buffer.concat([Buffer.from('001085000003,Nguy', 'utf8'), Buffer.from([0xc3, 0x28]), Buffer.from('n Văn Hùng,1985-03-13,M,001,VN,00004,x\n', 'utf8')]);
    const report = await importFile('bytes.csv', Buffer.concat([good, bad, Buffer.from(`${line(4)}\n`, 'utf8')]), 10);
    expect(report.rejections.map((r) => [r.rowNumber, r.code])).toEqual([[3, 'ROW_ENCODING_INVALID']]);
    expect(await counts()).toMatchObject({ persons: 3, events: 3 });

    await expect(importFile('vni.csv', toVni([header, line(5), line(6)].join('\n')), 10, { allowLegacy: false })).rejects.toMatchObject({ code: 'FILE_ENCODING_UNSUPPORTED' });
    expect(await counts()).toMatchObject({ persons: 3, events: 3, batches: 1 });
  });

  it('a row whose ID number is already in the registry is refused, and the others of its batch go in', async () => {
    await importFile('first.csv', [header, line(1), line(2)].join('\n'), 10);
    const report = await importFile('second.csv', [header, line(2), line(3), line(4)].join('\n'), 10);
    expect(report.rejections.map((r) => [r.rowNumber, r.code])).toEqual([[1, 'ID_NUMBER_TAKEN']]);
    expect(report).toMatchObject({ accepted: 2, rejected: 1 });
    expect(await counts()).toEqual({ persons: 4, events: 4, batches: 2, accepted: 4 });
  });

  it('with two checking threads the batches, refusals and repeated ID numbers are those of one, and a refused batch resumes', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => line(i + 1));
    rows[11] = '001085000012,Nguyễn Văn Hùng,1985-02-30,M,001,VN,00004,x'; // no such day
    rows[16] = line(3); // batch 2 (the second thread) repeats a row of batch 1 (the first)
    rows[39] = line(33); // and batch 4 one of its own
    const text = [header, ...rows].join('\n');
    await refuseInStore('001085000045');
    await expect(importFile('two.csv', text, 10, { checkers: 2 })).rejects.toMatchObject({
      code: 'IMPORT_BATCH_REFUSED',
      details: { batchNo: 4, rowNumber: 45, line: 46, report: { accepted: 37, rejected: 3, batchesCommitted: 4 } },
    });
    expect(await counts()).toEqual({ persons: 37, events: 37, batches: 4, accepted: 37 });
    await sql.raw('DROP TRIGGER refuse_one' + (dialect === 'postgres' ? ' ON persons' : '')).execute(database.db);
    const report = await importFile('two.csv', text, 10, { checkers: 2 });
    expect(report.rejections.map((r) => [r.rowNumber, r.code])).toEqual([
      [12, 'DATE_INVALID'],
      [17, 'DUPLICATE_IN_FILE'],
      [40, 'DUPLICATE_IN_FILE'],
    ]);
    expect(report).toMatchObject({ rowsRead: 50, accepted: 47, rejected: 3, batchesSkipped: 4, batchesCommitted: 1 });
    expect(await counts()).toEqual({ persons: 47, events: 47, batches: 5, accepted: 47 });
  });

  it('values holding what COPY and JSON escape (a backslash, quotes) are stored, and in the events, as written', async () => {
    const address = 'Số 7 \\ ngõ "Chợ", \\N';
    const report = await importFile('escapes.csv', [header, line(1), `001085000002,Nguyễn Văn Hùng,1985-03-12,M,001,VN,00004,"${address.replaceAll('"', '""')}"`].join('\n'), 10);
    expect(report).toMatchObject({ accepted: 2, rejected: 0 });
    const stored = await database.db.selectFrom('persons').select('current_address').where('id_number', '=', '001085000002').executeTakeFirstOrThrow();
    expect(stored.current_address).toBe(address);
    const event = await database.db.selectFrom('life_events').select('data').where('person_id', '=', '001085000002').executeTakeFirstOrThrow();
    expect((JSON.parse(event.data) as { currentAddress: string }).currentAddress).toBe(address);
    const change = await database.db.selectFrom('event_outbox').select('payload').where('person_id', '=', '001085000002').executeTakeFirstOrThrow();
    expect((JSON.parse(change.payload) as { data: { currentResidence: { address: string } } }).data.currentResidence.address).toBe(address);
  });

  it('a row a unique index refuses ends its batch whole, none of its persons, events or change events in', async () => {
    // Birth days repeat every ten rows: row 11 is the first whose day an earlier row holds.
    await sql.raw('CREATE UNIQUE INDEX refuse_repeated_day ON persons (birth_date)').execute(database.db);
    const text = [header, ...Array.from({ length: 30 }, (_, i) => line(i + 1))].join('\n');
    await expect(importFile('unique.csv', text, 10)).rejects.toMatchObject({
      code: 'IMPORT_BATCH_REFUSED',
      details: { batchNo: 1, rowNumber: 11, line: 12, table: 'persons' },
    });
    expect(await counts()).toEqual({ persons: 10, events: 10, batches: 1, accepted: 10 });
    const outbox = Number((await database.db.selectFrom('event_outbox').select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow()).n);
    expect(outbox).toBe(10);
  });
});

describe('an import into a SQLite file', () => {
  it('has the WAL folded back by a thread of its own while batches go in, and the store\'s own threshold back after, refused or not', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      const sqlite = database.sqlite;
      if (sqlite === undefined) throw new Error('not a SQLite store');
      const importer = new PersonImportService({ db: database.db, clock });
      const importFile = async (name: string, rows: readonly string[], onProgress?: () => void): Promise<ImportReport> => {
        const file = path.join(dir, name);
        writeFileSync(file, [header, ...rows].join('\n'));
        const read = await readPersonFile(file);
        return importer.runFile(file, { format: read.format }, { importId: name, batchSize: 10, officerId: null, ...(onProgress === undefined ? {} : { onProgress }) });
      };
      expect(sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
      const during: unknown[] = [];
      await importFile('threshold.csv', Array.from({ length: 50 }, (_, i) => line(i + 1)), () => { during.push(sqlite.pragma('wal_autocheckpoint', { simple: true })); });
      expect(during).toEqual([10_000, 10_000, 10_000, 10_000, 10_000]);
      expect(sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
      await sql.raw(`CREATE TRIGGER refuse_one BEFORE INSERT ON persons WHEN NEW.id_number = '001085000055' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`).execute(database.db);
      await expect(importFile('threshold-refused.csv', Array.from({ length: 10 }, (_, i) => line(i + 51)))).rejects.toMatchObject({ code: 'IMPORT_BATCH_REFUSED' });
      expect(sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    } finally {
      await database.close();
    }
  });
});
