/**
 * Reconciliation presets: for each kind of agency file, which columns hold what, which fields are
 * compared with the registry, which registry values may be released back to the agency, the
 * per-person limits, and the action suggested for each outcome.
 */

/** The outcome of one agency row. Precedence, highest first, is the order of this list. */
export const reconcileStatuses = [
  'BAD_ROW',
  'INVALID_ID',
  'NOT_FOUND',
  /** The ID failed, and the search by name and birth date suggests a person for an officer to check. */
  'CLERICAL_REVIEW',
  /** The ID failed, and the search by name and birth date found one person with a strong score (linked_id, match_score). */
  'PROBABLE_MATCH',
  'DUPLICATE_IN_SOURCE',
  'DECEASED',
  'OVER_LIMIT',
  'MISMATCH',
  'MATCHED',
] as const;

export type ReconcileStatus = (typeof reconcileStatuses)[number];

/** Statuses under which a row is linked to a registry person (used for pairwise precision and recall). */
export const linkedStatuses: readonly ReconcileStatus[] = ['PROBABLE_MATCH', 'DUPLICATE_IN_SOURCE', 'DECEASED', 'OVER_LIMIT', 'MISMATCH', 'MATCHED'];

/** What an agency row may say about a person, whatever the agency calls its columns. */
export const canonicalFields = ['record', 'id', 'name', 'birth', 'sex', 'commune', 'line'] as const;
export type CanonicalField = (typeof canonicalFields)[number];

/** Registry fields a row can disagree on; also the fields a preset may release. */
export const comparedFields = ['id_number', 'full_name', 'birth_date', 'sex', 'commune'] as const;
export type ComparedField = (typeof comparedFields)[number];

export const presetNames = ['tax', 'telecom', 'bank', 'welfare'] as const;
export type PresetName = (typeof presetNames)[number];

export interface ReconcilePreset {
  readonly name: PresetName;
  readonly title: string;
  /** Canonical field → the agency's column name. `id` and `name` are required. */
  readonly columns: Readonly<Partial<Record<CanonicalField, string>>>;
  /** strptime formats tried in order for the date of birth. */
  readonly dateFormats: readonly string[];
  /** Fields compared with the registry; a difference makes the row MISMATCH. */
  readonly compare: readonly ComparedField[];
  /** Fields whose registry value may be written back to the agency when they differ. */
  readonly release: readonly ComparedField[];
  /** Which registry address the `commune` column is compared with. */
  readonly communeOf: 'current_commune' | 'permanent_commune';
  /**
   * How a second row for the same person is read: 'person' (one row per person expected: later rows
   * are DUPLICATE_IN_SOURCE) or 'line' (one row per subscription: only a repeated (person, line)
   * is a duplicate, and more lines than `maxLinesPerPerson` are OVER_LIMIT).
   */
  readonly uniqueBy: 'person' | 'line';
  readonly maxLinesPerPerson: number | null;
  /** Suggested action for each status; MISMATCH actions are completed with the fields concerned. */
  readonly actions: Readonly<Record<ReconcileStatus, string>>;
}

const commonActions = {
  BAD_ROW: 'Fix the row in the source file (see the line and reason) and send it again',
  INVALID_ID: 'Ask the person for the 12-digit personal ID number on their ID card or VNeID',
  NOT_FOUND: 'Verify the identity with the person in person; the registry holds no such person under this number',
  DUPLICATE_IN_SOURCE: 'Merge or remove the repeated record: the same person is already on an earlier row',
  CLERICAL_REVIEW: 'Check the suggested person (suggested_id, match_score) against the documents before using it; otherwise ask the person for their ID number',
  PROBABLE_MATCH: 'Correct the ID number to the one found by name and birth date (linked_id), after confirming with the person where the score is below 0.9999',
  MATCHED: 'No action',
} as const;

/**
 * The four presets. The SIM limit follows Decree 163/2024/ND-CP (at most 10 mobile subscriptions
 * per person per operator without further checks); change it here if the rule changes.
 */
