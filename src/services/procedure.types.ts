/**
 * Linked procedures (thủ tục liên thông, Nghị định 63/2024/NĐ-CP): one application by a citizen
 * runs a chain of steps, each owned by one agency and held to a time limit.
 */

export type ProcedureKind = 'birth' | 'death';
export const procedureKinds: readonly ProcedureKind[] = ['birth', 'death'];

export type StepKey =
  | 'birth_registration' | 'permanent_residence' | 'health_insurance_card'
  | 'death_registration' | 'residence_removal' | 'pension_stop' | 'eid_lock';

/** How a step is carried out: in the registry (a life event, in its transaction), by a signed delivery to an agency, or by reading a state another step produced. */
export type StepMode = 'registry' | 'delivery' | 'observe';

/** What the store keeps; `overdue` is read from the time limit. */
export type StoredStepStatus = 'pending' | 'in_progress' | 'done' | 'failed';
export type StepStatus = StoredStepStatus | 'overdue';
export type ProcedureStatus = 'in_progress' | 'done' | 'failed';

/** The agencies that own steps. */
export type AgencyCode = 'ubnd_xa' | 'cong_an_xa' | 'bhxh' | 'bo_cong_an';

export const agencies: Readonly<Record<AgencyCode, { readonly name: string; readonly nameEn: string }>> = {
  ubnd_xa: { name: 'Ủy ban nhân dân cấp xã (công chức tư pháp - hộ tịch)', nameEn: 'Commune People\'s Committee (civil status)' },
  cong_an_xa: { name: 'Công an cấp xã (đăng ký cư trú)', nameEn: 'Commune police (residence)' },
  bhxh: { name: 'Bảo hiểm xã hội Việt Nam', nameEn: 'Viet Nam Social Security' },
  bo_cong_an: { name: 'Bộ Công an (tài khoản định danh điện tử VNeID)', nameEn: 'Ministry of Public Security (VNeID e-ID accounts)' },
};

export interface StepDefinition {
  readonly key: StepKey;
  readonly owner: AgencyCode;
  readonly mode: StepMode;
  /** The time limit in working days from when the step becomes current. */
  readonly limitDays: number;
  readonly name: string;
  readonly nameEn: string;
}

export interface ProcedureDefinition {
  readonly kind: ProcedureKind;
  readonly name: string;
  readonly nameEn: string;
  /** The limit of the whole group, in working days from submission. */
  readonly limitDays: number;
  readonly steps: readonly StepDefinition[];
  /** The catalogue entry (service-catalogue.data.ts) this procedure builds. */
  readonly catalogueName: string;
}

/**
 * Time limits per Quyết định 296/QĐ-VPCP (2024) as reported by the pages cited in
 * docs/linked-procedures.md: the birth group within 3 working days, residence and the card
 * within 2 each; the death registration the same day, residence removal within 2.
 */
export const procedureDefinitions: Readonly<Record<ProcedureKind, ProcedureDefinition>> = {
  birth: {
    kind: 'birth',
    name: 'Đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi',
    nameEn: 'Birth registration, permanent residence and health insurance card for a child under six',
    limitDays: 3,
    catalogueName: 'Liên thông: đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi',
    steps: [
      { key: 'birth_registration', owner: 'ubnd_xa', mode: 'registry', limitDays: 1, name: 'Đăng ký khai sinh', nameEn: 'Birth registration' },
      { key: 'permanent_residence', owner: 'cong_an_xa', mode: 'registry', limitDays: 2, name: 'Đăng ký thường trú', nameEn: 'Permanent residence registration' },
      { key: 'health_insurance_card', owner: 'bhxh', mode: 'delivery', limitDays: 2, name: 'Cấp thẻ bảo hiểm y tế', nameEn: 'Health insurance card' },
    ],
  },
  death: {
    kind: 'death',
    name: 'Đăng ký khai tử, xóa đăng ký thường trú, báo dừng lương hưu, khóa tài khoản định danh điện tử',
    nameEn: 'Death registration, residence removed, pension stopped, e-ID account locked',
    limitDays: 3,
    catalogueName: 'Liên thông: đăng ký khai tử, xóa đăng ký thường trú, giải quyết mai táng phí, tử tuất',
    steps: [
      { key: 'death_registration', owner: 'ubnd_xa', mode: 'registry', limitDays: 1, name: 'Đăng ký khai tử', nameEn: 'Death registration' },
      { key: 'residence_removal', owner: 'cong_an_xa', mode: 'registry', limitDays: 2, name: 'Xóa đăng ký thường trú', nameEn: 'Permanent residence removed' },
      { key: 'pension_stop', owner: 'bhxh', mode: 'delivery', limitDays: 2, name: 'Báo dừng lương hưu, trợ cấp cho cơ quan bảo hiểm xã hội', nameEn: 'Pension stop notified to social insurance' },
      { key: 'eid_lock', owner: 'bo_cong_an', mode: 'observe', limitDays: 1, name: 'Khóa tài khoản định danh điện tử', nameEn: 'E-ID account locked' },
    ],
  },
};

export interface ProcedureStep {
  readonly stepNo: number;
  readonly key: StepKey;
  readonly name: string;
  readonly owner: AgencyCode;
  readonly ownerName: string;
  /** The step's time limit in working days (from when it became current). */
  readonly limitDays: number;
  /** The stored status, or `overdue` when not finished past its time limit. */
  readonly status: StepStatus;
  readonly stored: StoredStepStatus;
  readonly attempts: number;
  readonly nextAttemptAt: string | null;
  readonly dueAt: string | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly lastError: string | null;
  readonly result: Readonly<Record<string, unknown>> | null;
}

export interface Procedure {
  readonly procedureId: string;
  readonly kind: ProcedureKind;
  readonly name: string;
  readonly applicantId: string;
  readonly subjectId: string;
  readonly communeCode: string;
  readonly provinceCode: string;
  readonly status: ProcedureStatus;
  /** True when the group is not done past its overall time limit. */
  readonly overdue: boolean;
  readonly currentStep: number;
  readonly submittedAt: string;
  readonly dueAt: string;
  readonly updatedAt: string;
  readonly completedAt: string | null;
  readonly steps: readonly ProcedureStep[];
}

/** A parent's application for a newborn. */
export interface BirthApplication {
  readonly child: {
    readonly fullName: string;
    readonly birthDate: string;
    readonly sex: 'M' | 'F';
    readonly ethnicity?: string | undefined;
  };
  /** The other parent's ID number, when known. */
  readonly otherParentId?: string | undefined;
}

/** A relative's application after a death. */
export interface DeathApplication {
  readonly deceasedId: string;
  readonly deathDate: string;
  readonly cause?: string | undefined;
}

/** Who submitted: a citizen through the portal (their person), or an officer on their behalf. */
export interface Submitter {
  readonly applicantId: string;
  /** The officer who took the file at the desk, or null for the portal. */
  readonly officerId: string | null;
}
