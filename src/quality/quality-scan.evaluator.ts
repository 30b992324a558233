import type { AdminUnitCatalog } from '../registry/admin-unit.catalog.js';
import { personScanColumns, type PersonScanRow } from '../registry/person-scan.read-model.js';
import type { PersonsTable } from '../store/database.types.js';
import { detail } from './finding-detail.js';
import { makeFinding, type Finding, type Owner } from './finding.types.js';
import {
  childBeforeParentProblem, partialDateKey, worthComparing, duplicateVerdict, eventAfterDeathProblem, householdHeadProblem, isHead, parentProblem,
  spouseProblem, type DuplicateCandidate, type LinkedPerson, type NameFrequency,
} from './quality-cross.checks.js';
import { recordRules, ruleById, type PersonRow, type QualityRule, type RuleContext } from './quality-rule.catalog.js';

/** The person columns a scan reads. */
export type ScanRow = PersonRow & Pick<PersonsTable, 'name_folded' | 'father_id' | 'mother_id' | 'spouse_id' | 'household_id' | 'relationship_to_head'>;

/** Groups items by a key, keeping their order within each group. */
function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return groups;
}

/** Two lists, each in scan order, merged into one in scan order. */
function inScanOrder(a: readonly Tracked[], b: readonly Tracked[]): Tracked[] {
  const out: Tracked[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x.seq < y.seq)) {
      out.push(x as Tracked);
      i++;
    } else {
      out.push(y);
      j++;
    }
  }
  return out;
}

/** The columns of ScanRow, for queries: the registry's scan read model reads them. */
export const scanColumns = personScanColumns;
// ScanRow is the read model's row: compiles only while both name the same columns.
export type ScanRowIsTheReadModelRow = [Holds<ScanRow extends PersonScanRow ? true : false>, Holds<PersonScanRow extends ScanRow ? true : false>];
type Holds<T extends true> = T;

function rule(id: string): QualityRule {
  const found = ruleById(id);
  if (found === undefined) throw new Error(`rule ${id} is not in the catalog`);
  return found;
}

export const setRules = {
  duplicate: rule('clean.duplicate_person'),
  household: rule('clean.household_one_head'),
  spouse: rule('clean.spouse_symmetric'),
  parent: rule('clean.parent_link'),
  childBeforeParent: rule('clean.child_before_parent'),
  eventAfterDeath: rule('live.event_after_death'),
} as const;

/** Finds the owning commune and its 2025 province, with the province lookup cached. */
export class OwnerResolver {
  private readonly provinceOf = new Map<string, string>();
  // One shared, frozen owner per commune code: a full scan resolves a million persons to a few thousand owners.
  private readonly owners = new Map<string, Owner>();
  private static readonly nobody: Owner = Object.freeze({ communeCode: '', provinceCode: '' });

  constructor(units: AdminUnitCatalog) {
    for (const c of units.communes2025()) this.provinceOf.set(c.code, c.provinceCode);
  }

  /** A commune code's owner: its 2025 province, or '' for a code that is not a 2025 commune. */
  ofCommune(code: string | null): Owner {
    if (code === null) return OwnerResolver.nobody;
    let owner = this.owners.get(code);
    if (owner === undefined) {
      owner = Object.freeze({ communeCode: code, provinceCode: this.provinceOf.get(code) ?? '' });
      if (this.owners.size < 100_000) this.owners.set(code, owner);
    }
    return owner;
  }

  /** The commune that owns a person's record: permanent residence, else current, else temporary. */
  ofPerson(row: Pick<PersonRow, 'permanent_commune' | 'current_commune' | 'temporary_commune'>): Owner {
    return this.ofCommune(row.permanent_commune ?? row.current_commune ?? row.temporary_commune);
  }
}

/** Evaluates every per-record rule on one row. */
export function checkRecord(row: PersonRow, ctx: RuleContext, owner: Owner, out: Finding[]): void {
  for (const r of recordRules) {
    const problem = r.check(row, ctx);
    if (problem !== null) out.push(makeFinding(r, 'person', row.id_number, owner, problem));
  }
}

/** A duplicate pair is reported once, on the later-issued-looking record (the larger ID), pointing at the other. */
export function duplicateFinding(a: DuplicateCandidate, b: DuplicateCandidate, score: number, owner: (id: string) => Owner): Finding {
  const [keep, other] = a.id < b.id ? [a, b] : [b, a];
  return makeFinding(setRules.duplicate, 'person', other.id, owner(other.id), detail('duplicate', { other: keep.id, score: score.toFixed(3) }), keep.id);
}

