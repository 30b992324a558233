/**
 * The verification contract: an agency sends an ID number and the details it holds about the
 * person; the registry answers yes or no with a result per field, and never returns its own values.
 *
 * Used by the operator route POST /api/verify and by the agency exchange.
 */

/** The details an agency may hold about a person, each optional. */
export interface VerifyDetails {
  /** Full name as the agency holds it: any case, with or without marks, surname first or last. */
  readonly fullName?: string;
  /** Date of birth: 'YYYY-MM-DD', 'YYYY-MM', 'YYYY', or 'DD/MM/YYYY' as Vietnamese forms write it. */
  readonly birthDate?: string;
  readonly sex?: 'M' | 'F';
  /**
   * Commune code of the person's permanent residence (5 digits), old (before 2025-07-01) or new;
   * old codes are resolved to today's communes through the official conversion.
   */
  readonly communeCode?: string;
  /** Address text (house number, street, hamlet…), compared loosely with the registry's permanent or current address. */
  readonly address?: string;
  /**
   * The old 9-digit identity card (CMND) number. The registry does not hold CMND numbers, so
   * this field is always answered 'missing' until a CMND table exists.
   */
  readonly oldIdNumber?: string;
  /** Phone number in any common form (0912…, +84912…, 84 912…). The registry holds no phone numbers: answered 'missing'. */
  readonly phone?: string;
}

/** The fields of {@link VerifyDetails}, in a stable order. */
export type VerifyField = keyof VerifyDetails;

export const verifyFields: readonly VerifyField[] = ['fullName', 'birthDate', 'sex', 'communeCode', 'address', 'oldIdNumber', 'phone'];

/** A verification request. */
export interface VerifyRequest extends VerifyDetails {
  /** The 12-digit personal ID number. A 9-digit number is refused with ID_NUMBER_MALFORMED. */
  readonly idNumber: string;
  /**
   * 'exact' (default): a match needs every compared field to be 'exact'.
   * 'partial': a match needs the Fellegi–Sunter match probability to reach `threshold`.
   */
  readonly strategy?: VerifyStrategy;
  /** For 'partial' only: the match probability needed, in (0, 1]; default {@link defaultVerifyThreshold}. */
  readonly threshold?: number;
}

export type VerifyStrategy = 'exact' | 'partial';

export const defaultVerifyThreshold = 0.9;

/**
 * How one field compares:
 * - 'exact': equal after normalisation (NFC, spacing; dates and codes as values; names also equal
 *   when only case differs);
 * - 'close': equal once folded (marks, đ→d), in another order, a day/month swap, an old commune
 *   that became this one, or a small typo (Jaro-Winkler / edit distance);
 * - 'different': neither;
 * - 'missing': the registry holds no value for this field, so it cannot be compared.
 * Fields the request did not send are absent from the result.
 */
export type FieldOutcome = 'exact' | 'close' | 'different' | 'missing';

export type VerifyStatus = 'MATCH' | 'NO_MATCH' | 'DECEASED' | 'NOT_FOUND';

/** The answer. It never contains a registry value. */
export interface VerifyResult {
  /** True only when status is 'MATCH' (a deceased person never matches). */
  readonly match: boolean;
  /**
   * 'NOT_FOUND': no person has this ID number (fields is empty);
   * 'DECEASED': the person is recorded as dead (fields are still compared, match is false);
   * 'MATCH' / 'NO_MATCH': by the strategy.
   */
  readonly status: VerifyStatus;
  readonly fields: Readonly<Partial<Record<VerifyField, FieldOutcome>>>;
  /** For 'partial' only: the Fellegi–Sunter match probability over the compared fields, in [0, 1], rounded to 4 places. */
  readonly score?: number;
  readonly strategy: VerifyStrategy;
}
