import type { PartialDate } from './partial-date.js';

export type Sex = 'M' | 'F';
export type LifeStatus = 'alive' | 'deceased';

/**
 * The facts the registry holds about a person, as life events set them. Every field but the
 * ID number can be set by an event; the current record is all events applied in order.
 */
export interface PersonFacts {
  readonly fullName: string;
  readonly birthDate: PartialDate;
  readonly sex: Sex;
  readonly ethnicity: string | null;
  readonly religion: string | null;
  /** ISO 3166 alpha-2; 'VN' for citizens. */
  readonly nationality: string;
  /** 3-digit province code where the birth was registered: the ID number's first three digits. */
  readonly birthProvince: string;
  readonly birthCommune: string | null;
  readonly hometown: string | null;
  readonly permanentCommune: string | null;
  readonly permanentAddress: string | null;
  readonly temporaryCommune: string | null;
  readonly temporaryAddress: string | null;
  readonly currentCommune: string | null;
  readonly currentAddress: string | null;
  readonly fatherId: string | null;
  readonly motherId: string | null;
  readonly spouseId: string | null;
  readonly householdId: string | null;
  readonly relationshipToHead: string | null;
  readonly status: LifeStatus;
  readonly deathDate: string | null;
}

/** The registry's current record of a person. */
export interface PersonRecord extends PersonFacts {
  readonly idNumber: string;
  /** How many life events have been applied. */
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export const personFactKeys: readonly (keyof PersonFacts)[] = [
  'fullName', 'birthDate', 'sex', 'ethnicity', 'religion', 'nationality', 'birthProvince', 'birthCommune',
  'hometown', 'permanentCommune', 'permanentAddress', 'temporaryCommune', 'temporaryAddress', 'currentCommune',
  'currentAddress', 'fatherId', 'motherId', 'spouseId', 'householdId', 'relationshipToHead', 'status', 'deathDate',
];

export interface HouseholdRecord {
  readonly householdId: string;
  readonly headId: string | null;
  readonly communeCode: string;
  readonly address: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}
