/**
 * The households of the synthetic population: families, names, ID numbers, addresses and each
 * person's life events, built by one seeded generator (population.generator.ts drives it in batches).
 */
import { DomainError } from '../shared/domain-error.js';
import type { HouseholdsTable, LifeEventsTable, PersonsTable } from '../store/database.types.js';
import { adminUnitCatalog } from './admin-unit.catalog.js';
import { idPrefix } from './id-number.js';
import type { LifeEventType } from './life-event.types.js';
import {
  ethnicReligions, minorityShares, nationalReligions, provinceReligions, type RelationshipToHead,
} from './population.demography.data.js';
import { formerProvinces } from './population.provinces.data.js';
import { hashString, picker, WeightedPicker, type SeededRandom } from './population.random.js';
import type { Sex } from './person.types.js';
import { birthday, dayOf, hex, hex32, iso, timestamp, YEAR, yearOf } from './population.days.js';
import { applyToRow, emptyRow, flatJson, foldedName, misspelt, required, type FactValue } from './population.rows.js';
import {
  ethnicNaming, kinhGivenNames, kinhMiddleNames, kinhSurnames, secondMiddleNames, streetNames,
} from './vietnamese-names.data.js';

/** One batch of rows, ready for the bulk writer; every household is whole within its batch. */
export interface PopulationBatch {
  readonly persons: PersonsTable[];
  readonly households: HouseholdsTable[];
  readonly events: Omit<LifeEventsTable, 'seq'>[];
}

// ---- the model of a household before it becomes rows ----

interface Member {
  readonly id: string;
  readonly sex: Sex;
  readonly birthDay: number;
  readonly birthDate: string;
  readonly birthProvince: string;
  readonly ethnicity: string;
  readonly religion: string;
  readonly hometown: string;
  readonly fullName: string;
  /** What the birth registration wrote, when it needed a later correction. */
  readonly registeredName: string | null;
  father: Member | null;
  mother: Member | null;
  spouse: Member | null;
  marriageDay: number | null;
  role: RelationshipToHead;
  /** The day the member was placed in the household: at birth (facts at birth) or by a residence change. */
  joinDay: number;
  deathDay: number | null;
}

interface CommuneChoice {
  readonly code: string;
  readonly level: string;
  readonly formerProvince: string;
  readonly province2025: string;
  readonly suffix: string;
}

type HouseholdKind = 'single' | 'young_couple' | 'old_couple' | 'nuclear' | 'single_parent' | 'three_generations';

const householdKinds = new WeightedPicker<HouseholdKind>([
  ['single', 11], ['young_couple', 5], ['old_couple', 10], ['nuclear', 44], ['single_parent', 6], ['three_generations', 24],
]);

/** Where temporary residents go to work: the big cities and industrial provinces (2025 codes). */
const migrationDestinations = new WeightedPicker<string>([
  ['79', 45], ['01', 22], ['75', 8], ['24', 7], ['48', 5], ['31', 5], ['92', 3], ['56', 2], ['22', 3],
]);

const mountainProvinces = new Set(['04', '08', '11', '12', '14', '15', '19', '20']);
const southernProvinces = new Set(['75', '79', '80', '82', '86', '91', '92', '96']);
const destinationFormer = new Set(['001', '079', '074', '075', '048', '027']);

const cardCampaignStart = dayOf('2021-01-15');
const idCardsStart = dayOf('2016-01-01');
const reformDay = dayOf('2025-07-01');

/** Static tables built once per process: pickers over provinces, communes and names. */
export class Tables {
  readonly formerPicker: WeightedPicker<string>;
  readonly communesOf = new Map<string, WeightedPicker<CommuneChoice>>();
  readonly destinationCommunes = new Map<string, WeightedPicker<CommuneChoice>>();
  readonly provinceName = new Map<string, string>();
  readonly minorities = new Map<string, WeightedPicker<string>>();
  readonly religions = new Map<string, WeightedPicker<string>>();
  readonly surnames = new Map<string, WeightedPicker<string>>();
  readonly middles = new Map<string, WeightedPicker<string>>();
  readonly secondMiddle = { M: picker(secondMiddleNames.M), F: picker(secondMiddleNames.F) };

