import { foldName } from '../shared/vietnamese-text.js';
import type { AdminUnitCatalog } from '../registry/admin-unit.catalog.js';
import type { PopulationBatch } from '../registry/population.generator.js';
import { SeededRandom } from '../registry/population.random.js';
import { DomainError } from '../shared/domain-error.js';
import type { PersonsTable } from '../store/database.types.js';
import { isHead } from './quality-cross.checks.js';
import { ruleContext } from './quality-rule.catalog.js';

/**
 * Ground truth for the quality engine: known defects injected into a generated population at a
 * chosen rate, each recorded with the record it spoiled, so that detection is measured.
 */
export type DefectKind =
  | 'id_sex' | 'id_birth_year' | 'id_province' | 'birth_date_impossible' | 'death_date_future' | 'event_after_death'
  | 'birth_commune_out_of_force' | 'commune_unknown' | 'residence_expired' | 'name_garbled' | 'missing_ethnicity'
  | 'missing_hometown' | 'missing_residence' | 'stale' | 'alive_over_120' | 'household_two_heads' | 'household_no_head'
  | 'spouse_asymmetric' | 'parent_missing' | 'child_before_parent' | 'duplicate';

/** For each kind, the rules that must fire on the spoiled record (every one of them: a defect can break two rules). */
export const defectRules: Readonly<Record<DefectKind, readonly string[]>> = {
  id_sex: ['correct.id_sex'],
  id_birth_year: ['correct.id_birth_year'],
  id_province: ['correct.id_province'],
  birth_date_impossible: ['correct.birth_date'],
  death_date_future: ['correct.death_date'],
  event_after_death: ['live.event_after_death'],
  birth_commune_out_of_force: ['correct.birth_commune_at_date'],
  commune_unknown: ['correct.commune_known', 'live.residence_in_force'],
  residence_expired: ['live.residence_in_force'],
  name_garbled: ['correct.name_plausible'],
  missing_ethnicity: ['complete.ethnicity'],
  missing_hometown: ['complete.hometown'],
  missing_residence: ['complete.residence'],
  stale: ['live.stale_record'],
  // An age over 120 cannot agree with the year in the ID number: both rules fire.
  alive_over_120: ['live.alive_over_120', 'correct.id_birth_year'],
  household_two_heads: ['clean.household_one_head'],
  household_no_head: ['clean.household_one_head'],
  spouse_asymmetric: ['clean.spouse_symmetric'],
  parent_missing: ['clean.parent_link'],
  child_before_parent: ['clean.child_before_parent'],
  duplicate: ['clean.duplicate_person'],
};

export const defectKinds = Object.keys(defectRules) as readonly DefectKind[];

/** One injected defect: the record the finding must point at (a household for household kinds), and the other record of a pair. */
export interface InjectedDefect {
  readonly kind: DefectKind;
  readonly recordId: string;
  /** The original of a duplicate; the spouse of an asymmetric marriage. */
  readonly relatedId: string | null;
}

export interface DefectInjectionOptions {
  /** Share of persons spoiled by each kind (0-0.05), e.g. 0.001. */
  readonly rate: number;
  readonly seed: number | string;
  /** The population's "today" (YYYY-MM-DD), as given to the generator. */
  readonly today: string;
  readonly units: AdminUnitCatalog;
  readonly kinds?: readonly DefectKind[];
}

/** What was injected, plus what the generator itself left that a rule rightly reports (records not updated in 15 years). */
export interface DefectLedger {
  readonly injected: InjectedDefect[];
  /** Records already failing a rule before any injection, by rule id. */
  readonly natural: Map<string, Set<string>>;
}

export function newLedger(): DefectLedger {
  return { injected: [], natural: new Map() };
}

const DAY_MS = 86_400_000;

function isoDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

function dayOf(iso: string): number {
  return Math.round(Date.parse(`${iso.slice(0, 10)}T00:00:00Z`) / DAY_MS);
}

/** UTF-8 read as Latin-1: the classic garbling of Vietnamese names. */
function mojibake(name: string): string {
  return Buffer.from(name, 'utf8').toString('latin1');
}

