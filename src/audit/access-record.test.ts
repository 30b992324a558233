import { describe, expect, it } from 'vitest';
import type { AccessRecordInput } from './access-log.types.js';
import { canonicalLeaf, normaliseAccessRecord, parseLeaf, prepareAccessRecord, referenceLeaf, toRow } from './access-record.js';
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

/** What `run` throws, or undefined when it returns: the caller's expectations then fail instead of being skipped. */
function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('access records', () => {
  it('normalise the time to UTC and leave absent options out', () => {
    const r = normaliseAccessRecord({ ...base, consentId: undefined });
    expect(r.at).toBe('2026-11-27T14:20:00.000Z');
    expect('consentId' in r).toBe(false);
  });

  it('serialise exactly as the RFC 8785 reference does, for every shape and awkward text', () => {
    const texts = ['', 'a"b\\c', 'dòng\nmới\t', '\u0000\u001f\u007f', '€𝄞 emoji 😀', 'Ǹ', '\u2028\u2029'];
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
    }
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
    const thrown = thrownBy(() => normaliseAccessRecord({ ...base, at: '2026-11-27 14:20' }));
    expect(thrown).toMatchObject({ code: 'ACCESS_RECORD_TIME_INVALID', details: { field: 'at' } });
    expect((thrown as Error).message).not.toContain('2026-11-27 14:20');
    expect(() => normaliseAccessRecord({ ...base, at: '2026-13-45T00:00:00Z' })).toThrow(/ISO 8601/);
    expect(() => normaliseAccessRecord({ ...base, fields: Array.from({ length: 201 }, () => 'f') })).toThrow(/between 1 and 200/);
    expect(() => normaliseAccessRecord({ ...base, visibility: 'secret' as unknown as 'public' })).toThrow(/deferredUntil/);
    expect(() => normaliseAccessRecord({ ...base, purpose: 'lone \ud800 surrogate' })).toThrow(/valid Unicode/);
  });

  it('prepare on the append path exactly the leaf, hash and columns of the reference path', () => {
    const texts = ['', 'a"b\\c', 'dòng\nmới\t', '\u0000\u001f\u007f', '€𝄞 emoji 😀', 'Ǹ', '\u2028\u2029', '  spaced  '];
    const ats = ['2026-11-27T14:20:00.000Z', '2026-11-27T21:20:00+07:00', '2026-02-28T23:59:59.999Z', '2026-02-29T00:00:00.000Z', '2024-02-29T10:00:00.000Z', '2026-01-31T24:00:00.000Z', '2026-04-31T12:00:00.000Z', '2026-11-27T14:20Z', '2026-11-27T14:20:00.123456789Z'];
    for (let i = 0; i < 256; i++) {
      const text = texts[i % texts.length] ?? '';
      const input: AccessRecordInput = {
        ...base,
        at: ats[i % ats.length] ?? base.at,
        purpose: `mục đích ${text}`,
        fields: i % 3 === 0 ? [`f${text}`] : [`f${text}`, 'g', 'h'],
        ...(i & 1 ? { receivingAgency: `Cơ quan ${text}` } : {}),
        ...(i & 2 ? { consentId: `c-${text}` } : { consentId: undefined }),
        ...(i & 4 ? { caseReference: `VA-${text}` } : {}),
        ...(i & 8 ? { visibility: { deferredUntil: '2027-01-31' } } : {}),
      };
      const reference = toRow(0, normaliseAccessRecord(input));
      const prepared = prepareAccessRecord(input);
      expect(prepared.leaf).toBe(reference.leaf);
      expect(prepared.leaf).toBe(referenceLeaf(normaliseAccessRecord(input)));
      expect(prepared.leaf_hash.equals(reference.leaf_hash)).toBe(true);
      expect([prepared.person_id, prepared.deferred_until]).toEqual([reference.person_id, reference.deferred_until]);
    }
  });

  it('reject on the append path exactly what the reference path rejects, with the same error', () => {
    const bad: Partial<Record<keyof AccessRecordInput, unknown>>[] = [
      { personId: '07920301234X' }, { personId: 79203012345 }, { at: '2026-11-27 14:20' }, { at: '2026-13-45T00:00:00.000Z' },
      { at: '2026-02-32T00:00:00.000Z' }, { at: 1 }, { clientId: 'GOV/BHXH' }, { fields: [] }, { fields: 'fullName' },
      { fields: ['ok', ' '] }, { fields: ['ok', 'lone \udc00'] }, { receivingAgency: '' }, { consentId: 'x'.repeat(1_001) },
      { caseReference: 7 }, { officerId: undefined }, { service: '\t\n' }, { purpose: 'lone \ud800 surrogate' }, { legalBasis: null },
      { visibility: 'secret' }, { visibility: { deferredUntil: '2027-02-30' } }, { requestId: '' },
      { officerId: '', requestId: '' }, { personId: 'x', at: 'y' }, { purpose: 'emoji 😀 then lone \ud800' },
      { fields: ['lone \ud800'], officerId: '' }, { receivingAgency: 'lone \udfff', visibility: 'secret' }, { consentId: null, caseReference: 'ok', fields: ['a', 3] },
    ];
    for (const patch of bad) {
      const input = { ...base, ...patch } as AccessRecordInput;
      const expected = thrownBy(() => normaliseAccessRecord(input));
      expect(expected).toBeInstanceOf(Error);
      const actual = thrownBy(() => prepareAccessRecord(input));
      expect(actual).toBeInstanceOf(Error);
      expect((actual as Error).message).toBe((expected as Error).message);
      expect(actual).toMatchObject({ code: (expected as { code: string }).code, details: (expected as { details: unknown }).details });
    }
  });
});