  constructor() {
    const catalog = adminUnitCatalog();
    const byCode = new Map(catalog.communes2025().map((c) => [c.code, c]));
    this.formerPicker = new WeightedPicker(formerProvinces.map((p) => [p.code, p.population2019] as const));
    const byProvince2025 = new Map<string, (readonly [CommuneChoice, number])[]>();
    for (const former of formerProvinces) {
      this.provinceName.set(former.code, catalog.idProvince(former.code)?.name ?? former.name);
      const choices: (readonly [CommuneChoice, number])[] = [];
      for (const code of former.communes.split(' ')) {
        const commune = byCode.get(code);
        if (commune === undefined) throw new Error(`commune ${code} is not in the 2025 catalog`);
        const choice: CommuneChoice = {
          code,
          level: commune.level,
          formerProvince: former.code,
          province2025: commune.provinceCode,
          suffix: `, ${commune.name}, ${commune.provinceName}`,
        };
        // Wards are denser than rural communes.
        const weight = commune.level === 'phường' ? 2.2 : commune.level === 'đặc khu' ? 0.4 : 1;
        choices.push([choice, weight]);
        const list = byProvince2025.get(commune.provinceCode) ?? [];
        list.push([choice, commune.level === 'phường' ? 6 : 1]);
        byProvince2025.set(commune.provinceCode, list);
      }
      this.communesOf.set(former.code, new WeightedPicker(choices));
      const shares = minorityShares[former.code] ?? [];
      const minorityTotal = shares.reduce((s, [, w]) => s + w, 0);
      this.minorities.set(former.code, picker([['Kinh', Math.max(0.002, 1 - minorityTotal - 0.003)], ...shares, ['Tày', 0.001], ['Hoa', 0.001], ['Mường', 0.001]]));
      this.religions.set(former.code, picker(provinceReligions[former.code] ?? nationalReligions));
    }
    for (const [province, list] of byProvince2025) this.destinationCommunes.set(province, new WeightedPicker(list));
    for (const [ethnicity, religions] of Object.entries(ethnicReligions)) this.religions.set(`e:${ethnicity}`, picker(religions));
    this.surnames.set('Kinh', picker(kinhSurnames));
    for (const [ethnicity, naming] of Object.entries(ethnicNaming)) {
      this.surnames.set(ethnicity, picker(naming.surnames));
      if (naming.middle !== undefined) {
        this.middles.set(`${ethnicity}:M`, picker(naming.middle.M));
        this.middles.set(`${ethnicity}:F`, picker(naming.middle.F));
      }
    }
    for (const sex of ['M', 'F'] as const) {
      this.middles.set(`old:${sex}`, picker(kinhMiddleNames[sex].older));
      this.middles.set(`young:${sex}`, picker(kinhMiddleNames[sex].younger));
    }
  }

  surnamePicker(ethnicity: string): WeightedPicker<string> {
    return this.surnames.get(ethnicity) ?? (this.surnames.get('Kinh') as WeightedPicker<string>);
  }
}

export class HouseholdGenerator {
  private readonly serials = new Map<string, number>();
  private householdCount = 0;
  private eventCount = 0;
  /** Where this seed's ordered event ids start: a 48-bit value below 2^47, spaced by seed. */
  private readonly eventBase: number;
  private readonly seedKey: string;

  constructor(
    private readonly t: Tables,
    private readonly r: SeededRandom,
    seedText: string,
    private readonly today: number,
  ) {
    this.seedKey = seedText;
    this.eventBase = (hashString(`events:${seedText}`) % 0x7fff) * 0x100000000;
  }

