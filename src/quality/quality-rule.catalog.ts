import type { AdminUnitCatalog } from '../registry/admin-unit.catalog.js';
import type { PersonsTable } from '../store/database.types.js';
import { detail, type FindingDetail } from './finding-detail.js';

/** The four scores the registry is kept to: đúng, đủ, sạch, sống. */
export type ScoreGroup = 'correct' | 'complete' | 'clean' | 'live';
export const scoreGroups: readonly ScoreGroup[] = ['correct', 'complete', 'clean', 'live'];

/** The data-quality dimension a rule measures, in the vocabulary data teams use. */
export type Dimension = 'validity' | 'completeness' | 'uniqueness' | 'freshness' | 'consistency' | 'referential_integrity';

export type Severity = 'error' | 'warning';

/** What a per-record rule may look at besides the row. */
export interface RuleContext {
  /** Today (YYYY-MM-DD): the date "in force" and "in the future" are judged against. */
  readonly today: string;
  /** A living person's record last changed before this day (YYYY-MM-DD) is stale. */
  readonly staleBefore: string;
  /** A living person born before this day is older than 120. */
  readonly oldestBirth: string;
  readonly units: AdminUnitCatalog;
  /** Whether a commune code is in force today, was in force only before the 2025 reform, or never existed (memoised). */
  communeState(code: string): 'in_force' | 'former' | 'unknown';
  /** Whether three digits are a province of birth registration (memoised). */
  idProvinceKnown(ppp: string): boolean;
  /** dateProblem, memoised: dates repeat across millions of records. */
  dateProblem(value: string): FindingDetail | null;
}

/** The person columns a per-record rule reads (a full row satisfies it). */
export type PersonRow = Pick<
  PersonsTable,
  | 'id_number' | 'full_name' | 'birth_date' | 'sex' | 'ethnicity' | 'religion' | 'nationality' | 'birth_province'
  | 'birth_commune' | 'hometown' | 'permanent_commune' | 'temporary_commune' | 'current_commune'
  | 'status' | 'death_date' | 'updated_at'
>;

interface RuleBase {
  /** Stable id `<score group>.<name>`: stored with every finding. */
  readonly id: string;
  readonly dimension: Dimension;
  readonly group: ScoreGroup;
  readonly severity: Severity;
  /** The field the rule is about (a column name, or 'household' / 'record'). */
  readonly field: string;
  readonly description: { readonly vi: string; readonly en: string };
}

/** A rule on one record: `check` returns what is wrong, or null. */
export interface RecordRule extends RuleBase {
  readonly kind: 'record';
  check(person: PersonRow, ctx: RuleContext): FindingDetail | null;
}

/** A rule across records (households, links, duplicates, the event log): evaluated by the cross-record checks. */
export interface SetRule extends RuleBase {
  readonly kind: 'set';
  /** 'person' or 'household': what a finding points at. */
  readonly recordKind: 'person' | 'household';
}

export type QualityRule = RecordRule | SetRule;

