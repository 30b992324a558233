import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects } from '../../test/test-database.js';
import { outboxEntryOf } from '../events/change-event.js';
import { outboxRowOf } from '../events/outbox.repository.js';
import type { Database } from '../store/database.js';
import { importBatchRepository } from './import-batch.repository.js';
import { filterStagedRows, stagedLines } from './import-stage.js';
import { vietnamDay } from './partial-date.js';
import { ImportBatchPreparer, importReason, type ImportRow, type PreparedBatch } from './person-import.prepare.js';
import { personFactColumns, toPersonRow } from './person.projection.js';
import { generatePopulation } from './population.generator.js';
import { checkRecording, prepareCheckedRegistration } from './registration.prepare.js';

// An import stages each person once and the store builds the person, its registration event and
// its change event from the staged line (JSON included): the stored rows must be exactly those the
// registry's own path gives for the same registration, text for text, on every store and through
// the Kysely path a transaction takes.

const now = new Date('2025-09-01T08:00:00Z');
const reason = 'taken over from an earlier register';

/** Persons of the generator as the rows of an exported file: every column, blanks as null. */
function generatedRows(people: number): ImportRow[] {
  const rows: ImportRow[] = [];
  for (const batch of generatePopulation({ people, seed: 7, batchSize: people })) {
    for (const p of batch.persons) {
      const record: Record<string, string | null> = { id_number: p.id_number };
      for (const column of Object.values(personFactColumns)) {
        const value = p[column];
        record[column] = value === null ? null : String(value);
      }
      rows.push({ rowNumber: rows.length + 1, record });
    }
  }
  return rows;
}

const ids = (): (() => string) => {
  let n = 0;
  return () => `0190d4c8-0000-7000-8000-${String(++n).padStart(12, '0')}`;
};

/** The rows the registry's own path gives: prepareCheckedRegistration, toPersonRow, lifeEventRow, outboxRowOf. */
function expected(rows: readonly ImportRow[], officerId: string | null): { persons: unknown[]; events: unknown[]; outbox: unknown[] } {
  const today = vietnamDay(now);
  checkRecording({ occurredOn: today, officerId, reason }, today);
  const newId = ids();
  const out = { persons: [] as unknown[], events: [] as unknown[], outbox: [] as unknown[] };
  for (const row of rows) {
    if (!('record' in row)) continue;
    const facts: Record<string, unknown> = {};
    for (const [fact, column] of Object.entries(personFactColumns)) {
      const value = row.record[column];
      if (value !== null && value !== undefined && value !== '') facts[fact] = value;
    }
    const { event, record } = prepareCheckedRegistration(
      { type: 'registration', idNumber: row.record.id_number ?? '', occurredOn: today, officerId, reason, facts },
      { now, today, recordedAt: now.toISOString(), newId },
    );
    out.persons.push(toPersonRow(record));
    out.events.push({ event_id: event.eventId, person_id: event.personId, event_type: event.type, occurred_on: event.occurredOn, recorded_at: event.recordedAt, officer_id: event.officerId, reason: event.reason, data: JSON.stringify(event.data) });
    out.outbox.push(outboxRowOf(outboxEntryOf(event, undefined, record)));
  }
  return out;
}

/** Rows 1..400 of the generator, a value JSON and COPY must escape, a person with no residence at all. */
function testRows(): ImportRow[] {
  const rows = generatedRows(400);
  const odd = (n: number, record: Record<string, string | null>): ImportRow => ({ rowNumber: n, record });
  const first = rows[0];
  if (first === undefined || !('record' in first)) throw new Error('no rows generated');
  rows.push(odd(401, { ...first.record, id_number: '001085000401', birth_date: '1985-01-02', sex: 'M', birth_province: '001', current_address: 'Số 5 "ngõ" \\ Hàng Bông, tầng 2 \\N', permanent_commune: null, permanent_address: null, temporary_commune: null, temporary_address: null, current_commune: null }));
  rows.push(odd(402, { id_number: '001085000402', full_name: 'Nguyễn Văn An', birth_date: '1985', sex: 'M', birth_province: '001' }));
  rows.push(odd(403, { id_number: '001185000403', full_name: 'Lò Thị Ún', birth_date: '1985-02', sex: 'F', birth_province: '001', ethnicity: 'Thái', hometown: 'Ngõ \\t và \\N, \\\\' }));
  return rows;
}

async function storedRows(database: Database): Promise<{ persons: unknown[]; events: unknown[]; outbox: unknown[] }> {
  const persons = await database.db.selectFrom('persons').selectAll().orderBy('id_number').execute();
  const events = await database.db.selectFrom('life_events').select(['event_id', 'person_id', 'event_type', 'occurred_on', 'recorded_at', 'officer_id', 'reason', 'data']).orderBy('seq').execute();
  const outbox = await database.db.selectFrom('event_outbox').select(['event_id', 'person_id', 'event_type', 'provinces', 'fields', 'payload', 'recorded_at']).orderBy('seq').execute();
  return { persons, events, outbox };
}

const byId = (rows: unknown[]): unknown[] => [...rows].sort((a, b) => ((a as { id_number: string }).id_number < (b as { id_number: string }).id_number ? -1 : 1));