  /** Builds one household (at most `limit` persons) into the batch; returns how many persons it had. */
  household(batch: PopulationBatch, limit: number): number {
    const r = this.r;
    const commune = this.pickCommune();
    const ethnicity = (this.t.minorities.get(commune.formerProvince) as WeightedPicker<string>).pick(r);
    const religion = this.pickReligion(ethnicity, commune.formerProvince);
    const address = this.address(commune);
    const ctx: HouseholdContext = { commune, ethnicity, religion, surname: this.t.surnamePicker(ethnicity).pick(r) };
    let kind = householdKinds.pick(r);
    let members = this.build(kind, ctx);
    if (members.length > limit) {
      kind = 'single';
      members = this.build(kind, ctx);
    }
    this.householdCount++;
    const householdId = `HK${commune.province2025}${String(this.householdCount).padStart(9, '0')}`;
    this.deaths(members);
    let createdAt = '';
    let headAt = '';
    let head: Member | undefined;
    for (const m of members) {
      const placedAt = this.emit(m, batch, householdId, commune, address);
      if (createdAt === '' || placedAt < createdAt) createdAt = placedAt;
      if (m.role === 'head') {
        head = m;
        headAt = placedAt;
      }
    }
    batch.households.push({
      household_id: householdId,
      head_id: head?.id ?? null,
      commune_code: commune.code,
      address,
      created_at: createdAt,
      updated_at: headAt === '' ? createdAt : headAt,
    });
    return members.length;
  }

  private pickCommune(): CommuneChoice {
    const former = this.t.formerPicker.pick(this.r);
    return (this.t.communesOf.get(former) as WeightedPicker<CommuneChoice>).pick(this.r);
  }

  private pickReligion(ethnicity: string, former: string): string {
    const byGroup = this.t.religions.get(`e:${ethnicity}`);
    return (byGroup ?? required(this.t.religions.get(former), former)).pick(this.r);
  }

  private address(c: CommuneChoice): string {
    const r = this.r;
    if (c.level === 'phường') {
      const street = r.pick(streetNames);
      const no = r.between(1, 400);
      return r.chance(0.3) ? `Số ${no}/${r.between(1, 60)} ${street}${c.suffix}` : `Số ${no} ${street}${c.suffix}`;
    }
    const hamlet = southernProvinces.has(c.province2025)
      ? `Ấp ${r.between(1, 12)}`
      : mountainProvinces.has(c.province2025) && r.chance(0.5)
        ? `Bản ${r.between(1, 20)}`
        : r.chance(0.7) ? `Thôn ${r.between(1, 15)}` : `Xóm ${r.between(1, 15)}`;
    return r.chance(0.5) ? `Số nhà ${r.between(1, 250)}, ${hamlet}${c.suffix}` : `${hamlet}${c.suffix}`;
  }

  // ---- household shapes ----

