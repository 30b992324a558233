import { levenshtein } from '../matching/string-similarity.js';
import { detail, type FindingDetail } from './finding-detail.js';

/**
 * Cross-record checks, pure: the full scan feeds them from in-memory maps over the whole store,
 * the re-check of one person from a handful of rows read by key. Both give the same answers.
 */

/** What the link checks need of a person. */
export interface LinkedPerson {
  readonly id: string;
  readonly sex: string;
  readonly birthDate: string;
  readonly spouseId: string | null;
  readonly fatherId: string | null;
  readonly motherId: string | null;
}

/** What duplicate detection compares. */
export interface DuplicateCandidate {
  readonly id: string;
  readonly nameFolded: string;
  readonly birthDate: string;
  readonly sex: string;
  readonly birthProvince: string;
  readonly fatherId: string | null;
  readonly motherId: string | null;
  readonly spouseId: string | null;
  readonly hometown: string | null;
  /** The owning commune (permanent residence, else current). */
  readonly commune: string | null;
}

const heads = new Set(['head', 'chủ hộ']);

/** Whether a relationship-to-head value means the head of the household. */
export function isHead(relationship: string | null): boolean {
  return relationship !== null && heads.has(relationship);
}

/** A household must have exactly one head among its living members. */
export function householdHeadProblem(headCount: number, livingMembers: number): FindingDetail | null {
  if (livingMembers === 0) return null;
  if (headCount === 1) return null;
  return headCount === 0 ? detail('household_no_head') : detail('household_heads', { count: String(headCount) });
}

/** The person's spouse must exist and record the person as spouse in return. */
export function spouseProblem(person: LinkedPerson, spouse: LinkedPerson | undefined): FindingDetail | null {
  if (person.spouseId === null) return null;
  if (person.spouseId === person.id) return detail('spouse_self');
  if (spouse === undefined) return detail('spouse_missing');
  if (spouse.spouseId !== person.id) return spouse.spouseId === null ? detail('spouse_records_none') : detail('spouse_records_other');
  return null;
}

/** The father and mother must exist, the father male and the mother female. */
export function parentProblem(person: LinkedPerson, father: LinkedPerson | undefined, mother: LinkedPerson | undefined): FindingDetail | null {
  if (person.fatherId !== null) {
    if (father === undefined) return detail('father_missing');
    if (father.sex !== 'M') return detail('father_female');
  }
  if (person.motherId !== null) {
    if (mother === undefined) return detail('mother_missing');
    if (mother.sex !== 'F') return detail('mother_male');
  }
  return null;
}

/** True when date `a` is surely before `b`, compared at the precision both dates have. */
function surelyBefore(a: string, b: string): boolean {
  const n = Math.min(a.length, b.length);
  return a.slice(0, n) < b.slice(0, n);
}

/** No one is born before their father or mother. */
export function childBeforeParentProblem(person: LinkedPerson, father: LinkedPerson | undefined, mother: LinkedPerson | undefined): FindingDetail | null {
  if (father !== undefined && surelyBefore(person.birthDate, father.birthDate)) return detail('born_before_father');
  if (mother !== undefined && surelyBefore(person.birthDate, mother.birthDate)) return detail('born_before_mother');
  return null;
}

/** No life event (other than the death and corrections) happened after the date of death. */
export function eventAfterDeathProblem(deathDate: string | null, lastEventOn: string | null): FindingDetail | null {
  if (deathDate === null || lastEventOn === null) return null;
  return lastEventOn.slice(0, 10) > deathDate ? detail('event_after_death', { date: lastEventOn.slice(0, 10) }) : null;
}

// ---- duplicates ----

/** The `p` blocking key: year, birth province, sex and surname. */
export function partialDateKey(c: DuplicateCandidate): string {
  return `p${c.birthDate.slice(0, 4)}|${c.birthProvince}|${c.sex}|${firstWord(c.nameFolded)}`;
}

/** Whether a pair sharing `key` is worth comparing: partial-date blocks only pair a partial date with another date. */
export function worthComparing(key: string, a: DuplicateCandidate, b: DuplicateCandidate): boolean {
  return !key.startsWith('p') || a.birthDate.length !== 10 || b.birthDate.length !== 10;
}

