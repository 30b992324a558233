import { describe, expect, it } from 'vitest';
import { outboxEntryOf } from '../events/change-event.js';
import { outboxRowOf } from '../events/outbox.repository.js';
import { eventColumns, outboxColumns, personColumns, unpackRows } from '../store/packed-rows.js';
import { vietnamDay } from './partial-date.js';
import { ImportBatchPreparer, type ImportRow } from './person-import.prepare.js';
import { personFactColumns, toPersonRow } from './person.projection.js';
import { generatePopulation } from './population.generator.js';
import { checkRecording, prepareCheckedRegistration } from './registration.prepare.js';

// An import packs its rows without building the event, the record and the change event of each:
// the packed rows must be exactly those the registry's own path gives for the same registration.

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

describe('an import batch packed', () => {
  it('holds the persons, events and change events the registry itself would write, value for value', () => {
    const rows = generatedRows(400);
    // Values JSON must escape, blanks, and a person with no residence at all.
    const odd = (n: number, record: Record<string, string | null>): ImportRow => ({ rowNumber: n, record });
    const first = rows[0];
    if (first === undefined || !('record' in first)) throw new Error('no rows generated');
    rows.push(odd(401, { ...first.record, id_number: '001085000401', birth_date: '1985-01-02', sex: 'M', birth_province: '001', current_address: 'Số 5 "ngõ" \\ Hàng Bông, tầng 2', permanent_commune: null, permanent_address: null, temporary_commune: null, temporary_address: null, current_commune: null }));
    rows.push(odd(402, { id_number: '001085000402', full_name: 'Nguyễn Văn An', birth_date: '1985', sex: 'M', birth_province: '001' }));
    const preparer = new ImportBatchPreparer({ officerId: 'cán bộ 7', newId: ids() });
    const batch = preparer.prepare(rows, now, true);
    expect(batch.rejections).toEqual([]);
    const want = expected(rows, 'cán bộ 7');
    expect(unpackRows(batch.persons, personColumns)).toEqual(want.persons);
    expect(unpackRows(batch.events, eventColumns)).toEqual(want.events);
    expect(unpackRows(batch.outbox, outboxColumns)).toEqual(want.outbox);
    // The payloads are the same text, not only the same JSON.
    expect(unpackRows(batch.outbox, outboxColumns).map((r) => r.payload)).toEqual(want.outbox.map((r) => (r as { payload: string }).payload));
  });
});
