/**
 * SYNTHETIC old identity card numbers (CMND, 9 digits). The registry does not hold the numbers of
 * the old cards yet; until it does, reconciliation tests and benchmarks need agency files that still
 * carry them. Each person born before 2007 (old enough to have held a 9-digit card before chip
 * cards replaced it) gets a deterministic number derived from their ID number: two digits from the
 * province of birth registration, seven from a hash. Numbers that two persons of one registry
 * would share are dropped from the snapshot's mapping (and the agency-file generator never uses
 * them), so a 9-digit number resolves to at most one person. Replace with the real mapping when
 * the registry records it.
 */

/** Last birth year whose holders got a 9-digit card before 2021. */
export const lastOldCardBirthYear = 2006;

/** FNV-1a 32-bit: small, fast and stable across platforms. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * The synthetic 9-digit card number of a person, or null when they were born too late to hold one.
 *
 * @example
 * syntheticOldCardNumber('036051891079', '1951-06-12') // a 9-digit string starting with '36'
 */
export function syntheticOldCardNumber(idNumber: string, birthDate: string): string | null {
  const year = Number(birthDate.slice(0, 4));
  if (!Number.isInteger(year) || year > lastOldCardBirthYear) return null;
  const province = idNumber.slice(1, 3);
  const serial = String(fnv1a(idNumber) % 10_000_000).padStart(7, '0');
  return `${province}${serial}`;
}