  private build(kind: HouseholdKind, ctx: HouseholdContext): Member[] {
    const r = this.r;
    switch (kind) {
      case 'single': {
        const roll = r.next();
        const age = roll < 0.45 ? 20 + r.next() * 20 : roll < 0.6 ? 40 + r.next() * 20 : 60 + 35 * (1 - Math.sqrt(r.next()));
        const sex: Sex = age >= 60 ? (r.chance(0.72) ? 'F' : 'M') : r.chance(0.56) ? 'M' : 'F';
        const m = this.adult(sex, age, ctx, 'head', true);
        m.joinDay = this.placeAfter(birthday(m.birthDay, 18));
        return [m];
      }
      case 'young_couple': {
        const [h, w] = this.couple(22 + r.next() * 13, ctx, 'head', 'spouse', 0.2);
        const formed = this.formedAfter(h.marriageDay ?? this.today);
        h.joinDay = formed;
        w.joinDay = formed;
        return [h, w, ...this.children(h, w, ctx, formed, 'child', 0.4)];
      }
      case 'old_couple': {
        const [h, w] = this.couple(50 + 38 * (1 - Math.sqrt(r.next())), ctx, 'head', 'spouse', 0.15);
        const formed = this.formedAfter(h.marriageDay ?? this.today);
        h.joinDay = formed;
        w.joinDay = formed;
        return [h, w];
      }
      case 'nuclear': {
        const [h, w] = this.couple(24 + this.triangle(0, 38, 16), ctx, r.chance(0.9) ? 'head' : 'spouse', 'spouse', 0.15);
        if (h.role === 'spouse') w.role = 'head';
        const formed = this.formedAfter(h.marriageDay ?? this.today);
        h.joinDay = formed;
        w.joinDay = formed;
        return [h, w, ...this.children(h, w, ctx, formed, 'child', 1)];
      }
      case 'single_parent': {
        const fatherDied = r.chance(0.25);
        const [h, w] = this.couple(27 + this.triangle(0, 35, 12), ctx, 'spouse', 'head', 0.1);
        const formed = this.formedAfter(h.marriageDay ?? this.today);
        h.joinDay = formed;
        w.joinDay = formed;
        const kids = this.children(h, w, ctx, formed, 'child', 1);
        if (fatherDied && kids.length > 0) {
          const lastBirth = Math.max(...kids.map((k) => k.birthDay));
          const lowest = Math.max(lastBirth + 30, formed + 30);
          if (lowest < this.today - 1) {
            h.deathDay = this.r.between(lowest, this.today - 1);
            return [w, h, ...kids];
          }
        }
        // The father lives elsewhere and is not in this registry extract.
        w.spouse = null;
        w.marriageDay = null;
        for (const k of kids) k.father = null;
        return [w, ...kids];
      }
      case 'three_generations': {
        const husbandAge = 25 + this.triangle(0, 30, 8);
        const fatherAge = husbandAge + 22 + r.next() * 12;
        const grandfatherAlive = fatherAge < 94 && r.chance(0.78);
        const grandmotherAlive = fatherAge < 101 && r.chance(0.92);
        if (!grandfatherAlive && !grandmotherAlive) return this.build('nuclear', ctx);
        const elderHead = r.chance(0.5);
        const [gf, gm] = this.couple(fatherAge, ctx, 'parent', 'parent', 0, fatherAge - husbandAge - 0.8);
        const elderFormed = this.formedAfter(gf.marriageDay ?? this.today);
        const sonBirth = Math.max(this.today - Math.floor(husbandAge * YEAR), (gf.marriageDay ?? 0) + 280);
        const son = this.child(gf, gm, ctx, sonBirth, elderHead ? 'child' : 'head', 'M');
        const [, wife] = this.coupleFor(son, ctx, elderHead ? 'child_in_law' : 'spouse');
        const elders: Member[] = [];
        if (grandfatherAlive) elders.push(gf);
        else {
          gm.spouse = null;
          gm.marriageDay = null;
          son.father = null;
        }
        if (grandmotherAlive) elders.push(gm);
        else {
          gf.spouse = null;
          gf.marriageDay = null;
          son.mother = null;
        }
        let formed: number;
        if (elderHead) {
          formed = elderFormed;
          const head = grandfatherAlive ? gf : gm;
          head.role = 'head';
          // the head's living wife is the spouse of the head, not a parent
          if (grandfatherAlive && grandmotherAlive) gm.role = 'spouse';
          for (const e of elders) e.joinDay = elderFormed;
          son.joinDay = son.birthDay >= elderFormed ? son.birthDay : elderFormed;
          wife.joinDay = Math.max(son.marriageDay ?? this.today, elderFormed);
        } else {
          formed = this.formedAfter(son.marriageDay ?? this.today);
          son.joinDay = formed;
          wife.joinDay = formed;
          const movedIn = this.dayBetween(formed, this.today - 1);
          for (const e of elders) e.joinDay = movedIn;
        }
        const kids = this.children(son, wife, ctx, formed, elderHead ? 'grandchild' : 'child', 1);
        return [...elders, son, wife, ...kids];
      }
    }
  }

  /** A triangular draw on [lo, hi] with its mode at `mode`. */
  private triangle(lo: number, hi: number, mode: number): number {
    const u = this.r.next();
    const c = (mode - lo) / (hi - lo);
    return u < c ? lo + Math.sqrt(u * (hi - lo) * (mode - lo)) : hi - Math.sqrt((1 - u) * (hi - lo) * (hi - mode));
  }

  private dayBetween(lo: number, hi: number): number {
    return hi <= lo ? lo : this.r.between(lo, hi);
  }

  /** The household is registered within a year of the marriage (never after today). */
  private formedAfter(day: number): number {
    return Math.min(this.today - 1, day + this.r.int(365));
  }

  private placeAfter(day: number): number {
    return this.dayBetween(Math.min(day, this.today - 1), this.today - 1);
  }

