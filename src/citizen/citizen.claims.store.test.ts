import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects } from '../../test/test-database.js';
import { withCheckDigit } from '../matching/tax-code.js';
import { TaxCodeLinkService } from '../matching/tax-code-link.service.js';
import { generatePopulation } from '../registry/population.generator.js';
import type { Clock } from '../shared/clock.js';
import { loadPopulation } from '../store/bulk-writer.js';
import { claimsForScope, readClaims } from './citizen.claims.js';

type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

for (const dialect of dialects) {
  describe(`the old tax code claim on ${dialect}`, () => {
    let database: TestDatabase;
    let holder = '';
    let other = '';
    const clock: Clock = { now: () => new Date('2026-03-01T08:00:00.000Z') };
    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      await loadPopulation(database, generatePopulation({ people: 40, seed: 3, today: '2026-01-01' }));
      [holder = '', other = ''] = (await database.db.selectFrom('persons').select('id_number').orderBy('id_number').limit(2).execute()).map((r) => r.id_number);
      const links = new TaxCodeLinkService({ db: database.db, clock });
      await links.record({ oldTaxCode: withCheckDigit('820000001') ?? '', idNumber: holder, status: 'confirmed', officerId: 'o-1' });
      await links.record({ oldTaxCode: withCheckDigit('820000003') ?? '', idNumber: holder, status: 'probable', officerId: 'o-1' });
    });
    afterAll(async () => { await database.close(); });

    it('is asked for with the vn_tax_code scope, only when allowed; its value is the confirmed code, with its source and day', async () => {
      expect(claimsForScope('openid vn_tax_code', ['vn_tax_code', 'vn_old_tax_code'])).toEqual(['vn_tax_code', 'vn_old_tax_code']);
      expect(claimsForScope('openid vn_tax_code', ['vn_tax_code'])).toEqual(['vn_tax_code']);
      const [tax, old] = await readClaims(database.db, holder, ['vn_tax_code', 'vn_old_tax_code']);
      expect(tax).toMatchObject({ claim: 'vn_tax_code', value: holder });
      expect(old).toMatchObject({ claim: 'vn_old_tax_code', value: withCheckDigit('820000001'), updatedOn: '2026-03-01' });
      expect(old?.source).toContain('mã số thuế cũ');
      // Without a confirmed link there is no value: the claim is not released.
      const [none] = await readClaims(database.db, other, ['vn_old_tax_code']);
      expect(none?.value).toBeNull();
    });
  });
}
