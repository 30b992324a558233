import { describe, expect, it } from 'vitest';
import { fixedClock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import { adminUnitCatalog, checkIsoDate, eraOn, todayInVietnam, type Commune } from './admin-unit.catalog.js';

const units = adminUnitCatalog();
const BEFORE = '2025-06-30';
const AFTER = '2025-07-01';

function caught(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

function allOld(): Commune[] {
  return units.provinces(BEFORE).flatMap((p) => units.communesOf(p.code, BEFORE));
}

describe('admin-unit catalog: counts', () => {
  it('has 63 provinces until 2025-06-30 and 34 from 2025-07-01', () => {
    expect(units.provinces('2010-01-01')).toHaveLength(63);
    expect(units.provinces(BEFORE)).toHaveLength(63);
    expect(units.provinces(AFTER)).toHaveLength(34);
    expect(units.provinces('2030-12-31')).toHaveLength(34);
    expect(units.provinces(AFTER).every((p) => p.era === '2025' && p.validFrom === AFTER && p.validTo === null)).toBe(true);
    expect(units.provinces(BEFORE).every((p) => p.era === 'pre-2025' && p.validFrom === null && p.validTo === BEFORE)).toBe(true);
  });

  it('has 3,321 communes from 2025-07-01, all with a 2025 province and no district', () => {
    const communes = units.communes2025();
    expect(communes).toHaveLength(3321);
    expect(new Set(communes.map((c) => c.code)).size).toBe(3321);
    expect(communes.every((c) => c.era === '2025' && c.districtCode === null && c.validFrom === AFTER && c.validTo === null)).toBe(true);
    const perProvince = units.provinces(AFTER).reduce((sum, p) => sum + units.communesOf(p.code, AFTER).length, 0);
    expect(perProvince).toBe(3321);
    expect(communes.filter((c) => c.level === 'đặc khu')).toHaveLength(13);
  });

  it('has about 10,000 units before the reform: the 2021 catalog, 5 commune-less island districts and 10 later wards', () => {
    const old = allOld();
    expect(old).toHaveLength(10_066);
    expect(old.filter((c) => c.level === 'huyện').map((c) => c.name).sort()).toEqual(
      ['Huyện Bạch Long Vĩ', 'Huyện Côn Đảo', 'Huyện Cồn Cỏ', 'Huyện Hoàng Sa', 'Huyện Lý Sơn'].sort(),
    );
    expect(old.filter((c) => c.caveat === 'formed-after-2021-catalog')).toHaveLength(10);
    expect(old.filter((c) => c.caveat === 'ended-before-reform')).toHaveLength(26);
    expect(old.every((c) => c.districtCode !== null && c.districtName !== null && c.validTo === BEFORE)).toBe(true);
  });

  it('gives every 2025 commune at least one predecessor', () => {
    const reached = new Set<string>();
    for (const c of allOld()) {
      if (c.caveat === 'ended-before-reform') continue;
      const { current } = units.resolve(c.code, BEFORE, AFTER);
      expect(current.length).toBeGreaterThan(0);
      for (const s of current) reached.add(s.commune.code);
    }
    expect(reached.size).toBe(3321);
  });
});

describe('admin-unit catalog: ID province codes', () => {
  it('reads the 3-digit code of an ID number as the pre-2025 province', () => {
    expect(units.idProvince('079')?.name).toBe('Thành phố Hồ Chí Minh');
    expect(units.idProvince('001')?.name).toBe('Thành phố Hà Nội');
    expect(units.idProvince('096')?.name).toBe('Tỉnh Cà Mau');
    // merged away in 2025, but IDs keep the code
    expect(units.idProvince('035')).toMatchObject({ code: '35', idCode: '035', name: 'Tỉnh Hà Nam', era: 'pre-2025' });
    expect(units.idProvince('044')?.name).toBe('Tỉnh Quảng Bình');
  });

  it('answers undefined for codes no province has', () => {
    for (const ppp of ['000', '003', '097', '79', '0079', '179', 'abc', '']) expect(units.idProvince(ppp)).toBeUndefined();
  });
});

describe('admin-unit catalog: units at a date', () => {
  it('reads a reused code by the date: 00004 is Phường Trúc Bạch before and Phường Ba Đình after', () => {
    expect(units.commune('00004', BEFORE)).toMatchObject({
      name: 'Phường Trúc Bạch', level: 'phường', era: 'pre-2025', provinceCode: '01', provinceName: 'Thành phố Hà Nội',
      districtCode: '001', districtName: 'Quận Ba Đình', validFrom: null, validTo: BEFORE, caveat: null,
    });
    expect(units.commune('00004', AFTER)).toMatchObject({
      name: 'Phường Ba Đình', era: '2025', provinceCode: '01', districtCode: null, districtName: null, validFrom: AFTER, validTo: null,
    });
  });

  it('reads a reused province code by the date', () => {
    expect(units.province('44', BEFORE).name).toBe('Tỉnh Quảng Bình');
    expect(units.province('44', AFTER).name).toBe('Tỉnh Quảng Trị');
    expect(units.communesOf('44', AFTER).every((c) => c.provinceCode === '44' && c.provinceName === 'Tỉnh Quảng Trị')).toBe(true);
  });

  it('throws ADMIN_UNIT_EXPIRED for an old code after the reform, saying when it was in force', () => {
    const error = caught(() => units.commune('00013', AFTER));
    expect(error).toMatchObject({ kind: 'invalid', code: 'ADMIN_UNIT_EXPIRED' });
    expect(error.message).toContain('Phường Quán Thánh');
    expect(error.message).toContain('until 2025-06-30');
    expect(error.action).toMatch(/resolve it to today's unit/i);
    expect(units.findCommune('00013', AFTER)).toBeUndefined();
  });

  it('throws ADMIN_UNIT_EXPIRED for a province merged away', () => {
    expect(caught(() => units.communesOf('35', AFTER))).toMatchObject({ kind: 'invalid', code: 'ADMIN_UNIT_EXPIRED' });
  });

  it('throws ADMIN_UNIT_NOT_YET_IN_FORCE for a 2025 code before the reform', () => {
    const error = caught(() => units.commune('26732', BEFORE)); // Đặc khu Côn Đảo
    expect(error).toMatchObject({ kind: 'invalid', code: 'ADMIN_UNIT_NOT_YET_IN_FORCE' });
    expect(error.message).toContain('from 2025-07-01');
  });

  it('throws ADMIN_UNIT_UNKNOWN for codes that never existed', () => {
    for (const code of ['99999', '00002', '', 'abcde']) {
      expect(caught(() => units.commune(code, AFTER))).toMatchObject({ kind: 'invalid', code: 'ADMIN_UNIT_UNKNOWN' });
    }
    expect(caught(() => units.communesOf('03', BEFORE))).toMatchObject({ kind: 'invalid', code: 'ADMIN_UNIT_UNKNOWN' });
    expect(caught(() => units.province2025Of('00013'))).toMatchObject({ code: 'ADMIN_UNIT_UNKNOWN' });
  });

  it('throws DATE_INVALID for dates that are not on the calendar', () => {
    for (const date of ['2025-02-30', '2024-13-01', '2025-7-1', '01/07/2025', '', '2025-07-01T00:00:00Z', '0000-01-01']) {
      expect(caught(() => units.commune('00004', date))).toMatchObject({ kind: 'invalid', code: 'DATE_INVALID' });
      expect(caught(() => units.provinces(date))).toMatchObject({ code: 'DATE_INVALID' });
    }
    expect(checkIsoDate('2024-02-29')).toBe('2024-02-29');
    expect(caught(() => checkIsoDate('2025-02-29'))).toMatchObject({ code: 'DATE_INVALID' });
  });

  it('gives the 2025 province of a 2025 commune', () => {
    expect(units.province2025Of('26732')).toMatchObject({ code: '79', name: 'Thành phố Hồ Chí Minh', era: '2025' });
    expect(eraOn(BEFORE)).toBe('pre-2025');
    expect(eraOn(AFTER)).toBe('2025');
  });
});

describe('admin-unit catalog: resolve', () => {
  it('resolves a commune merged whole to its one successor', () => {
    const result = units.resolve('00013', '2020-05-01', '2025-08-01'); // Phường Quán Thánh
    expect(result.recorded.name).toBe('Phường Quán Thánh');
    expect(result.current).toHaveLength(1);
    expect(result.current[0]).toMatchObject({ merge: 'whole', allPopulation: true, commune: { code: '00004', name: 'Phường Ba Đình' } });
    expect(result.changed).toBe(true);
  });

  it('resolves a commune split between several to each of them as partial', () => {
    const result = units.resolve('00016', '2020-05-01', '2025-08-01'); // Phường Ngọc Hà
    expect(result.current.map((s) => [s.commune.name, s.merge])).toEqual([
      ['Phường Ba Đình', 'partial'],
      ['Phường Ngọc Hà', 'partial'],
    ]);
    expect(result.changed).toBe(true);
  });

  it('marks the successor that received the whole population of a split commune (with the conversion erratum applied)', () => {
    const result = units.resolve('00556', '2020-05-01', '2025-08-01'); // Xã Đặng Xá, Gia Lâm
    expect(result.recorded.name).toBe('Xã Đặng Xá');
    expect(result.current.map((s) => [s.commune.name, s.merge, s.allPopulation])).toEqual([
      ['Xã Phù Đổng', 'partial', false],
      ['Xã Thuận An', 'partial', true],
    ]);
  });

  it('resolves a commune-less island district to its special zone', () => {
    const result = units.resolve('755', '2019-01-01', AFTER);
    expect(result.recorded).toMatchObject({ name: 'Huyện Côn Đảo', level: 'huyện', provinceCode: '77' });
    expect(result.current[0]).toMatchObject({ merge: 'whole', commune: { code: '26732', level: 'đặc khu', provinceCode: '79' } });
  });

  it('reports no change when the unit stands under the same code, name and province', () => {
    const result = units.resolve('00229', '2020-05-01', AFTER); // Phường Kim Liên
    expect(result.current.map((s) => s.commune.code)).toEqual(['00229']);
    expect(result.changed).toBe(false);
  });

  it('returns the recorded unit itself when nothing happened between the two dates', () => {
    const before = units.resolve('00013', '2020-05-01', '2024-01-01');
    expect(before).toMatchObject({ changed: false, current: [{ merge: 'whole', commune: { name: 'Phường Quán Thánh' } }] });
    const after = units.resolve('00004', '2025-07-02', '2026-01-01');
    expect(after).toMatchObject({ changed: false, current: [{ commune: { name: 'Phường Ba Đình' } }] });
  });

  it('throws ADMIN_UNIT_NO_SUCCESSOR for a unit that ended before the reform', () => {
    expect(units.commune('26935', BEFORE).caveat).toBe('ended-before-reform');
    expect(caught(() => units.resolve('26935', '2020-01-01', AFTER))).toMatchObject({ kind: 'not_found', code: 'ADMIN_UNIT_NO_SUCCESSOR' });
  });

  it('rejects a recorded date after today, bad dates and codes not in force on the recorded date', () => {
    expect(caught(() => units.resolve('00004', '2026-01-01', '2025-08-01'))).toMatchObject({ code: 'DATE_RANGE_INVALID' });
    expect(caught(() => units.resolve('00004', '2025-02-30', '2025-08-01'))).toMatchObject({ code: 'DATE_INVALID' });
    expect(caught(() => units.resolve('00004', '2025-01-01', '2025-13-01'))).toMatchObject({ code: 'DATE_INVALID' });
    expect(caught(() => units.resolve('00013', '2025-07-05', '2025-08-01'))).toMatchObject({ code: 'ADMIN_UNIT_EXPIRED' });
    expect(caught(() => units.resolve('99999', '2020-01-01', '2025-08-01'))).toMatchObject({ code: 'ADMIN_UNIT_UNKNOWN' });
  });
});

describe('todayInVietnam', () => {
  it('uses the date in Vietnam (UTC+7)', () => {
    expect(todayInVietnam(fixedClock('2025-06-30T16:59:59Z'))).toBe('2025-06-30');
    expect(todayInVietnam(fixedClock('2025-06-30T17:00:00Z'))).toBe('2025-07-01');
  });
});