/** A one-letter typo in the given name (deletion or swap of two letters), as on a second registration. */
function typo(name: string, r: SeededRandom): string {
  const words = name.split(' ');
  const last = words.length - 1;
  const word = words[last] ?? '';
  const letters = Array.from(word);
  if (letters.length < 3) return name;
  const at = 1 + r.int(letters.length - 2);
  if (r.chance(0.5)) letters.splice(at, 1);
  else [letters[at - 1], letters[at]] = [letters[at] ?? '', letters[at - 1] ?? ''];
  words[last] = letters.join('');
  return words.join(' ');
}

/**
 * Wraps a population stream and spoils records in it, recording each in the ledger. Every
 * spoiled record (and, for links, the records around it) receives one defect only, and is
 * chosen so that the defect breaks only the rules listed for its kind. Duplicates come as one
 * extra batch at the end, with ID numbers checked against every number generated before.
 *
 * @example
 * const ledger = newLedger();
 * await loadPopulation(db, injectDefects(generatePopulation({ people: 100_000, seed: 1, today }), { rate: 0.001, seed: 1, today, units }, ledger));
 */
export async function* injectDefects(
  batches: Iterable<PopulationBatch> | AsyncIterable<PopulationBatch>,
  options: DefectInjectionOptions,
  ledger: DefectLedger,
): AsyncGenerator<PopulationBatch, void, undefined> {
  if (!(options.rate > 0 && options.rate <= 0.05)) {
    throw new DomainError('invalid', 'DEFECT_RATE_INVALID', `the defect rate must be above 0 and at most 0.05, got ${String(options.rate)}`, 'Give a rate such as 0.001 (one record in a thousand per kind)');
  }
  const injector = new Injector(options, ledger);
  for await (const batch of batches) yield injector.spoil(batch);
  const extra = injector.duplicates();
  if (extra.persons.length > 0) yield extra;
}

/** One batch being spoiled, as Injector.spoil's steps share it. */
interface SpoilContext {
  readonly r: SeededRandom;
  readonly batch: PopulationBatch;
  readonly persons: PersonsTable[];
  readonly byId: ReadonlyMap<string, PersonsTable>;
  /** Records already spoiled (or left stale by the generator): each record gets one defect at most. */
  readonly spoiled: Set<string>;
  /** Records referred to as somebody's parent. */
  readonly referenced: ReadonlySet<string>;
  /** Each person's last life event other than the death and corrections. */
  readonly lastEvent: ReadonlyMap<string, string>;
  readonly ageOf: (p: PersonsTable) => number;
  /** A full birth date, not 29 February. */
  readonly full: (p: PersonsTable) => boolean;
  /** Up to n untouched persons meeting `eligible`, now taken. */
  readonly pick: (n: number, eligible: (p: PersonsTable) => boolean) => PersonsTable[];
  /** How many records of this kind the batch gets. */
  readonly q: (kind: DefectKind) => number;
}

class Injector {
  private readonly r: SeededRandom;
  private readonly kinds: ReadonlySet<DefectKind>;
  private readonly today: number;
  private readonly staleBefore: string;
  private readonly owed = new Map<DefectKind, number>();
  private readonly allIds = new Set<string>();
  private readonly originals: PersonsTable[] = [];
  /** Married couples to register twice: both spouses again, the second records married to each other. */
  private readonly couples: (readonly [PersonsTable, PersonsTable])[] = [];
  /** Couples owed to the duplicate quota, carried over batches like the kinds' quotas. */
  private couplesOwed = 0;
  private readonly oldOnlyCommunes: readonly string[];
  private readonly communes2025: readonly string[];

  constructor(private readonly options: DefectInjectionOptions, private readonly ledger: DefectLedger) {
    this.r = new SeededRandom(`defects:${String(options.seed)}`);
    this.kinds = new Set(options.kinds ?? defectKinds);
    this.today = dayOf(options.today);
    this.staleBefore = ruleContext(options.today, options.units).staleBefore;
    const now = new Set(options.units.communes2025().map((c) => c.code));
    this.communes2025 = [...now];
    const old: string[] = [];
    for (const p of options.units.provinces('2025-06-30')) {
      for (const c of options.units.communesOf(p.code, '2025-06-30')) if (!now.has(c.code) && c.code.length === 5) old.push(c.code);
    }
    this.oldOnlyCommunes = old;
  }