interface Tracked extends LinkedPerson, DuplicateCandidate {
  /** Position in the scan: blocks over their cap keep the first persons scanned. */
  readonly seq: number;
  readonly owner: Owner;
  readonly deathDate: string | null;
}

interface HouseholdTally {
  heads: number;
  living: number;
  owner: Owner;
}

/**
 * The full scan's evaluator: rows go through `add` once, in any order; per-record rules run
 * there, and what cross-record rules need is kept in maps keyed by ID (a few hundred bytes a
 * person). `finish` runs the cross-record rules.
 */
export class ScanEvaluator {
  readonly findings: Finding[] = [];
  /** Persons per owning commune ('' when none), the denominators of the scores. */
  readonly personsByCommune = new Map<string, number>();
  private readonly people = new Map<string, Tracked>();
  /**
   * Duplicate candidates are compared only within a block:
   * - `n`: the same folded name and year of birth (catches a wrong date or province);
   * - `d`: the same date of birth with day and month in either order, birth province and sex
   *   (catches name typos and swapped day/month);
   * - `p`: year, province, sex and surname, for dates known only in part, compared only when one
   *   side has a partial date (full dates probe these blocks in finish rather than join them).
   * The `n` and `d` blocks are cut in finish from persons by folded name and by full date. Keyed by the strings as read (V8 keeps their hashes), not by built key strings:
   * a million built keys in one map cost ~3 s of a 27 s scan.
   */
  private readonly byName = new Map<string, Tracked[]>();
  private readonly byDate = new Map<string, Tracked[]>();
  /** `p` blocks: partial dates of birth by partialDateKey. */
  private readonly partialBlocks = new Map<string, Tracked[]>();
  private readonly households = new Map<string, HouseholdTally>();
  /** How many persons bear each given name: tells a typo (rare spelling) from another real name. */
  private readonly givenNames = new Map<string, number>();
  private scanned = 0;

  private readonly maxBlock: number;
  private readonly recordRules: boolean;

  /**
   * `maxBlock`: persons compared within one block at most (default 200); `recordRules` false
   * leaves the per-record rules to another pass (see runScanPass).
   */
  constructor(private readonly ctx: RuleContext, private readonly owners: OwnerResolver, options: { readonly maxBlock?: number; readonly recordRules?: boolean } = {}) {
    this.maxBlock = options.maxBlock ?? 200;
    this.recordRules = options.recordRules ?? true;
  }

  get persons(): number {
    return this.scanned;
  }

  add(row: ScanRow): void {
    this.scanned++;
    const owner = this.owners.ofPerson(row);
    this.personsByCommune.set(owner.communeCode, (this.personsByCommune.get(owner.communeCode) ?? 0) + 1);
    if (this.recordRules) checkRecord(row, this.ctx, owner, this.findings);
    const tracked: Tracked = {
      seq: this.scanned, id: row.id_number, sex: row.sex, birthDate: row.birth_date, spouseId: row.spouse_id, fatherId: row.father_id,
      motherId: row.mother_id, nameFolded: row.name_folded, birthProvince: row.birth_province, hometown: row.hometown,
      commune: row.permanent_commune ?? row.current_commune,
      owner, deathDate: row.status === 'deceased' ? row.death_date : null,
    };
    this.people.set(row.id_number, tracked);
    const given = row.name_folded.slice(row.name_folded.lastIndexOf(' ') + 1);
    this.givenNames.set(given, (this.givenNames.get(given) ?? 0) + 1);
    const namesakes = this.byName.get(row.name_folded);
    if (namesakes === undefined) this.byName.set(row.name_folded, [tracked]);
    else namesakes.push(tracked);
    if (row.birth_date.length === 10) {
      const born = this.byDate.get(row.birth_date);
      if (born === undefined) this.byDate.set(row.birth_date, [tracked]);
      else born.push(tracked);
    } else {
      const key = partialDateKey(tracked);
      const block = this.partialBlocks.get(key);
      if (block === undefined) this.partialBlocks.set(key, [tracked]);
      else if (block.length < this.maxBlock) block.push(tracked);
    }
    if (row.household_id !== null) {
      let tally = this.households.get(row.household_id);
      if (tally === undefined) {
        tally = { heads: 0, living: 0, owner };
        this.households.set(row.household_id, tally);
      }
      if (row.status === 'alive') {
        tally.living++;
        if (isHead(row.relationship_to_head)) {
          tally.heads++;
          tally.owner = owner;
        }
      }
    }
  }

