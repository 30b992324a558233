import { DomainError } from '../shared/domain-error.js';
import { checkFreeText } from './free-text.js';
import { assertIdConsistent } from './id-number.js';
import type { LifeEvent } from './life-event.types.js';
import { earliestDay, parsePartialDate, vietnamDay } from './partial-date.js';
import { applyLifeEvent } from './person.projection.js';
import { personFactKeys, type PersonFacts, type PersonRecord } from './person.types.js';
import { assertFactsCoherent, validateFacts } from './person.validation.js';
import type { RegistrationInput } from './registry.service.js';

const defaultFacts: Partial<PersonFacts> = { nationality: 'VN', status: 'alive', deathDate: null };
const requiredFacts = ['fullName', 'birthDate', 'sex', 'birthProvince'] as const;
/** Every fact, null, in personFactKeys order; JSON.parse builds it in fast mode. */
const blankFacts = JSON.parse(JSON.stringify(Object.fromEntries(personFactKeys.map((k) => [k, null])))) as Readonly<Record<string, null>>;

/**
 * Validates a registration and builds its event and the record it creates, as of `now`, without
 * a store: the registry's own path, and an import's worker thread, which checks rows in bulk.
 *
 * @throws DomainError with the code of the first rule the input breaks
 * @example
 * const { event, record } = prepareRegistrationAt({ type: 'registration', idNumber, occurredOn, officerId: null, reason: null, facts }, new Date(), randomUUID);
 */
export function prepareRegistrationAt(input: RegistrationInput, now: Date, newId: () => string): { readonly event: Omit<LifeEvent, 'seq'>; readonly record: PersonRecord } {
  const today = vietnamDay(now);
  checkRecording(input, today);
  return prepareCheckedRegistration(input, { now, today, recordedAt: now.toISOString(), newId });
}

/** The day, time and id source a batch of registrations is prepared with. */
export interface RegistrationMoment {
  readonly now: Date;
  /** vietnamDay(now) */
  readonly today: string;
  /** now.toISOString() */
  readonly recordedAt: string;
  readonly newId: () => string;
}

/**
 * The checks of a registration that are the same for every row of an import batch (its day, the
 * officer and the reason recorded): done once a batch by prepareCheckedRegistration's callers.
 *
 * @throws DomainError DATE_INVALID, DATE_IN_FUTURE, TEXT_*
 */
export function checkRecording(input: Pick<RegistrationInput, 'occurredOn' | 'officerId' | 'reason'>, today: string): void {
  parsePartialDate(input.occurredOn, 'occurredOn');
  if (earliestDay(input.occurredOn) > today) {
    throw new DomainError('invalid', 'DATE_IN_FUTURE', 'occurredOn is after today (in Viet Nam)', 'Record events once they have happened', { field: 'occurredOn' });
  }
  if (input.officerId !== null) checkFreeText(input.officerId, 'officerId');
  if (input.reason !== null) checkFreeText(input.reason, 'reason');
}

/**
 * prepareRegistrationAt for an input whose day, officer and reason checkRecording has passed:
 * every check of the facts and the ID number, per row.
 */
export function prepareCheckedRegistration(input: RegistrationInput, at: RegistrationMoment): { readonly event: Omit<LifeEvent, 'seq'>; readonly record: PersonRecord } {
  const complete = checkRegistrationFacts(input, at);
  const event: Omit<LifeEvent, 'seq'> = {
    eventId: at.newId(),
    personId: input.idNumber ?? '',
    type: input.type,
    occurredOn: input.occurredOn,
    recordedAt: at.recordedAt,
    officerId: input.officerId,
    reason: input.reason,
    data: { ...complete },
  };
  return { event, record: applyLifeEvent(undefined, event) };
}

/**
 * The checks of prepareCheckedRegistration without building the event and record: the complete
 * facts (every key of personFactKeys, in that order, blanks null) once they pass, for callers
 * that write the rows themselves (an import packs them straight into the store's rows).
 *
 * @throws DomainError with the code of the first rule the input breaks
 */
export function checkRegistrationFacts(input: RegistrationInput, at: Pick<RegistrationMoment, 'now' | 'today'>): PersonFacts {
  const { today } = at;
  const valid = validateFacts(input.facts, input.occurredOn.length === 10 ? input.occurredOn : today, today) as Readonly<Record<string, unknown>>;
  // As { ...defaultFacts, ...valid }: a default only stands where validation gave no value.
  // A copy of a fast-mode record of every fact, then filled: one allocation, not a hash table.
  const facts: Record<string, unknown> = { ...blankFacts };
  for (const k of personFactKeys) facts[k] = valid[k] !== undefined ? valid[k] : (defaultFacts[k] ?? null);
  if (requiredFacts.some((k) => valid[k] === undefined)) {
    const missing = requiredFacts.filter((k) => valid[k] === undefined);
    throw new DomainError('invalid', 'FIELD_MISSING', `missing ${missing.join(', ')}`, 'A registration needs at least the full name, date of birth, sex and birth province');
  }
  const complete = facts as unknown as PersonFacts;
  assertFactsCoherent(complete);
  if (input.idNumber === undefined) {
    throw new DomainError('invalid', 'ID_NUMBER_MISSING', 'a registration from an earlier register needs the person\'s ID number', 'Give the 12-digit ID number');
  }
  assertIdConsistent(input.idNumber, complete, at.now);
  return complete;
}
