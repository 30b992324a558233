import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AccessLog, AccessRecordInput } from '../audit/access-log.types.js';
import { foldName } from '../shared/vietnamese-text.js';
import { earliestDay, parseFullDate, vietnamDay } from '../registry/partial-date.js';
import type { Executor } from '../registry/person.repository.js';
import type { PersonRecord } from '../registry/person.types.js';
import type { RegistryService } from '../registry/registry.service.js';
import type { Clock } from '../shared/clock.js';
import { DomainError, isDomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import { procedureRepository, type ProcedureRow, type StepRow } from './procedure.repository.js';
import { addWorkingDays } from './procedure.schedule.js';
import type { ProcedureStepsTable } from './procedure.tables.js';
import {
  agencies,
  procedureDefinitions,
  type BirthApplication,
  type DeathApplication,
  type Procedure,
  type ProcedureKind,
  type ProcedureStatus,
  type ProcedureStep,
  type StepKey,
  type StoredStepStatus,
  type Submitter,
} from './procedure.types.js';

/** A 2025 commune and its province, or undefined for a code of neither era. */
export type UnitOf = (communeCode: string) => { readonly commune: string; readonly province: string } | undefined;

export interface ProcedureServiceDeps {
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  readonly registry: RegistryService;
  readonly accessLog: AccessLog;
  readonly unitOf: UnitOf;
  /** Told after a submission commits (the runner wakes instead of waiting for its next poll). */
  readonly onSubmitted?: () => void;
  readonly newId?: () => string;
}

/** The client the citizen's own reads of their procedures are recorded under. */
export const citizenPortalClient = 'VN/GOV/sachsong/citizen-portal';
export const proceduresLegalBasis = 'Nghị định 63/2024/NĐ-CP (liên thông thủ tục hành chính)';

/** The youngest age at which the registry accepts a parent (an impossible birth otherwise). */
const minParentAgeYears = 12;
/** The birth group serves children under six (Nghị định 63/2024). */
const maxChildAgeYears = 6;

/**
 * Linked procedures: one submission by a citizen, then a chain of steps. The first step (the
 * birth or death registration) runs in the registry's own transaction together with the
 * procedure's rows, so a refused application leaves nothing behind; the runner
 * (procedure.runner.ts) works the remaining steps.
 */
export class ProcedureService {
  private readonly newId: () => string;

  constructor(private readonly deps: ProcedureServiceDeps) {
    this.newId = deps.newId ?? randomUUID;
  }

  private today(): string {
    return vietnamDay(this.deps.clock.now());
  }

  /** The applicant: in the registry and alive. */
  private async applicant(submitter: Submitter): Promise<PersonRecord> {
    const applicant = await this.deps.registry.getPerson(submitter.applicantId).catch((error: unknown) => {
      throw isDomainError(error) && error.code === 'PERSON_NOT_FOUND'
        ? new DomainError('not_found', 'APPLICANT_NOT_FOUND', 'the applicant is not in the registry', 'Sign in with the e-ID of a person in the registry')
        : error;
    });
    if (applicant.status === 'deceased') {
      throw new DomainError('conflict', 'APPLICANT_DECEASED', 'the applicant is recorded as deceased', 'A living relative must apply');
    }
    return applicant;
  }

  private unit(person: PersonRecord, role: string): { readonly commune: string; readonly province: string } {
    const code = person.permanentCommune ?? person.currentCommune;
    const unit = code === null ? undefined : this.deps.unitOf(code);
    if (unit === undefined) {
      throw new DomainError('invalid', 'RESIDENCE_UNKNOWN', `the ${role} has no registered residence in a current commune`, 'Register the residence first; the procedure is handled by the commune of residence');
    }
    return unit;
  }

  private async refuseDuplicate(key: string): Promise<void> {
    const existing = await procedureRepository.findByDedupeKey(this.deps.db, key);
    if (existing !== undefined) {
      throw new DomainError('conflict', 'PROCEDURE_DUPLICATE', 'this application was already submitted', 'Follow the procedure already under way', { procedureId: existing.procedure_id });
    }
  }

  /** The rows of a new procedure whose first step is done now (in the registry's transaction). */
  private rows(kind: ProcedureKind, procedureId: string, applicantId: string, subjectId: string, unit: { readonly commune: string; readonly province: string }, dedupeKey: string, input: unknown, firstResult: Readonly<Record<string, unknown>>): { procedure: Parameters<typeof procedureRepository.insert>[1]; steps: ProcedureStepsTable[] } {
    const now = this.deps.clock.now();
    const at = now.toISOString();
    const definition = procedureDefinitions[kind];
    const steps = definition.steps.map((s, i): ProcedureStepsTable => {
      const stepNo = i + 1;
      const first = stepNo === 1;
      const second = stepNo === 2;
      return {
        procedure_id: procedureId, step_no: stepNo, step_key: s.key, owner: s.owner,
        status: first ? 'done' : 'pending', attempts: first ? 1 : 0,
        next_attempt_at: second ? now.getTime() : 0,
        due_at: first || second ? addWorkingDays(now, s.limitDays).toISOString() : null,
        started_at: first || second ? at : null,
        finished_at: first ? at : null,
        last_error: null, recorded: 0,
        result: first ? JSON.stringify(firstResult) : null,
      };
    });
    return {
      procedure: {
        procedure_id: procedureId, kind, applicant_id: applicantId, subject_id: subjectId,
        commune_code: unit.commune, province_code: unit.province, status: 'in_progress', current_step: 2,
        dedupe_key: dedupeKey, input: JSON.stringify(input), submitted_at: at,
        due_at: addWorkingDays(now, definition.limitDays).toISOString(), updated_at: at, completed_at: null,
      },
      steps,
    };
  }

  /** Inserts the procedure in the registry's transaction; a duplicate racing this one is refused as such. */
  private async insertIn(trx: Executor, rows: ReturnType<ProcedureService['rows']>): Promise<void> {
    if (await procedureRepository.findByDedupeKey(trx, rows.procedure.dedupe_key) !== undefined) {
      throw new DomainError('conflict', 'PROCEDURE_DUPLICATE', 'this application was already submitted', 'Follow the procedure already under way');
    }
    await procedureRepository.insert(trx, rows.procedure, rows.steps);
  }

  /** A parent's birth application: the child is registered now; residence and the card follow. */
  async submitBirth(submitter: Submitter, application: BirthApplication): Promise<Procedure> {
    const applicant = await this.applicant(submitter);
    const today = this.today();
    const { child } = application;
    parseFullDate(child.birthDate, 'child.birthDate');
    if (child.birthDate > today) {
      throw new DomainError('invalid', 'BIRTH_DATE_IMPOSSIBLE', 'the child\'s date of birth is after today', 'Check the date of birth', { field: 'child.birthDate' });
    }
    if (child.birthDate <= yearsBefore(today, maxChildAgeYears)) {
      throw new DomainError('invalid', 'CHILD_TOO_OLD', 'this linked procedure is for children under six', 'Register the birth on its own (late registration)', { field: 'child.birthDate' });
    }
    const parents = [applicant];
    if (application.otherParentId !== undefined) {
      if (application.otherParentId === applicant.idNumber) {
        throw new DomainError('invalid', 'PARENT_INVALID', 'the other parent is the applicant', 'Give the other parent\'s ID number, or leave it out', { field: 'otherParentId' });
      }
      const other = await this.deps.registry.getPerson(application.otherParentId).catch((error: unknown) => {
        throw isDomainError(error) && (error.code === 'PERSON_NOT_FOUND' || error.kind === 'invalid')
          ? new DomainError('not_found', 'PARENT_NOT_FOUND', 'the other parent is not in the registry', 'Check the other parent\'s ID number', { field: 'otherParentId' })
          : error;
      });
      if (other.sex === applicant.sex) {
        throw new DomainError('invalid', 'PARENT_INVALID', 'the two parents are recorded with the same sex', 'Check the other parent\'s ID number', { field: 'otherParentId' });
      }
      parents.push(other);
    }
    for (const parent of parents) {
      if (yearsAfter(earliestDay(parent.birthDate), minParentAgeYears) > child.birthDate) {
        throw new DomainError('invalid', 'BIRTH_DATE_IMPOSSIBLE', `a parent would have been under ${String(minParentAgeYears)} at the child's birth`, 'Check the date of birth and the parents\' ID numbers', { field: 'child.birthDate' });
      }
      if (parent.deathDate !== null && parent.deathDate < yearsBefore(child.birthDate, 1)) {
        throw new DomainError('invalid', 'BIRTH_DATE_IMPOSSIBLE', 'a parent died more than a year before the child\'s birth', 'Check the date of birth and the parents\' ID numbers', { field: 'child.birthDate' });
      }
    }
    const unit = this.unit(applicant, 'applicant');
    const dedupeKey = `birth:${applicant.idNumber}:${foldName(child.fullName)}:${child.birthDate}`;
    await this.refuseDuplicate(dedupeKey);
    const father = parents.find((p) => p.sex === 'M');
    const mother = parents.find((p) => p.sex === 'F');
    const procedureId = this.newId();
    await this.deps.registry.register({
      type: 'birth_registration',
      occurredOn: today,
      officerId: submitter.officerId,
      reason: 'Thủ tục liên thông khai sinh',
      facts: {
        fullName: child.fullName, birthDate: child.birthDate, sex: child.sex, nationality: 'VN', birthProvince: `0${unit.province}`,
        ...(child.ethnicity === undefined ? {} : { ethnicity: child.ethnicity }),
        ...(father === undefined ? {} : { fatherId: father.idNumber }),
        ...(mother === undefined ? {} : { motherId: mother.idNumber }),
      },
    }, async (trx, record) => {
      await this.insertIn(trx, this.rows('birth', procedureId, applicant.idNumber, record.idNumber, unit, dedupeKey, application, { childId: record.idNumber }));
    });
    this.deps.onSubmitted?.();
    return this.get(procedureId);
  }

  /** A relative's death application: the death is recorded now (the e-ID account locks with it); the rest follows. */
  async submitDeath(submitter: Submitter, application: DeathApplication): Promise<Procedure> {
    const applicant = await this.applicant(submitter);
    if (application.deceasedId === applicant.idNumber) {
      throw new DomainError('invalid', 'APPLICANT_IS_DECEASED_PERSON', 'the applicant cannot declare their own death', 'A relative applies with the ID number of the person who died', { field: 'deceasedId' });
    }
    const deceased = await this.deps.registry.getPerson(application.deceasedId).catch((error: unknown) => {
      throw isDomainError(error) && (error.code === 'PERSON_NOT_FOUND' || error.kind === 'invalid')
        ? new DomainError('not_found', 'DECEASED_NOT_FOUND', 'the person who died is not in the registry', 'Check the ID number of the person who died', { field: 'deceasedId' })
        : error;
    });
    parseFullDate(application.deathDate, 'deathDate');
    if (application.deathDate > this.today() || application.deathDate < earliestDay(deceased.birthDate)) {
      throw new DomainError('invalid', 'DEATH_DATE_IMPOSSIBLE', 'the date of death is after today or before the person\'s birth', 'Check the date of death', { field: 'deathDate' });
    }
    const dedupeKey = `death:${deceased.idNumber}`;
    await this.refuseDuplicate(dedupeKey);
    if (deceased.status === 'deceased') {
      throw new DomainError('conflict', 'PERSON_DECEASED', 'the death of this person is already recorded', 'Nothing to declare; ask the commune for a copy of the death extract');
    }
    const unit = this.unit(deceased, 'person who died');
    const procedureId = this.newId();
    await this.deps.registry.recordEvent({
      personId: deceased.idNumber,
      type: 'death',
      occurredOn: application.deathDate,
      officerId: submitter.officerId,
      reason: 'Thủ tục liên thông khai tử',
      data: application.cause === undefined ? {} : { cause: application.cause },
    }, async (trx, { event }) => {
      await this.insertIn(trx, this.rows('death', procedureId, applicant.idNumber, deceased.idNumber, unit, dedupeKey, application, { eventId: event.eventId }));
    });
    this.deps.onSubmitted?.();
    return this.get(procedureId);
  }

  async get(procedureId: string): Promise<Procedure> {
    const row = await procedureRepository.find(this.deps.db, procedureId);
    if (row === undefined) throw notFound();
    return toProcedure(row, await procedureRepository.steps(this.deps.db, [procedureId]), this.deps.clock.now());
  }

  /** A procedure of this applicant (another's is not found, so that ids cannot be probed). */
  async getForApplicant(applicantId: string, procedureId: string): Promise<Procedure> {
    const row = await procedureRepository.find(this.deps.db, procedureId);
    if (row?.applicant_id !== applicantId) throw notFound();
    return toProcedure(row, await procedureRepository.steps(this.deps.db, [procedureId]), this.deps.clock.now());
  }

  async ofApplicant(applicantId: string, limit = 50): Promise<readonly Procedure[]> {
    return this.withSteps(await procedureRepository.ofApplicant(this.deps.db, applicantId, limit));
  }

  /** Procedures of a unit: its commune, its province, or (undefined) the nation. */
  async ofUnit(unit: { readonly provinceCode?: string; readonly communeCode?: string }, filter: { readonly status?: string | undefined; readonly kind?: string | undefined }, limit = 100): Promise<readonly Procedure[]> {
    return this.withSteps(await procedureRepository.ofUnit(this.deps.db, unit, filter, limit));
  }

  private async withSteps(rows: readonly ProcedureRow[]): Promise<readonly Procedure[]> {
    const steps = await procedureRepository.steps(this.deps.db, rows.map((r) => r.procedure_id));
    const now = this.deps.clock.now();
    return rows.map((r) => toProcedure(r, steps.filter((s) => s.procedure_id === r.procedure_id), now));
  }

  /** An officer sends a failed step round again. */
  async retryStep(procedureId: string, stepNo: number): Promise<Procedure> {
    await this.get(procedureId);
    const now = this.deps.clock.now();
    if (!(await procedureRepository.retry(this.deps.db, procedureId, stepNo, now.toISOString(), now.getTime()))) {
      throw new DomainError('conflict', 'STEP_NOT_FAILED', 'only a failed step can be retried', 'Reload the procedure: the step is done or still being tried');
    }
    this.deps.onSubmitted?.();
    return this.get(procedureId);
  }

  async endpoints(): Promise<readonly { readonly agency: string; readonly url: string; readonly updatedAt: string }[]> {
    return procedureRepository.endpoints(this.deps.db);
  }

  /** Where an agency receives its deliveries (https, or http on loopback for tests and local agencies). */
  async setEndpoint(agency: string, url: string): Promise<void> {
    if (!(agency in agencies)) {
      throw new DomainError('invalid', 'AGENCY_UNKNOWN', `no agency ${agency} owns a step`, `Use one of ${Object.keys(agencies).join(', ')}`);
    }
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new DomainError('invalid', 'ENDPOINT_INVALID', 'the address is not a URL', 'Give an https:// address');
    }
    const loopback = parsed.hostname === '127.0.0.1' || parsed.hostname === 'localhost' || parsed.hostname === '[::1]';
    if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) {
      throw new DomainError('invalid', 'ENDPOINT_INVALID', 'deliveries leave over https only', 'Give an https:// address');
    }
    await procedureRepository.setEndpoint(this.deps.db, agency, parsed.toString(), this.deps.clock.now().toISOString());
  }

  /**
   * The access records of a citizen's read of their procedures: one per person shown (the
   * applicant, the child or the person who died, a parent), durable before the answer leaves.
   */
  async recordApplicantRead(accountId: string, requestId: string, procedures: readonly Procedure[]): Promise<void> {
    const at = this.deps.clock.now().toISOString();
    const persons = new Set<string>();
    for (const p of procedures) {
      persons.add(p.applicantId);
      persons.add(p.subjectId);
    }
    const records = [...persons].map((personId): AccessRecordInput => ({
      personId, at, clientId: citizenPortalClient, officerId: accountId,
      service: 'procedure.status',
      purpose: 'Người nộp hồ sơ theo dõi thủ tục liên thông của mình',
      legalBasis: proceduresLegalBasis,
      fields: ['idNumber', 'procedureStatus', 'steps'],
      visibility: 'public', requestId,
    }));
    if (records.length > 0) await this.deps.accessLog.appendMany(records);
  }
}