function firstWord(name: string): string {
  const i = name.indexOf(' ');
  return i === -1 ? name : name.slice(0, i);
}

/** One edit apart, or two adjacent letters swapped: the typos of a second registration. */
function nearlySame(a: string, b: string): boolean {
  if (levenshtein(a, b) <= 1) return true;
  if (a.length !== b.length) return false;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i + 1 < a.length && a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
}


/**
 * How well two dates of birth agree: 1 equal; 0.8 day and month swapped, or one a coarser form of
 * the other; 0.7 the day mistyped (one digit wrong, as 12/13 or 12/22, or one day off, as 19/20); 0 else.
 */
export function dateAgreement(a: string, b: string): number {
  if (a === b) return 1;
  if (a.slice(0, 4) !== b.slice(0, 4)) return 0;
  if (a.length !== b.length) return a.startsWith(b) || b.startsWith(a) ? 0.8 : 0;
  if (a.length === 10 && a.slice(5, 7) === b.slice(8, 10) && a.slice(8, 10) === b.slice(5, 7)) return 0.8;
  if (a.length === 10 && a.slice(0, 8) === b.slice(0, 8)) {
    const oneDigit = a[8] === b[8] || a[9] === b[9];
    if (oneDigit || Math.abs(Number(a.slice(8)) - Number(b.slice(8))) === 1) return 0.7;
  }
  return 0;
}

export interface DuplicateVerdict {
  readonly duplicate: boolean;
  /** 0-1, for ordering the worklist; 0 when a hard difference rules it out. */
  readonly score: number;
}

/**
 * How often names occur in the registry, when known (Fellegi-Sunter's u-probabilities, roughly).
 * A given name one letter from another is a typo only when it is rare: two common names one
 * letter apart (Luân and Quân, Huyền and Quyền) are two people. And two records agreeing on a
 * common full name and a date of birth, with nothing else in common, may well be two people.
 */
export interface NameFrequency {
  given(part: string): 'common' | 'rare';
  /** The share of persons bearing this folded full name. */
  share(fullName: string): number;
}

/** Above this share of the population, a full name with a date of birth alone does not make a duplicate. */
export const commonNameShare = 1 / 5_000;

/** How well two name parts agree: 1 equal, 0.9 a likely typo, 0 different. */
function partAgreement(a: string, b: string, frequency: NameFrequency | undefined): number {
  if (a === b) return 1;
  if (!nearlySame(a, b)) return 0;
  if (frequency !== undefined && frequency.given(a) === 'common' && frequency.given(b) === 'common') return 0;
  return 0.9;
}

/**
 * How well two folded full names agree, part by part: surname, middle name(s), given name.
 * A middle name may be left out on one side (Nguyễn Thị Ngọc Vân, Nguyễn Ngọc Vân). 0 when they differ.
 */
export function nameAgreement(a: string, b: string, frequency?: NameFrequency): number {
  if (a === b) return 1;
  const ta = a.split(' ');
  const tb = b.split(' ');
  const surname = partAgreement(ta[0] ?? '', tb[0] ?? '', undefined);
  const given = partAgreement(ta[ta.length - 1] ?? '', tb[tb.length - 1] ?? '', frequency);
  if (surname === 0 || given === 0 || ta.length < 2 || tb.length < 2) return 0;
  const ma = ta.slice(1, -1);
  const mb = tb.slice(1, -1);
  const middleA = ma.join(' ');
  const middleB = mb.join(' ');
  let middle = 0;
  if (middleA === middleB) middle = 1;
  else if (nearlySame(middleA, middleB)) middle = 0.9;
  else if (ma.length !== mb.length && (ma.length < mb.length ? ma.every((w) => mb.includes(w)) : mb.every((w) => ma.includes(w)))) middle = 0.85;
  return surname * given * middle;
}

