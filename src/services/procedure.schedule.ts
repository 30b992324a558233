import { vietnamHolidays } from './vietnam-holidays.data.js';

/**
 * Working days in Viet Nam (Asia/Ho_Chi_Minh, UTC+7 all year: no daylight saving since 1975):
 * Monday to Friday, less the public holidays of vietnam-holidays.data.ts, plus the weekend days
 * worked in exchange for a bridged one. A year outside the data loses only the fixed solar
 * holidays (1/1, 30/4, 1/5, 2/9): its Tết is not known here, so a limit across it is shown
 * earlier than the law says, never later.
 */
const vietnamOffsetMs = 7 * 3_600_000;
const dayMs = 86_400_000;

const holidays = new Set(vietnamHolidays.flatMap((y) => y.days.map((d) => d.date)));
const workingWeekends = new Set(vietnamHolidays.flatMap((y) => y.workingWeekends));
const listedYears = new Set(vietnamHolidays.map((y) => y.year));
const fixedHolidays = new Set(['01-01', '04-30', '05-01', '09-02']);

/** Whether a day (YYYY-MM-DD, in Viet Nam) is one on which state offices work. */
export function isWorkingDay(day: string): boolean {
  if (workingWeekends.has(day)) return true;
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
  if (weekday === 0 || weekday === 6) return false;
  if (listedYears.has(Number(day.slice(0, 4)))) return !holidays.has(day);
  return !fixedHolidays.has(day.slice(5));
}

/** The years whose holidays are in the data (others count weekends and fixed holidays only). */
export function holidayYears(): readonly number[] {
  return [...listedYears].sort();
}

/**
 * The instant `days` working days after `from`, at the same time of day in Viet Nam; a start on
 * a weekend or holiday counts from the next working day.
 *
 * @example
 * addWorkingDays(new Date('2026-12-04T03:00:00Z'), 1) // Friday 10:00 in Viet Nam → Monday 10:00
 * addWorkingDays(new Date('2026-02-13T03:00:00Z'), 1) // Friday before Tết → Monday 23/2 10:00
 */
export function addWorkingDays(from: Date, days: number): Date {
  let local = from.getTime() + vietnamOffsetMs;
  const working = (ms: number): boolean => isWorkingDay(new Date(ms).toISOString().slice(0, 10));
  while (!working(local)) local += dayMs;
  for (let left = days; left > 0;) {
    local += dayMs;
    if (working(local)) left -= 1;
  }
  return new Date(local - vietnamOffsetMs);
}
