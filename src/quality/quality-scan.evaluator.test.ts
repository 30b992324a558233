import { describe, expect, it } from 'vitest';
import { adminUnitCatalog } from '../registry/admin-unit.catalog.js';
import { ruleContext } from './quality-rule.catalog.js';
import { OwnerResolver, ScanEvaluator, setRules, type ScanRow } from './quality-scan.evaluator.js';

const units = adminUnitCatalog();
const commune = units.communes2025()[0]?.code ?? '';

let serial = 0;
function row(over: Partial<ScanRow>): ScanRow {
  serial++;
  return {
    id_number: `001090${String(serial).padStart(6, '0')}`, full_name: 'Trần Thị Mai', name_folded: 'tran thi mai', birth_date: '1990-04-05', sex: 'F',
    ethnicity: 'Kinh', religion: 'Không', nationality: 'VN', birth_province: '001', birth_commune: null, hometown: 'Hà Nội',
    permanent_commune: commune, temporary_commune: null, current_commune: commune, father_id: null, mother_id: null, spouse_id: null,
    household_id: null, relationship_to_head: null, status: 'alive', death_date: null, updated_at: '2025-06-01T00:00:00.000Z',
    ...over,
  };
}

/** The duplicate pairs a scan of these rows reports, as sorted "a|b" strings. */
function duplicatePairs(rows: readonly ScanRow[], maxBlock = 200): string[] {
  const evaluator = new ScanEvaluator(ruleContext('2026-01-01', units), new OwnerResolver(units), { maxBlock });
  for (const r of rows) evaluator.add(r);
  return evaluator.finish(new Map())
    .filter((f) => f.ruleId === setRules.duplicate.id)
    .map((f) => [f.recordId, f.relatedId ?? ''].sort().join('|'))
    .sort();
}

describe('the full scan\'s duplicate blocking', () => {
  it('finds a typo with a day/month swap (only the date block holds it), once', () => {
    const a = row({});
    const b = row({ full_name: 'Trần Thị Mia', name_folded: 'tran thi mia', birth_date: '1990-05-04' });
    expect(duplicatePairs([a, b])).toEqual([[a.id_number, b.id_number].sort().join('|')]);
  });

  it('finds a wrong province through the name block, and a partial date through the partial block', () => {
    const a = row({ mother_id: 'm1' });
    const otherProvince = row({ birth_province: '079', mother_id: 'm1' });
    const b = row({ full_name: 'Lê Văn Tâm', name_folded: 'le van tam', sex: 'M', birth_date: '1970-02-03', mother_id: 'm2' });
    const yearOnly = row({ full_name: 'Lê Văn Tâm', name_folded: 'le van tam', sex: 'M', birth_date: '1970', mother_id: 'm2' });
    expect(duplicatePairs([a, otherProvince, b, yearOnly])).toEqual([
      [a.id_number, otherProvince.id_number].sort().join('|'),
      [b.id_number, yearOnly.id_number].sort().join('|'),
    ].sort());
  });

  it('keeps a date whose day equals its month in one block, and reports its pair once', () => {
    const a = row({ birth_date: '1990-04-04' });
    const b = row({ birth_date: '1990-04-04', full_name: 'Trần Thị Mia', name_folded: 'tran thi mia' });
    expect(duplicatePairs([a, b])).toHaveLength(1);
  });

  it('cuts a block over its cap to the first persons scanned, whichever of two swapped dates they carry', () => {
    // Four women of other names born on 04-05 share the pair's date block; with a cap of 4 only the first four scanned count.
    const fillers = ['an', 'binh', 'cuc', 'dao'].map((g) => row({ full_name: `Phạm Thị ${g}`, name_folded: `pham thi ${g}` }));
    const a = row({});
    const b = row({ full_name: 'Trần Thị Mia', name_folded: 'tran thi mia', birth_date: '1990-05-04' });
    expect(duplicatePairs([...fillers, a, b], 4)).toEqual([]);
    expect(duplicatePairs([a, b, ...fillers], 4)).toHaveLength(1);
  });

  it('tells married namesakes from a couple registered twice', () => {
    const husband1 = row({ full_name: 'Lê Văn Hùng', name_folded: 'le van hung', sex: 'M', birth_date: '1960-01-02' });
    const husband2 = row({ full_name: 'Lê Văn Hùng', name_folded: 'le van hung', sex: 'M', birth_date: '1960-01-02' });
    const wife1 = row({ full_name: 'Đỗ Thị Hoa', name_folded: 'do thi hoa', birth_date: '1962-03-04', spouse_id: husband1.id_number });
    const namesake = row({ full_name: 'Đỗ Thị Hoa', name_folded: 'do thi hoa', birth_date: '1962-03-04', spouse_id: husband2.id_number, mother_id: 'x' });
    // the namesake's husband is another man: two women
    const other = row({ full_name: 'Ngô Văn Sơn', name_folded: 'ngo van son', sex: 'M', birth_date: '1958-07-08' });
    const strangers = duplicatePairs([wife1, { ...namesake, spouse_id: other.id_number }, husband1, other]);
    expect(strangers).toEqual([]);
    // her husband looks like the first wife's husband: the couple was registered twice
    const couple = duplicatePairs([wife1, namesake, husband1, husband2]);
    expect(couple).toEqual([
      [husband1.id_number, husband2.id_number].sort().join('|'),
      [wife1.id_number, namesake.id_number].sort().join('|'),
    ].sort());
  });
});
