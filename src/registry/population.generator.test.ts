import { beforeAll, describe, expect, it } from 'vitest';
import type { HouseholdsTable, LifeEventsTable, PersonsTable } from '../store/database.types.js';
import { decodeIdNumber, idInconsistencies } from './id-number.js';
import { earliestDay } from './partial-date.js';
import { flatJson, generatePopulation, generatePopulationInWorker, type PopulationBatch } from './population.generator.js';
import { replayLifeEvents, toPersonRow } from './person.projection.js';
import type { LifeEventType } from './life-event.types.js';

type EventRow = Omit<LifeEventsTable, 'seq'>;

function collect(batches: Iterable<PopulationBatch>): { persons: PersonsTable[]; households: HouseholdsTable[]; events: EventRow[] } {
  const all = { persons: [] as PersonsTable[], households: [] as HouseholdsTable[], events: [] as EventRow[] };
  for (const b of batches) {
    all.persons.push(...b.persons);
    all.households.push(...b.households);
    all.events.push(...b.events);
  }
  return all;
}

function addYears(isoDate: string, years: number): string {
  return `${String(Number(isoDate.slice(0, 4)) + years).padStart(4, '0')}${isoDate.slice(4)}`;
}

describe('generatePopulation', () => {
  const today = '2026-01-01';
  let pop: ReturnType<typeof collect>;
  let byId: Map<string, PersonsTable>;

  beforeAll(() => {
    pop = collect(generatePopulation({ people: 20_000, seed: 42, batchSize: 4_000 }));
    byId = new Map(pop.persons.map((p) => [p.id_number, p]));
  });

  it('makes exactly the number of people asked for, in batches of whole households', () => {
    expect(pop.persons).toHaveLength(20_000);
    const batches = [...generatePopulation({ people: 2_501, seed: 1, batchSize: 500 })];
    expect(batches.reduce((n, b) => n + b.persons.length, 0)).toBe(2_501);
    for (const b of batches) {
      const ids = new Set(b.persons.map((p) => p.id_number));
      expect(b.persons.every((p) => p.household_id !== null && b.households.some((h) => h.household_id === p.household_id))).toBe(true);
      expect(b.events.every((e) => ids.has(e.person_id))).toBe(true);
    }
  });

  it('is deterministic for a seed and different for another seed', () => {
    const a = collect(generatePopulation({ people: 3_000, seed: 7 }));
    const b = collect(generatePopulation({ people: 3_000, seed: 7 }));
    const c = collect(generatePopulation({ people: 3_000, seed: 8 }));
    expect(b).toEqual(a);
    expect(c.persons.map((p) => p.full_name)).not.toEqual(a.persons.map((p) => p.full_name));
    expect(c.persons.map((p) => p.id_number)).not.toEqual(a.persons.map((p) => p.id_number));
    // A string seed works the same way.
    expect(collect(generatePopulation({ people: 200, seed: 'demo' }))).toEqual(collect(generatePopulation({ people: 200, seed: 'demo' })));
  });

  it('issues unique ID numbers that agree with sex, year of birth and birth province', () => {
    expect(new Set(pop.persons.map((p) => p.id_number)).size).toBe(pop.persons.length);
    const at = new Date(`${today}T00:00:00Z`);
    for (const p of pop.persons) {
      const decoded = decodeIdNumber(p.id_number, at);
      expect(idInconsistencies(decoded, { birthDate: p.birth_date, sex: p.sex, birthProvince: p.birth_province })).toEqual([]);
    }
  });

  it('has realistic names, sexes, ages, ethnicities and deaths', () => {
    const n = pop.persons.length;
    const share = (f: (p: PersonsTable) => boolean): number => pop.persons.filter(f).length / n;
    expect(share((p) => p.full_name.startsWith('Nguyễn '))).toBeGreaterThan(0.33);
    expect(share((p) => p.full_name.startsWith('Nguyễn '))).toBeLessThan(0.43);
    expect(share((p) => p.full_name.startsWith('Trần '))).toBeGreaterThan(0.08);
    expect(pop.persons.every((p) => p.full_name === p.full_name.normalize('NFC') && p.full_name.split(' ').length >= 2)).toBe(true);
    expect(share((p) => p.full_name.includes(' Thị ') && p.sex === 'M')).toBe(0);
    const males = share((p) => p.sex === 'M');
    expect(males / (1 - males)).toBeGreaterThan(0.94);
    expect(males / (1 - males)).toBeLessThan(1.04);
    expect(share((p) => p.ethnicity === 'Kinh')).toBeGreaterThan(0.8);
    expect(share((p) => p.ethnicity === 'Kinh')).toBeLessThan(0.92);
    expect(share((p) => p.status === 'deceased')).toBeGreaterThan(0.003);
    expect(share((p) => p.status === 'deceased')).toBeLessThan(0.012);
    expect(pop.persons.filter((p) => p.status === 'deceased').every((p) => p.death_date !== null && p.death_date <= today)).toBe(true);
    const children = share((p) => Number(p.birth_date.slice(0, 4)) > 2011);
    expect(children).toBeGreaterThan(0.18);
    expect(children).toBeLessThan(0.3);
    expect(share((p) => Number(p.birth_date.slice(0, 4)) <= 1960)).toBeGreaterThan(0.05);
    expect(pop.persons.some((p) => /^\d{4}$/.test(p.birth_date))).toBe(true);
    expect(pop.persons.some((p) => p.temporary_commune !== null && p.current_commune === p.temporary_commune)).toBe(true);
    expect(new Set(pop.persons.map((p) => p.birth_province)).size).toBeGreaterThan(55);
    expect(share((p) => p.nationality === 'VN')).toBe(1);
  });

  it('builds consistent households: one head, symmetric spouses, parents older than their children', () => {
    const mean = pop.persons.length / pop.households.length;
    expect(mean).toBeGreaterThan(3);
    expect(mean).toBeLessThan(4.2);
    const members = new Map<string, PersonsTable[]>();
    for (const p of pop.persons) {
      expect(p.household_id).not.toBeNull();
      const list = members.get(p.household_id ?? '') ?? [];
      list.push(p);
      members.set(p.household_id ?? '', list);
    }
    for (const h of pop.households) {
      const list = members.get(h.household_id) ?? [];
      const heads = list.filter((p) => p.relationship_to_head === 'head');
      expect(heads).toHaveLength(1);
      expect(h.head_id).toBe(heads[0]?.id_number);
      // the head's husband or wife is recorded as the spouse of the head, never as a parent
      const spouseOfHead = list.find((p) => p.id_number === heads[0]?.spouse_id);
      if (spouseOfHead !== undefined) expect(spouseOfHead.relationship_to_head).toBe('spouse');
      expect(list.every((p) => p.permanent_commune === h.commune_code && p.permanent_address === h.address)).toBe(true);
      expect(h.created_at <= h.updated_at).toBe(true);
    }
    let spouses = 0;
    let withParents = 0;
    for (const p of pop.persons) {
      if (p.spouse_id !== null) {
        spouses++;
        const spouse = byId.get(p.spouse_id);
        expect(spouse?.spouse_id).toBe(p.id_number);
        expect(spouse?.sex).not.toBe(p.sex);
      }
      for (const [parentId, sex] of [[p.father_id, 'M'], [p.mother_id, 'F']] as const) {
        if (parentId === null) continue;
        withParents++;
        const parent = byId.get(parentId);
        expect(parent?.sex).toBe(sex);
        expect(parent?.household_id).toBe(p.household_id);
        expect(addYears(earliestDay(parent?.birth_date ?? '9999'), 18) <= earliestDay(p.birth_date)).toBe(true);
      }
    }
    expect(spouses / pop.persons.length).toBeGreaterThan(0.3);
    expect(withParents / pop.persons.length).toBeGreaterThan(0.4);
  });

  it('makes every persons row the fold of its life events', () => {
    const events = new Map<string, EventRow[]>();
    for (const e of pop.events) {
      const list = events.get(e.person_id) ?? [];
      list.push(e);
      events.set(e.person_id, list);
    }
    const types = new Set<LifeEventType>();
    for (const p of pop.persons) {
      const own = events.get(p.id_number) ?? [];
      expect(own[0]?.event_type).toBe('birth_registration');
      for (const e of own) types.add(e.event_type as LifeEventType);
      const replayed = replayLifeEvents(own.map((e) => ({
        personId: e.person_id, type: e.event_type as LifeEventType, recordedAt: e.recorded_at, data: JSON.parse(e.data) as Record<string, unknown>,
      })));
      expect(replayed && toPersonRow(replayed)).toEqual(p);
    }
    for (const t of ['birth_registration', 'id_issuance', 'residence_change', 'marriage', 'death', 'correction'] as const) expect(types).toContain(t);
  });

  it('dates events in order, never after today, with unique ids', () => {
    expect(new Set(pop.events.map((e) => e.event_id)).size).toBe(pop.events.length);
    const last = new Map<string, string>();
    for (const e of pop.events) {
      expect(e.recorded_at <= `${today}T23:59:59.999Z`).toBe(true);
      expect(e.occurred_on <= today).toBe(true);
      expect(e.recorded_at.slice(0, 10) >= earliestDay(e.occurred_on)).toBe(true);
      const previous = last.get(e.person_id);
      if (previous !== undefined) expect(e.recorded_at > previous).toBe(true);
      last.set(e.person_id, e.recorded_at);
      if (e.event_type === 'id_issuance') {
        const person = byId.get(e.person_id);
        expect(addYears(earliestDay(person?.birth_date ?? ''), 14) <= e.occurred_on).toBe(true);
      }
    }
  });

  it('honours another today', () => {
    const old = collect(generatePopulation({ people: 500, seed: 3, today: '2015-06-30' }));
    expect(old.events.every((e) => e.occurred_on <= '2015-06-30' && e.recorded_at < '2015-07-01')).toBe(true);
    // 12-digit ID cards were issued from 2016: none before.
    expect(old.events.some((e) => e.event_type === 'id_issuance')).toBe(false);
  });

  it('rejects bad options with stable codes', () => {
    for (const people of [0, -5, 1.5, Number.NaN, 300_000_000]) {
      expect(() => generatePopulation({ people, seed: 1 })).toThrow(expect.objectContaining({ code: 'POPULATION_SIZE_INVALID' }) as Error);
    }
    expect(() => generatePopulation({ people: 10, seed: 1, batchSize: 0 })).toThrow(expect.objectContaining({ code: 'POPULATION_BATCH_SIZE_INVALID' }) as Error);
    expect(() => generatePopulation({ people: 10, seed: 1, today: '2026-02-30' })).toThrow(expect.objectContaining({ code: 'DATE_INVALID' }) as Error);
    expect(() => generatePopulation({ people: 10, seed: 1, today: '1990-01-01' })).toThrow(expect.objectContaining({ code: 'POPULATION_TODAY_OUT_OF_RANGE' }) as Error);
  });
});

describe('flatJson', () => {
  it('equals JSON.stringify, escaping what JSON must escape', () => {
    const data = { a: 'Nguyễn Thị Đào', b: null, c: 'say "hi"\\ now\n\ttab', d: '\u2028', e: '' };
    expect(flatJson(data)).toBe(JSON.stringify(data));
    expect(flatJson({})).toBe('{}');
  });
});

describe('generatePopulationInWorker', () => {
  it('yields the same batches as generatePopulation, from a worker thread', async () => {
    const options = { people: 1_500, seed: 9, batchSize: 400 };
    const fromWorker: PopulationBatch[] = [];
    for await (const batch of generatePopulationInWorker(options, 1)) fromWorker.push(batch);
    expect(fromWorker).toEqual([...generatePopulation(options)]);
  });

  it('rejects bad options before starting a worker', async () => {
    const batches: PopulationBatch[] = [];
    const run = async (): Promise<void> => {
      for await (const batch of generatePopulationInWorker({ people: -1, seed: 1 })) batches.push(batch);
    };
    await expect(run()).rejects.toMatchObject({ code: 'POPULATION_SIZE_INVALID' });
    expect(batches).toEqual([]);
  });
});