  /**
   * A married couple: husband aged `age`, wife a few years younger, married once both were of
   * legal age. `latestMarriageAge` bounds the marriage (in years of the husband's age) when
   * children must come after it.
   */
  private couple(
    age: number, ctx: HouseholdContext, husbandRole: RelationshipToHead, wifeRole: RelationshipToHead,
    migrantBoost: number, latestMarriageAge?: number,
  ): [Member, Member] {
    const husband = this.adult('M', age, ctx, husbandRole, true, migrantBoost);
    const [, wife] = this.coupleFor(husband, ctx, wifeRole, latestMarriageAge);
    return [husband, wife];
  }

  /** Marries a man to a new wife a little younger than him. */
  private coupleFor(husband: Member, ctx: HouseholdContext, wifeRole: RelationshipToHead, latestMarriageAge?: number): [Member, Member] {
    const r = this.r;
    const husbandAge = (this.today - husband.birthDay) / YEAR;
    let gap = r.normal(3, 2.5);
    if (gap < -3) gap = -3;
    let wifeAge = Math.max(18.2, Math.min(husbandAge - gap, husbandAge + 3));
    // When children must follow the marriage, the wife is of age by then.
    if (latestMarriageAge !== undefined) wifeAge = Math.max(wifeAge, husbandAge - latestMarriageAge + 18.5);
    const wifeEthnicity = r.chance(0.9) ? ctx.ethnicity : 'Kinh';
    const wife = this.adult('F', wifeAge, { ...ctx, ethnicity: wifeEthnicity, surname: this.t.surnamePicker(wifeEthnicity).pick(r) }, wifeRole, false, 0.1);
    const legal = Math.max(birthday(husband.birthDay, 20), birthday(wife.birthDay, 18));
    const latest = latestMarriageAge === undefined ? this.today - 1 : Math.min(this.today - 1, birthday(husband.birthDay, Math.floor(latestMarriageAge)));
    const married = Math.min(latest, legal + Math.floor(Math.abs(r.normal(0, 3.5)) * YEAR));
    const day = Math.max(legal, married);
    husband.spouse = wife;
    wife.spouse = husband;
    husband.marriageDay = day;
    wife.marriageDay = day;
    return [husband, wife];
  }

  /** Children born after the marriage, spaced, while the mother is 18-44; adult children may have left. */
  private children(father: Member, mother: Member, ctx: HouseholdContext, formed: number, role: RelationshipToHead, stayFactor: number): Member[] {
    const r = this.r;
    const motherYear = yearOf(mother.birthDay);
    const target = motherYear < 1955 ? 4.6 : motherYear < 1965 ? 3.8 : motherYear < 1975 ? 2.9 : motherYear < 1985 ? 2.3 : motherYear < 1995 ? 2.1 : 1.9;
    const count = r.chance(0.04) ? 0 : Math.max(1, Math.round(r.normal(target, 0.9)));
    const kids: Member[] = [];
    const start = Math.max(father.marriageDay ?? this.today, birthday(mother.birthDay, 18), birthday(father.birthDay, 18));
    const lastFertile = birthday(mother.birthDay, 44);
    let birth = start + r.between(280, 1100);
    for (let i = 0; i < count; i++) {
      if (birth >= this.today || birth > lastFertile) break;
      const age = (this.today - birth) / YEAR;
      const stays = age < 18 ? 1 : age < 23 ? 0.85 : age < 28 ? 0.5 : age < 33 ? 0.2 : 0.05;
      if (r.next() < stays * stayFactor) {
        const kid = this.child(father, mother, ctx, birth, role);
        kid.joinDay = birth >= formed ? birth : formed;
        kids.push(kid);
      }
      birth += r.between(420, 2200);
    }
    return kids;
  }

  private child(father: Member | null, mother: Member, ctx: HouseholdContext, birthDay: number, role: RelationshipToHead, sex?: Sex): Member {
    const r = this.r;
    // 111 boys for 100 girls at birth in recent years; closer to 105 before 2005.
    const boys = yearOf(birthDay) >= 2005 ? 0.526 : 0.512;
    const childSex = sex ?? (r.chance(boys) ? 'M' : 'F');
    const ethnicity = father?.ethnicity ?? mother.ethnicity;
    const surname = (father ?? mother).fullName.split(' ')[0] ?? ctx.surname;
    const local = r.chance(0.95);
    const birthProvince = local ? ctx.commune.formerProvince : this.migrantOrigin(ctx.commune.formerProvince);
    return this.member({
      sex: childSex, birthDay, birthProvince, ethnicity, religion: mother.religion, surname, father, mother, role,
      hometown: father?.hometown ?? mother.hometown,
    });
  }