  /** Runs the cross-record rules. `lastEventOn` gives, for deceased persons, the day of their last event other than the death and corrections. */
  finish(lastEventOn: ReadonlyMap<string, string>): Finding[] {
    const out = this.findings;
    for (const [householdId, tally] of this.households) {
      const problem = householdHeadProblem(tally.heads, tally.living);
      if (problem !== null) out.push(makeFinding(setRules.household, 'household', householdId, tally.owner, problem));
    }
    for (const p of this.people.values()) {
      const spouse = p.spouseId === null ? undefined : this.people.get(p.spouseId);
      const spouseIssue = spouseProblem(p, spouse);
      if (spouseIssue !== null) out.push(makeFinding(setRules.spouse, 'person', p.id, p.owner, spouseIssue, p.spouseId));
      const father = p.fatherId === null ? undefined : this.people.get(p.fatherId);
      const mother = p.motherId === null ? undefined : this.people.get(p.motherId);
      const parentIssue = parentProblem(p, father, mother);
      if (parentIssue !== null) out.push(makeFinding(setRules.parent, 'person', p.id, p.owner, parentIssue));
      const order = childBeforeParentProblem(p, father, mother);
      if (order !== null) out.push(makeFinding(setRules.childBeforeParent, 'person', p.id, p.owner, order));
      if (p.deathDate !== null) {
        const afterDeath = eventAfterDeathProblem(p.deathDate, lastEventOn.get(p.id) ?? null);
        if (afterDeath !== null) out.push(makeFinding(setRules.eventAfterDeath, 'person', p.id, p.owner, afterDeath));
      }
    }
    const common = Math.max(5, this.scanned / 50_000);
    const frequency: NameFrequency = {
      given: (part) => ((this.givenNames.get(part) ?? 0) >= common ? 'common' : 'rare'),
      share: (name) => (this.byName.get(name)?.length ?? 0) / Math.max(1, this.scanned),
    };
    const spouseOf = (id: string): Tracked | undefined => this.people.get(id);
    const ownerOf = (id: string): Owner => this.people.get(id)?.owner ?? { communeCode: '', provinceCode: '' };
    // A pair sharing two blocks is compared twice: cheaper than remembering every pair compared.
    const reported = new Set<string>();
    const compare = (a: Tracked, b: Tracked): void => {
      const verdict = duplicateVerdict(a, b, frequency, spouseOf);
      if (!verdict.duplicate) return;
      const finding = duplicateFinding(a, b, verdict.score, ownerOf);
      if (reported.has(finding.findingId)) return;
      reported.add(finding.findingId);
      out.push(finding);
    };
    const comparePairs = (block: readonly Tracked[], key: string): void => {
      const n = Math.min(block.length, this.maxBlock);
      for (let i = 0; i < n; i++) {
        const a = block[i] as Tracked;
        for (let j = i + 1; j < n; j++) {
          const b = block[j] as Tracked;
          if (worthComparing(key, a, b)) compare(a, b);
        }
      }
    };
    for (const p of this.people.values()) {
      if (p.birthDate.length !== 10) continue;
      const partials = this.partialBlocks.get(partialDateKey(p));
      if (partials !== undefined) for (const q of partials) compare(p, q);
    }
    for (const [key, block] of this.partialBlocks) if (block.length > 1) comparePairs(block, key);
    // `n` blocks: the same folded name and year of birth.
    for (const namesakes of this.byName.values()) {
      if (namesakes.length < 2) continue;
      for (const block of groupBy(namesakes, (t) => t.birthDate.slice(0, 4)).values()) if (block.length > 1) comparePairs(block, 'n');
    }
    // `d` blocks: the same date with day and month in either order, birth province and sex.
    for (const [date, born] of this.byDate) {
      const swapped = `${date.slice(0, 5)}${date.slice(8, 10)}-${date.slice(5, 7)}`;
      // each pair of swapped dates once, from its smaller side; a swap that is no date has no persons
      if (swapped < date && this.byDate.has(swapped)) continue;
      const others = swapped === date ? undefined : this.byDate.get(swapped);
      const all = others === undefined ? born : inScanOrder(born, others);
      if (all.length < 2) continue;
      for (const block of groupBy(all, (t) => `${t.birthProvince}|${t.sex}`).values()) if (block.length > 1) comparePairs(block, 'd');
    }
    return out;
  }
}
