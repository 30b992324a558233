import { describe, expect, it } from 'vitest';
import { prepareAccessLeaf } from './access-record.js';
import { templatedRecords, type JournaledRecord } from './access-journal.format.js';
import { OfficialReadLeaves } from './official-read.leaves.js';
import { officialReadRecords, type OfficialRead, type OfficialReader } from './official-read.recorder.js';

const readers: readonly OfficialReader[] = [
  { kind: 'officer', id: 'off-0001', role: 'national_officer', unit: { level: 'nation', code: null } },
  { kind: 'officer', id: 'off-0002', role: 'province_officer', unit: { level: 'province', code: '79' } },
  { kind: 'officer', id: 'off-"quoted"\\', role: 'commune_officer', unit: { level: 'commune', code: '26734' } },
  { kind: 'service_account', id: 'svc-7', role: 'service_account', unit: { level: 'nation', code: null } },
];
const purposes = [
  'Tra cứu hồ sơ công dân trong công tác quản lý dân cư',
  'say "why" \\ here',
  'tab\tand newline\n inside',
  'emoji 🇻🇳 and ,"personId":"000000000000" and ,"requestId":"official-read-leaf-template"',
];
const fieldLists = [['fullName', 'birthDate'], ['idNumber'], ['a"b', 'c\\d', 'Tên đầy đủ']];
const actions: readonly OfficialRead['action'][] = ['person.read', 'household.read', 'person.search'];

/** The read's records as the journal's fold assembles them, with their leaves as text. */
function recordsOf(leaves: OfficialReadLeaves, read: OfficialRead, at: Date): JournaledRecord[] | undefined {
  const templated = leaves.of(read, at);
  return templated === undefined ? undefined : templatedRecords(templated);
}

function reads(): OfficialRead[] {
  const out: OfficialRead[] = [];
  let n = 0;
  for (const reader of readers) for (const purpose of purposes) for (const fields of fieldLists) for (const action of actions) {
    for (const caseReference of [undefined, 'HS-2026/01 "A"']) {
      n++;
      out.push({
        reader, action, fields, purpose, caseReference, breakGlassReason: undefined,
        personIds: n % 3 === 0 ? ['079203012345', '001085000001', '079203012345'] : [`0010850${String(n % 100_000).padStart(5, '0')}`],
        requestId: `0b1e5c3a-${String(n).padStart(4, '0')}-4000-8000-000000000000`,
      });
    }
  }
  return out;
}

describe('official read leaves from templates', () => {
  it('are exactly the leaves prepareAccessLeaf gives, read after read of each kind', () => {
    const leaves = new OfficialReadLeaves((read, at) => officialReadRecords(read, at));
    let checked = 0;
    for (const round of [0, 1]) {
      for (const read of reads()) {
        const at = new Date(Date.UTC(2026, 11, 5, 3, 0, round * 7, 123 + checked % 800));
        const expected = officialReadRecords(read, at).map((r) => prepareAccessLeaf(r));
        const got = recordsOf(leaves, read, at);
        expect(got, JSON.stringify(read)).toEqual(expected);
        checked += expected.length;
      }
    }
    expect(checked).toBeGreaterThan(700);
  });

  it('follow a reader whose role or unit changed, and a reader with more kinds of read than it keeps', () => {
    const leaves = new OfficialReadLeaves((read, at) => officialReadRecords(read, at));
    const at = new Date('2026-12-05T03:00:00.000Z');
    const expected = (r: OfficialRead): string[] => officialReadRecords(r, at).map((x) => prepareAccessLeaf(x).leaf);
    const fields = Object.freeze(['fullName']);
    const base: OfficialRead = { reader: { kind: 'officer', id: 'off-9', role: 'commune_officer', unit: { level: 'commune', code: '26734' } }, action: 'person.read', personIds: ['079203012345'], fields, purpose: 'p', caseReference: undefined, breakGlassReason: undefined, requestId: 'r-1' };
    const moved: OfficialRead = { ...base, reader: { ...base.reader, role: 'province_officer', unit: { level: 'province', code: '79' } } };
    for (const read of [base, moved, base, moved]) expect(recordsOf(leaves, read, at)?.map((r) => r.leaf)).toEqual(expected(read));
    expect(recordsOf(leaves, moved, at)?.[0]?.leaf).toContain('"readerUnit":"province:79"');
    // Forty purposes, twice over: the kinds past the ones kept are made again, never mixed up.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 40; i++) {
        const read = { ...base, purpose: `purpose ${String(i)}` };
        expect(recordsOf(leaves, read, at)?.map((r) => r.leaf)).toEqual(expected(read));
      }
    }
  });

  it('follow a field list changed in place, and serve a frozen list from its template', () => {
    const leaves = new OfficialReadLeaves((read, at) => officialReadRecords(read, at));
    const at = new Date('2026-12-05T03:00:00.000Z');
    const fields = ['fullName'];
    const read = { ...(reads()[0] as OfficialRead), fields };
    const expected = (r: OfficialRead): string[] => officialReadRecords(r, at).map((x) => prepareAccessLeaf(x).leaf);
    expect(recordsOf(leaves, read, at)?.map((r) => r.leaf)).toEqual(expected(read));
    fields.push('birthDate');
    expect(recordsOf(leaves, read, at)?.map((r) => r.leaf)).toEqual(expected(read));
    expect(recordsOf(leaves, read, at)?.[0]?.leaf).toContain('"fields":["fullName","birthDate"]');
    const frozen = { ...read, fields: Object.freeze(['idNumber', 'sex']) };
    expect(recordsOf(leaves, frozen, at)?.map((r) => r.leaf)).toEqual(expected(frozen));
    expect(recordsOf(leaves, { ...frozen, requestId: 'another-request' }, at)?.map((r) => r.leaf)).toEqual(expected({ ...frozen, requestId: 'another-request' }));
  });

  it('leave to the general path what they do not serve: break-glass, unusual request ids, malformed persons or purposes', () => {
    const leaves = new OfficialReadLeaves((read, at) => officialReadRecords(read, at));
    const base = reads()[0] as OfficialRead;
    const at = new Date('2026-12-05T03:00:00.000Z');
    expect(recordsOf(leaves, base, at)).toBeDefined();
    expect(recordsOf(leaves, { ...base, breakGlassReason: 'an emergency at the hospital' }, at)).toBeUndefined();
    expect(recordsOf(leaves, { ...base, requestId: 'with "quote"' }, at)).toBeUndefined();
    expect(recordsOf(leaves, { ...base, personIds: ['12345'] }, at)).toBeUndefined();
    // A lone surrogate has no canonical form: the general path throws its precise error.
    const lone = { ...base, purpose: 'bad \ud800 text' };
    expect(recordsOf(leaves, lone, at)).toBeUndefined();
    expect(() => officialReadRecords(lone, at).map((r) => prepareAccessLeaf(r))).toThrow(/not valid Unicode/);
  });
});