const fullDate = /^(\d{4})-(\d{2})-(\d{2})$/;
const partialDate = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;
// Letters of any script, single spaces, apostrophes and hyphens between letters.
const namePattern = /^[\p{L}\p{M}]+(?:[ '-][\p{L}\p{M}]+)*$/u;
// Mojibake of UTF-8 read as Latin-1/Windows-1252, and the same letter three times running.
const garbled = /Ã[\u0080-\u00bf]|[ÂÃáÆ][ªº°»]|(\p{L})\1\1/u;

/** Checks a partial date for existence; returns what is wrong or null. */
export function dateProblem(value: string): FindingDetail | null {
  const m = partialDate.exec(value);
  if (m === null) return detail('date_format');
  const year = Number(m[1]);
  if (year < 1800) return detail('date_year_before_1800');
  if (m[2] !== undefined) {
    const month = Number(m[2]);
    if (month < 1 || month > 12) return detail('date_no_month', { month: m[2] });
    if (m[3] !== undefined) {
      const day = Number(m[3]);
      const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
      if (day < 1 || day > days) return detail('date_no_day', { day: m[3], yearMonth: `${String(year)}-${m[2]}` });
    }
  }
  return null;
}

/** The earliest day a partial date can mean, without validating it ('1987' → '1987-01-01'). */
export function earliestOf(value: string): string {
  return value.length === 4 ? `${value}-01-01` : value.length === 7 ? `${value}-01` : value;
}

/** The year a birth date gives, or NaN. */
function yearOf(value: string): number {
  return Number(value.slice(0, 4));
}

/** The ID number's own problems: 12 digits, a province of birth registration, a year not in the future. */
function idStructureProblem(id: string, ctx: RuleContext): FindingDetail | null {
  if (!/^\d{12}$/.test(id)) return detail('id_not_12_digits');
  if (!ctx.idProvinceKnown(id.slice(0, 3))) return detail('id_province_unknown', { digits: id.slice(0, 3) });
  if (idBirthYear(id) > yearOf(ctx.today)) return detail('id_year_in_future');
  return null;
}

function idBirthYear(id: string): number {
  return 1900 + Math.floor(Number(id[3]) / 2) * 100 + Number(id.slice(4, 6));
}

function communeCodes(p: PersonRow): readonly (readonly [string, string])[] {
  const out: (readonly [string, string])[] = [];
  if (p.permanent_commune !== null) out.push(['permanent_commune', p.permanent_commune]);
  if (p.temporary_commune !== null) out.push(['temporary_commune', p.temporary_commune]);
  if (p.current_commune !== null) out.push(['current_commune', p.current_commune]);
  return out;
}

function blank(value: string | null): boolean {
  return value === null || value.trim() === '';
}

/**
 * The rule catalog: declared as data, each with its dimension, score group, severity, field and
 * a description in Vietnamese and English. Per-record rules carry their check; cross-record
 * rules ('set') are evaluated by quality-cross.checks.ts over the whole store or one person's
 * neighbourhood.
 */
export const qualityRules: readonly QualityRule[] = [
  // ---- correct (đúng) ----
  {
    id: 'correct.id_structure', kind: 'record', dimension: 'validity', group: 'correct', severity: 'error', field: 'id_number',
    description: { vi: 'Số định danh có 12 chữ số, mã tỉnh nơi đăng ký khai sinh hợp lệ, năm sinh không ở tương lai', en: 'The ID number has 12 digits, a valid province of birth registration and a year of birth not in the future' },
    check: (p, ctx) => idStructureProblem(p.id_number, ctx),
  },
  {
    id: 'correct.id_birth_year', kind: 'record', dimension: 'consistency', group: 'correct', severity: 'error', field: 'birth_date',
    description: { vi: 'Thế kỷ và năm sinh trong số định danh khớp với ngày sinh', en: 'The century and year in the ID number agree with the date of birth' },
    check: (p, ctx) => {
      if (idStructureProblem(p.id_number, ctx) !== null) return null;
      const year = yearOf(p.birth_date);
      return Number.isNaN(year) || year === idBirthYear(p.id_number) ? null : detail('id_birth_year_mismatch', { idYear: String(idBirthYear(p.id_number)), birthYear: String(year) });
    },
  },
  {
    id: 'correct.id_sex', kind: 'record', dimension: 'consistency', group: 'correct', severity: 'error', field: 'sex',
    description: { vi: 'Chữ số giới tính trong số định danh khớp với giới tính', en: 'The sex digit of the ID number agrees with the recorded sex' },
    check: (p, ctx) => {
      if (idStructureProblem(p.id_number, ctx) !== null) return null;
      const idSex = Number(p.id_number[3]) % 2 === 0 ? 'M' : 'F';
      return idSex === p.sex ? null : detail('id_sex_mismatch', { idSex, recordSex: p.sex });
    },
  },
  {
    id: 'correct.id_province', kind: 'record', dimension: 'consistency', group: 'correct', severity: 'error', field: 'birth_province',
    description: { vi: 'Mã tỉnh trong số định danh khớp với tỉnh đăng ký khai sinh', en: 'The province in the ID number agrees with the province of birth registration' },
    check: (p, ctx) => {
      if (idStructureProblem(p.id_number, ctx) !== null) return null;
      return p.id_number.startsWith(p.birth_province) ? null : detail('id_province_mismatch', { idProvince: p.id_number.slice(0, 3), recordProvince: p.birth_province });
    },
  },
  {
    id: 'correct.birth_date', kind: 'record', dimension: 'validity', group: 'correct', severity: 'error', field: 'birth_date',
    description: { vi: 'Ngày sinh là ngày có thật và không ở tương lai', en: 'The date of birth exists and is not in the future' },
    check: (p, ctx) => {
      const problem = ctx.dateProblem(p.birth_date);
      if (problem !== null) return problem;
      return earliestOf(p.birth_date) > ctx.today ? detail('date_in_future') : null;
    },
  },
  {
    id: 'correct.death_date', kind: 'record', dimension: 'validity', group: 'correct', severity: 'error', field: 'death_date',
    description: { vi: 'Người đã mất có ngày mất có thật, sau ngày sinh, không ở tương lai; người còn sống không có ngày mất', en: 'A deceased person has a real date of death, after birth and not in the future; a living person has none' },
    check: (p, ctx) => {
      if (p.status === 'alive') return p.death_date === null ? null : detail('alive_with_death_date');
      if (p.death_date === null) return detail('deceased_without_death_date');
      const problem = ctx.dateProblem(p.death_date);
      if (problem !== null) return problem;
      if (p.death_date > ctx.today) return detail('date_in_future');
      const birth = p.birth_date.length === 10 ? p.birth_date : p.birth_date.slice(0, 4);
      return p.death_date < birth ? detail('death_before_birth') : null;
    },
  },
  {
    id: 'correct.birth_commune_at_date', kind: 'record', dimension: 'validity', group: 'correct', severity: 'error', field: 'birth_commune',
    description: { vi: 'Xã nơi đăng ký khai sinh có hiệu lực vào ngày sinh', en: 'The commune of birth registration was in force on the date of birth' },
    check: (p, ctx) => {
      if (p.birth_commune === null || !fullDate.test(p.birth_date) || ctx.dateProblem(p.birth_date) !== null || p.birth_date > ctx.today) return null;
      return ctx.units.findCommune(p.birth_commune, p.birth_date) === undefined ? detail('birth_commune_not_in_force', { commune: p.birth_commune }) : null;
    },
  },
  {
    id: 'correct.commune_known', kind: 'record', dimension: 'validity', group: 'correct', severity: 'error', field: 'permanent_commune',
    description: { vi: 'Mã xã nơi cư trú là mã của một đơn vị hành chính có thật', en: 'Residence commune codes are codes of real administrative units' },
    check: (p, ctx) => {
      for (const [field, code] of communeCodes(p)) {
        if (ctx.communeState(code) === 'unknown') return detail('commune_unknown', { field, commune: code });
      }
      return null;
    },
  },
  {
    id: 'correct.name_plausible', kind: 'record', dimension: 'validity', group: 'correct', severity: 'warning', field: 'full_name',
    description: { vi: 'Họ tên chỉ gồm chữ cái, có ít nhất họ và tên, không có ký tự lỗi mã hóa', en: 'The full name has only letters, at least a surname and a given name, and no garbled characters' },
    check: (p) => {
      const name = p.full_name;
      if (!namePattern.test(name)) return detail('name_characters');
      if (!name.includes(' ')) return detail('name_single_word');
      if (name.length > 100) return detail('name_too_long');
      if (garbled.test(name)) return detail('name_garbled');
      return null;
    },
  },
  // ---- complete (đủ): the fields the Law on Identification 2023 (Art. 9) requires ----
  ...(
    [
      ['ethnicity', 'Dân tộc', 'Ethnicity'],
      ['religion', 'Tôn giáo', 'Religion'],
      ['hometown', 'Quê quán', 'Home town'],
      ['nationality', 'Quốc tịch', 'Nationality'],
    ] as const
  ).map(([field, vi, en]): RecordRule => ({
    id: `complete.${field}`, kind: 'record', dimension: 'completeness', group: 'complete', severity: 'error', field,
    description: { vi: `${vi} được ghi nhận`, en: `${en} is recorded` },
    check: (p) => (blank(p[field]) ? detail('missing') : null),
  })),
  {
    id: 'complete.residence', kind: 'record', dimension: 'completeness', group: 'complete', severity: 'error', field: 'permanent_commune',
    description: { vi: 'Nơi thường trú hoặc nơi ở hiện tại được ghi nhận', en: 'The permanent residence or the current residence is recorded' },
    check: (p) => (p.permanent_commune === null && p.current_commune === null ? detail('no_residence') : null),
  },
  // ---- clean (sạch) ----
  {
    id: 'clean.duplicate_person', kind: 'set', recordKind: 'person', dimension: 'uniqueness', group: 'clean', severity: 'error', field: 'record',
    description: { vi: 'Không có người được ghi nhận hai lần dưới hai số định danh', en: 'No person is recorded twice under two ID numbers' },
  },
  {
    id: 'clean.household_one_head', kind: 'set', recordKind: 'household', dimension: 'consistency', group: 'clean', severity: 'error', field: 'household',
    description: { vi: 'Mỗi hộ có đúng một chủ hộ', en: 'Every household has exactly one head' },
  },
  {
    id: 'clean.spouse_symmetric', kind: 'set', recordKind: 'person', dimension: 'consistency', group: 'clean', severity: 'error', field: 'spouse_id',
    description: { vi: 'Vợ/chồng ghi nhận nhau là vợ/chồng', en: 'Spouses record each other as spouse' },
  },
  {
    id: 'clean.parent_link', kind: 'set', recordKind: 'person', dimension: 'referential_integrity', group: 'clean', severity: 'error', field: 'mother_id',
    description: { vi: 'Cha, mẹ được ghi nhận có trong sổ, cha là nam, mẹ là nữ', en: 'The recorded father and mother exist, the father male and the mother female' },
  },
  {
    id: 'clean.child_before_parent', kind: 'set', recordKind: 'person', dimension: 'consistency', group: 'clean', severity: 'error', field: 'birth_date',
    description: { vi: 'Không có con sinh trước cha hoặc mẹ', en: 'No child is born before a parent' },
  },
  // ---- live (sống) ----
  {
    id: 'live.stale_record', kind: 'record', dimension: 'freshness', group: 'live', severity: 'warning', field: 'updated_at',
    description: { vi: 'Hồ sơ người còn sống được cập nhật hoặc xác nhận gần đây', en: "A living person's record was updated or confirmed recently" },
    check: (p, ctx) => (p.status === 'alive' && p.updated_at.slice(0, 10) < ctx.staleBefore ? detail('stale', { date: p.updated_at.slice(0, 10) }) : null),
  },
  {
    id: 'live.alive_over_120', kind: 'record', dimension: 'validity', group: 'live', severity: 'error', field: 'status',
    description: { vi: 'Không có người còn sống quá 120 tuổi', en: 'No one alive is older than 120' },
    check: (p, ctx) => (p.status === 'alive' && earliestOf(p.birth_date) < ctx.oldestBirth ? detail('alive_over_120') : null),
  },
  {
    id: 'live.residence_in_force', kind: 'record', dimension: 'referential_integrity', group: 'live', severity: 'error', field: 'permanent_commune',
    description: { vi: 'Nơi cư trú trỏ tới đơn vị hành chính đang có hiệu lực', en: 'Residences point at administrative units in force' },
    check: (p, ctx) => {
      for (const [field, code] of communeCodes(p)) {
        if (ctx.communeState(code) !== 'in_force') return detail('commune_not_in_force', { field, commune: code });
      }
      return null;
    },
  },
  {
    id: 'live.event_after_death', kind: 'set', recordKind: 'person', dimension: 'consistency', group: 'live', severity: 'error', field: 'death_date',
    description: { vi: 'Không có sự kiện hộ tịch sau ngày mất', en: 'No life event happened after the death' },
  },
];

/** The per-record rules, in catalog order. */
export const recordRules: readonly RecordRule[] = qualityRules.filter((r): r is RecordRule => r.kind === 'record');

const byId = new Map(qualityRules.map((r) => [r.id, r]));

/** A rule by id, or undefined. */
export function ruleById(id: string): QualityRule | undefined {
  return byId.get(id);
}

/**
 * The context rules are judged in, for a day: stale before `staleYears` years ago, over 120
 * when born before 120 years ago.
 *
 * @example
 * ruleContext('2026-01-01', adminUnitCatalog()).oldestBirth // '1906-01-01'
 */
export function ruleContext(today: string, units: AdminUnitCatalog, staleYears = 15): RuleContext {
  const year = yearOf(today);
  const communes = new Map<string, 'in_force' | 'former' | 'unknown'>();
  const provinces = new Map<string, boolean>();
  const dates = new Map<string, FindingDetail | null>();
  return {
    today,
    staleBefore: `${String(year - staleYears).padStart(4, '0')}${today.slice(4)}`,
    oldestBirth: `${String(year - 120).padStart(4, '0')}${today.slice(4)}`,
    units,
    communeState: (code) => {
      let state = communes.get(code);
      if (state === undefined) {
        state = units.findCommune(code, today) !== undefined ? 'in_force' : units.findCommune(code, '2025-06-30') !== undefined ? 'former' : 'unknown';
        communes.set(code, state);
      }
      return state;
    },
    idProvinceKnown: (ppp) => {
      let known = provinces.get(ppp);
      if (known === undefined) {
        known = units.idProvince(ppp) !== undefined;
        provinces.set(ppp, known);
      }
      return known;
    },
    dateProblem: (value) => {
      let problem = dates.get(value);
      if (problem === undefined) {
        problem = dateProblem(value);
        // Bounded: dates of birth and death number in the tens of thousands.
        if (dates.size < 200_000) dates.set(value, problem);
      }
      return problem;
    },
  };
}
