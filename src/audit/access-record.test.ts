import { describe, expect, it } from 'vitest';
import type { AccessRecordInput } from './access-log.types.js';
import { canonicalLeaf, normaliseAccessRecord, parseLeaf, referenceLeaf, toRow } from './access-record.js';
import { leafHash } from './merkle-tree.js';

const base: AccessRecordInput = {
  personId: '079203012345',
  at: '2026-11-27T21:20:00+07:00',
  clientId: 'VN/GOV/BHXH/insurance-portal',
  officerId: 'officer-0042',
  service: 'person.verify',
  purpose: 'Xác minh nhân thân',
  legalBasis: 'Luật Căn cước 2023, Điều 10',
  fields: ['fullName', 'birthDate'],
  visibility: 'public',
  requestId: 'req-1',
};

describe('access records', () => {
  it('normalise the time to UTC and leave absent options out', () => {
    const r = normaliseAccessRecord({ ...base, consentId: undefined });
    expect(r.at).toBe('2026-11-27T14:20:00.000Z');
    expect('consentId' in r).toBe(false);
  });

  it('serialise exactly as the RFC 8785 reference does, for every shape and awkward text', () => {
    const texts = ['', 'a"b\\c', 'dòng\nmới\t', '\u0000\u001f\u007f', '€𝄞 emoji 😀', 'Ǹ', '\u2028\u2029'];
    let checked = 0;
    for (let i = 0; i < 128; i++) {
      const text = texts[i % texts.length] ?? '';
      const record = normaliseAccessRecord({
        ...base,
        purpose: `mục đích ${text}`.trim() === '' ? 'x' : `mục đích ${text}`,
        fields: [`f${text}`, 'g'],
        ...(i & 1 ? { receivingAgency: `Cơ quan ${text}` } : {}),
        ...(i & 2 ? { consentId: `c-${text}` } : {}),
        ...(i & 4 ? { caseReference: `VA-${text}` } : {}),
        ...(i & 8 ? { visibility: { deferredUntil: '2027-01-31' } } : {}),
      });
      expect(canonicalLeaf(record)).toBe(referenceLeaf(record));
      checked++;
    }
    expect(checked).toBe(128);
  });

  it('store the leaf and its hash, and read back the same record', () => {
    const record = normaliseAccessRecord({ ...base, visibility: { deferredUntil: '2027-06-01' }, caseReference: 'VA-1' });
    const row = toRow(9, record);
    expect(row).toMatchObject({ idx: 9, person_id: '079203012345', deferred_until: '2027-06-01' });
    expect(row.leaf_hash.equals(leafHash(row.leaf))).toBe(true);
    expect(parseLeaf(row.leaf)).toEqual(record);
    expect(parseLeaf('{"not":"a record"}')).toBeUndefined();
    expect(parseLeaf(row.leaf.replace('{"at"', '{ "at"'))).toBeUndefined(); // not canonical
  });

  it('name the bad member without echoing personal data', () => {
    expect(() => normaliseAccessRecord({ ...base, personId: '07920301234X' })).toThrow(/12-digit/);
    try {
      normaliseAccessRecord({ ...base, at: '2026-11-27 14:20' });
    } catch (error) {
      expect(error).toMatchObject({ code: 'ACCESS_RECORD_TIME_INVALID', details: { field: 'at' } });
      expect((error as Error).message).not.toContain('2026-11-27 14:20');
    }
    expect(() => normaliseAccessRecord({ ...base, at: '2026-13-45T00:00:00Z' })).toThrow(/ISO 8601/);
    expect(() => normaliseAccessRecord({ ...base, fields: Array.from({ length: 201 }, () => 'f') })).toThrow(/between 1 and 200/);
    expect(() => normaliseAccessRecord({ ...base, visibility: 'secret' as unknown as 'public' })).toThrow(/deferredUntil/);
    expect(() => normaliseAccessRecord({ ...base, purpose: 'lone \ud800 surrogate' })).toThrow(/valid Unicode/);
  });
});
