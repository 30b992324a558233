import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAccessLog, type AppendingAccessLog } from '../src/audit/access-log.service.js';
import { buildApp } from '../src/http/app.js';
import { adminUnitCatalog } from '../src/registry/admin-unit.catalog.js';
import { householdRepository } from '../src/registry/household.repository.js';
import { personRepository } from '../src/registry/person.repository.js';
import type { PersonRecord } from '../src/registry/person.types.js';
import { RegistryService } from '../src/registry/registry.service.js';
import { fixedClock } from '../src/shared/clock.js';
import type { Database } from '../src/store/database.js';
import { signInOfficer, testIdentity, type SignedInOfficer } from './officer-session.js';
import { createTestDatabase, dialects } from './test-database.js';

const clock = fixedClock('2026-12-04T03:00:00Z');
const catalog = adminUnitCatalog();
const [homeCommune, elsewhere] = ((): [string, string] => {
  const hanoi = catalog.communesOf('01', '2026-12-04');
  const hue = catalog.communesOf('46', '2026-12-04');
  return [hanoi[0]?.code ?? '', hue[0]?.code ?? ''];
})();

/** A person of `commune`, named and born as given (an ID number from the counter). */
function person(n: number, commune: string, birthDate: string): PersonRecord {
  return {
    idNumber: `0012${String(90_000_000 + n)}`,
    fullName: 'Nguyễn Văn An',
    birthDate,
    sex: 'M',
    ethnicity: 'Kinh',
    religion: null,
    nationality: 'VN',
    birthProvince: '001',
    birthCommune: null,
    hometown: null,
    permanentCommune: commune,
    permanentAddress: null,
    temporaryCommune: null,
    temporaryAddress: null,
    currentCommune: commune,
    currentAddress: null,
    fatherId: null,
    motherId: null,
    spouseId: null,
    householdId: null,
    relationshipToHead: null,
    status: 'alive',
    deathDate: null,
    version: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

describe.each(dialects)('a search below the nation on %s', (dialect) => {
  let database: Database;
  let log: AppendingAccessLog;
  let app: FastifyInstance;
  let officer: SignedInOfficer;
  // 1,200 namesakes elsewhere, born before the two of the officer's commune: their matches come last nationally.
  const namesakes = Array.from({ length: 1_200 }, (_, i) => person(i, elsewhere, `19${String(40 + (i % 40))}-01-01`));
  const own = [person(5_000, homeCommune, '1990-05-01'), person(5_001, homeCommune, '1991-06-02')];
  // Living elsewhere, tied to the officer's commune only by their household's registration there; and a stranger.
  const byHousehold = { ...person(6_000, elsewhere, '1985-03-03'), idNumber: '001085006000', fullName: 'Trần Văn Bích', householdId: 'HK-TEST-HOME' };
  const stranger = { ...person(6_001, elsewhere, '1985-03-03'), idNumber: '001085006001', fullName: 'Trần Văn Bích', householdId: 'HK-TEST-AWAY' };

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    await personRepository.insertMany(database.db, [...namesakes, ...own, byHousehold, stranger]);
    for (const [householdId, communeCode, headId] of [['HK-TEST-HOME', homeCommune, byHousehold.idNumber], ['HK-TEST-AWAY', elsewhere, stranger.idNumber]] as const) {
      await householdRepository.upsert(database.db, { householdId, headId, communeCode, address: null, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' });
    }
    log = openAccessLog(database, { lingerMs: 1 });
    const identity = testIdentity(database.db, clock);
    officer = await signInOfficer(identity, clock, { role: 'commune_officer', unit: { level: 'commune', code: homeCommune } });
    app = await buildApp({ database, clock, operatorToken: 'officer-search-test-token-0123456789', identity, logger: false, accessLog: log });
    await app.ready();
  }, 120_000);
  afterAll(async () => {
    await app.close();
    await log.close();
    await database.close();
  });

  it("finds the unit's persons behind more than a page of national namesakes, and records only them", async () => {
    const before = await database.db.selectFrom('access_records').select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow();
    const response = await app.inject({ url: `/api/persons?name=${encodeURIComponent('Nguyen Van An')}`, headers: officer.headers });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ items: { idNumber: string }[]; complete: boolean }>();
    expect(body.items.map((i) => i.idNumber)).toEqual(own.map((p) => p.idNumber));
    expect(body.complete).toBe(true);
    const after = await database.db.selectFrom('access_records').select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n) - Number(before.n)).toBe(2);
  });

  it("lets the officer open a person tied to the commune only by their household, and no one tied by nothing", async () => {
    const tied = await app.inject({ url: `/api/persons/${byHousehold.idNumber}`, headers: officer.headers });
    expect(tied.statusCode).toBe(200);
    expect(tied.json<{ idNumber: string }>().idNumber).toBe(byHousehold.idNumber);
    const refused = await app.inject({ url: `/api/persons/${stranger.idNumber}`, headers: officer.headers });
    expect(refused.statusCode).toBe(403);
    const events = await app.inject({ url: `/api/persons/${byHousehold.idNumber}/events`, headers: officer.headers });
    expect(events.statusCode).toBe(200);
    const found = await app.inject({ url: `/api/persons?name=${encodeURIComponent('Tran Van Bich')}`, headers: officer.headers });
    expect(found.json<{ items: { idNumber: string }[] }>().items.map((i) => i.idNumber)).toEqual([byHousehold.idNumber]);
  });

  it('stops at the first `limit` of the unit, and says when the name was too common to look at every match', async () => {
    const registry = new RegistryService({ db: database.db, clock });
    const inHome = (p: PersonRecord): boolean => p.permanentCommune === homeCommune;
    const first = await registry.searchPersonsKept({ name: 'Nguyễn Văn An', limit: 1 }, inHome);
    expect(first).toEqual({ persons: [own[0]], complete: true });
    const capped = await registry.searchPersonsKept({ name: 'Nguyễn Văn An' }, inHome, 1_000);
    expect(capped).toEqual({ persons: [], complete: false });
    // Keyset paging walks every match once, in the search's order.
    const seen: string[] = [];
    await registry.searchPersonsKept({ name: 'Nguyễn Văn An', limit: 500 }, (p) => { seen.push(p.idNumber); return false; });
    expect(seen).toHaveLength(namesakes.length + own.length);
    expect(new Set(seen).size).toBe(seen.length);
  });
});
