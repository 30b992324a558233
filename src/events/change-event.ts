import { adminUnitCatalog, LAST_DAY_BEFORE_REFORM } from '../registry/admin-unit.catalog.js';
import type { LifeEvent } from '../registry/life-event.types.js';
import type { PersonFacts, PersonRecord } from '../registry/person.types.js';

/**
 * A change event as agencies receive it: the life event, with the facts it set under the
 * exchange's field names (residence fields carry commune code and address together).
 */
export interface ChangeEvent {
  readonly eventId: string;
  /** Position in the outbox: the cursor of pull, push and replay. */
  readonly seq: number;
  readonly personId: string;
  readonly type: string;
  readonly occurredOn: string;
  readonly recordedAt: string;
  /** 2-digit province codes the event concerns: the person's province before and after it. */
  readonly provinces: readonly string[];
  /** The facts the event set, by exchange field name; a delivery keeps only the subscribed, granted ones. */
  readonly data: Readonly<Record<string, unknown>>;
}

/** What the registry writes to the outbox for one life event (seq is given by the store). */
export type OutboxEntry = Omit<ChangeEvent, 'seq'>;

/** The facts that are not exchange fields of their own: residence parts, folded into one field. */
const residenceOf: Partial<Record<keyof PersonFacts, readonly ['permanentResidence' | 'temporaryResidence' | 'currentResidence', 'communeCode' | 'address']>> = {
  permanentCommune: ['permanentResidence', 'communeCode'],
  permanentAddress: ['permanentResidence', 'address'],
  temporaryCommune: ['temporaryResidence', 'communeCode'],
  temporaryAddress: ['temporaryResidence', 'address'],
  currentCommune: ['currentResidence', 'communeCode'],
  currentAddress: ['currentResidence', 'address'],
};

/** Facts sent under their own name (the exchange's person fields); birthCommune has no exchange field and is never sent. */
const plainFacts: ReadonlySet<string> = new Set([
  'fullName', 'birthDate', 'sex', 'ethnicity', 'religion', 'nationality', 'birthProvince', 'hometown', 'fatherId', 'motherId',
  'spouseId', 'householdId', 'relationshipToHead', 'status', 'deathDate',
]);

const provinceOfCommune = new Map<string, string | null>();

/** The 2-digit province of a commune code (2025 units first, then the pre-2025 ones); null when unknown. */
export function provinceOf(communeCode: string | null): string | null {
  if (communeCode === null || communeCode === '') return null;
  let code = provinceOfCommune.get(communeCode);
  if (code === undefined) {
    const catalog = adminUnitCatalog();
    const c = catalog.findCommune(communeCode, '2026-01-01') ?? catalog.findCommune(communeCode, LAST_DAY_BEFORE_REFORM);
    code = c?.provinceCode ?? null;
    if (provinceOfCommune.size < 20_000) provinceOfCommune.set(communeCode, code);
  }
  return code;
}

function provincesOfPerson(p: PersonRecord | undefined): string[] {
  if (p === undefined) return [];
  const code = provinceOf(p.permanentCommune ?? p.currentCommune);
  return code === null ? [] : [code];
}

/** One key of a change event's data: a fact under its own name, or a residence of two facts. */
export interface ChangeDataEntry {
  readonly name: string;
  /** The fact a plain entry holds. */
  readonly fact?: keyof PersonFacts;
  /** A residence's parts, in the order outboxEntryOf writes them (communeCode, address). */
  readonly parts: readonly { readonly name: 'communeCode' | 'address'; readonly fact: keyof PersonFacts }[];
}

/**
 * The keys, in order, of outboxEntryOf's data for an event that sets `keys` (in that order):
 * for writers that build the same JSON without building the object (an import's batches).
 */
export function changeDataLayout(keys: readonly (keyof PersonFacts)[]): readonly ChangeDataEntry[] {
  const out: ChangeDataEntry[] = [];
  const seen = new Set<string>();
  for (const key of keys) {
    const residence = residenceOf[key];
    if (residence !== undefined) {
      const [field] = residence;
      if (seen.has(field)) continue;
      seen.add(field);
      const prefix = field.replace('Residence', '') as 'permanent' | 'temporary' | 'current';
      out.push({ name: field, parts: [{ name: 'communeCode', fact: `${prefix}Commune` }, { name: 'address', fact: `${prefix}Address` }] });
    } else if (plainFacts.has(key)) {
      out.push({ name: key, fact: key, parts: [] });
    }
  }
  return out;
}

/**
 * The outbox entry of a life event, given the person before (undefined for a registration) and
 * after it. The facts are those the event set, with residence values taken from the record after.
 */
export function outboxEntryOf(event: Omit<LifeEvent, 'seq'>, before: PersonRecord | undefined, after: PersonRecord): OutboxEntry {
  const data: Record<string, unknown> = {};
  for (const key of Object.keys(event.data)) {
    const residence = residenceOf[key as keyof PersonFacts];
    if (residence !== undefined) {
      const [field] = residence;
      const prefix = field.replace('Residence', '') as 'permanent' | 'temporary' | 'current';
      data[field] = { communeCode: after[`${prefix}Commune`], address: after[`${prefix}Address`] };
    } else if (plainFacts.has(key)) {
      data[key] = after[key as keyof PersonRecord];
    }
  }
  const provinces = [...new Set([...provincesOfPerson(before), ...provincesOfPerson(after)])];
  return {
    eventId: event.eventId,
    personId: event.personId,
    type: event.type,
    occurredOn: event.occurredOn,
    recordedAt: event.recordedAt,
    provinces,
    data,
  };
}
