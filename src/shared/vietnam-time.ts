/** Vietnam time (Asia/Ho_Chi_Minh): UTC+7 all year, no daylight saving. */
export const vietnamOffset = '+07:00';

const dateOnly = /^\d{4}-\d{2}-\d{2}$/;
const dateOrInstant = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * An ISO instant (UTC) from a date or an instant, or undefined when the value is neither. A date
 * alone names a whole day in Vietnam time: as a start it is that day's 00:00 (+07:00); as an end
 * (`endOfDay`) the day is included, so the period runs until the next day's 00:00 (+07:00),
 * exclusive. Impossible dates (2027-02-30) are refused.
 *
 * @example
 * vietnamInstant('2027-12-31', { endOfDay: true }) // '2027-12-31T17:00:00.000Z'
 * vietnamInstant('2027-12-31', { endOfDay: false }) // '2027-12-30T17:00:00.000Z'
 */
export function vietnamInstant(value: string, options: { readonly endOfDay: boolean }): string | undefined {
  if (!dateOrInstant.test(value)) return undefined;
  const day = dateOnly.test(value);
  const t = Date.parse(day ? `${value}T00:00:00${vietnamOffset}` : value);
  if (Number.isNaN(t)) return undefined;
  // Date.parse rolls 2027-02-30 over to March: the day read back must be the day given.
  if (day && new Date(t + 7 * 3_600_000).toISOString().slice(0, 10) !== value) return undefined;
  return new Date(day && options.endOfDay ? t + 86_400_000 : t).toISOString();
}
