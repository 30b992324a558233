/**
 * Whether a grant limited to `granted` provinces (empty: every province) releases an event that
 * concerns `concerned` provinces (the person's province before and after it): a move between two
 * provinces is released when either is granted; an event concerning no known province only
 * under a grant of every province.
 */
export function grantCoversProvinces(granted: readonly string[], concerned: readonly string[]): boolean {
  return granted.length === 0 || concerned.some((p) => granted.includes(p));
}
