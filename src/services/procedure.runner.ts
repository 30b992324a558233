import type { KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AccessLog, AccessRecordInput } from '../audit/access-log.types.js';
import { defaultBackoffMs, fetchPost, type WebhookPost } from '../events/webhook.deliverer.js';
import { signatureHeader, signWebhookBody } from '../events/webhook-signature.js';
import { vietnamDay } from '../registry/partial-date.js';
import type { PersonRecord } from '../registry/person.types.js';
import type { RegistryService } from '../registry/registry.service.js';
import type { Clock } from '../shared/clock.js';
import { isDomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import { procedureRepository, type DueStep } from './procedure.repository.js';
import { addWorkingDays } from './procedure.schedule.js';
import { proceduresLegalBasis } from './procedure.service.js';
import { agencies, procedureDefinitions, type ProcedureKind, type StepKey } from './procedure.types.js';

/** The client the deliveries to agencies are recorded under. */
export const proceduresClient = 'VN/GOV/sachsong/procedures';

export interface ProcedureRunnerDeps {
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  readonly registry: RegistryService;
  readonly accessLog: AccessLog;
  /** The state of a person's e-ID account (src/citizen), undefined when they have none. */
  readonly accountStatusOf: (personId: string) => Promise<string | undefined>;
  /** The exchange's signing key: deliveries are signed as change-event webhooks are (webhook-signature.ts). */
  readonly keyId: string;
  readonly privateKey: KeyObject;
  readonly post?: WebhookPost;
  /** Tries before a step is failed for an officer to look at; default 8. */
  readonly maxAttempts?: number;
  /** Wait before try n+1 after n failures; default the webhooks' (1 s doubling to 5 min, ±20 %). */
  readonly backoffMs?: (failures: number) => number;
  readonly timeoutMs?: number;
  /** Steps worked at once; default 8. */
  readonly concurrency?: number;
  readonly pollMs?: number;
  /** How long a try holds its step before another runner may take it (a runner that died mid-try); default 30 s past the request's time-out. */
  readonly leaseMs?: number;
  /** Told of a failed pass (never given personal data). */
  readonly onError?: (error: unknown) => void;
}

/** Why a try failed, and whether trying again can help. */
interface Failure {
  readonly error: string;
  readonly permanent: boolean;
}

/**
 * Works the steps of the procedures after their first: registry steps as life events in the
 * registry's own transaction (the step is marked done in it), deliveries to agencies as signed
 * POSTs retried with backoff, and the e-ID lock by reading the account the death locked. Every
 * state is in the store, so a runner killed at any point resumes where it stopped: a registry
 * step commits with its event or not at all; a delivery may be repeated (its idempotency key is
 * the procedure and step), never lost.
 */
export class ProcedureRunner {
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private readonly inFlight = new Set<string>();
  private readonly post: WebhookPost;

  constructor(private readonly deps: ProcedureRunnerDeps) {
    this.post = deps.post ?? fetchPost;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp?.();
    await this.loop;
    this.loop = undefined;
  }

  /** A submission or retry is waiting: pass now rather than at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** One round over the due steps; resolves with the number of steps tried. */
  async pass(): Promise<number> {
    const due = (await procedureRepository.due(this.deps.db, this.deps.clock.now().getTime(), 200))
      .filter((d) => !this.inFlight.has(d.procedure.procedure_id));
    const width = this.deps.concurrency ?? 8;
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let d = due[next++]; d !== undefined; d = due[next++]) {
        this.inFlight.add(d.procedure.procedure_id);
        try {
          await this.work(d);
        } finally {
          this.inFlight.delete(d.procedure.procedure_id);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(width, due.length) }, worker));
    return due.length;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        const n = await this.pass();
        failures = 0;
        if (n === 0) await this.sleep(this.deps.pollMs ?? 200);
      } catch (error) {
        failures += 1;
        this.deps.onError?.(error);
        await this.sleep(Math.min(5_000, 100 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  /** One try of one step. */
  private async work({ procedure, step }: DueStep): Promise<void> {
    const { db, clock } = this.deps;
    const now = clock.now();
    const kind = procedure.kind as ProcedureKind;
    const definition = procedureDefinitions[kind];
    const def = definition.steps[step.step_no - 1];
    if (def === undefined) return;
    const lease = now.getTime() + (def.mode === 'delivery' ? (this.deps.timeoutMs ?? 10_000) : 0) + (this.deps.leaseMs ?? 30_000);
    if (!(await procedureRepository.claim(db, procedure.procedure_id, step.step_no, step.attempts, now.toISOString(), lease))) return;
    const isLast = step.step_no === definition.steps.length;
    const nextStep = definition.steps[step.step_no];
    const complete = async (trx: Parameters<typeof procedureRepository.complete>[0], result: Readonly<Record<string, unknown>>): Promise<void> => {
      const at = clock.now();
      const next = isLast || nextStep === undefined ? undefined : { dueAt: addWorkingDays(at, nextStep.limitDays).toISOString(), nowMs: at.getTime() };
      if (!(await procedureRepository.complete(trx, procedure.procedure_id, step.step_no, result, at.toISOString(), next))) {
        // Another runner finished it first: undo this one's work with the transaction.
        throw new StepTaken();
      }
    };
    let failure: Failure | undefined;
    try {
      failure = await this.attempt(def.key, procedure.procedure_id, procedure.applicant_id, procedure.subject_id, step.step_no, step.recorded === 1, complete);
    } catch (error) {
      if (error instanceof StepTaken) return;
      failure = isDomainError(error) && error.kind !== 'unavailable'
        ? { error: `${error.code}: ${error.message}`, permanent: true }
        : { error: `ERROR: ${error instanceof Error ? error.name : 'unknown'}`, permanent: false };
    }
    if (failure === undefined) return;
    const attempts = step.attempts + 1;
    const giveUp = failure.permanent || attempts >= (this.deps.maxAttempts ?? 8);
    const at = clock.now();
    await procedureRepository.fail(db, procedure.procedure_id, step.step_no, failure.error, at.toISOString(), giveUp ? null : at.getTime() + (this.deps.backoffMs ?? defaultBackoffMs)(attempts));
  }

  /** Does the step's work; resolves with a failure to record, or undefined once the step is done. */
  private async attempt(
    key: StepKey, procedureId: string, applicantId: string, subjectId: string, stepNo: number, recorded: boolean,
    complete: (trx: Parameters<typeof procedureRepository.complete>[0], result: Readonly<Record<string, unknown>>) => Promise<void>,
  ): Promise<Failure | undefined> {
    const { registry, db, clock } = this.deps;
    const today = vietnamDay(clock.now());
    switch (key) {
      case 'permanent_residence': {
        // The child lives where the applying parent is registered, in the parent's household.
        const parent = await registry.getPerson(applicantId);
        await registry.recordEvent({
          personId: subjectId, type: 'residence_change', occurredOn: today, officerId: null, reason: 'Thủ tục liên thông: đăng ký thường trú cho trẻ em',
          data: {
            permanentCommune: parent.permanentCommune, permanentAddress: parent.permanentAddress,
            currentCommune: parent.currentCommune ?? parent.permanentCommune, currentAddress: parent.currentAddress ?? parent.permanentAddress,
            householdId: parent.householdId, relationshipToHead: parent.householdId === null ? null : relationshipOfChild(parent),
          },
        }, (trx, { event }) => complete(trx, { eventId: event.eventId, householdId: parent.householdId }));
        return undefined;
      }
      case 'residence_removal': {
        await registry.recordEvent({
          personId: subjectId, type: 'residence_change', occurredOn: today, officerId: null, reason: 'Thủ tục liên thông: xóa đăng ký thường trú do đã chết',
          data: { permanentCommune: null, permanentAddress: null, temporaryCommune: null, temporaryAddress: null, currentCommune: null, currentAddress: null, householdId: null, relationshipToHead: null },
        }, (trx, { event }) => complete(trx, { eventId: event.eventId }));
        return undefined;
      }
      case 'eid_lock': {
        // The death locked the account in its own transaction (citizen-account.service.ts onRegistryEvent): observed here.
        const status = await this.deps.accountStatusOf(subjectId);
        if (status !== undefined && status !== 'deceased') return { error: `ACCOUNT_NOT_LOCKED: the account is ${status}`, permanent: true };
        await db.transaction().execute((trx) => complete(trx, { account: status === undefined ? 'none' : 'locked' }));
        return undefined;
      }
      case 'health_insurance_card':
      case 'pension_stop': {
        const person = await registry.getPerson(subjectId);
        const payload = key === 'health_insurance_card'
          ? { fullName: person.fullName, birthDate: person.birthDate, sex: person.sex, permanentResidence: { communeCode: person.permanentCommune, address: person.permanentAddress }, fatherId: person.fatherId, motherId: person.motherId }
          : { fullName: person.fullName, birthDate: person.birthDate, deathDate: person.deathDate };
        return this.deliver(key, procedureId, stepNo, person, payload, recorded, complete);
      }
      case 'birth_registration':
      case 'death_registration':
        // Done at submission, in the registry's transaction; never due.
        await db.transaction().execute((trx) => complete(trx, {}));
        return undefined;
    }
  }

  /** A signed POST to the owning agency; its access records are written before the first try. */
  private async deliver(
    key: 'health_insurance_card' | 'pension_stop', procedureId: string, stepNo: number, person: PersonRecord, payload: Readonly<Record<string, unknown>>, recorded: boolean,
    complete: (trx: Parameters<typeof procedureRepository.complete>[0], result: Readonly<Record<string, unknown>>) => Promise<void>,
  ): Promise<Failure | undefined> {
    const { db, clock } = this.deps;
    const url = await procedureRepository.endpoint(db, 'bhxh');
    if (url === undefined) return { error: 'NO_ENDPOINT: no delivery address is set for bhxh', permanent: false };
    const at = clock.now();
    if (!recorded) {
      const record: AccessRecordInput = {
        personId: person.idNumber, at: at.toISOString(), clientId: proceduresClient, receivingAgency: agencies.bhxh.name,
        officerId: 'linked-procedure', service: `procedure.${key}`,
        purpose: key === 'health_insurance_card' ? 'Cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi (thủ tục liên thông)' : 'Báo dừng lương hưu, trợ cấp khi người hưởng đã chết (thủ tục liên thông)',
        legalBasis: proceduresLegalBasis, fields: ['idNumber', ...Object.keys(payload)], visibility: 'public', requestId: `${procedureId}/${String(stepNo)}`,
      };
      await this.deps.accessLog.appendMany([record]);
      await procedureRepository.markRecorded(db, procedureId, stepNo);
    }
    const body = JSON.stringify({ procedureId, step: key, idNumber: person.idNumber, ...payload });
    let status: number;
    try {
      status = await this.post(url, body, {
        [signatureHeader]: signWebhookBody(body, this.deps.keyId, this.deps.privateKey, `procedure:${procedureId}`, at.getTime()),
        'idempotency-key': `${procedureId}:${String(stepNo)}`,
      }, this.deps.timeoutMs ?? 10_000);
    } catch (error) {
      return { error: `NETWORK: ${error instanceof Error ? error.name : 'unknown'}`, permanent: false };
    }
    if (status < 200 || status > 299) return { error: `HTTP ${String(status)}`, permanent: false };
    await db.transaction().execute((trx) => complete(trx, { deliveredTo: 'bhxh', deliveredAt: clock.now().toISOString() }));
    return undefined;
  }
}

/** Thrown inside a step's transaction when another runner finished the step first. */
class StepTaken extends Error {
  override readonly name = 'StepTaken';
}

/** The newborn's relationship to the head of the parent's household. */
function relationshipOfChild(parent: PersonRecord): string {
  return parent.relationshipToHead === 'child' || parent.relationshipToHead === 'child_in_law' ? 'grandchild' : 'child';
}
