import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects } from '../../test/test-database.js';
import type { LifeEventType } from '../registry/life-event.types.js';
import { generatePopulation, type PopulationBatch } from '../registry/population.generator.js';
import { replayLifeEvents, toPersonRow } from '../registry/person.projection.js';
import { batchCounts, copyValue, createBulkWriter, loadPopulation, packBatch, unpackBatch, type BulkBatch } from './bulk-writer.js';
import { initialLoadMark, openDatabase, type Database } from './database.js';
import { migrateToLatest } from './migrator.js';
import type { Dialect } from './dialect.js';

async function indexNames(database: Database): Promise<string[]> {
  if (database.dialect === 'sqlite') {
    return (database.sqlite?.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  }
  const result = await database.pool?.query<{ indexname: string }>(
    "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key' ORDER BY indexname",
  );
  return (result?.rows ?? []).map((r) => r.indexname);
}

async function counts(database: Database): Promise<{ persons: number; households: number; events: number }> {
  const one = async (table: 'persons' | 'households' | 'life_events'): Promise<number> =>
    Number((await database.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return { persons: await one('persons'), households: await one('households'), events: await one('life_events') };
}

function tinyBatch(id: string, address: string): BulkBatch {
  const at = '2025-01-02T03:04:05.000Z';
  return {
    persons: [{
      id_number: id, full_name: 'Lê Văn Tí', name_folded: 'le van ti', birth_date: '1990', sex: 'M', ethnicity: 'Kinh', religion: null,
      nationality: 'VN', birth_province: '001', birth_commune: null, hometown: null, permanent_commune: '00004', permanent_address: address,
      temporary_commune: null, temporary_address: null, current_commune: '00004', current_address: address, father_id: null, mother_id: null,
      spouse_id: null, household_id: `HK-${id}`, relationship_to_head: 'head', status: 'alive', death_date: null, version: 1, created_at: at, updated_at: at,
    }],
    households: [{ household_id: `HK-${id}`, head_id: id, commune_code: '00004', address, created_at: at, updated_at: at }],
    events: [{
      event_id: `ev-${id}`, person_id: id, event_type: 'registration', occurred_on: '1990', recorded_at: at, officer_id: null, reason: 'a\\b',
      data: JSON.stringify({ fullName: 'Lê Văn Tí', birthDate: '1990', sex: 'M', permanentAddress: address }),
    }],
  };
}

describe.each(dialects)('bulk writer on %s', (dialect: Dialect) => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeEach(async () => {
    database = await createTestDatabase(dialect);
  });
  afterEach(async () => {
    await database.close();
  });

  it('loads a generated population, rebuilds the indexes and keeps every row as generated', async () => {
    const before = await indexNames(database);
    expect(before.length).toBeGreaterThan(0);
    const generated: PopulationBatch[] = [...generatePopulation({ people: 3_000, seed: 11, batchSize: 700 })];
    const progress: number[] = [];
    const totals = await loadPopulation(database, generated, (n) => progress.push(n));
    const expected = {
      persons: generated.reduce((n, b) => n + b.persons.length, 0),
      households: generated.reduce((n, b) => n + b.households.length, 0),
      events: generated.reduce((n, b) => n + b.events.length, 0),
    };
    expect(expected.persons).toBe(3_000);
    expect(totals).toEqual(expected);
    expect(await counts(database)).toEqual(expected);
    expect(progress.at(-1)).toBe(3_000);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(await indexNames(database)).toEqual(before);

    const sample = generated.flatMap((b) => b.persons).filter((_, i) => i % 97 === 0);
    for (const person of sample) {
      const stored = await database.db.selectFrom('persons').selectAll().where('id_number', '=', person.id_number).executeTakeFirstOrThrow();
      expect(stored).toEqual(person);
      const events = await database.db.selectFrom('life_events').selectAll().where('person_id', '=', person.id_number).orderBy('seq').execute();
      const replayed = replayLifeEvents(events.map((e) => ({
        personId: e.person_id, type: e.event_type as LifeEventType, recordedAt: e.recorded_at, data: JSON.parse(e.data) as Record<string, unknown>,
      })));
      expect(replayed && toPersonRow(replayed)).toEqual(person);
    }
    const household = generated[0]?.households[0];
    const storedHousehold = await database.db.selectFrom('households').selectAll().where('household_id', '=', household?.household_id ?? '').executeTakeFirst();
    expect(storedHousehold).toEqual(household);
  });

  it('stores text with tabs, newlines and backslashes exactly', async () => {
    const address = 'Số 1\tngõ 2\nđường "3" \\ 4\r';
    const writer = createBulkWriter(database);
    await writer.write(tinyBatch('001090000001', address));
    expect(await writer.finish()).toEqual({ persons: 1, households: 1, events: 1 });
    const person = await database.db.selectFrom('persons').selectAll().executeTakeFirstOrThrow();
    expect(person.permanent_address).toBe(address);
    expect(person.religion).toBeNull();
    const event = await database.db.selectFrom('life_events').selectAll().executeTakeFirstOrThrow();
    expect(event.reason).toBe('a\\b');
    expect((JSON.parse(event.data) as { permanentAddress: string }).permanentAddress).toBe(address);
  });

  it('loads a batch all or nothing, and keeps the indexes of a store that already holds rows', async () => {
    const writer = createBulkWriter(database);
    await writer.write(tinyBatch('001090000001', 'A'));
    await writer.finish();
    const indexes = await indexNames(database);

    const second = createBulkWriter(database);
    await second.write(tinyBatch('001090000002', 'B'));
    // The same person again: the whole batch (its household and event too) is refused.
    const duplicate = tinyBatch('001090000002', 'C');
    const otherHousehold = duplicate.households.map((h) => ({ ...h, household_id: 'HK-other' }));
    await expect(second.write({ ...duplicate, households: otherHousehold })).rejects.toThrow();
    expect(await second.finish()).toEqual({ persons: 1, households: 1, events: 1 });
    expect(await counts(database)).toEqual({ persons: 2, households: 2, events: 2 });
    expect(await indexNames(database)).toEqual(indexes);
    await expect(second.write(tinyBatch('001090000003', 'D'))).rejects.toThrow('finished');
  });

  it('rebuilds dropped indexes when a load fails half way', async () => {
    const before = await indexNames(database);
    async function* failing(): AsyncGenerator<BulkBatch> {
      await Promise.resolve();
      yield tinyBatch('001090000001', 'A');
      throw new Error('source broke');
    }
    await expect(loadPopulation(database, failing())).rejects.toThrow('source broke');
    expect(await indexNames(database)).toEqual(before);
    expect((await counts(database)).persons).toBe(1);
  });
});

describe('bulk writer commitEvery (SQLite)', () => {
  it('groups batches into one commit, each batch still all or nothing', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      const writer = createBulkWriter(database, { commitEvery: 3 });
      await writer.write(tinyBatch('001090000001', 'A'));
      expect(database.sqlite?.inTransaction).toBe(true);
      await expect(writer.write({ ...tinyBatch('001090000009', 'X'), events: tinyBatch('001090000001', 'dup').events })).rejects.toThrow();
      await writer.write(tinyBatch('001090000002', 'B'));
      await writer.write(tinyBatch('001090000003', 'C'));
      // The third written person reached commitEvery.
      expect(database.sqlite?.inTransaction).toBe(false);
      await writer.write(tinyBatch('001090000004', 'D'));
      expect(await writer.finish()).toEqual({ persons: 4, households: 4, events: 4 });
      expect(database.sqlite?.inTransaction).toBe(false);
      const ids = await database.db.selectFrom('persons').select('id_number').orderBy('id_number').execute();
      expect(ids.map((r) => r.id_number)).toEqual(['001090000001', '001090000002', '001090000003', '001090000004']);
    } finally {
      await database.close();
    }
  });
});

