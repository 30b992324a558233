import { describe, expect, it } from 'vitest';
import { adminUnitCatalog } from '../registry/admin-unit.catalog.js';
import { detail } from './finding-detail.js';
import { childBeforeParentProblem, duplicateVerdict, householdHeadProblem, nameAgreement, spouseProblem, type DuplicateCandidate, type LinkedPerson } from './quality-cross.checks.js';
import { qualityRules, recordRules, ruleContext, type PersonRow } from './quality-rule.catalog.js';

const ctx = ruleContext('2026-01-01', adminUnitCatalog());
const commune = adminUnitCatalog().communes2025()[0]?.code ?? '';

/** A clean record: a woman born 1985 in Hà Nội (001), ID 001185…, living in a commune in force. */
const clean: PersonRow = {
  id_number: '001185012345', full_name: 'Nguyễn Thị Lan', birth_date: '1985-03-07', sex: 'F', ethnicity: 'Kinh', religion: 'Không',
  nationality: 'VN', birth_province: '001', birth_commune: null, hometown: 'Hà Nội', permanent_commune: commune, temporary_commune: null,
  current_commune: commune, status: 'alive', death_date: null, updated_at: '2024-05-01T03:00:00.000Z',
};

function failing(row: PersonRow): string[] {
  return recordRules.filter((r) => r.check(row, ctx) !== null).map((r) => r.id);
}

describe('the rule catalog', () => {
  it('declares every rule with a dimension, a score group and descriptions in both languages', () => {
    expect(new Set(qualityRules.map((r) => r.id)).size).toBe(qualityRules.length);
    for (const r of qualityRules) {
      expect(r.id.startsWith(`${r.group}.`), r.id).toBe(true);
      expect(r.description.vi.length).toBeGreaterThan(5);
      expect(r.description.en.length).toBeGreaterThan(5);
    }
  });

  it('passes a clean record', () => {
    expect(failing(clean)).toEqual([]);
  });

  it.each([
    [{ id_number: '0011850123' }, ['correct.id_structure']],
    [{ id_number: '099185012345' }, ['correct.id_structure']],
    [{ sex: 'M' as const }, ['correct.id_sex']],
    [{ birth_date: '1986-03-07' }, ['correct.id_birth_year']],
    [{ birth_province: '079' }, ['correct.id_province']],
    [{ birth_date: '1985-02-30' }, ['correct.birth_date']],
    [{ birth_date: '1985-13' }, ['correct.birth_date']],
    [{ status: 'deceased' as const, death_date: '1984-01-01' }, ['correct.death_date']],
    [{ status: 'deceased' as const, death_date: null }, ['correct.death_date']],
    [{ death_date: '2020-01-01' }, ['correct.death_date']],
    [{ full_name: 'Nguyá»…n Thá»‹ Lan' }, ['correct.name_plausible']],
    [{ full_name: 'Nguyen Thi L4n' }, ['correct.name_plausible']],
    [{ full_name: 'Lan' }, ['correct.name_plausible']],
    [{ ethnicity: null }, ['complete.ethnicity']],
    [{ hometown: ' ' }, ['complete.hometown']],
    [{ permanent_commune: null, current_commune: null }, ['complete.residence']],
    [{ permanent_commune: '99999' }, ['correct.commune_known', 'live.residence_in_force']],
    [{ updated_at: '2001-01-01T00:00:00.000Z' }, ['live.stale_record']],
  ] as const)('flags %j', (change, rules) => {
    expect(failing({ ...clean, ...change })).toEqual(rules);
  });

  it('flags the living older than 120 (whose ID year then disagrees too)', () => {
    expect(failing({ ...clean, birth_date: '1895-03-07' })).toEqual(['correct.id_birth_year', 'live.alive_over_120']);
  });
});

const person = (over: Partial<LinkedPerson>): LinkedPerson => ({ id: 'a', sex: 'F', birthDate: '1990-01-01', spouseId: null, fatherId: null, motherId: null, ...over });

describe('cross-record checks', () => {
  it('wants exactly one head among living members', () => {
    expect(householdHeadProblem(1, 4)).toBeNull();
    expect(householdHeadProblem(0, 3)).toEqual(detail('household_no_head'));
    expect(householdHeadProblem(2, 3)).toEqual(detail('household_heads', { count: '2' }));
    expect(householdHeadProblem(0, 0)).toBeNull();
  });

  it('wants spouse links both ways', () => {
    expect(spouseProblem(person({ spouseId: 'b' }), person({ id: 'b', spouseId: 'a' }))).toBeNull();
    expect(spouseProblem(person({ spouseId: 'b' }), person({ id: 'b' }))).toEqual(detail('spouse_records_none'));
    expect(spouseProblem(person({ spouseId: 'b' }), undefined)).toEqual(detail('spouse_missing'));
  });

  it('compares birth dates at the precision both have', () => {
    expect(childBeforeParentProblem(person({ birthDate: '1960' }), undefined, person({ birthDate: '1961-05-01' }))).toEqual(detail('born_before_mother'));
    expect(childBeforeParentProblem(person({ birthDate: '1961' }), undefined, person({ birthDate: '1961-05-01' }))).toBeNull();
  });

  it('tells typos and left-out middle names from different names', () => {
    expect(nameAgreement('nguyen van hung', 'nguyen van hugn')).toBeGreaterThan(0.8);
    expect(nameAgreement('nguyen thi ngoc van', 'nguyen ngoc van')).toBeGreaterThan(0.8);
    expect(nameAgreement('nguyen hong phuong', 'nguyen phuong hong')).toBe(0);
    const common = { given: () => 'common' as const, share: () => 0 };
    expect(nameAgreement('nguyen van luan', 'nguyen van quan', common)).toBe(0);
  });

  it('finds a second registration of the same person and not twins', () => {
    const a: DuplicateCandidate = { id: '001090000001', nameFolded: 'tran thi mai', birthDate: '1990-04-05', sex: 'F', birthProvince: '001', fatherId: null, motherId: 'm', spouseId: null, hometown: 'Hà Nội', commune: '00001' };
    expect(duplicateVerdict(a, { ...a, id: '001090000002', nameFolded: 'tran thi mia', birthDate: '1990-05-04' }).duplicate).toBe(true);
    expect(duplicateVerdict(a, { ...a, id: '001090000002', nameFolded: 'tran thi lan' }).duplicate).toBe(false);
    expect(duplicateVerdict(a, { ...a, id: '001090000002', sex: 'M' }).duplicate).toBe(false);
    expect(duplicateVerdict(a, { ...a, id: '001090000002', motherId: 'other' }).duplicate).toBe(false);
    // each married to someone else, or to each other: two persons; one spouse recorded on one side only proves nothing
    expect(duplicateVerdict({ ...a, spouseId: 's1' }, { ...a, id: '001090000002', spouseId: 's2' }).duplicate).toBe(false);
    expect(duplicateVerdict({ ...a, spouseId: '001090000002' }, { ...a, id: '001090000002' }).duplicate).toBe(false);
    expect(duplicateVerdict({ ...a, spouseId: 's1' }, { ...a, id: '001090000002', spouseId: 's1' }).duplicate).toBe(true);
    expect(duplicateVerdict({ ...a, spouseId: 's1' }, { ...a, id: '001090000002' }).duplicate).toBe(true);
  });
});