  /** How many of a kind this batch owes, carrying fractions over to the next batch. */
  private quota(kind: DefectKind, persons: number): number {
    if (!this.kinds.has(kind)) return 0;
    const owed = (this.owed.get(kind) ?? 0) + persons * this.options.rate;
    const n = Math.floor(owed);
    this.owed.set(kind, owed - n);
    return n;
  }

  private record(kind: DefectKind, recordId: string, relatedId: string | null = null): void {
    this.ledger.injected.push({ kind, recordId, relatedId });
  }

  /** Spoils a batch of the population: every kind at its rate, each spoiled record in the ledger. */
  spoil(source: PopulationBatch): PopulationBatch {
    const c = this.spoilContext(source);
    this.spoilRecords(c);
    this.spoilHouseholds(c);
    this.spoilLinks(c);
    this.chooseDuplicates(c);
    return c.batch;
  }

  /** What the kinds share while spoiling one batch: its records, who is taken, and how to pick more. */
  private spoilContext(source: PopulationBatch): SpoilContext {
    const r = this.r;
    // A new plain batch: a batch from the generator's worker may be a packed form that bulk
    // writers read directly, which would ignore changes made to its unpacked rows.
    const batch: PopulationBatch = { persons: source.persons, households: source.households, events: source.events };
    const persons = batch.persons;
    const byId = new Map(persons.map((p) => [p.id_number, p]));
    const spoiled = new Set<string>();
    for (const p of persons) {
      this.allIds.add(p.id_number);
      if (p.status === 'alive' && p.updated_at.slice(0, 10) < this.staleBefore) {
        const set = this.ledger.natural.get('live.stale_record') ?? new Set<string>();
        set.add(p.id_number);
        this.ledger.natural.set('live.stale_record', set);
        spoiled.add(p.id_number);
      }
    }
    // Records referred to as somebody's parent or spouse: changing their sex or dates would break the other record too.
    const referenced = new Set<string>();
    for (const p of persons) {
      if (p.father_id !== null) referenced.add(p.father_id);
      if (p.mother_id !== null) referenced.add(p.mother_id);
    }
    const lastEvent = new Map<string, string>();
    for (const e of batch.events) {
      if (e.event_type === 'death' || e.event_type === 'correction') continue;
      const seen = lastEvent.get(e.person_id);
      if (seen === undefined || e.occurred_on > seen) lastEvent.set(e.person_id, e.occurred_on);
    }
    const ageOf = (p: PersonsTable): number => (this.today - dayOf(p.birth_date.length === 10 ? p.birth_date : `${p.birth_date.slice(0, 4)}-07-01`)) / 365.2425;
    const full = (p: PersonsTable): boolean => p.birth_date.length === 10 && p.birth_date.slice(5) !== '02-29';

    /** Picks up to n untouched persons meeting `eligible`, by random probing then a sweep. */
    const pick = (n: number, eligible: (p: PersonsTable) => boolean): PersonsTable[] => {
      const out: PersonsTable[] = [];
      if (n === 0 || persons.length === 0) return out;
      for (let tries = 0; out.length < n && tries < n * 60; tries++) {
        const p = persons[r.int(persons.length)] as PersonsTable;
        if (!spoiled.has(p.id_number) && eligible(p)) {
          spoiled.add(p.id_number);
          out.push(p);
        }
      }
      return out;
    };
    const count = persons.length;
    const q = (kind: DefectKind): number => this.quota(kind, count);
    return { r, batch, persons, byId, spoiled, referenced, lastEvent, ageOf, full, pick, q };
  }

