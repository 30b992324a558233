/**
 * Viet Nam's public holidays on which state offices close (Bộ luật Lao động 2019, Điều 112), as
 * days in Asia/Ho_Chi_Minh, 2025–2027: Tết Dương lịch (1/1), Tết Nguyên đán (the five weekdays
 * as decreed each year), Giỗ Tổ Hùng Vương (10/3 âm lịch), Ngày Chiến thắng (30/4), Quốc tế Lao
 * động (1/5), Quốc khánh (2/9 and one adjacent day). A holiday on a weekend is listed as the
 * weekday it moves to (nghỉ bù); a Saturday worked instead of a bridged day (làm bù) is listed in
 * `workingWeekends`.
 *
 * Lunar dates were checked against the new moons in UTC+7 (Tết 2025-01-29, 2026-02-17,
 * 2027-02-06; 10/3 âm lịch 2025-04-07, 2026-04-26, 2027-04-16). `provisional` years follow the
 * law's days until the Prime Minister's decision for that year is published: replace them then.
 * A year not listed counts weekends and the fixed solar holidays only (see procedure.schedule.ts).
 */
export interface HolidayYear {
  readonly year: number;
  readonly status: 'decreed' | 'provisional';
  /** The weekdays (YYYY-MM-DD) offices are closed. */
  readonly days: readonly { readonly date: string; readonly name: string }[];
  /** Saturdays or Sundays worked in exchange for a bridged day. */
  readonly workingWeekends: readonly string[];
  readonly source: string;
}

export const vietnamHolidays: readonly HolidayYear[] = [
  {
    year: 2025,
    status: 'decreed',
    source: 'Thông báo 6150/TB-LĐTBXH (2024) and the 2025 swap of 2/5 for Saturday 26/4 (Bộ Nội vụ)',
    days: [
      { date: '2025-01-01', name: 'Tết Dương lịch' },
      { date: '2025-01-27', name: 'Tết Nguyên đán (28 tháng Chạp)' },
      { date: '2025-01-28', name: 'Tết Nguyên đán (29 tháng Chạp)' },
      { date: '2025-01-29', name: 'Tết Nguyên đán (mùng 1)' },
      { date: '2025-01-30', name: 'Tết Nguyên đán (mùng 2)' },
      { date: '2025-01-31', name: 'Tết Nguyên đán (mùng 3)' },
      { date: '2025-04-07', name: 'Giỗ Tổ Hùng Vương (10/3 âm lịch)' },
      { date: '2025-04-30', name: 'Ngày Chiến thắng' },
      { date: '2025-05-01', name: 'Ngày Quốc tế Lao động' },
      { date: '2025-05-02', name: 'Nghỉ hoán đổi (làm bù thứ Bảy 26/4)' },
      { date: '2025-09-01', name: 'Quốc khánh (ngày liền kề)' },
      { date: '2025-09-02', name: 'Quốc khánh' },
    ],
    workingWeekends: ['2025-04-26'],
  },
  {
    year: 2026,
    status: 'decreed',
    source: 'The Prime Minister\'s decision on Tết Bính Ngọ and Quốc khánh 2026 (announced 10/2025): Tết from Monday 16/2 to Friday 20/2',
    days: [
      { date: '2026-01-01', name: 'Tết Dương lịch' },
      { date: '2026-02-16', name: 'Tết Nguyên đán (29 tháng Chạp)' },
      { date: '2026-02-17', name: 'Tết Nguyên đán (mùng 1)' },
      { date: '2026-02-18', name: 'Tết Nguyên đán (mùng 2)' },
      { date: '2026-02-19', name: 'Tết Nguyên đán (mùng 3)' },
      { date: '2026-02-20', name: 'Tết Nguyên đán (mùng 4)' },
      { date: '2026-04-27', name: 'Giỗ Tổ Hùng Vương (10/3 âm lịch là Chủ nhật 26/4: nghỉ bù)' },
      { date: '2026-04-30', name: 'Ngày Chiến thắng' },
      { date: '2026-05-01', name: 'Ngày Quốc tế Lao động' },
      { date: '2026-09-01', name: 'Quốc khánh (ngày liền kề)' },
      { date: '2026-09-02', name: 'Quốc khánh' },
    ],
    workingWeekends: [],
  },
  {
    year: 2027,
    status: 'provisional',
    source: 'The law\'s days (Tết: 29 tháng Chạp to mùng 4, the two on the weekend moved to Wednesday and Thursday; Quốc khánh with Friday 3/9); no decision yet',
    days: [
      { date: '2027-01-01', name: 'Tết Dương lịch' },
      { date: '2027-02-05', name: 'Tết Nguyên đán (29 tháng Chạp)' },
      { date: '2027-02-08', name: 'Tết Nguyên đán (mùng 3)' },
      { date: '2027-02-09', name: 'Tết Nguyên đán (mùng 4)' },
      { date: '2027-02-10', name: 'Tết Nguyên đán (nghỉ bù mùng 1)' },
      { date: '2027-02-11', name: 'Tết Nguyên đán (nghỉ bù mùng 2)' },
      { date: '2027-04-16', name: 'Giỗ Tổ Hùng Vương (10/3 âm lịch)' },
      { date: '2027-04-30', name: 'Ngày Chiến thắng' },
      { date: '2027-05-03', name: 'Ngày Quốc tế Lao động (1/5 là thứ Bảy: nghỉ bù)' },
      { date: '2027-09-02', name: 'Quốc khánh' },
      { date: '2027-09-03', name: 'Quốc khánh (ngày liền kề)' },
    ],
    workingWeekends: [],
  },
];
