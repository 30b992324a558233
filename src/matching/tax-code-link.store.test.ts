import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects } from '../../test/test-database.js';
import { generatePopulation } from '../registry/population.generator.js';
import type { Clock } from '../shared/clock.js';
import { loadPopulation } from '../store/bulk-writer.js';
import { withCheckDigit } from './tax-code.js';
import { taxCodeLinkRepository } from './tax-code-link.repository.js';
import { TaxCodeLinkService, type RunInput } from './tax-code-link.service.js';

type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

const code = (n: number): string => {
  for (let base = 800_000_000 + n * 13; ; base++) {
    const c = withCheckDigit(String(base));
    if (c !== undefined) return c;
  }
};

const errorCode = async (p: Promise<unknown>): Promise<string | undefined> => {
  try {
    await p;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

for (const dialect of dialects) {
  describe(`old tax code links on ${dialect}`, () => {
    let database: TestDatabase;
    let people: string[];
    let t = Date.parse('2026-03-01T08:00:00.000Z');
    const clock: Clock = { now: () => new Date(t) };
    let links: TaxCodeLinkService;
    const count = async (table: 'tax_code_links' | 'tax_code_link_runs'): Promise<number> =>
      Number((await database.db.selectFrom(table).select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow()).n);

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      await loadPopulation(database, generatePopulation({ people: 60, seed: 5, today: '2026-01-01' }));
      people = (await database.db.selectFrom('persons').select('id_number').orderBy('id_number').limit(10).execute()).map((r) => r.id_number);
      links = new TaxCodeLinkService({ db: database.db, clock });
    });
    afterAll(async () => { await database.close(); });

    const run = (rows: RunInput['links'], includeProbable = false): RunInput => ({ sourceName: 'register.csv', inputSha256: 'ab'.repeat(32), startedAt: clock.now().toISOString(), links: rows, summary: { linked: rows.length }, includeProbable });

    it('stores a run\'s confirmed links with their source; a re-run writes nothing; malformed codes are listed, not stored', async () => {
      const rows = [
        { oldTaxCode: code(1), idNumber: people[0] ?? '', outcome: 'linked' },
        { oldTaxCode: code(2), idNumber: people[1] ?? '', outcome: 'linked' },
        { oldTaxCode: code(3), idNumber: people[2] ?? '', outcome: 'to_update' },
        { oldTaxCode: code(4), idNumber: '', outcome: 'not_found' },
        { oldTaxCode: '800000001', idNumber: people[3] ?? '', outcome: 'linked' },
        { oldTaxCode: `${code(5).slice(0, 9)}${String((Number(code(5)[9]) + 1) % 10)}`, idNumber: people[4] ?? '', outcome: 'linked' },
      ];
      const first = await links.storeRun(run(rows));
      expect(first).toMatchObject({ written: 2, unchanged: 0 });
      expect(first.malformed.map((m) => m.code).sort()).toEqual(['TAX_CODE_CHECK_DIGIT', 'TAX_CODE_MALFORMED']);
      expect(await links.find(code(1))).toMatchObject({ personId: people[0], status: 'confirmed', sourceKind: 'linking_run', sourceRef: first.runId, establishedAt: '2026-03-01T08:00:00.000Z' });
      expect(await links.find(code(3))).toBeUndefined();
      expect(await count('tax_code_links')).toBe(2);
      t += 86_400_000;
      const again = await links.storeRun(run(rows));
      expect(again).toMatchObject({ written: 0, unchanged: 2 });
      expect(await links.find(code(1))).toMatchObject({ sourceRef: first.runId, updatedAt: '2026-03-01T08:00:00.000Z' });
      expect(await taxCodeLinkRepository.findRun(database.db, again.runId)).toMatchObject({ written: 0, unchanged: 2, malformed: 2 });
      // Found by matching: stored as probable only when asked, and never lowers a confirmed link.
      const probable = await links.storeRun(run([...rows, { oldTaxCode: code(1), idNumber: people[0] ?? '', outcome: 'to_update' }].filter((r) => r.oldTaxCode !== code(1) || r.outcome === 'to_update'), true));
      expect(probable).toMatchObject({ written: 1, unchanged: 2 });
      expect(await links.find(code(3))).toMatchObject({ personId: people[2], status: 'probable' });
      expect(await links.find(code(1))).toMatchObject({ status: 'confirmed' });
    });

    it('refuses a whole run when one code is already another person\'s: nothing written', async () => {
      const before = await count('tax_code_links');
      const runsBefore = await count('tax_code_link_runs');
      const rows = [
        { oldTaxCode: code(10), idNumber: people[5] ?? '', outcome: 'linked' },
        { oldTaxCode: code(1), idNumber: people[6] ?? '', outcome: 'linked' },
      ];
      expect(await errorCode(links.storeRun(run(rows)))).toBe('TAX_LINK_CONFLICT');
      expect(await count('tax_code_links')).toBe(before);
      expect(await count('tax_code_link_runs')).toBe(runsBefore);
      expect(await links.find(code(10))).toBeUndefined();
    });

    it('lets an officer record a link, refusing bad input with clear codes and a change of person without --replace', async () => {
      const officer = { officerId: 'o-12', status: 'confirmed' } as const;
      expect(await errorCode(links.record({ ...officer, oldTaxCode: '0100047517', idNumber: people[7] ?? '' }))).toBe('TAX_CODE_CHECK_DIGIT');
      expect(await errorCode(links.record({ ...officer, oldTaxCode: code(20), idNumber: '12345' }))).toBe('ID_NUMBER_MALFORMED');
      expect(await errorCode(links.record({ ...officer, oldTaxCode: code(20), idNumber: people[7] ?? '', status: 'maybe' }))).toBe('TAX_LINK_STATUS_INVALID');
      expect(await errorCode(links.record({ ...officer, oldTaxCode: code(20), idNumber: people[7] ?? '', officerId: '' }))).toBe('OFFICER_ID_MISSING');
      expect(await errorCode(links.record({ ...officer, oldTaxCode: code(20), idNumber: '001099999999' }))).toBe('TAX_LINK_PERSON_UNKNOWN');
      expect(await links.find(code(20))).toBeUndefined();
      const made = await links.record({ ...officer, oldTaxCode: `${code(20)}-001`, idNumber: people[7] ?? '' });
      expect(made).toMatchObject({ oldTaxCode: `${code(20)}-001`, sourceKind: 'officer', sourceRef: 'o-12', status: 'confirmed' });
      expect(await errorCode(links.record({ ...officer, oldTaxCode: code(1), idNumber: people[8] ?? '' }))).toBe('TAX_LINK_CONFLICT');
      expect(await links.find(code(1))).toMatchObject({ personId: people[0] });
      await links.record({ ...officer, oldTaxCode: code(1), idNumber: people[8] ?? '', replace: true });
      expect(await links.find(code(1))).toMatchObject({ personId: people[8], sourceKind: 'officer' });
      expect((await links.forPerson(people[7] ?? '')).map((l) => l.oldTaxCode)).toEqual([`${code(20)}-001`]);
    });
  });
}
