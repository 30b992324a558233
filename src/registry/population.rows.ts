// Turning a generated person's facts into their row, and the few text helpers the rows need.
import type { PersonsTable } from '../store/database.types.js';
import { foldName } from '../shared/vietnamese-text.js';
import { personFactColumns } from './person.projection.js';
import { personFactKeys } from './person.types.js';

export type FactValue = string | null;

export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`generator tables have no entry for ${what}`);
  return value;
}

const factColumnMap = new Map<string, keyof PersonsTable>(personFactKeys.map((k) => [k, personFactColumns[k]]));

/** A row with every fact null, in toPersonRow's key order: what the creating event starts from. */
export function emptyRow(idNumber: string): PersonsTable {
  return {
    id_number: idNumber, full_name: '', name_folded: '', birth_date: '', sex: 'M', ethnicity: null, religion: null,
    nationality: '', birth_province: '', birth_commune: null, hometown: null, permanent_commune: null,
    permanent_address: null, temporary_commune: null, temporary_address: null, current_commune: null,
    current_address: null, father_id: null, mother_id: null, spouse_id: null, household_id: null,
    relationship_to_head: null, status: 'alive', death_date: null, version: 0, created_at: '', updated_at: '',
  };
}

/** Sets the facts an event carries; other keys (cardIssuedOn) are not facts, as in applyLifeEvent. */
export function applyToRow(row: PersonsTable, data: Readonly<Record<string, FactValue>>): void {
  const target = row as unknown as Record<string, FactValue>;
  for (const key in data) {
    const column = factColumnMap.get(key);
    if (column !== undefined) target[column] = data[key] ?? null;
  }
}

const foldedWords = new Map<string, string>();
/**
 * foldName, word by word with a cache: names are made of a few thousand distinct words, and
 * folding each word alone gives the same text as folding the name (single spaces, no marks).
 */
export function foldedName(name: string): string {
  let out = '';
  for (const word of name.split(' ')) {
    let folded = foldedWords.get(word);
    if (folded === undefined) {
      folded = foldName(word);
      if (foldedWords.size < 100_000) foldedWords.set(word, folded);
    }
    out = out === '' ? folded : `${out} ${folded}`;
  }
  return out;
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON must escape
const jsonUnsafe = /["\\\u0000-\u001f\u2028\u2029]/;
/** JSON of a flat object of strings and nulls; equal to JSON.stringify, without its per-call cost. */
export function flatJson(data: Readonly<Record<string, FactValue>>): string {
  let out = '';
  for (const key in data) {
    const value = data[key];
    out += out === '' ? '{"' : ',"';
    out += key;
    if (value === null || value === undefined) out += '":null';
    else if (jsonUnsafe.test(value)) out += `":${JSON.stringify(value)}`;
    else out += `":"${value}"`;
  }
  return out === '' ? '{}' : `${out}}`;
}

/** A birth registration written without the given name's marks, as legacy data entry sometimes did. */
export function misspelt(fullName: string): string {
  const parts = fullName.split(' ');
  const last = parts.pop() ?? '';
  const plain = last.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D');
  return [...parts, plain === last ? `${last}h` : plain].join(' ');
}