function notFound(): DomainError {
  return new DomainError('not_found', 'PROCEDURE_NOT_FOUND', 'no such procedure', 'Check the procedure number');
}

function yearsBefore(day: string, years: number): string {
  return `${String(Number(day.slice(0, 4)) - years).padStart(4, '0')}${day.slice(4)}`;
}

function yearsAfter(day: string, years: number): string {
  return `${String(Number(day.slice(0, 4)) + years).padStart(4, '0')}${day.slice(4)}`;
}

/** A procedure as the applicant and officers see it; `overdue` is read against `now`. */
export function toProcedure(row: ProcedureRow, steps: readonly StepRow[], now: Date): Procedure {
  const definition = procedureDefinitions[row.kind as ProcedureKind];
  const nowIso = now.toISOString();
  const stepViews = steps.map((s): ProcedureStep => {
    const stored = s.status as StoredStepStatus;
    const def = definition.steps.find((d) => d.key === s.step_key);
    const late = stored !== 'done' && stored !== 'failed' && s.due_at !== null && s.due_at < nowIso;
    return {
      stepNo: s.step_no,
      key: s.step_key as StepKey,
      name: def?.name ?? s.step_key,
      owner: s.owner as keyof typeof agencies,
      ownerName: agencies[s.owner as keyof typeof agencies].name,
      limitDays: def?.limitDays ?? 0,
      status: late ? 'overdue' : stored,
      stored,
      attempts: s.attempts,
      nextAttemptAt: stored === 'pending' && s.attempts > 0 ? new Date(s.next_attempt_at).toISOString() : null,
      dueAt: s.due_at,
      startedAt: s.started_at,
      finishedAt: s.finished_at,
      lastError: s.last_error,
      result: s.result === null ? null : JSON.parse(s.result) as Record<string, unknown>,
    };
  });
  return {
    procedureId: row.procedure_id,
    kind: row.kind as ProcedureKind,
    name: definition.name,
    applicantId: row.applicant_id,
    subjectId: row.subject_id,
    communeCode: row.commune_code,
    provinceCode: row.province_code,
    status: row.status as ProcedureStatus,
    overdue: row.status !== 'done' && row.due_at < nowIso,
    currentStep: row.current_step,
    submittedAt: row.submitted_at,
    dueAt: row.due_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
    steps: stepViews,
  };
}
