import { describe, expect, it } from 'vitest';
import { detail, detailCodes, detailTexts, parseDetail, renderDetail, storedDetail, type DetailCode, type FindingDetail } from './finding-detail.js';
import { renderQualityReportHtml, type QualityReport } from './quality-report.js';

/** One detail of every code, and how it reads in each language. */
const samples: Readonly<Record<DetailCode, { readonly d: FindingDetail; readonly vi: string; readonly en: string }>> = {
  date_format: { d: detail('date_format'), vi: 'ngày không có dạng năm, tháng/năm hoặc ngày/tháng/năm', en: 'not YYYY, YYYY-MM or YYYY-MM-DD' },
  date_year_before_1800: { d: detail('date_year_before_1800'), vi: 'năm trước 1800', en: 'year before 1800' },
  date_no_month: { d: detail('date_no_month', { month: '13' }), vi: 'không có tháng 13', en: 'no month 13' },
  date_no_day: { d: detail('date_no_day', { day: '31', yearMonth: '1990-02' }), vi: 'không có ngày 31 trong tháng 02/1990', en: 'day 31 does not exist in 1990-02' },
  id_not_12_digits: { d: detail('id_not_12_digits'), vi: 'số định danh không gồm đúng 12 chữ số', en: 'not 12 digits' },
  id_province_unknown: { d: detail('id_province_unknown', { digits: '099' }), vi: 'chữ số 1-3 (099) không phải mã tỉnh nơi đăng ký khai sinh', en: 'digits 1-3 (099) are not a province of birth registration' },
  id_year_in_future: { d: detail('id_year_in_future'), vi: 'chữ số 4-6 cho năm sinh ở tương lai', en: 'digits 4-6 give a year of birth in the future' },
  id_birth_year_mismatch: { d: detail('id_birth_year_mismatch', { idYear: '1985', birthYear: '1986' }), vi: 'số định danh ghi sinh năm 1985, ngày sinh ghi năm 1986', en: 'ID says born in 1985, date of birth says 1986' },
  id_sex_mismatch: { d: detail('id_sex_mismatch', { idSex: 'M', recordSex: 'F' }), vi: 'số định danh ghi giới tính nam, hồ sơ ghi nữ', en: 'ID says male, record says female' },
  id_province_mismatch: { d: detail('id_province_mismatch', { idProvince: '001', recordProvince: '079' }), vi: 'số định danh ghi mã tỉnh 001, hồ sơ ghi 079', en: 'ID says province 001, record says 079' },
  date_in_future: { d: detail('date_in_future'), vi: 'ngày ở tương lai', en: 'in the future' },
  alive_with_death_date: { d: detail('alive_with_death_date'), vi: 'còn sống nhưng có ngày mất', en: 'alive but has a date of death' },
  deceased_without_death_date: { d: detail('deceased_without_death_date'), vi: 'đã mất nhưng không có ngày mất', en: 'deceased without a date of death' },
  death_before_birth: { d: detail('death_before_birth'), vi: 'ngày mất trước ngày sinh', en: 'before the date of birth' },
  birth_commune_not_in_force: { d: detail('birth_commune_not_in_force', { commune: '00004' }), vi: 'xã 00004 chưa hoặc không còn hiệu lực vào ngày sinh', en: 'commune 00004 was not in force on the date of birth' },
  commune_unknown: { d: detail('commune_unknown', { field: 'permanent_commune', commune: '99999' }), vi: 'nơi thường trú 99999 không phải đơn vị hành chính nào', en: 'permanent residence 99999 is no administrative unit' },
  commune_not_in_force: { d: detail('commune_not_in_force', { field: 'current_commune', commune: '00007' }), vi: 'nơi ở hiện tại 00007 không còn hiệu lực', en: 'current residence 00007 is not in force' },
  name_characters: { d: detail('name_characters'), vi: 'có ký tự khác chữ cái, dấu cách, dấu nháy và gạch nối', en: 'characters other than letters, spaces, apostrophes and hyphens' },
  name_single_word: { d: detail('name_single_word'), vi: 'chỉ có một từ', en: 'a single word' },
  name_too_long: { d: detail('name_too_long'), vi: 'dài hơn 100 ký tự', en: 'longer than 100 characters' },
  name_garbled: { d: detail('name_garbled'), vi: 'có ký tự lỗi mã hóa hoặc chữ cái lặp lại', en: 'garbled or repeated letters' },
  missing: { d: detail('missing'), vi: 'chưa được ghi nhận', en: 'missing' },
  no_residence: { d: detail('no_residence'), vi: 'không có nơi thường trú hoặc nơi ở hiện tại', en: 'no permanent or current residence' },
  stale: { d: detail('stale', { date: '1980-06-17' }), vi: 'cập nhật lần cuối ngày 17/06/1980', en: 'last updated 1980-06-17' },
  alive_over_120: { d: detail('alive_over_120'), vi: 'còn sống và trên 120 tuổi', en: 'alive and older than 120' },
  duplicate: { d: detail('duplicate', { other: '001085000123', score: '0.925' }), vi: 'có thể cùng một người với 001085000123 (điểm 0,925)', en: 'likely the same person as 001085000123 (score 0.925)' },
  household_no_head: { d: detail('household_no_head'), vi: 'không có chủ hộ trong số thành viên còn sống', en: 'no head among the living members' },
  household_heads: { d: detail('household_heads', { count: '2' }), vi: '2 chủ hộ', en: '2 heads' },
  spouse_self: { d: detail('spouse_self'), vi: 'được ghi là vợ/chồng của chính mình', en: 'recorded as their own spouse' },
  spouse_missing: { d: detail('spouse_missing'), vi: 'vợ/chồng không có trong cơ sở dữ liệu', en: 'the spouse is not in the registry' },
  spouse_records_none: { d: detail('spouse_records_none'), vi: 'hồ sơ của vợ/chồng không ghi vợ/chồng', en: 'the spouse records no spouse' },
  spouse_records_other: { d: detail('spouse_records_other'), vi: 'hồ sơ của vợ/chồng ghi một người khác là vợ/chồng', en: 'the spouse records another spouse' },
  father_missing: { d: detail('father_missing'), vi: 'cha không có trong cơ sở dữ liệu', en: 'the father is not in the registry' },
  father_female: { d: detail('father_female'), vi: 'cha được ghi giới tính nữ', en: 'the father is recorded as female' },
  mother_missing: { d: detail('mother_missing'), vi: 'mẹ không có trong cơ sở dữ liệu', en: 'the mother is not in the registry' },
  mother_male: { d: detail('mother_male'), vi: 'mẹ được ghi giới tính nam', en: 'the mother is recorded as male' },
  born_before_father: { d: detail('born_before_father'), vi: 'sinh trước cha', en: 'born before the father' },
  born_before_mother: { d: detail('born_before_mother'), vi: 'sinh trước mẹ', en: 'born before the mother' },
  event_after_death: { d: detail('event_after_death', { date: '2020-01-05' }), vi: 'có sự kiện ngày 05/01/2020, sau ngày mất', en: 'an event on 2020-01-05 after the death' },
  correction_request: {
    d: detail('correction_request', { label: 'Họ và tên · Full name', request: 'a1b2c3d4-0000-7000-8000-000000000001' }),
    vi: 'Công dân đề nghị sửa Họ và tên (yêu cầu a1b2c3d4-0000-7000-8000-000000000001)', en: 'The citizen asks to correct Full name (request a1b2c3d4-0000-7000-8000-000000000001)',
  },
};

