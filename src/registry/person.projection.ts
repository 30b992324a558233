import { foldName } from '../shared/vietnamese-text.js';
import type { PersonsTable } from '../store/database.types.js';
import type { LifeEvent } from './life-event.types.js';
import { personFactKeys, type PersonFacts, type PersonRecord } from './person.types.js';

type EventLike = Pick<LifeEvent, 'personId' | 'type' | 'data' | 'recordedAt'>;

/**
 * Applies one life event to a person's record: the projection that the registry keeps current
 * and that history replays. Pure: the same events give the same record.
 *
 * @example
 * const record = events.reduce(applyLifeEvent, undefined);
 */
export function applyLifeEvent(current: PersonRecord | undefined, event: EventLike): PersonRecord {
  // Plain loops over the fact keys: this runs once per event in imports, history and replays.
  const data = event.data;
  if (current === undefined) {
    if (event.type !== 'birth_registration' && event.type !== 'registration') {
      throw new Error(`the first event of a person must create them, got ${event.type}`);
    }
    const created: Record<string, unknown> = { idNumber: event.personId };
    for (const k of personFactKeys) created[k] = data[k] ?? null;
    created.version = 1;
    created.createdAt = event.recordedAt;
    created.updatedAt = event.recordedAt;
    return created as unknown as PersonRecord;
  }
  const next: Record<string, unknown> = { ...current };
  for (const k of personFactKeys) if (k in data) next[k] = data[k] ?? null;
  next.version = current.version + 1;
  next.updatedAt = event.recordedAt;
  return next as unknown as PersonRecord;
}

/** Replays a person's events in order; undefined when there are none. */
export function replayLifeEvents(events: readonly EventLike[]): PersonRecord | undefined {
  let record: PersonRecord | undefined;
  for (const event of events) record = applyLifeEvent(record, event);
  return record;
}

/** Each fact's column in the persons table: what toPersonRow writes and person files are read by. */
export const personFactColumns: Readonly<Record<keyof PersonFacts, keyof PersonsTable>> = {
  fullName: 'full_name', birthDate: 'birth_date', sex: 'sex', ethnicity: 'ethnicity', religion: 'religion',
  nationality: 'nationality', birthProvince: 'birth_province', birthCommune: 'birth_commune', hometown: 'hometown',
  permanentCommune: 'permanent_commune', permanentAddress: 'permanent_address', temporaryCommune: 'temporary_commune',
  temporaryAddress: 'temporary_address', currentCommune: 'current_commune', currentAddress: 'current_address',
  fatherId: 'father_id', motherId: 'mother_id', spouseId: 'spouse_id', householdId: 'household_id',
  relationshipToHead: 'relationship_to_head', status: 'status', deathDate: 'death_date',
};

/** The persons table's name_folded of a full name (what toPersonRow stores). */
export function nameFoldedOf(fullName: string): string {
  return foldName(fullName);
}

/** The stored row of a person record. */
export function toPersonRow(p: PersonRecord): PersonsTable {
  return {
    id_number: p.idNumber,
    full_name: p.fullName,
    name_folded: foldName(p.fullName),
    birth_date: p.birthDate,
    sex: p.sex,
    ethnicity: p.ethnicity,
    religion: p.religion,
    nationality: p.nationality,
    birth_province: p.birthProvince,
    birth_commune: p.birthCommune,
    hometown: p.hometown,
    permanent_commune: p.permanentCommune,
    permanent_address: p.permanentAddress,
    temporary_commune: p.temporaryCommune,
    temporary_address: p.temporaryAddress,
    current_commune: p.currentCommune,
    current_address: p.currentAddress,
    father_id: p.fatherId,
    mother_id: p.motherId,
    spouse_id: p.spouseId,
    household_id: p.householdId,
    relationship_to_head: p.relationshipToHead,
    status: p.status,
    death_date: p.deathDate,
    version: p.version,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
  };
}

/**
 * The columns a person record is read from, in order: what the by-ID lookup selects as a plain
 * array (better-sqlite3's raw mode builds no 27-key object, ~6 µs of a ~20 µs lookup).
 */
export const personRecordColumns = [
  'id_number', 'full_name', 'birth_date', 'sex', 'ethnicity', 'religion', 'nationality', 'birth_province', 'birth_commune',
  'hometown', 'permanent_commune', 'permanent_address', 'temporary_commune', 'temporary_address', 'current_commune',
  'current_address', 'father_id', 'mother_id', 'spouse_id', 'household_id', 'relationship_to_head', 'status', 'death_date',
  'version', 'created_at', 'updated_at',
] as const satisfies readonly (keyof PersonsTable)[];

type RecordColumns = typeof personRecordColumns;
/** The values of `personRecordColumns`, each typed as its column. */
export type PersonValues = { readonly [I in keyof RecordColumns]: RecordColumns[I] extends keyof PersonsTable ? PersonsTable[RecordColumns[I]] : never };

/** A person record from the values of `personRecordColumns`, in that order. */
export function fromPersonValues(v: PersonValues): PersonRecord {
  return {
    idNumber: v[0], fullName: v[1], birthDate: v[2], sex: v[3], ethnicity: v[4], religion: v[5], nationality: v[6],
    birthProvince: v[7], birthCommune: v[8], hometown: v[9], permanentCommune: v[10], permanentAddress: v[11],
    temporaryCommune: v[12], temporaryAddress: v[13], currentCommune: v[14], currentAddress: v[15], fatherId: v[16],
    motherId: v[17], spouseId: v[18], householdId: v[19], relationshipToHead: v[20], status: v[21], deathDate: v[22],
    version: v[23], createdAt: v[24], updatedAt: v[25],
  };
}

/** A person record from its stored row. */
export function fromPersonRow(r: PersonsTable): PersonRecord {
  return {
    idNumber: r.id_number,
    fullName: r.full_name,
    birthDate: r.birth_date,
    sex: r.sex,
    ethnicity: r.ethnicity,
    religion: r.religion,
    nationality: r.nationality,
    birthProvince: r.birth_province,
    birthCommune: r.birth_commune,
    hometown: r.hometown,
    permanentCommune: r.permanent_commune,
    permanentAddress: r.permanent_address,
    temporaryCommune: r.temporary_commune,
    temporaryAddress: r.temporary_address,
    currentCommune: r.current_commune,
    currentAddress: r.current_address,
    fatherId: r.father_id,
    motherId: r.mother_id,
    spouseId: r.spouse_id,
    householdId: r.household_id,
    relationshipToHead: r.relationship_to_head,
    status: r.status,
    deathDate: r.death_date,
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