describe('copyValue', () => {
  it("escapes COPY's text format", () => {
    expect(copyValue(null)).toBe('\\N');
    expect(copyValue(undefined)).toBe('\\N');
    expect(copyValue('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
    expect(copyValue('\\N')).toBe('\\\\N');
    expect(copyValue('Nguyễn')).toBe('Nguyễn');
    expect(copyValue(42)).toBe('42');
  });
});

describe('packed batches', () => {
  it('unpack to the rows they were packed from, counted without unpacking', () => {
    const [batch] = [...generatePopulation({ people: 300, seed: 5, batchSize: 300 })];
    if (batch === undefined) throw new Error('no batch generated');
    const withOddValues = { ...batch, households: [...batch.households, { ...tinyBatch('001090000001', 'a\tb\\c "d"').households[0], address: null } as BulkBatch['households'][number]] };
    const unpacked = unpackBatch(packBatch(withOddValues));
    expect(batchCounts(unpacked)).toEqual({ persons: batch.persons.length, households: batch.households.length + 1, events: batch.events.length });
    expect(unpacked.persons).toEqual(batch.persons);
    expect(typeof unpacked.persons[0]?.version).toBe('number');
    expect(unpacked.households).toEqual(withOddValues.households);
    expect(unpacked.events).toEqual(batch.events);
  });

  it('are written from their rows once those were read, so that changes to them are kept', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      const batch = unpackBatch(packBatch(tinyBatch('001090000001', 'A')));
      const person = batch.persons[0];
      if (person === undefined) throw new Error('no person');
      person.full_name = 'Lê Văn Tý';
      const writer = createBulkWriter(database);
      await writer.write(batch);
      await writer.finish();
      const stored = await database.db.selectFrom('persons').select('full_name').executeTakeFirstOrThrow();
      expect(stored.full_name).toBe('Lê Văn Tý');
    } finally {
      await database.close();
    }
  });
});