describe('finding details', () => {
  it.each(detailCodes)('renders %s in Vietnamese (dates dd/mm/yyyy) and in English', (code) => {
    const sample = samples[code];
    expect(renderDetail(sample.d, 'vi')).toBe(sample.vi);
    expect(renderDetail(sample.d, 'en')).toBe(sample.en);
  });

  it.each(detailCodes)('reads %s back from the stored text, and no other code reads that text', (code) => {
    const stored = storedDetail(samples[code].d);
    expect(parseDetail(stored)).toEqual(samples[code].d);
    expect(detailTexts(stored)).toEqual({ code, vi: samples[code].vi, en: samples[code].en });
  });

  it('stores the English sentence with ISO dates findings always had', () => {
    expect(storedDetail(detail('stale', { date: '1980-06-17' }))).toBe('last updated 1980-06-17');
    expect(storedDetail(detail('id_sex_mismatch', { idSex: 'M', recordSex: 'F' }))).toBe('ID says M, record says F');
    expect(storedDetail(detail('commune_unknown', { field: 'permanent_commune', commune: '99999' }))).toBe('permanent_commune 99999 is no administrative unit');
    expect(storedDetail(samples.correction_request.d)).toBe('Công dân đề nghị sửa Họ và tên · Full name (yêu cầu a1b2c3d4-0000-7000-8000-000000000001)');
  });

  it('shows text no code writes as it is, in both languages', () => {
    expect(detailTexts('checked by hand')).toEqual({ code: null, vi: 'checked by hand', en: 'checked by hand' });
  });
});

describe('the quality report', () => {
  const report: QualityReport = {
    generatedAt: '2026-12-05T20:30:00.000Z',
    scan: null,
    national: null,
    provinces: [],
    rules: [{
      id: 'live.stale_record', group: 'live', dimension: 'freshness', severity: 'warning', field: 'updated_at', en: 'recent', vi: 'gần đây', failing: 1, score: 99.5,
      example: { recordId: '001085000123', detail: 'last updated 1980-06-17', detailText: { vi: 'cập nhật lần cuối ngày 17/06/1980', en: 'last updated 1980-06-17' } },
    }],
    fields: [],
    trend: [],
  };

  it('shows a rule\'s example finding and its own date in Vietnamese, day first, on Vietnam\'s clock', () => {
    const html = renderQualityReportHtml(report, 'vi');
    expect(html).toContain('001085000123: cập nhật lần cuối ngày 17/06/1980');
    expect(html).toContain('Lập lúc 06/12/2026 03:30');
    expect(html).toContain('<td>Sống</td><td>cập nhật</td><td>cảnh báo</td>');
  });

  it('shows them in English with the English setting', () => {
    const html = renderQualityReportHtml(report, 'en');
    expect(html).toContain('001085000123: last updated 1980-06-17');
    expect(html).toContain('Generated 2026-12-05T20:30:00.000Z');
    expect(html).toContain('<td>live</td><td>freshness</td><td>warning</td>');
  });
});
