import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects } from '../../test/test-database.js';
import { generatePopulation } from '../registry/population.generator.js';
import { fixedClock } from '../shared/clock.js';
import { loadPopulation } from '../store/bulk-writer.js';
import type { Database } from '../store/database.js';
import { compareNames, nameForms } from './name.normaliser.js';
import { foldName } from '../shared/vietnamese-text.js';
import { VerifyService } from './verify.service.js';

describe('names with the Huỳnh/Hoàng variant in any position', () => {
  it('compares given-name-first names as close whichever word carries the variant surname', () => {
    const registry = nameForms('Hoàng Thị Mai');
    expect(compareNames(nameForms('Huỳnh Thị Mai'), registry)).toBe('close');
    expect(compareNames(nameForms('Mai Huỳnh Thị'), registry)).toBe('close');
    expect(compareNames(nameForms('Thị Mai Huỳnh'), registry)).toBe('close');
    expect(compareNames(nameForms('Mai Vũ Thị'), nameForms('Võ Thị Mai'))).toBe('close');
    // Other names stay different.
    expect(compareNames(nameForms('Mai Huỳnh Thị'), nameForms('Trần Thị Lan'))).toBe('different');
  });
});

describe.each(dialects)('verify partial with a given-name-first Huỳnh on %s', (dialect) => {
  let database: Database;
  let verify: VerifyService;
  let id: string;
  let birth: string;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    await loadPopulation(database, generatePopulation({ people: 300, seed: 5, today: '2026-01-01' }));
    verify = new VerifyService({ db: database.db, clock: fixedClock('2026-01-02T00:00:00Z') });
    const p = await database.db.selectFrom('persons').select(['id_number', 'birth_date']).where('status', '=', 'alive')
      .where('birth_date', 'like', '____-__-__').orderBy('id_number').executeTakeFirstOrThrow();
    await database.db.updateTable('persons').set({ full_name: 'Hoàng Thị Mai', name_folded: foldName('Hoàng Thị Mai') }).where('id_number', '=', p.id_number).execute();
    id = p.id_number;
    birth = p.birth_date;
  }, 120_000);
  afterAll(async () => {
    await database.close();
  });

  it('matches "Mai Huỳnh Thị" for Hoàng Thị Mai, and scores another name lower', async () => {
    const partial = await verify.verify({ idNumber: id, fullName: 'Mai Huỳnh Thị', birthDate: birth, strategy: 'partial' });
    expect(partial).toMatchObject({ match: true, status: 'MATCH', fields: { fullName: 'close', birthDate: 'exact' } });
    const other = await verify.verify({ idNumber: id, fullName: 'Lan Trần Thị', birthDate: birth, strategy: 'partial' });
    expect(other.fields.fullName).toBe('different');
    expect(other.score ?? 1).toBeLessThan(partial.score ?? 0);
  });
});