describe('first load of an empty SQLite store', () => {
  it('runs unjournaled, then restores the journal and clears the mark', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      const sqlite = database.sqlite;
      if (sqlite === undefined) throw new Error('no SQLite handle');
      const writer = createBulkWriter(database);
      await writer.write(tinyBatch('001090000001', 'A'));
      expect(sqlite.pragma('journal_mode', { simple: true })).toBe('memory');
      expect(sqlite.pragma('application_id', { simple: true })).toBe(initialLoadMark);
      // A failed batch still rolls back alone without the write-ahead log.
      await expect(writer.write(tinyBatch('001090000001', 'again'))).rejects.toThrow();
      await writer.write(tinyBatch('001090000002', 'B'));
      expect(await writer.finish()).toEqual({ persons: 2, households: 2, events: 2 });
      expect(sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(sqlite.pragma('synchronous', { simple: true })).toBe(1);
      expect(sqlite.pragma('application_id', { simple: true })).toBe(0);
      expect(await counts(database)).toEqual({ persons: 2, households: 2, events: 2 });

      // A store that already holds rows is loaded under the write-ahead log as before.
      const second = createBulkWriter(database);
      await second.write(tinyBatch('001090000003', 'C'));
      expect(sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
      await second.finish();
    } finally {
      await database.close();
    }
  });

  it('is refused on the next open when the load was killed half way', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-first-load-'));
    const file = path.join(dir, 'store.db');
    try {
      const database = openDatabase({ sqliteFile: file });
      await migrateToLatest(database.db, database.dialect);
      await createBulkWriter(database).write(tinyBatch('001090000001', 'A'));
      // Killed here: no finish(), the handle simply goes away.
      database.sqlite?.close();
      expect(() => openDatabase({ sqliteFile: file })).toThrow(expect.objectContaining({ code: 'STORE_LOAD_INTERRUPTED' }) as Error);
      rmSync(file, { force: true });
      const fresh = openDatabase({ sqliteFile: file });
      await migrateToLatest(fresh.db, fresh.dialect);
      expect((await counts(fresh)).persons).toBe(0);
      await fresh.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