  /** An adult whose parents are not in the household: born locally or a migrant. */
  private adult(sex: Sex, age: number, ctx: HouseholdContext, role: RelationshipToHead, carriesSurname: boolean, migrantBoost = 0): Member {
    const r = this.r;
    const birthDay = this.today - Math.floor(age * YEAR);
    const former = ctx.commune.formerProvince;
    const migrantShare = (destinationFormer.has(former) ? 0.32 : 0.08) + migrantBoost;
    const birthProvince = r.chance(migrantShare) ? this.migrantOrigin(former) : former;
    const surname = carriesSurname ? ctx.surname : this.t.surnamePicker(ctx.ethnicity).pick(r);
    return this.member({
      sex, birthDay, birthProvince, ethnicity: ctx.ethnicity, religion: r.chance(0.92) ? ctx.religion : 'Không', surname,
      father: null, mother: null, role, hometown: this.t.provinceName.get(birthProvince) ?? birthProvince,
    });
  }

  private migrantOrigin(former: string): string {
    for (let i = 0; i < 8; i++) {
      const origin = this.t.formerPicker.pick(this.r);
      if (origin !== former) return origin;
    }
    return former;
  }

  private member(p: {
    readonly sex: Sex; readonly birthDay: number; readonly birthProvince: string; readonly ethnicity: string;
    readonly religion: string; readonly surname: string; readonly father: Member | null; readonly mother: Member | null;
    readonly role: RelationshipToHead; readonly hometown: string;
  }): Member {
    const r = this.r;
    const year = yearOf(p.birthDay);
    const fullName = this.name(p.sex, year, p.ethnicity, p.surname);
    const registeredName = r.chance(0.002) ? misspelt(fullName) : null;
    let birthDate = iso(p.birthDay);
    if (year < 1950) {
      const roll = r.next();
      if (roll < 0.22) birthDate = birthDate.slice(0, 4);
      else if (roll < 0.32) birthDate = birthDate.slice(0, 7);
    }
    return {
      id: this.idNumber(p.birthProvince, p.sex, year),
      sex: p.sex, birthDay: p.birthDay, birthDate, birthProvince: p.birthProvince, ethnicity: p.ethnicity,
      religion: p.religion, hometown: p.hometown, fullName, registeredName, father: p.father, mother: p.mother,
      spouse: null, marriageDay: null, role: p.role, joinDay: p.birthDay, deathDay: null,
    };
  }

  private name(sex: Sex, year: number, ethnicity: string, surname: string): string {
    const r = this.r;
    const naming = ethnicNaming[ethnicity];
    const given = naming?.given?.[sex] ?? kinhGivenNames[sex];
    const middle = (this.t.middles.get(`${ethnicity}:${sex}`) ?? required(this.t.middles.get(`${year < 1985 ? 'old' : 'young'}:${sex}`), 'middle names')).pick(r);
    let full = middle === '' ? surname : `${surname} ${middle}`;
    if ((middle === 'Thị' || middle === 'Văn') && naming === undefined && r.chance(year < 1985 ? 0.06 : 0.18)) {
      full += ` ${this.t.secondMiddle[sex].pick(r)}`;
    }
    return `${full} ${r.pick(given)}`;
  }

  /** PPP G YY + a serial unique within the prefix: an affine permutation of a counter, so never a duplicate. */
  private idNumber(province: string, sex: Sex, year: number): string {
    const prefix = idPrefix(province, sex, year);
    const n = this.serials.get(prefix) ?? 0;
    if (n >= 1_000_000) {
      throw new DomainError('unavailable', 'ID_SERIALS_EXHAUSTED', `all million serials of prefix ${prefix} are used`, 'Generate fewer people; one province, sex and year holds at most a million ID numbers');
    }
    this.serials.set(prefix, n + 1);
    const offset = hashString(`${this.seedKey}:${prefix}`) % 1_000_000;
    // 387,413 is coprime with 10^6, so n ↦ serial is a bijection on 0..999,999.
    const serial = (n * 387_413 + offset) % 1_000_000;
    return prefix + String(serial).padStart(6, '0');
  }