describe('an import batch staged', () => {
  it('stages one line a person and drops the refused ones by index', () => {
    const batch = new ImportBatchPreparer({ officerId: null, newId: ids() }).prepare(testRows(), now, true);
    expect(stagedLines(batch.staged)).toHaveLength(403);
    const kept = stagedLines(filterStagedRows(batch.staged, (r) => r % 2 === 0));
    expect(kept).toHaveLength(202);
    expect(kept[1]).toBe(stagedLines(batch.staged)[2]);
    expect(filterStagedRows(batch.staged, () => false)).toBe('');
    // Not packed (an earlier run committed it): the checks only.
    expect(new ImportBatchPreparer({ officerId: null, newId: ids() }).prepare(testRows(), now, false).staged).toBe('');
  });
});

describe.each(dialects)('an import batch written on %s', (dialect) => {
  let database: Database;
  beforeEach(async () => {
    database = await createTestDatabase(dialect);
  });
  afterEach(async () => {
    await database.close();
  });

  const write = async (batch: PreparedBatch, through: 'driver' | 'transaction'): Promise<void> => {
    const staged = { staged: batch.staged, ...(batch.copy === undefined ? {} : { copy: batch.copy }), today: batch.today, recordedAt: batch.recordedAt, officerId: 'cán bộ 7', reason: importReason };
    const bookkeeping = { importId: 'test', batchNo: 0, rowsAccepted: batch.ids.length, rowsRejected: 0, committedAt: now.toISOString() };
    if (through === 'driver') await importBatchRepository.commitStaged(database.db, staged, bookkeeping);
    else await database.db.transaction().execute((trx) => importBatchRepository.commitStaged(trx, staged, bookkeeping));
  };

  it.each(['driver', 'transaction'] as const)('through the %s, holds the persons, events and change events the registry itself would write, text for text', async (through) => {
    const rows = testRows();
    // The form the store takes; through a transaction, staged lines.
    const form = through === 'driver' ? importBatchRepository.rowForm(database.db) : 'staged';
    expect(form).toBe(through === 'driver' && dialect === 'postgres' ? 'copy' : 'staged');
    const batch = new ImportBatchPreparer({ officerId: 'cán bộ 7', newId: ids(), form }).prepare(rows, now, true);
    expect(batch.rejections).toEqual([]);
    await write(batch, through);
    const want = expected(rows, 'cán bộ 7');
    const stored = await storedRows(database);
    expect(stored.persons).toEqual(byId(want.persons));
    // Events and change events in file order, their JSON the same text as JSON.stringify's.
    expect(stored.events).toEqual(want.events);
    expect(stored.outbox).toEqual(want.outbox);
  });

  it('whole when its texts outgrow the buffers they are first built in', async () => {
    // 3,000 persons take about 7 MB of COPY text: the builder's buffers start at 1 MB and grow.
    const rows = generatedRows(3000);
    const batch = new ImportBatchPreparer({ officerId: 'cán bộ 7', newId: ids(), form: importBatchRepository.rowForm(database.db) }).prepare(rows, now, true);
    if (dialect === 'postgres') expect(batch.copy?.outbox.byteLength).toBeGreaterThan(2 << 20);
    await write(batch, 'driver');
    // The generator's persons born after the test's day are refused.
    const refused = new Set(batch.rejections.map((r) => r.rowNumber));
    expect(refused.size).toBeLessThan(300);
    const want = expected(rows.filter((r) => !refused.has(r.rowNumber)), 'cán bộ 7');
    const stored = await storedRows(database);
    expect(stored.persons).toEqual(byId(want.persons));
    expect(stored.events).toEqual(want.events);
    expect(stored.outbox).toEqual(want.outbox);
  });

  it('from staged lines, when those are what it is given', async () => {
    // Rows staged for SQLite written to either store (PostgreSQL builds the COPY texts itself).
    const rows = testRows();
    const batch = new ImportBatchPreparer({ officerId: 'cán bộ 7', newId: ids() }).prepare(rows, now, true);
    await write(batch, 'driver');
    const stored = await storedRows(database);
    const want = expected(rows, 'cán bộ 7');
    expect(stored.events).toEqual(want.events);
    expect(stored.outbox).toEqual(want.outbox);
  });
}, 60_000);

describe('an import batch in COPY form', () => {
  it('is refused by SQLite rather than written as no rows', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      const batch = new ImportBatchPreparer({ officerId: null, newId: ids(), form: 'copy' }).prepare(testRows(), now, true);
      const copy = batch.copy;
      if (copy === undefined) throw new Error('no COPY texts');
      await expect(importBatchRepository.commitStaged(database.db, { staged: batch.staged, copy, today: batch.today, recordedAt: batch.recordedAt, officerId: null, reason: importReason }, { importId: 'test', batchNo: 0, rowsAccepted: 1, rowsRejected: 0, committedAt: now.toISOString() })).rejects.toThrow(/COPY form/);
      expect((await database.db.selectFrom('persons').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n).toBe(0);
    } finally {
      await database.close();
    }
  });
});
