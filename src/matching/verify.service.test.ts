import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects } from '../../test/test-database.js';
import { adminUnitCatalog, LAST_DAY_BEFORE_REFORM } from '../registry/admin-unit.catalog.js';
import { generatePopulation } from '../registry/population.generator.js';
import { fixedClock } from '../shared/clock.js';
import { isDomainError } from '../shared/domain-error.js';
import { loadPopulation } from '../store/bulk-writer.js';
import type { Database } from '../store/database.js';
import type { PersonsTable } from '../store/database.types.js';
import { currentCommunes } from './address.normaliser.js';
import { foldName } from '../shared/vietnamese-text.js';
import { VerifyService, withoutLifeStatus } from './verify.service.js';
import type { VerifyRequest } from './verify.types.js';

const clock = fixedClock('2026-01-02T00:00:00Z');
const today = '2026-01-02';

/** An old (pre-2025) commune code, different from `code`, that the official conversion maps to `code`. */
function oldCodeMergedInto(code: string): string | undefined {
  const units = adminUnitCatalog();
  for (const province of units.provinces(LAST_DAY_BEFORE_REFORM)) {
    for (const commune of units.communesOf(province.code, LAST_DAY_BEFORE_REFORM)) {
      if (commune.code !== code && currentCommunes(commune.code, today).has(code)) return commune.code;
    }
  }
  return undefined;
}

/** Swaps day and month of a full date, as DD/MM/YYYY with the two swapped. */
function swapped(date: string): string {
  const [y, m, d] = date.split('-');
  return `${m ?? ''}/${d ?? ''}/${y ?? ''}`;
}

async function expectError(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(isDomainError(error) ? { code: error.code, kind: error.kind, hasAction: error.action.length > 0 } : error).toEqual({ code, kind: 'invalid', hasAction: true });
}