  /** Some elderly members (and rarely younger ones) have died in the last few years. */
  private deaths(members: readonly Member[]): void {
    const r = this.r;
    for (const m of members) {
      if (m.role === 'head' || m.deathDay !== null) continue;
      const age = (this.today - m.birthDay) / YEAR;
      const p = age < 60 ? 0.0008 : age < 70 ? 0.025 : age < 80 ? 0.07 : 0.16;
      if (r.next() >= p) continue;
      const children = members.filter((c) => c.father === m || c.mother === m);
      const lowest = Math.max(this.today - Math.floor(6 * YEAR), m.joinDay + 2, (m.marriageDay ?? 0) + 2, m.birthDay + 30, ...children.map((c) => c.birthDay + 2));
      if (lowest < this.today - 1) m.deathDay = r.between(lowest, this.today - 1);
    }
  }

  // ---- events and rows ----

  /** Writes the member's events and row; returns the recordedAt that placed them in the household. */
  private emit(m: Member, batch: PopulationBatch, householdId: string, commune: CommuneChoice, address: string): string {
    const r = this.r;
    const residence = {
      permanentCommune: commune.code, permanentAddress: address, temporaryCommune: null, temporaryAddress: null,
      currentCommune: commune.code, currentAddress: address, householdId, relationshipToHead: m.role,
    } as const;
    const bornIn = m.joinDay === m.birthDay;
    const end = m.deathDay ?? this.today;
    const corrected = m.registeredName !== null && m.birthDay + 60 < end - 1;
    const planned: PlannedEvent[] = [];

    const birthFacts: Record<string, FactValue> = {
      fullName: corrected ? m.registeredName : m.fullName, birthDate: m.birthDate, sex: m.sex, ethnicity: m.ethnicity,
      religion: m.religion, nationality: 'VN', birthProvince: m.birthProvince,
    };
    if (m.birthDay >= reformDay && bornIn) birthFacts.birthCommune = commune.code;
    birthFacts.hometown = m.hometown;
    if (bornIn) Object.assign(birthFacts, residence);
    if (m.father !== null) birthFacts.fatherId = m.father.id;
    if (m.mother !== null) birthFacts.motherId = m.mother.id;
    birthFacts.status = 'alive';
    planned.push({ type: 'birth_registration', day: m.birthDay, occurredOn: m.birthDate, data: birthFacts, reason: null, lag: r.int(45) });

    if (!bornIn) planned.push({ type: 'residence_change', day: m.joinDay, occurredOn: null, data: residence, reason: null, lag: 0 });
    if (m.spouse !== null && m.marriageDay !== null) {
      planned.push({ type: 'marriage', day: m.marriageDay, occurredOn: null, data: { spouseId: m.spouse.id }, reason: null, lag: r.int(3) });
    }
    const fourteen = birthday(m.birthDay, 14);
    if (fourteen < end - 1 && r.chance(0.965)) {
      const issued = fourteen < cardCampaignStart
        ? Math.max(fourteen, r.chance(0.15) ? idCardsStart + r.int(cardCampaignStart - idCardsStart) : cardCampaignStart + Math.floor(r.next() ** 2 * 4 * YEAR))
        : fourteen + r.int(300);
      if (issued < end - 1) planned.push({ type: 'id_issuance', day: issued, occurredOn: null, data: { cardIssuedOn: iso(issued) }, reason: null, lag: 0 });
    }
    const adult = birthday(m.birthDay, 18);
    const awayFrom = Math.max(adult, m.joinDay + 1);
    if ((m.role === 'child' || m.role === 'grandchild') && awayFrom < end - 2 && r.chance(0.22)) {
      const day = r.between(awayFrom, end - 2);
      const destination = (this.t.destinationCommunes.get(migrationDestinations.pick(r)) as WeightedPicker<CommuneChoice>).pick(r);
      if (destination.code !== commune.code) {
        const away = this.address(destination);
        planned.push({
          type: 'residence_change', day, occurredOn: null, reason: null, lag: 0,
          data: { temporaryCommune: destination.code, temporaryAddress: away, currentCommune: destination.code, currentAddress: away },
        });
      }
    }
    if (corrected) {
      planned.push({ type: 'correction', day: r.between(m.birthDay + 60, end - 2), occurredOn: null, data: { fullName: m.fullName }, reason: 'Cải chính họ tên theo giấy khai sinh gốc', lag: 0 });
    } else if (adult < end - 3 && r.chance(0.0006)) {
      const renamed = m.fullName.replace(/\S+$/, r.pick(kinhGivenNames[m.sex]));
      planned.push({ type: 'name_change', day: r.between(adult, end - 2), occurredOn: null, data: { fullName: renamed }, reason: 'Thay đổi tên theo quyết định của UBND', lag: 0 });
    }
    if (m.deathDay !== null) {
      planned.push({ type: 'death', day: m.deathDay, occurredOn: null, data: { status: 'deceased', deathDate: iso(m.deathDay) }, reason: null, lag: r.int(10) });
    }

    // Fold in the order the registry recorded them; the creating event first.
    planned.sort((a, b) => a.day - b.day || (a.type === 'birth_registration' ? -1 : b.type === 'birth_registration' ? 1 : 0));
    // The row is the fold of the events, exactly as applyLifeEvent + toPersonRow compute it (the tests
    // replay every person to prove it); done here on a plain row because the generic fold costs ~13 µs
    // an event, which alone would take most of the time budget for a million people.
    const row = emptyRow(m.id);
    let lastSecond = -Infinity;
    let placedAt = '';
    let version = 0;
    const todayEnd = this.today * 86_400 + 86_399;
    for (const e of planned) {
      const recordDay = Math.min(e.day + e.lag, this.today);
      let second = recordDay * 86_400 + 3600 + r.int(9 * 3600);
      if (second <= lastSecond) second = lastSecond + 1 + r.int(120);
      if (second > todayEnd) second = Math.max(lastSecond + 1, todayEnd - r.int(60));
      lastSecond = second;
      const recordedAt = timestamp(Math.floor(second / 86_400), second % 86_400);
      applyToRow(row, e.data);
      if (version === 0) row.created_at = recordedAt;
      version++;
      row.updated_at = recordedAt;
      batch.events.push({
        event_id: this.uuid(),
        person_id: m.id,
        event_type: e.type,
        occurred_on: e.occurredOn ?? iso(e.day),
        recorded_at: recordedAt,
        officer_id: null,
        reason: e.reason,
        data: flatJson(e.data),
      });
      if (placedAt === '' && 'householdId' in e.data) placedAt = recordedAt;
    }
    row.version = version;
    row.name_folded = foldedName(row.full_name);
    batch.persons.push(row);
    return placedAt;
  }

