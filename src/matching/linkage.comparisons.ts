/**
 * Comparisons of the linkage engine: each kind prepares a column's values once per record and
 * puts a pair into one of its levels (best agreement first, last = disagreement), or the null
 * level when a value is missing.
 */
import { addressForms, compareAddresses } from './address.normaliser.js';
import type { AddressForms } from './address.normaliser.js';
import { compareDateValues, dateValue, tryParseLooseDate } from './date.normaliser.js';
import type { DateValue } from './date.normaliser.js';
import { nullLevel } from './fellegi-sunter.js';
import { isKeyingError, normaliseIdNumber, normalisePhone } from './identifier.normaliser.js';
import type { ComparisonConfig, ComparisonKind } from './linkage.config.js';
import { nameForms, nameSimilarity } from './name.normaliser.js';
import type { NameForms } from './name.normaliser.js';
import { jaroWinkler, levenshtein } from './string-similarity.js';
import { foldName } from '../shared/vietnamese-text.js';

/** A comparison ready to run: its level labels and a level function over prepared values. */
export interface Comparator<T> {
  readonly levels: readonly string[];
  /** The prepared value of a raw cell, or undefined when missing or unreadable. */
  prepare(raw: string): T | undefined;
  /** The level of a pair of prepared values (both present). */
  level(a: T, b: T): number;
  /** The value's identity for term frequencies (level 0 agrees on it). */
  key(value: T): string;
}

const self = (value: string): string => value;

function jaroComparator(thresholds: readonly number[]): Comparator<string> {
  const sorted = [...thresholds].sort((a, b) => b - a);
  return {
    levels: ['exact', ...sorted.map((t) => `jw>=${t}`), 'else'],
    prepare: (raw) => {
      const v = foldName(raw);
      return v === '' ? undefined : v;
    },
    level: (a, b) => {
      if (a === b) return 0;
      const s = jaroWinkler(a, b);
      for (let i = 0; i < sorted.length; i++) if (s >= (sorted[i] ?? 1)) return i + 1;
      return sorted.length + 1;
    },
    key: self,
  };
}

function levenshteinComparator(thresholds: readonly number[]): Comparator<string> {
  const sorted = [...thresholds].sort((a, b) => a - b);
  return {
    levels: ['exact', ...sorted.map((t) => `lev<=${t}`), 'else'],
    prepare: (raw) => {
      const v = foldName(raw);
      return v === '' ? undefined : v;
    },
    level: (a, b) => {
      if (a === b) return 0;
      const d = levenshtein(a, b);
      for (let i = 0; i < sorted.length; i++) if (d <= (sorted[i] ?? 0)) return i + 1;
      return sorted.length + 1;
    },
    key: self,
  };
}

const exactComparator: Comparator<string> = {
  levels: ['exact', 'else'],
  prepare: (raw) => {
    const v = foldName(raw);
    return v === '' ? undefined : v;
  },
  level: (a, b) => (a === b ? 0 : 1),
  key: self,
};

/** Vietnamese-aware names: exact, same once folded / reordered / variant, then Jaro-Winkler bands. */
const nameComparator: Comparator<NameForms> = {
  levels: ['exact', 'folded', 'jw>=0.92', 'jw>=0.8', 'else'],
  prepare: (raw) => {
    const forms = nameForms(raw);
    return forms.folded === '' ? undefined : forms;
  },
  level: (a, b) => {
    if (a.marked === b.marked) return 0;
    if (a.variant === b.variant || a.sorted === b.sorted) return 1;
    const s = nameSimilarity(a, b);
    return s >= 0.92 ? 2 : s >= 0.8 ? 3 : 4;
  },
  key: (forms) => forms.marked,
};

/** YYYYMMDD or DD/MM/YYYY digits that are no real date (a keyed '19402704'): kept for the keying-error test. */
const keyedDigits = /^(\d{4})(\d{2})(\d{2})$|^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/;

/** Dates: exact, close (partial, swap, one-digit typo — also when the typo made an impossible date), same year, else. */
const dateComparator: Comparator<DateValue> = {
  levels: ['exact', 'close', 'same-year', 'else'],
  prepare: (raw) => {
    const value = raw.trim();
    if (value === '') return undefined;
    const text = tryParseLooseDate(value);
    if (text !== undefined) return dateValue(text);
    const m = keyedDigits.exec(value);
    if (m === null) return undefined;
    const [year, month, day] = m[1] !== undefined ? [m[1], m[2], m[3]] : [m[6], m[5], m[4]];
    return { text: value, year: Number(year), month: Number(month), day: Number(day) };
  },
  level: (a, b) => {
    const outcome = compareDateValues(a, b);
    if (outcome === 'exact') return 0;
    if (outcome === 'close') return 1;
    return a.year === b.year ? 2 : 3;
  },
  key: (date) => date.text,
};

/** ID numbers (12 or 9 digits) and other digit codes: exact, keying error, else. */
const idComparator: Comparator<string> = {
  levels: ['exact', 'keying-error', 'else'],
  prepare: (raw) => {
    const id = normaliseIdNumber(raw);
    if (id !== undefined) return id.digits;
    const digits = raw.replace(/\D/g, '');
    return digits === '' ? undefined : digits;
  },
  level: (a, b) => (a === b ? 0 : isKeyingError(a, b) ? 1 : 2),
  key: self,
};

const phoneComparator: Comparator<string> = {
  levels: ['exact', 'keying-error', 'else'],
  prepare: (raw) => normalisePhone(raw),
  level: (a, b) => (a === b ? 0 : isKeyingError(a, b) ? 1 : 2),
  key: self,
};

const addressComparator: Comparator<AddressForms> = {
  levels: ['exact', 'close', 'else'],
  prepare: (raw) => {
    const forms = addressForms(raw);
    return forms.folded === '' ? undefined : forms;
  },
  level: (a, b) => {
    const outcome = compareAddresses(a, b);
    return outcome === 'exact' ? 0 : outcome === 'close' ? 1 : 2;
  },
  key: (forms) => forms.folded,
};

/** The comparator for a configured comparison. */
export function comparatorFor(config: ComparisonConfig): Comparator<unknown> {
  const kind: ComparisonKind = config.kind;
  switch (kind) {
    case 'exact': return exactComparator;
    case 'jaro': return jaroComparator(config.thresholds ?? [0.9, 0.7]);
    case 'levenshtein': return levenshteinComparator(config.thresholds ?? [1, 2]);
    case 'name': return nameComparator;
    case 'date': return dateComparator;
    case 'id': return idComparator;
    case 'phone': return phoneComparator;
    case 'address': return addressComparator;
  }
}

/** Levels of a pair under one comparator, with missing values as the null level. */
export function levelOf(comparator: Comparator<unknown>, a: unknown, b: unknown): number {
  return a === undefined || b === undefined ? nullLevel : comparator.level(a, b);
}