  /** Kinds that spoil one record each. */
  private spoilRecords(c: SpoilContext): void {
    const { r, referenced, lastEvent, ageOf, full, pick, q } = c;
    for (const p of pick(q('id_sex'), (x) => ageOf(x) < 13 && !referenced.has(x.id_number))) {
      p.sex = p.sex === 'M' ? 'F' : 'M';
      this.record('id_sex', p.id_number);
    }
    for (const p of pick(q('id_birth_year'), (x) => full(x) && ageOf(x) > 20 && ageOf(x) < 90)) {
      p.birth_date = `${String(Number(p.birth_date.slice(0, 4)) - 1 - r.int(3))}${p.birth_date.slice(4)}`;
      this.record('id_birth_year', p.id_number);
    }
    for (const p of pick(q('id_province'), () => true)) {
      const other = String(1 + r.int(96)).padStart(3, '0');
      p.birth_province = other === p.birth_province || this.options.units.idProvince(other) === undefined ? (p.birth_province === '001' ? '079' : '001') : other;
      this.record('id_province', p.id_number);
    }
    for (const p of pick(q('birth_date_impossible'), (x) => full(x) && ageOf(x) > 20 && ageOf(x) < 90)) {
      p.birth_date = r.chance(0.5) ? `${p.birth_date.slice(0, 4)}-02-30` : `${p.birth_date.slice(0, 4)}-13-${p.birth_date.slice(8)}`;
      this.record('birth_date_impossible', p.id_number);
    }
    for (const p of pick(q('death_date_future'), (x) => x.status === 'deceased')) {
      p.death_date = isoDay(this.today + 30 + r.int(3000));
      this.record('death_date_future', p.id_number);
    }
    for (const p of pick(q('event_after_death'), (x) => {
      const last = lastEvent.get(x.id_number);
      return x.status === 'deceased' && last !== undefined && last.length === 10 && dayOf(last) - dayOf(earliest(x.birth_date)) > 2;
    })) {
      const last = dayOf(lastEvent.get(p.id_number) ?? '');
      const born = dayOf(earliest(p.birth_date));
      p.death_date = isoDay(Math.max(born + 1, last - 1 - r.int(Math.min(365, last - born - 1))));
      this.record('event_after_death', p.id_number);
    }
    for (const p of pick(q('birth_commune_out_of_force'), (x) => x.birth_commune !== null && full(x) && x.birth_date >= '2025-07-01')) {
      p.birth_commune = this.oldOnlyCommunes[r.int(this.oldOnlyCommunes.length)] ?? null;
      this.record('birth_commune_out_of_force', p.id_number);
    }
    for (const p of pick(q('commune_unknown'), (x) => x.permanent_commune !== null)) {
      p.permanent_commune = `9${String(r.int(10_000)).padStart(4, '0')}`;
      this.record('commune_unknown', p.id_number);
    }
    for (const p of pick(q('residence_expired'), (x) => x.current_commune !== null && x.permanent_commune !== null)) {
      p.current_commune = this.oldOnlyCommunes[r.int(this.oldOnlyCommunes.length)] ?? null;
      this.record('residence_expired', p.id_number);
    }
    for (const p of pick(q('name_garbled'), () => true)) {
      // An all-ASCII name (some ethnic-minority names) survives mis-decoding unchanged: give it a digit instead.
      p.full_name = r.chance(0.5) && /[^ -~]/.test(p.full_name) ? mojibake(p.full_name) : p.full_name.replace(/\S+$/, (w) => `${w.slice(0, 1)}${String(r.int(10))}${w.slice(1)}`);
      p.name_folded = foldName(p.full_name);
      this.record('name_garbled', p.id_number);
    }
    for (const p of pick(q('missing_ethnicity'), () => true)) {
      p.ethnicity = null;
      this.record('missing_ethnicity', p.id_number);
    }
    for (const p of pick(q('missing_hometown'), () => true)) {
      p.hometown = null;
      this.record('missing_hometown', p.id_number);
    }
    for (const p of pick(q('missing_residence'), () => true)) {
      p.permanent_commune = null;
      p.permanent_address = null;
      p.current_commune = null;
      p.current_address = null;
      p.temporary_commune = null;
      p.temporary_address = null;
      this.record('missing_residence', p.id_number);
    }
    for (const p of pick(q('stale'), (x) => x.status === 'alive' && ageOf(x) > 40)) {
      const created = dayOf(p.created_at);
      const limit = dayOf(this.staleBefore) - 1;
      if (limit <= created) continue;
      p.updated_at = `${isoDay(created + r.int(limit - created))}${p.updated_at.slice(10)}`;
      this.record('stale', p.id_number);
    }
    for (const p of pick(q('alive_over_120'), (x) => x.status === 'alive' && full(x) && ageOf(x) > 60 && ageOf(x) < 90 && x.father_id === null && x.mother_id === null && !referenced.has(x.id_number))) {
      p.birth_date = `${String(Number(this.options.today.slice(0, 4)) - 121 - r.int(10))}${p.birth_date.slice(4)}`;
      this.record('alive_over_120', p.id_number);
    }
  }