  /**
   * A UUID in the version 7 layout: 48 ordered bits (a per-seed base plus a counter, standing in
   * for the millisecond timestamp) then random bits. Ordered ids append to the event_id index
   * instead of splitting pages all over it, which matters at a hundred million events.
   */
  private uuid(): string {
    const n = this.eventBase + this.eventCount++;
    const high = Math.floor(n / 0x10000);
    const low = n % 0x10000;
    const a = this.r.uint32();
    const b = this.r.uint32();
    const tail = hex32(((b & 0x3fffffff) | 0x80000000) >>> 0);
    return `${hex32(high)}-${(hex[low >>> 8] ?? '') + (hex[low & 255] ?? '')}-7${hex32(a).slice(0, 3)}-${tail.slice(0, 4)}-${tail.slice(4)}${hex32(this.r.uint32())}`;
  }
}

interface HouseholdContext {
  readonly commune: CommuneChoice;
  readonly ethnicity: string;
  readonly religion: string;
  readonly surname: string;
}

interface PlannedEvent {
  readonly type: LifeEventType;
  readonly day: number;
  /** Set when the date written differs from `day` (a partial date of birth). */
  readonly occurredOn: string | null;
  readonly data: Readonly<Record<string, FactValue>>;
  readonly reason: string | null;
  /** Days between the event and its recording. */
  readonly lag: number;
}