/** Same sex, names a typo apart at most, dates of birth that agree: the spouses of a couple registered twice. */
export function looksAlike(a: DuplicateCandidate, b: DuplicateCandidate): boolean {
  return a.sex === b.sex && dateAgreement(a.birthDate, b.birthDate) > 0 && nameAgreement(a.nameFolded, b.nameFolded) > 0;
}

/**
 * Whether two records are the same person. Hard differences rule a pair out (sex, different
 * known parents, a parent-child or marriage link, names that differ by more than a typo, and
 * different spouses unless `spouseOf` finds the two spouses alike); otherwise the names, the date
 * of birth, the birth province, the parents and the home town are weighed.
 *
 * @example
 * duplicateVerdict(a, { ...a, id: other, nameFolded: 'nguyen van hugn' }).duplicate // true when a is 'nguyen van hung'
 */
export function duplicateVerdict(
  a: DuplicateCandidate, b: DuplicateCandidate, frequency?: NameFrequency, spouseOf?: (id: string) => DuplicateCandidate | undefined,
): DuplicateVerdict {
  const no: DuplicateVerdict = { duplicate: false, score: 0 };
  if (a.id === b.id || a.sex !== b.sex) return no;
  // A person is never the parent or child of their duplicate.
  if (a.fatherId === b.id || a.motherId === b.id || b.fatherId === a.id || b.motherId === a.id) return no;
  if (a.fatherId !== null && b.fatherId !== null && a.fatherId !== b.fatherId) return no;
  if (a.motherId !== null && b.motherId !== null && a.motherId !== b.motherId) return no;
  // Married to each other, or each to someone else: two persons (the law allows one spouse at a
  // time), unless the two spouses look like one person too: a couple registered twice.
  if (a.spouseId === b.id || b.spouseId === a.id) return no;
  if (a.spouseId !== null && b.spouseId !== null && a.spouseId !== b.spouseId) {
    const spouseA = spouseOf?.(a.spouseId);
    const spouseB = spouseOf?.(b.spouseId);
    if (spouseA === undefined || spouseB === undefined || !looksAlike(spouseA, spouseB)) return no;
  }
  const dates = dateAgreement(a.birthDate, b.birthDate);
  if (dates === 0) return no;
  const sameParents = (a.motherId !== null && a.motherId === b.motherId) || (a.fatherId !== null && a.fatherId === b.fatherId);
  const sameCommune = a.commune !== null && a.commune === b.commune;
  // With a parent or the commune in common, a typo that happens to spell another common name is still
  // a typo; but not with the same parents and the same date of birth: twins get names a letter apart.
  const twins = sameParents && dates === 1;
  const name = nameAgreement(a.nameFolded, b.nameFolded, (sameParents || sameCommune) && !twins ? undefined : frequency);
  if (name === 0) return no;
  const sameProvince = a.birthProvince === b.birthProvince;
  const sameHometown = a.hometown !== null && a.hometown === b.hometown;
  // Nothing but a common name and a date in common: too weak (expected coincidences grow with the square
  // of the population), unless the full date, the birth province and the home town all agree (a person
  // who moved and registered again where they now live).
  const movedSelf = dates === 1 && a.birthDate.length === 10 && sameProvince && sameHometown;
  if (name === 1 && !sameParents && !sameCommune && !movedSelf && frequency !== undefined && frequency.share(a.nameFolded) > commonNameShare) return no;
  const score = 0.45 * name + 0.25 * dates + 0.1 * (sameProvince ? 1 : 0) + 0.1 * (sameParents ? 1 : 0) + 0.1 * (sameHometown ? 1 : 0);
  // How many slips separate the two (a name typo or a left-out middle name, a date slip), and what
  // else the two share: more slips need more in common, and always the birth province or a parent.
  const slips = (name < 1 ? 1 : 0) + (name < 0.85 ? 1 : 0) + (dates < 1 ? 1 : 0);
  const support = (sameProvince ? 1 : 0) + (sameParents ? 1 : 0) + (sameHometown ? 1 : 0) + (sameCommune ? 1 : 0);
  const duplicate = slips === 0 ? support >= 1 : (sameProvince || sameParents) && support >= 2;
  return { duplicate: duplicate || score >= 0.8, score };
}
