/**
 * Working days in Viet Nam (UTC+7), Monday to Friday. Public holidays are not counted out (the
 * official calendar changes each year): a limit that spans Tết is shown as due earlier than the law says.
 */
const vietnamOffsetMs = 7 * 3_600_000;
const dayMs = 86_400_000;

/**
 * The instant `days` working days after `from`, at the same time of day; a start on a weekend
 * counts from the next Monday.
 *
 * @example
 * addWorkingDays(new Date('2026-12-04T03:00:00Z'), 1) // Friday 10:00 in Viet Nam → Monday 10:00
 */
export function addWorkingDays(from: Date, days: number): Date {
  let local = from.getTime() + vietnamOffsetMs;
  const weekday = (ms: number): number => new Date(ms).getUTCDay();
  while (weekday(local) === 0 || weekday(local) === 6) local += dayMs;
  for (let left = days; left > 0;) {
    local += dayMs;
    if (weekday(local) !== 0 && weekday(local) !== 6) left -= 1;
  }
  return new Date(local - vietnamOffsetMs);
}