describe.each(dialects)('verify on %s', (dialect) => {
  let database: Database;
  let verify: VerifyService;
  let alive: PersonsTable;
  let dead: PersonsTable;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    await loadPopulation(database, generatePopulation({ people: 1_500, seed: 11, today: '2026-01-01' }));
    verify = new VerifyService({ db: database.db, clock });
    // a living person whose day and month differ and can be swapped (both ≤ 12)
    const candidates = await database.db.selectFrom('persons').selectAll().where('status', '=', 'alive')
      .where('birth_date', 'like', '19__-__-0_').where('permanent_commune', 'is not', null).where('permanent_address', 'is not', null)
      .orderBy('id_number').execute();
    const found = candidates.find((p) => { const [, m, d] = p.birth_date.split('-'); return Number(m) <= 12 && Number(d) <= 12 && m !== d; });
    if (found === undefined) throw new Error('no living person with a swappable date of birth in the sample');
    alive = found;
    dead = await database.db.selectFrom('persons').selectAll().where('status', '=', 'deceased').orderBy('id_number').executeTakeFirstOrThrow();
  }, 120_000);
  afterAll(async () => {
    await database.close();
  });

  const exactDetails = (p: PersonsTable): VerifyRequest => ({
    idNumber: p.id_number, fullName: p.full_name, birthDate: p.birth_date, sex: p.sex,
    communeCode: p.permanent_commune ?? '', address: p.permanent_address ?? '',
  });

  it('matches the details exactly as the registry holds them', async () => {
    const result = await verify.verify(exactDetails(alive));
    expect(result).toEqual({
      match: true, status: 'MATCH', strategy: 'exact',
      fields: { fullName: 'exact', birthDate: 'exact', sex: 'exact', communeCode: 'exact', address: 'exact' },
    });
  });

  it('never returns a registry value', async () => {
    const request = { idNumber: alive.id_number, fullName: 'Someone Else', birthDate: '1901', strategy: 'partial' } as const;
    const text = JSON.stringify(await verify.verify(request));
    for (const value of [alive.full_name, foldName(alive.full_name), alive.birth_date, alive.permanent_address ?? '', alive.permanent_commune ?? '']) {
      expect(text.includes(value)).toBe(false);
    }
  });

  it('answers folded names, Vietnamese date forms and swaps as close; exact refuses them, partial accepts', async () => {
    const request: VerifyRequest = {
      idNumber: alive.id_number, fullName: foldName(alive.full_name).toUpperCase(), birthDate: swapped(alive.birth_date), sex: alive.sex,
    };
    const exact = await verify.verify(request);
    expect(exact).toEqual({ match: false, status: 'NO_MATCH', strategy: 'exact', fields: { fullName: 'close', birthDate: 'close', sex: 'exact' } });
    const partial = await verify.verify({ ...request, strategy: 'partial' });
    expect(partial.match).toBe(true);
    expect(partial.score).toBeGreaterThanOrEqual(0.9);
    // the same details with a threshold above the score do not match (close is not exact: the score is below 1)
    const strict = await verify.verify({ ...request, strategy: 'partial', threshold: 1 });
    expect(strict.score).toBe(partial.score);
    expect(strict.score).toBeLessThan(1);
    expect(strict.match).toBe(false);
  });

  it('scores wrong details as no match under partial', async () => {
    const result = await verify.verify({ idNumber: alive.id_number, fullName: 'Phạm Quỳnh Hương Giang', birthDate: '1901-01-01', strategy: 'partial' });
    expect(result.status).toBe('NO_MATCH');
    expect(result.fields).toEqual({ fullName: 'different', birthDate: 'different' });
    expect(result.score).toBeLessThan(0.01);
  });

  it('accepts an old commune code that the 2025 reform merged into the registry commune', async () => {
    const code = alive.permanent_commune ?? '';
    const old = oldCodeMergedInto(code);
    expect(old).toBeDefined();
    const result = await verify.verify({ idNumber: alive.id_number, communeCode: old ?? '' });
    expect(result.fields).toEqual({ communeCode: 'close' });
  });

  it('answers an unknown ID number as NOT_FOUND without fields', async () => {
    let unknown = alive.id_number.slice(0, 6) + '000000';
    if (unknown === alive.id_number) unknown = alive.id_number.slice(0, 6) + '000001';
    const result = await verify.verify({ idNumber: unknown, fullName: 'Nguyễn Văn A' });
    expect(result).toEqual({ match: false, status: 'NOT_FOUND', fields: {}, strategy: 'exact' });
  });

  it('answers a deceased person as DECEASED, never as a match', async () => {
    const result = await verify.verify(exactDetails(dead));
    expect(result.status).toBe('DECEASED');
    expect(result.match).toBe(false);
    expect(result.fields.fullName).toBe('exact');
  });

  it('withoutLifeStatus: a deceased person answers exactly as an unknown number, whatever the strategy; others unchanged', async () => {
    let unknown = alive.id_number.slice(0, 6) + '000000';
    if (unknown === alive.id_number) unknown = alive.id_number.slice(0, 6) + '000001';
    for (const strategy of ['exact', 'partial'] as const) {
      const deceased = withoutLifeStatus(await verify.verify({ ...exactDetails(dead), strategy }));
      expect(deceased).toEqual(await verify.verify({ ...exactDetails(dead), idNumber: unknown, strategy }));
      expect(JSON.stringify(deceased)).toBe(JSON.stringify(await verify.verify({ ...exactDetails(dead), idNumber: unknown, strategy })));
      const living = await verify.verify({ ...exactDetails(alive), strategy });
      expect(withoutLifeStatus(living)).toEqual(living);
    }
  });

  it('answers phone and old ID number as missing: the registry holds neither', async () => {
    const result = await verify.verify({ idNumber: alive.id_number, phone: '+84 912 345 678', oldIdNumber: '012345678' });
    expect(result).toEqual({ match: false, status: 'NO_MATCH', strategy: 'exact', fields: { phone: 'missing', oldIdNumber: 'missing' } });
  });

  it('refuses bad input with a stable code and an action', async () => {
    const id = alive.id_number;
    await expectError(verify.verify({ idNumber: '012345678', fullName: 'A' }), 'ID_NUMBER_MALFORMED');
    await expectError(verify.verify({ idNumber: '999203012345', fullName: 'A' }), 'ID_PROVINCE_UNKNOWN');
    await expectError(verify.verify({ idNumber: id }), 'VERIFY_NO_DETAILS');
    await expectError(verify.verify({ idNumber: id, fullName: '   ' }), 'VERIFY_NO_DETAILS');
    await expectError(verify.verify({ idNumber: id, birthDate: '31/02/1990' }), 'DATE_INVALID');
    await expectError(verify.verify({ idNumber: id, birthDate: 'yesterday' }), 'DATE_INVALID');
    await expectError(verify.verify({ idNumber: id, fullName: 'A', threshold: 0.5 }), 'VERIFY_THRESHOLD_WITHOUT_PARTIAL');
    await expectError(verify.verify({ idNumber: id, fullName: 'A', strategy: 'partial', threshold: 1.5 }), 'VERIFY_THRESHOLD_INVALID');
    await expectError(verify.verify({ idNumber: id, fullName: 'A', strategy: 'partial', threshold: Number.NaN }), 'VERIFY_THRESHOLD_INVALID');
    await expectError(verify.verify({ idNumber: id, communeCode: '123' }), 'VERIFY_COMMUNE_INVALID');
    await expectError(verify.verify({ idNumber: id, phone: '12345' }), 'PHONE_MALFORMED');
    await expectError(verify.verify({ idNumber: id, oldIdNumber: '0123456789012' }), 'OLD_ID_NUMBER_MALFORMED');
    await expectError(verify.verify({ idNumber: id, fullName: 'x'.repeat(201) }), 'VERIFY_NAME_TOO_LONG');
    await expectError(verify.verify({ idNumber: id, fullName: 'A', strategy: 'fuzzy' as 'exact' }), 'VERIFY_STRATEGY_UNKNOWN');
  });

  it('calibrates u from the registry: a random pair rarely agrees on name or date', async () => {
    const model = await verify.calibrate(10, 100);
    const name = model.fields.find((f) => f.name === 'fullName');
    const sex = model.fields.find((f) => f.name === 'sex');
    expect(name?.u[0]).toBeLessThan(0.02);
    expect(sex?.u[0]).toBeGreaterThan(0.3);
    expect(sex?.u[0]).toBeLessThan(0.7);
  });
});
