/**
 * The linked procedures' tables (migration 0035-procedures); `DB` in store/database.types.ts
 * extends this interface.
 *
 * Sizes at a nation: about 1.5 million births and 0.6 million deaths a year, so ~2 million
 * procedures and ~7 million steps a year; the runner reads the due steps by an index on
 * (status, next_attempt_at), never the whole table.
 */
export interface ProcedureTables {
  procedures: ProceduresTable;
  procedure_steps: ProcedureStepsTable;
  procedure_endpoints: ProcedureEndpointsTable;
}

/** One application (hồ sơ liên thông): a birth or a death group. */
export interface ProceduresTable {
  procedure_id: string;
  /** birth (khai sinh → thường trú → thẻ BHYT) | death (khai tử → xóa thường trú → dừng lương hưu → khóa tài khoản định danh). */
  kind: string;
  /** The ID number of the parent or relative who applied. */
  applicant_id: string;
  /** The child (once registered) or the deceased. */
  subject_id: string;
  /** The 2025 commune that handles the file (jurisdiction), and its 2-digit province. */
  commune_code: string;
  province_code: string;
  /** in_progress | done | failed (a step failed every attempt; an officer can retry it). */
  status: string;
  /** The step being worked (1-based); steps before it are done. */
  current_step: number;
  /** Unique: the same application submitted twice is refused (kind, applicant and child, or the deceased). */
  dedupe_key: string;
  /** JSON of the application as submitted (names, dates): kept for the record. */
  input: string;
  submitted_at: string;
  /** The legal time limit of the whole group (working days from submission). */
  due_at: string;
  updated_at: string;
  completed_at: string | null;
}

/** One step of a procedure, owned by one agency. */
export interface ProcedureStepsTable {
  procedure_id: string;
  step_no: number;
  /** birth_registration | permanent_residence | health_insurance_card | death_registration | residence_removal | pension_stop | eid_lock */
  step_key: string;
  /** The agency code that owns the step (ubnd_xa, cong_an_xa, bhxh, bo_cong_an). */
  owner: string;
  /** pending | in_progress | done | failed (overdue is read from due_at). */
  status: string;
  attempts: number;
  /** Epoch ms before which the runner does not try the step (backoff, and a lease while a try runs). */
  next_attempt_at: number;
  /** Set when the step becomes current: its start plus its time limit. */
  due_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  last_error: string | null;
  /** 1 once the access records of a delivery to the agency are in the log (written before the first try). */
  recorded: number;
  /** JSON of what the step produced (the child's ID number, a card number, the account's state). */
  result: string | null;
}

/** Where an agency receives the procedure deliveries (signed POSTs). */
export interface ProcedureEndpointsTable {
  agency: string;
  url: string;
  updated_at: string;
}
