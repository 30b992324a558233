import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { foldName } from '../shared/vietnamese-text.js';
import { outboxEntryOf } from '../events/change-event.js';
import { outboxRepository } from '../events/outbox.repository.js';
import type { Clock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import { householdRepository } from './household.repository.js';
import { assertIdConsistent, decodeIdNumber, issueIdNumber } from './id-number.js';
import { lifeEventRepository } from './life-event.repository.js';
import { lifeEventTypes, settableFacts, type LifeEvent, type LifeEventType } from './life-event.types.js';
import { checkFreeText } from './free-text.js';
import { prepareRegistrationAt } from './registration.prepare.js';
import { parseFullDate, parsePartialDate, vietnamDay } from './partial-date.js';
import { applyLifeEvent, replayLifeEvents } from './person.projection.js';
import { personRepository, type Executor } from './person.repository.js';
import { assertFactsCoherent, validateFacts } from './person.validation.js';
import { personFactKeys, type HouseholdRecord, type PersonFacts, type PersonRecord } from './person.types.js';

export interface RegistryDeps {
  readonly db: Kysely<DB>;
  /** Searches by name, which may lag the primary a moment: a read replica's handle (store/read-replica.ts); default `db`. */
  readonly readDb?: Kysely<DB>;
  readonly clock: Clock;
  readonly newId?: () => string;
  /**
   * Called inside the transaction that changed these persons, after the change is written (the
   * quality engine re-checks them here, so findings never lag the record). A throw rolls back.
   */
  readonly onPersonsChanged?: (personIds: readonly string[], trx: Executor) => Promise<void>;
  /**
   * Called inside the transaction of a life event recorded on an existing person, after it is
   * written (citizens' e-ID accounts: a death locks the account, a new card re-binds it). A throw rolls back.
   */
  readonly onEventRecorded?: (event: LifeEvent, trx: Executor) => Promise<void>;
  /**
   * Called once that transaction has committed (not when it rolled back): what must not happen for
   * an event that was never recorded, such as telling relying parties that an e-ID account closed.
   * Not awaited: the event is recorded whatever this does.
   */
  readonly onEventCommitted?: (event: LifeEvent) => void;
}

/** A life event as an officer records it. */
export interface LifeEventInput {
  readonly personId: string;
  readonly type: LifeEventType;
  readonly occurredOn: string;
  readonly officerId: string | null;
  readonly reason: string | null;
  readonly data: Readonly<Record<string, unknown>>;
}

/** A new person: a birth, or someone taken over from an earlier register with their ID number. */
export interface RegistrationInput {
  readonly type: 'birth_registration' | 'registration';
  /** Required for `registration`; a birth gets a newly issued number when absent. */
  readonly idNumber?: string;
  readonly occurredOn: string;
  readonly officerId: string | null;
  readonly reason: string | null;
  readonly facts: Readonly<Record<string, unknown>>;
}

export interface HouseholdView {
  readonly household: HouseholdRecord;
  readonly members: readonly PersonRecord[];
}

/**
 * The registry's use cases: read a person, their history and household; record life events,
 * each applied to the projection in the same transaction as it is appended.
 */
export class RegistryService {
  private readonly newId: () => string;

  constructor(private readonly deps: RegistryDeps) {
    this.newId = deps.newId ?? randomUUID;
  }

  /** Today in Viet Nam: nothing may be recorded as having happened after it. */
  private today(): string {
    return vietnamDay(this.deps.clock.now());
  }

  /** Checks the shape of an ID number and that the person exists. */
  async getPerson(idNumber: string): Promise<PersonRecord> {
    decodeIdNumber(idNumber, this.deps.clock.now());
    const person = await personRepository.findById(this.deps.db, idNumber);
    if (person === undefined) throw notFound(idNumber);
    return person;
  }

  /** getPerson with the commune of the person's household (householdCommune's answer), read in one query. */
  async getPersonWithHouseholdCommune(idNumber: string): Promise<{ readonly person: PersonRecord; readonly householdCommune: string | null }> {
    decodeIdNumber(idNumber, this.deps.clock.now());
    const found = await personRepository.findWithHouseholdCommune(this.deps.db, idNumber);
    if (found === undefined) throw notFound(idNumber);
    return { person: found.person, householdCommune: found.householdCommune === null || found.householdCommune === '' ? null : found.householdCommune };
  }

  async searchPersons(query: { readonly name: string; readonly birthDate?: string | undefined; readonly limit?: number | undefined }): Promise<readonly PersonRecord[]> {
    const nameFolded = foldName(query.name);
    if (nameFolded.length < 2) {
      throw new DomainError('invalid', 'SEARCH_TOO_BROAD', 'give at least two letters of the name', 'Type more of the name, surname first');
    }
    if (query.birthDate !== undefined) parsePartialDate(query.birthDate, 'birth');
    return personRepository.search(this.deps.readDb ?? this.deps.db, {
      nameFolded,
      ...(query.birthDate === undefined ? {} : { birthDate: query.birthDate }),
      limit: Math.min(Math.max(query.limit ?? 50, 1), 500),
    });
  }

  /**
   * A search kept to the persons `keep` accepts (a reader's unit), walking the national matches
   * page by page in the search's order until `limit` are kept. A common name has thousands of
   * matches nationally: at most `maxScanned` are looked at, and `complete` says whether every
   * match was (when not, the reader is asked to narrow the search).
   */
  async searchPersonsKept(
    query: { readonly name: string; readonly birthDate?: string | undefined; readonly limit?: number | undefined },
    keep: (person: PersonRecord) => boolean | Promise<boolean>,
    maxScanned = 20_000,
  ): Promise<{ readonly persons: readonly PersonRecord[]; readonly complete: boolean }> {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    const page = 500;
    const kept: PersonRecord[] = [];
    let after: { nameFolded: string; birthDate: string; idNumber: string } | undefined;
    for (let scanned = 0; scanned < maxScanned;) {
      const found = after === undefined
        ? await this.searchPersons({ ...query, limit: page })
        : await personRepository.search(this.deps.readDb ?? this.deps.db, { nameFolded: foldName(query.name), ...(query.birthDate === undefined ? {} : { birthDate: query.birthDate }), limit: page, after });
      for (const person of found) {
        if (await keep(person)) kept.push(person);
        if (kept.length >= limit) return { persons: kept, complete: true };
      }
      scanned += found.length;
      const last = found.at(-1);
      if (found.length < page || last === undefined) return { persons: kept, complete: true };
      after = { nameFolded: foldName(last.fullName), birthDate: last.birthDate, idNumber: last.idNumber };
    }
    return { persons: kept, complete: false };
  }

  async personEvents(idNumber: string): Promise<readonly LifeEvent[]> {
    await this.getPerson(idNumber);
    return lifeEventRepository.forPerson(this.deps.db, idNumber);
  }

  /** What the registry said about the person at the end of day `at` (by recording time). */
  async personAsOf(idNumber: string, at: string): Promise<PersonRecord> {
    parseFullDate(at, 'at');
    decodeIdNumber(idNumber, this.deps.clock.now());
    const events = await lifeEventRepository.forPerson(this.deps.db, idNumber, `${at}T23:59:59.999Z`);
    const record = replayLifeEvents(events);
    if (record === undefined) {
      const exists = await personRepository.exists(this.deps.db, idNumber);
      if (!exists) throw notFound(idNumber);
      throw new DomainError('not_found', 'PERSON_NOT_YET_RECORDED', `the registry had no record of ${idNumber} on ${at}`, 'Ask for a later date');
    }
    return record;
  }

  /** The commune a household is registered in (its tie for jurisdiction), or null. */
  async householdCommune(householdId: string | null): Promise<string | null> {
    if (householdId === null) return null;
    const household = await householdRepository.findById(this.deps.db, householdId);
    return household === undefined || household.communeCode === '' ? null : household.communeCode;
  }

  async household(householdId: string): Promise<HouseholdView> {
    const household = await householdRepository.findById(this.deps.db, householdId);
    if (household === undefined) {
      throw new DomainError('not_found', 'HOUSEHOLD_NOT_FOUND', `no household ${householdId}`, 'Check the household number');
    }
    return { household, members: await personRepository.householdMembers(this.deps.db, householdId) };
  }

  /**
   * Registers a new person (birth or take-over from an earlier register). `within` runs in the
   * same transaction once the person is written (a linked procedure marks its step done there,
   * so the step and the registration commit together or not at all); a throw rolls both back.
   */
  async register(input: RegistrationInput, within?: (trx: Executor, record: PersonRecord) => Promise<void>): Promise<PersonRecord> {
    return this.deps.db.transaction().execute(async (trx) => {
      const record = await this.registerIn(trx, input);
      await within?.(trx, record);
      return record;
    });
  }

  /**
   * Registers many people all-or-nothing: one invalid record or one taken ID number aborts the
   * whole batch, so a batch is either wholly in the registry or not at all.
   */
  async registerBatch(inputs: readonly RegistrationInput[]): Promise<readonly PersonRecord[]> {
    return this.deps.db.transaction().execute(async (trx) => {
      const out: PersonRecord[] = [];
      for (const input of inputs) out.push(await this.registerIn(trx, input));
      return out;
    });
  }

  /** Validates a registration without writing it; the same checks as `register`. */
  prepareRegistration(input: RegistrationInput): { readonly event: Omit<LifeEvent, 'seq'>; readonly record: PersonRecord } {
    return prepareRegistrationAt(input, this.deps.clock.now(), this.newId);
  }

  private async registerIn(trx: Executor, input: RegistrationInput): Promise<PersonRecord> {
    let idNumber = input.idNumber;
    if (idNumber === undefined && input.type === 'birth_registration') {
      const facts = input.facts;
      if (typeof facts.birthProvince !== 'string' || (facts.sex !== 'M' && facts.sex !== 'F') || typeof facts.birthDate !== 'string') {
        throw new DomainError('invalid', 'FIELD_MISSING', 'a birth needs the birth province, sex and date of birth to issue an ID number', 'Give birthProvince, sex and birthDate');
      }
      idNumber = await issueIdNumber(
        { birthProvince: facts.birthProvince, sex: facts.sex, birthYear: parsePartialDate(facts.birthDate, 'birthDate').year },
        (candidate) => personRepository.exists(trx, candidate),
      );
    }
    const { event, record } = this.prepareRegistration({ ...input, ...(idNumber === undefined ? {} : { idNumber }) });
    if (await personRepository.exists(trx, record.idNumber)) {
      throw new DomainError('conflict', 'ID_NUMBER_TAKEN', `ID number ${record.idNumber} is already in the registry`, 'ID numbers are never reused: check the number, or record a correction on the existing person');
    }
    await personRepository.insert(trx, record);
    await lifeEventRepository.append(trx, event);
    await this.syncHousehold(trx, record, event.recordedAt);
    await this.deps.onPersonsChanged?.([record.idNumber], trx);
    // The change event commits with its life event, or neither does; last, as it orders commits (outbox.repository.ts).
    await outboxRepository.append(trx, [outboxEntryOf(event, undefined, record)]);
    return record;
  }

  /**
   * Records a life event on an existing person: append and project in one transaction. `within`
   * runs in that transaction after the event is written (see `register`); a throw rolls back.
   */
  async recordEvent(
    input: LifeEventInput,
    within?: (trx: Executor, result: { readonly person: PersonRecord; readonly event: LifeEvent }) => Promise<void>,
  ): Promise<{ readonly person: PersonRecord; readonly event: LifeEvent }> {
    if (!lifeEventTypes.includes(input.type)) {
      throw new DomainError('invalid', 'EVENT_TYPE_UNKNOWN', `unknown life event type ${input.type}`, `Use one of ${lifeEventTypes.join(', ')}`);
    }
    if (input.type === 'birth_registration' || input.type === 'registration') {
      throw new DomainError('invalid', 'EVENT_TYPE_NOT_ALLOWED', `${input.type} creates a person; use the registration endpoint`, 'Register the person instead');
    }
    const today = this.today();
    parseFullDate(input.occurredOn, 'occurredOn');
    if (input.occurredOn > today) throw inFuture();
    checkRecordingText(input.officerId, input.reason, input.data);
    const allowed = settableFacts[input.type];
    const extra = allowed === 'all' ? [] : Object.keys(input.data).filter((k) => (personFactKeys as readonly string[]).includes(k) && !allowed.includes(k as keyof PersonFacts));
    if (extra.length > 0) {
      throw new DomainError('invalid', 'EVENT_FIELD_NOT_ALLOWED', `a ${input.type} event cannot set ${extra.join(', ')}`, allowed === 'all' ? 'Remove those fields' : `It may set: ${allowed.join(', ') || 'nothing'}`);
    }
    const factInput = Object.fromEntries(Object.entries(input.data).filter(([k]) => (personFactKeys as readonly string[]).includes(k)));
    const facts = validateFacts(factInput, input.occurredOn, today);
    const detail = Object.fromEntries(Object.entries(input.data).filter(([k]) => !(personFactKeys as readonly string[]).includes(k)));
    if (input.type === 'death') Object.assign(facts, { status: 'deceased', deathDate: input.occurredOn });
    if (input.type === 'correction' && (input.reason === null || input.reason.trim() === '')) {
      throw new DomainError('invalid', 'REASON_REQUIRED', 'a correction needs a reason', 'Say why the record is corrected and on what document');
    }

    const result = await this.deps.db.transaction().execute(async (trx) => {
      const current = await personRepository.findById(trx, input.personId);
      if (current === undefined) throw notFound(input.personId);
      // After a death only corrections, and the removal of the residence registration (xóa đăng ký thường trú).
      if (current.status === 'deceased' && input.type !== 'correction' && !(input.type === 'residence_change' && removesResidence(facts))) {
        throw new DomainError('conflict', 'PERSON_DECEASED', `the person died on ${current.deathDate ?? 'an unknown date'}; only corrections can be recorded`, 'Record a correction if the death was recorded in error');
      }
      if (input.type === 'marriage' && current.spouseId !== null) {
        throw new DomainError('conflict', 'ALREADY_MARRIED', 'the person is recorded as married', 'Record the divorce or death of the spouse first');
      }
      if (input.type === 'divorce') Object.assign(facts, { spouseId: null });
      const event: Omit<LifeEvent, 'seq'> = {
        eventId: this.newId(),
        personId: input.personId,
        type: input.type,
        occurredOn: input.occurredOn,
        recordedAt: this.deps.clock.now().toISOString(),
        officerId: input.officerId,
        reason: input.reason,
        data: { ...detail, ...facts },
      };
      const next = applyLifeEvent(current, event);
      if (input.type === 'correction' || input.type === 'death') {
        assertFactsCoherent(next);
        if (input.type === 'correction' && ('birthDate' in facts || 'sex' in facts)) assertIdConsistent(next.idNumber, next, this.deps.clock.now());
      }
      if (!(await personRepository.update(trx, next, current.version))) {
        throw new DomainError('conflict', 'PERSON_CHANGED', 'the record changed while this event was being recorded', 'Reload the person and record the event again');
      }
      await lifeEventRepository.append(trx, event);
      await this.syncHousehold(trx, next, event.recordedAt);
      await this.deps.onPersonsChanged?.([next.idNumber], trx);
      await outboxRepository.append(trx, [outboxEntryOf(event, current, next)]);
      const stored = await lifeEventRepository.byEventId(trx, event.eventId);
      await this.deps.onEventRecorded?.(stored, trx);
      await within?.(trx, { person: next, event: stored });
      return { person: next, event: stored };
    });
    this.deps.onEventCommitted?.(result.event);
    return result;
  }

  /** Keeps the household row in step: it exists, and its head is the member recorded as head. */
  private async syncHousehold(trx: Executor, person: PersonRecord, at: string): Promise<void> {
    if (person.householdId === null) return;
    const existing = await householdRepository.findById(trx, person.householdId);
    const isHead = person.relationshipToHead === 'head' || person.relationshipToHead === 'chủ hộ';
    if (existing === undefined) {
      await householdRepository.upsert(trx, {
        householdId: person.householdId,
        headId: isHead ? person.idNumber : null,
        communeCode: person.permanentCommune ?? person.currentCommune ?? '',
        address: person.permanentAddress ?? person.currentAddress,
        createdAt: at,
        updatedAt: at,
      });
    } else if (isHead && existing.headId !== person.idNumber) {
      await householdRepository.upsert(trx, { ...existing, headId: person.idNumber, updatedAt: at });
    }
  }
}

/** A residence change that clears every residence and the household: what the removal after a death records. */
function removesResidence(facts: Partial<PersonFacts>): boolean {
  const keys = ['permanentCommune', 'permanentAddress', 'temporaryCommune', 'temporaryAddress', 'currentCommune', 'currentAddress', 'householdId', 'relationshipToHead'] as const;
  return keys.every((k) => k in facts && facts[k] === null);
}

function inFuture(): DomainError {
  return new DomainError('invalid', 'DATE_IN_FUTURE', 'occurredOn is after today (in Viet Nam)', 'Record events once they have happened', { field: 'occurredOn' });
}

/** Deepest nesting of an event's extra data that is checked and kept. */
const maxDetailDepth = 8;

/**
 * The free text an officer adds to an event (officer id, reason, and any text in the event's extra
 * data, such as an ID card's issuing place) obeys the same character rules as the person's fields.
 * The walk is iterative and bounded, so a deeply nested body cannot exhaust the stack.
 */
function checkRecordingText(officerId: string | null, reason: string | null, data: Readonly<Record<string, unknown>>): void {
  if (officerId !== null) checkFreeText(officerId, 'officerId');
  if (reason !== null) checkFreeText(reason, 'reason');
  const stack: { value: unknown; field: string; depth: number }[] = Object.entries(data)
    .filter(([key]) => !(personFactKeys as readonly string[]).includes(key))
    .map(([key, value]) => ({ value, field: key, depth: 1 }));
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, field, depth } = item;
    if (typeof value === 'string') checkFreeText(value, field);
    else if (typeof value === 'object' && value !== null) {
      if (depth > maxDetailDepth) {
        throw new DomainError('invalid', 'EVENT_DATA_TOO_DEEP', `event data ${field} is nested more than ${maxDetailDepth} levels deep`, 'Flatten the event data', { field });
      }
      for (const [key, inner] of Object.entries(value)) {
        checkFreeText(key, field);
        stack.push({ value: inner, field: `${field}.${key}`, depth: depth + 1 });
      }
    }
  }
}

function notFound(idNumber: string): DomainError {
  return new DomainError('not_found', 'PERSON_NOT_FOUND', `no person with ID number ${idNumber} in the registry`, 'Check the number; a newborn appears once the birth is registered');
}