  /** Kinds that spoil a household (whole within a batch). */
  private spoilHouseholds(c: SpoilContext): void {
    const { r, persons, spoiled, q } = c;
    // Households: whole within a batch.
    const members = new Map<string, PersonsTable[]>();
    for (const p of persons) {
      if (p.household_id === null || p.status !== 'alive') continue;
      const list = members.get(p.household_id) ?? [];
      list.push(p);
      members.set(p.household_id, list);
    }
    const households = [...members.entries()];
    const pickHousehold = (n: number, eligible: (list: readonly PersonsTable[]) => boolean): [string, PersonsTable[]][] => {
      const out: [string, PersonsTable[]][] = [];
      for (let tries = 0; out.length < n && tries < n * 60 && households.length > 0; tries++) {
        const h = households[r.int(households.length)] as [string, PersonsTable[]];
        if (h[1].every((m) => !spoiled.has(m.id_number)) && eligible(h[1])) {
          for (const m of h[1]) spoiled.add(m.id_number);
          out.push(h);
        }
      }
      return out;
    };
    const headOf = (list: readonly PersonsTable[]): PersonsTable | undefined => list.find((m) => isHead(m.relationship_to_head));
    for (const [id, list] of pickHousehold(q('household_two_heads'), (l) => l.length >= 2 && headOf(l) !== undefined)) {
      const other = list.find((m) => !isHead(m.relationship_to_head));
      if (other === undefined) continue;
      other.relationship_to_head = 'head';
      this.record('household_two_heads', id);
    }
    for (const [id, list] of pickHousehold(q('household_no_head'), (l) => headOf(l) !== undefined)) {
      const head = headOf(list);
      if (head === undefined) continue;
      head.relationship_to_head = 'parent';
      this.record('household_no_head', id);
    }
  }

  /** Kinds that break a link between two records (spouse, parent). */
  private spoilLinks(c: SpoilContext): void {
    const { r, persons, byId, spoiled, ageOf, pick, q } = c;
    // Links.
    for (const p of pick(q('spouse_asymmetric'), (x) => {
      const spouse = x.spouse_id === null ? undefined : byId.get(x.spouse_id);
      return spouse !== undefined && spouse.spouse_id === x.id_number && !spoiled.has(spouse.id_number);
    })) {
      const spouse = byId.get(p.spouse_id ?? '') as PersonsTable;
      spoiled.add(spouse.id_number);
      spouse.spouse_id = null;
      this.record('spouse_asymmetric', p.id_number, spouse.id_number);
    }
    for (const p of pick(q('parent_missing'), (x) => x.mother_id === null)) {
      // Year 2199 in the 2100s female digit: no generated person can hold this number.
      p.mother_id = `001599${String(r.int(1_000_000)).padStart(6, '0')}`;
      this.record('parent_missing', p.id_number);
    }
    const youngWomen = persons.filter((x) => x.sex === 'F' && !spoiled.has(x.id_number));
    for (const p of pick(q('child_before_parent'), (x) => x.mother_id === null && x.father_id === null && ageOf(x) > 30)) {
      const mother = youngWomen.find((w) => w.birth_date.slice(0, 4) > p.birth_date.slice(0, 4) && w.id_number !== p.id_number && w.household_id !== p.household_id);
      if (mother === undefined) continue;
      spoiled.add(mother.id_number);
      p.mother_id = mother.id_number;
      this.record('child_before_parent', p.id_number, mother.id_number);
    }
  }

