import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects } from '../../test/test-database.js';
import type { Clock } from '../shared/clock.js';
import type { Database } from '../store/database.js';
import { RegistryService } from './registry.service.js';

/** A clock the test moves forward, so that history has distinct days. */
function steppingClock(start: string): Clock & { set(at: string): void } {
  let now = new Date(start);
  return { now: () => new Date(now), set: (at) => { now = new Date(at); } };
}

const mother = {
  fullName: 'Nguyễn Thị Lan',
  birthDate: '1990-03-12',
  sex: 'F',
  ethnicity: 'Kinh',
  birthProvince: '001',
  permanentCommune: '00004',
  permanentAddress: 'Số 5 ngõ 12 Đội Cấn',
  householdId: 'HH-TEST-1',
  relationshipToHead: 'head',
};

describe.each(dialects)('registry on %s', (dialect) => {
  let database: Database;
  const clock = steppingClock('2025-08-01T09:00:00Z');
  let registry: RegistryService;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    registry = new RegistryService({ db: database.db, clock });
  });
  afterAll(async () => {
    await database.close();
  });

  it('registers a person from an earlier register and reads them back', async () => {
    const person = await registry.register({ type: 'registration', idNumber: '001190000123', occurredOn: '2025-08-01', officerId: 'OFF-1', reason: null, facts: mother });
    expect(person).toMatchObject({ idNumber: '001190000123', fullName: 'Nguyễn Thị Lan', version: 1, status: 'alive', nationality: 'VN' });
    expect(await registry.getPerson('001190000123')).toEqual(person);
    const household = await registry.household('HH-TEST-1');
    expect(household.household.headId).toBe('001190000123');
    expect(household.members.map((m) => m.idNumber)).toEqual(['001190000123']);
  });

  it('issues an ID number at birth that is consistent with the child', async () => {
    const child = await registry.register({
      type: 'birth_registration',
      occurredOn: '2025-07-20',
      officerId: 'OFF-1',
      reason: null,
      facts: { fullName: 'Trần Minh Khang', birthDate: '2025-07-15', sex: 'M', birthProvince: '001', motherId: '001190000123', householdId: 'HH-TEST-1', relationshipToHead: 'con' },
    });
    expect(child.idNumber).toMatch(/^001225\d{6}$/);
    expect((await registry.household('HH-TEST-1')).members).toHaveLength(2);
  });

  it('finds people by folded name and partial date of birth', async () => {
    expect((await registry.searchPersons({ name: 'nguyen thi lan' })).map((p) => p.idNumber)).toEqual(['001190000123']);
    expect((await registry.searchPersons({ name: 'NGUYEN THI', birthDate: '1990-03' })).map((p) => p.idNumber)).toEqual(['001190000123']);
    expect(await registry.searchPersons({ name: 'nguyen thi', birthDate: '1991' })).toEqual([]);
    await expect(registry.searchPersons({ name: 'n' })).rejects.toMatchObject({ code: 'SEARCH_TOO_BROAD' });
  });

  it('applies life events in order and answers what the registry said on a date', async () => {
    clock.set('2025-09-10T10:00:00Z');
    await registry.recordEvent({ personId: '001190000123', type: 'residence_change', occurredOn: '2025-09-09', officerId: 'OFF-2', reason: null, data: { currentCommune: '00008', currentAddress: 'Số 1 Ngọc Hà' } });
    clock.set('2025-10-01T10:00:00Z');
    const { person, event } = await registry.recordEvent({ personId: '001190000123', type: 'name_change', occurredOn: '2025-09-30', officerId: 'OFF-2', reason: 'court decision 12/2025', data: { fullName: 'Nguyễn Thị Lan Anh' } });
    expect(person).toMatchObject({ fullName: 'Nguyễn Thị Lan Anh', currentCommune: '00008', version: 3 });
    expect(event.seq).toBeGreaterThan(0);

    expect((await registry.personAsOf('001190000123', '2025-08-01')).fullName).toBe('Nguyễn Thị Lan');
    expect((await registry.personAsOf('001190000123', '2025-09-15'))).toMatchObject({ fullName: 'Nguyễn Thị Lan', currentCommune: '00008' });
    expect((await registry.personAsOf('001190000123', '2025-10-01')).fullName).toBe('Nguyễn Thị Lan Anh');
    await expect(registry.personAsOf('001190000123', '2025-07-01')).rejects.toMatchObject({ code: 'PERSON_NOT_YET_RECORDED' });
    const events = await registry.personEvents('001190000123');
    expect(events.map((e) => e.type)).toEqual(['registration', 'residence_change', 'name_change']);
    // the projection is exactly the replay of the log
    expect(await registry.personAsOf('001190000123', '2030-01-01')).toEqual(await registry.getPerson('001190000123'));
  });

  it('refuses events that break the rules and writes nothing', async () => {
    const before = await registry.getPerson('001190000123');
    const attempts = [
      { type: 'name_change', occurredOn: '2025-10-01', data: { fullName: 'Nguyễn 123' }, code: 'NAME_INVALID' },
      { type: 'name_change', occurredOn: '2025-10-01', data: { birthDate: '1991-01-01' }, code: 'EVENT_FIELD_NOT_ALLOWED' },
      { type: 'residence_change', occurredOn: '2025-10-01', data: { currentCommune: '99999' }, code: 'ADMIN_UNIT_UNKNOWN' },
      { type: 'correction', occurredOn: '2025-10-01', data: { birthDate: '1990-02-30' }, code: 'DATE_INVALID', reason: 'typo' },
      { type: 'correction', occurredOn: '2025-10-01', data: { birthDate: '1991-01-01' }, code: 'ID_BIRTH_YEAR_MISMATCH', reason: 'typo' },
      { type: 'correction', occurredOn: '2025-10-01', data: { ethnicity: 'Tày' }, code: 'REASON_REQUIRED' },
      { type: 'marriage', occurredOn: '2031-01-01', data: { spouseId: '001090000001' }, code: 'DATE_IN_FUTURE' },
      { type: 'adoption', occurredOn: '2025-10-01', data: {}, code: 'EVENT_TYPE_UNKNOWN' },
    ] as const;
    for (const a of attempts) {
      await expect(
        registry.recordEvent({ personId: '001190000123', type: a.type as never, occurredOn: a.occurredOn, officerId: 'OFF-2', reason: 'reason' in a ? a.reason : null, data: a.data }),
        a.code,
      ).rejects.toMatchObject({ code: a.code });
    }
    expect(await registry.getPerson('001190000123')).toEqual(before);
    expect(await registry.personEvents('001190000123')).toHaveLength(3);
  });

  it('refuses a registration whose ID number disagrees with the person or is taken', async () => {
    await expect(registry.register({ type: 'registration', idNumber: '001090000124', occurredOn: '2025-08-01', officerId: null, reason: null, facts: mother })).rejects.toMatchObject({ code: 'ID_SEX_MISMATCH' });
    await expect(registry.register({ type: 'registration', idNumber: '001190000123', occurredOn: '2025-08-01', officerId: null, reason: null, facts: mother })).rejects.toMatchObject({ code: 'ID_NUMBER_TAKEN' });
    await expect(registry.register({ type: 'registration', idNumber: '00119000012', occurredOn: '2025-08-01', officerId: null, reason: null, facts: mother })).rejects.toMatchObject({ code: 'ID_NUMBER_MALFORMED' });
    await expect(registry.register({ type: 'registration', idNumber: '001190000125', occurredOn: '2025-08-01', officerId: null, reason: null, facts: { ...mother, birthDate: '1990-02-30' } })).rejects.toMatchObject({ code: 'DATE_INVALID' });
  });

  it('keeps a batch all-or-nothing', async () => {
    const ok = { type: 'registration' as const, idNumber: '001185000777', occurredOn: '2025-08-01', officerId: null, reason: null, facts: { ...mother, birthDate: '1985', householdId: null, relationshipToHead: null } };
    const bad = { ...ok, idNumber: '001185000778', facts: { ...ok.facts, sex: 'X' } };
    await expect(registry.registerBatch([ok, bad])).rejects.toMatchObject({ code: 'SEX_INVALID' });
    await expect(registry.getPerson('001185000777')).rejects.toMatchObject({ code: 'PERSON_NOT_FOUND' });
  });

  it('records a death and then refuses further events', async () => {
    clock.set('2025-11-01T10:00:00Z');
    const { person } = await registry.recordEvent({ personId: '001190000123', type: 'death', occurredOn: '2025-10-30', officerId: 'OFF-3', reason: null, data: {} });
    expect(person).toMatchObject({ status: 'deceased', deathDate: '2025-10-30' });
    await expect(registry.recordEvent({ personId: '001190000123', type: 'residence_change', occurredOn: '2025-10-31', officerId: 'OFF-3', reason: null, data: { currentCommune: '00004' } })).rejects.toMatchObject({ code: 'PERSON_DECEASED' });
  });
});
