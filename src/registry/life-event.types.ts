import type { PersonFacts } from './person.types.js';

/**
 * Kinds of life event. `registration` records a person taken over from an earlier register
 * (an import), where `birth_registration` records a birth.
 */
export type LifeEventType =
  | 'birth_registration'
  | 'registration'
  | 'id_issuance'
  | 'residence_change'
  | 'marriage'
  | 'divorce'
  | 'name_change'
  | 'correction'
  | 'death';

export const lifeEventTypes: readonly LifeEventType[] = [
  'birth_registration', 'registration', 'id_issuance', 'residence_change', 'marriage', 'divorce', 'name_change',
  'correction', 'death',
];

/** The facts an event may set; the creating events set them all. */
export const settableFacts: Readonly<Record<LifeEventType, readonly (keyof PersonFacts)[] | 'all'>> = {
  birth_registration: 'all',
  registration: 'all',
  id_issuance: [],
  residence_change: [
    'permanentCommune', 'permanentAddress', 'temporaryCommune', 'temporaryAddress', 'currentCommune',
    'currentAddress', 'householdId', 'relationshipToHead',
  ],
  marriage: ['spouseId'],
  divorce: ['spouseId'],
  name_change: ['fullName'],
  correction: [
    'fullName', 'birthDate', 'sex', 'ethnicity', 'religion', 'nationality', 'birthCommune', 'hometown',
    'fatherId', 'motherId', 'spouseId', 'relationshipToHead', 'deathDate', 'status',
  ],
  death: ['status', 'deathDate'],
};

/** A recorded life event. Append-only: never changed once written. */
export interface LifeEvent {
  readonly seq: number;
  readonly eventId: string;
  readonly personId: string;
  readonly type: LifeEventType;
  /** When it happened in the world (YYYY-MM-DD, or partial for old births). */
  readonly occurredOn: string;
  /** When the registry recorded it (ISO timestamp). */
  readonly recordedAt: string;
  readonly officerId: string | null;
  readonly reason: string | null;
  /** The facts the event sets (PersonFacts keys); id_issuance carries card details instead. */
  readonly data: Readonly<Record<string, unknown>>;
}