export const reconcilePresets: Readonly<Record<PresetName, ReconcilePreset>> = {
  tax: {
    name: 'tax',
    title: 'Tax register (personal tax codes)',
    columns: { record: 'tax_record_no', id: 'id_number', name: 'taxpayer_name', birth: 'birth_date' },
    dateFormats: ['%d/%m/%Y', '%Y-%m-%d'],
    compare: ['id_number', 'full_name', 'birth_date'],
    // Circular 86/2024/TT-BTC: the ID number becomes the tax code when name, birth date and ID agree.
    release: ['id_number', 'full_name', 'birth_date'],
    communeOf: 'current_commune',
    uniqueBy: 'person',
    maxLinesPerPerson: null,
    actions: {
      ...commonActions,
      DECEASED: 'Close the tax file: the person is recorded as deceased',
      OVER_LIMIT: 'No limit applies to tax records',
      MISMATCH: 'Correct the taxpayer record to the registry values before using the ID number as tax code',
    },
  },
  telecom: {
    name: 'telecom',
    title: 'Mobile subscribers (SIM registrations)',
    columns: { record: 'contract_no', id: 'subscriber_id', name: 'subscriber_name', birth: 'birth_date', sex: 'sex', line: 'msisdn' },
    dateFormats: ['%d/%m/%Y', '%Y-%m-%d'],
    compare: ['id_number', 'full_name', 'birth_date', 'sex'],
    release: ['id_number'],
    communeOf: 'current_commune',
    uniqueBy: 'line',
    maxLinesPerPerson: 10,
    actions: {
      ...commonActions,
      DECEASED: 'Suspend the subscription: the subscriber is recorded as deceased',
      OVER_LIMIT: 'Ask the subscriber to confirm the lines beyond the limit in person, or suspend them',
      MISMATCH: 'Ask the subscriber to update their registration at a store with their ID card',
    },
  },
  bank: {
    name: 'bank',
    title: 'Bank customers (CIF)',
    columns: { record: 'cif', id: 'id_number', name: 'customer_name', birth: 'date_of_birth', sex: 'gender', commune: 'commune_code' },
    dateFormats: ['%Y-%m-%d', '%d/%m/%Y'],
    compare: ['id_number', 'full_name', 'birth_date', 'sex', 'commune'],
    release: ['id_number'],
    communeOf: 'current_commune',
    uniqueBy: 'person',
    maxLinesPerPerson: null,
    actions: {
      ...commonActions,
      DECEASED: 'Freeze the accounts and start the estate procedure: the customer is recorded as deceased',
      OVER_LIMIT: 'No limit applies to bank customers',
      MISMATCH: 'Ask the customer to update their details (eKYC against the chip ID card) before the next transaction',
    },
  },
  welfare: {
    name: 'welfare',
    title: 'Social welfare beneficiaries',
    columns: { record: 'beneficiary_no', id: 'id_number', name: 'full_name', birth: 'birth_date', commune: 'commune_code' },
    dateFormats: ['%d/%m/%Y', '%Y-%m-%d'],
    compare: ['id_number', 'full_name', 'birth_date', 'commune'],
    release: ['id_number', 'full_name', 'birth_date', 'commune'],
    communeOf: 'permanent_commune',
    uniqueBy: 'person',
    maxLinesPerPerson: null,
    actions: {
      ...commonActions,
      DUPLICATE_IN_SOURCE: 'Stop the second payment: the beneficiary is already on an earlier row',
      DECEASED: 'Stop payments from the month after death and notify the family about the funeral allowance',
      OVER_LIMIT: 'No limit applies to welfare beneficiaries',
      MISMATCH: 'Correct the beneficiary record to the registry values',
    },
  },
};

/**
 * The preset by name, with the agency's own column names laid over the default mapping.
 *
 * @example
 * withMapping('tax', { name: 'ho_ten' }).columns.name // 'ho_ten'
 */
export function withMapping(name: PresetName, mapping: Readonly<Partial<Record<CanonicalField, string>>> = {}): ReconcilePreset {
  const preset = reconcilePresets[name];
  return { ...preset, columns: { ...preset.columns, ...mapping } };
}

/** True when the text names a preset. */
export function isPresetName(value: string): value is PresetName {
  return (presetNames as readonly string[]).includes(value);
}

/**
 * Headers agencies write in Vietnamese (compared in lower case, NFC, single spaces), by field.
 * Used for the fields whose mapped column a file does not have.
 */
export const headerAliases: Readonly<Record<CanonicalField, readonly string[]>> = {
  record: ['stt', 'mã hồ sơ', 'mã số thuế', 'mst', 'số hợp đồng', 'mã khách hàng', 'mã đối tượng'],
  id: ['số định danh', 'số định danh cá nhân', 'số cccd', 'cccd', 'số cmnd/cccd', 'số cccd/cmnd', 'số giấy tờ', 'số cmnd'],
  name: ['họ và tên', 'họ tên', 'tên khách hàng', 'tên người nộp thuế', 'tên thuê bao', 'họ và tên người nộp thuế'],
  birth: ['ngày sinh', 'ngày tháng năm sinh', 'ngày/tháng/năm sinh', 'năm sinh'],
  sex: ['giới tính', 'gioi tinh'],
  commune: ['mã xã', 'mã phường/xã', 'mã đơn vị hành chính'],
  line: ['số thuê bao', 'số điện thoại', 'số thuê bao di động'],
};

function headerKey(header: string): string {
  return header.normalize('NFC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/**
 * The preset with each field whose mapped column the header lacks pointed at a column found under
 * one of its {@link headerAliases}; other fields unchanged.
 *
 * @example
 * withHeaderAliases(reconcilePresets.tax, ['STT', 'Số CCCD', 'Họ và tên', 'Ngày sinh']).columns.name // 'Họ và tên'
 */
export function withHeaderAliases(preset: ReconcilePreset, header: readonly string[]): ReconcilePreset {
  const byKey = new Map(header.map((h) => [headerKey(h), h]));
  const columns: Partial<Record<CanonicalField, string>> = { ...preset.columns };
  for (const field of canonicalFields) {
    const mapped = columns[field];
    if (mapped !== undefined && header.includes(mapped)) continue;
    const found = headerAliases[field].map((alias) => byKey.get(alias)).find((h) => h !== undefined);
    if (found !== undefined) columns[field] = found;
  }
  return { ...preset, columns };
}