  /** Chooses the originals (and couples) registered a second time in the last batch. */
  private chooseDuplicates(c: SpoilContext): void {
    const { byId, spoiled, referenced, ageOf, pick, q } = c;
    // One duplicate in ten is a spouse of a couple registered twice (so two to a couple).
    const duplicates = q('duplicate');
    this.couplesOwed += duplicates / 20;
    const couples = Math.min(Math.floor(this.couplesOwed), Math.floor(duplicates / 2));
    this.couplesOwed -= couples;
    const spouseOf = (x: PersonsTable): PersonsTable | undefined => (x.spouse_id === null ? undefined : byId.get(x.spouse_id));
    const coupleEligible = (x: PersonsTable): boolean => {
      const spouse = spouseOf(x);
      return x.status === 'alive' && ageOf(x) > 18 && !referenced.has(x.id_number) && spouse !== undefined && spouse.spouse_id === x.id_number
        && spouse.status === 'alive' && !referenced.has(spouse.id_number) && !spoiled.has(spouse.id_number);
    };
    const married = pick(couples, coupleEligible);
    for (const p of married) {
      const spouse = spouseOf(p) as PersonsTable;
      spoiled.add(spouse.id_number);
      this.couples.push([{ ...p }, { ...spouse }]);
    }
    for (const p of pick(duplicates - 2 * married.length, (x) => x.status === 'alive' && x.spouse_id === null && ageOf(x) > 16 && !referenced.has(x.id_number))) {
      this.originals.push({ ...p });
    }
  }

  /** The duplicate records, in one last batch: each a second registration of an original under a new ID number. */
  duplicates(): PopulationBatch {
    const batch: PopulationBatch = { persons: [], households: [], events: [] };
    for (const p of this.originals) {
      const id = this.newIdLike(p);
      if (id !== undefined) this.registerAgain(batch, p, id, null);
    }
    for (const [a, b] of this.couples) {
      const idA = this.newIdLike(a);
      const idB = this.newIdLike(b);
      if (idA === undefined || idB === undefined) continue;
      this.registerAgain(batch, a, idA, idB);
      this.registerAgain(batch, b, idB, idA);
    }
    return batch;
  }

  /** An unused ID number with the same province, century, sex and year digits. */
  private newIdLike(p: PersonsTable): string | undefined {
    for (let attempt = 0; attempt < 100; attempt++) {
      const candidate = p.id_number.slice(0, 6) + String(this.r.int(1_000_000)).padStart(6, '0');
      if (!this.allIds.has(candidate)) {
        this.allIds.add(candidate);
        return candidate;
      }
    }
    return undefined;
  }

  /** A second registration of `p` under `id` with the usual slips, married to `spouseId` when given. */
  private registerAgain(batch: PopulationBatch, p: PersonsTable, id: string, spouseId: string | null): void {
    const r = this.r;
    const name = r.chance(0.5) ? typo(p.full_name, r) : p.full_name;
    let birth = p.birth_date;
    const roll = r.next();
    if (roll < 0.1 && birth.length === 10 && Number(birth.slice(8)) <= 12 && birth.slice(5, 7) !== birth.slice(8)) birth = `${birth.slice(0, 4)}-${birth.slice(8)}-${birth.slice(5, 7)}`;
    else if (roll < 0.15) birth = birth.slice(0, 4);
    const commune = r.chance(0.5) ? p.permanent_commune : (this.communes2025[r.int(this.communes2025.length)] ?? null);
    const recordedAt = `${isoDay(this.today - 1 - r.int(2000))}T03:00:00.000Z`;
    const keepParents = r.chance(0.6);
    const copy: PersonsTable = {
      ...p,
      id_number: id,
      full_name: name,
      name_folded: foldName(name),
      birth_date: birth,
      birth_commune: null,
      permanent_commune: commune,
      current_commune: commune,
      temporary_commune: null,
      temporary_address: null,
      father_id: keepParents ? p.father_id : null,
      mother_id: keepParents ? p.mother_id : null,
      spouse_id: spouseId,
      household_id: null,
      relationship_to_head: null,
      version: 1,
      created_at: recordedAt,
      updated_at: recordedAt,
    };
    batch.persons.push(copy);
    batch.events.push({
      event_id: `00000000-0000-7000-8000-${id}`,
      person_id: id,
      event_type: 'registration',
      occurred_on: recordedAt.slice(0, 10),
      recorded_at: recordedAt,
      officer_id: null,
      reason: 'Đăng ký lại',
      data: JSON.stringify({ fullName: copy.full_name, birthDate: copy.birth_date, sex: copy.sex, ...(spouseId === null ? {} : { spouseId }) }),
    });
    this.record('duplicate', id, p.id_number);
  }
}

function earliest(date: string): string {
  return date.length === 4 ? `${date}-01-01` : date.length === 7 ? `${date}-01` : date;
}
