import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects } from '../../test/test-database.js';
import { generatePopulation } from '../registry/population.generator.js';
import { systemClock } from '../shared/clock.js';
import { readSnapshotPersons, writeSnapshot, type SnapshotPersonWithCard } from './registry-snapshot.engine.js';
import { TaxCodeLinkService } from './tax-code-link.service.js';
import { generateTaxRegister, linkTaxRegister, taxLinkOutcomes } from './tax-code.linking.js';
import { isOldTaxCode } from './tax-code.js';

const today = '2026-01-01';
let dir: string;
let snapshotDir: string;
let persons: SnapshotPersonWithCard[];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sachsong-tax-code-'));
  snapshotDir = path.join(dir, 'snapshot');
  function* pages(): Generator<SnapshotPersonWithCard[]> {
    for (const batch of generatePopulation({ people: 12_000, seed: 31, today })) yield batch.persons.map((p) => ({ ...p, old_card: null }));
  }
  await writeSnapshot(snapshotDir, pages(), 'tax-code-test');
  persons = await readSnapshotPersons(snapshotDir);
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Link { readonly old_tax_code: string; readonly id_number: string; readonly outcome: string; readonly details: string }
interface Truth { readonly old_tax_code: string; readonly expected_outcome: string; readonly expected_person: string }

describe('the ID number as tax code', () => {
  it('links a tax register with old codes, old card numbers and missing IDs, and finds both kinds of conflict', async () => {
    const file = path.join(dir, 'register.csv');
    const truthFile = path.join(dir, 'register.truth.csv');
    const generated = generateTaxRegister(persons, { taxpayers: 3_000, seed: 2, file, truthFile });
    for (const outcome of ['linked', 'to_update', 'conflict_person_many_codes', 'conflict_code_many_persons', 'not_found'] as const) {
      expect(generated.expected[outcome], outcome).toBeGreaterThan(0);
    }
    const outDir = path.join(dir, 'out');
    const summary = await linkTaxRegister({ input: file, snapshotDir, outDir, today });
    expect(summary.rows).toBe(generated.rows);
    const links = new Map(parse<Link>(readFileSync(path.join(outDir, 'tax-links.csv')), { columns: true }).map((l) => [l.old_tax_code, l]));
    const truth = parse<Truth>(readFileSync(truthFile), { columns: true });
    expect(links.size).toBe(truth.length);
    // The generator's codes carry their check digit.
    expect(truth.every((t) => isOldTaxCode(t.old_tax_code))).toBe(true);
    expect(summary.taxCodes).toBe(truth.length);
    let agree = 0;
    let wrongPerson = 0;
    for (const t of truth) {
      const l = links.get(t.old_tax_code);
      if (l?.outcome === t.expected_outcome) agree++;
      if (l !== undefined && l.id_number !== '' && t.expected_person !== '' && l.id_number !== t.expected_person) wrongPerson++;
    }
    expect(agree / truth.length).toBeGreaterThanOrEqual(0.97);
    expect(wrongPerson).toBe(0);
    expect(Object.keys(summary.outcomes).sort()).toEqual([...taxLinkOutcomes].sort());
    // A code updated through an old card number says why.
    expect([...links.values()].some((l) => l.outcome === 'to_update' && l.details.includes('id_number'))).toBe(true);
  }, 120_000);

  it('gives one outcome per tax code for a small hand-written register', async () => {
    const [a, b] = persons.filter((p) => p.status === 'alive' && p.birth_date.length === 10);
    if (a === undefined || b === undefined) throw new Error('population too small');
    const d = (iso: string): string => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
    const file = path.join(dir, 'small.csv');
    writeFileSync(file, [
      'tax_record_no,id_number,taxpayer_name,birth_date',
      `8000000001,${a.id_number},${a.full_name},${d(a.birth_date)}`,
      `8000000002,${b.id_number},${b.full_name},${d(b.birth_date)}`,
      `8000000002,${a.id_number},${a.full_name},${d(a.birth_date)}`,
      '8000000003,,Ông Không Có,01/01/1901',
    ].join('\n'));
    const outDir = path.join(dir, 'small-out');
    await linkTaxRegister({ input: file, snapshotDir, outDir, today });
    const links = new Map(parse<Link>(readFileSync(path.join(outDir, 'tax-links.csv')), { columns: true }).map((l) => [l.old_tax_code, l]));
    expect(links.get('8000000001')).toMatchObject({ outcome: 'conflict_person_many_codes', id_number: a.id_number });
    expect(links.get('8000000002')).toMatchObject({ outcome: 'conflict_code_many_persons', id_number: '' });
    expect(links.get('8000000003')).toMatchObject({ outcome: 'not_found', id_number: '' });
  }, 60_000);
});

describe('the linking job writes its confirmed links to the store', () => {
  for (const dialect of dialects) {
    it(`on ${dialect}: every linked code with its truth's person, all or nothing, and a re-run writes none`, async () => {
      const database = await createTestDatabase(dialect);
      try {
        const file = path.join(dir, `store-${dialect}.csv`);
        const truthFile = path.join(dir, `store-${dialect}.truth.csv`);
        generateTaxRegister(persons, { taxpayers: 600, seed: 9, file, truthFile });
        const service = new TaxCodeLinkService({ db: database.db, clock: systemClock });
        const outDir = path.join(dir, `store-${dialect}-out`);
        const summary = await linkTaxRegister({ input: file, snapshotDir, outDir, today, store: { links: service } });
        expect(summary.outcomes.linked).toBeGreaterThan(100);
        expect(summary.stored).toMatchObject({ written: summary.outcomes.linked, unchanged: 0, malformed: [] });
        const truth = new Map(parse<Truth>(readFileSync(truthFile), { columns: true }).map((t) => [t.old_tax_code, t]));
        const stored = await database.db.selectFrom('tax_code_links').selectAll().execute();
        expect(stored).toHaveLength(summary.outcomes.linked);
        for (const s of stored) {
          expect(s.status).toBe('confirmed');
          expect(s.source_ref).toBe(summary.stored?.runId);
          expect(truth.get(s.old_tax_code)?.expected_person).toBe(s.person_id);
        }
        const again = await linkTaxRegister({ input: file, snapshotDir, outDir, today, store: { links: service } });
        expect(again.stored).toMatchObject({ written: 0, unchanged: summary.outcomes.linked });
        // A register that gives one stored code to another person changes nothing at all.
        const [first, second] = stored;
        if (first === undefined || second === undefined) throw new Error('too few links');
        const lines = readFileSync(file, 'utf8').split('\n');
        const swapped = lines.map((l) => (l.startsWith(`${second.old_tax_code},`) ? l.replace(second.old_tax_code, first.old_tax_code) : l.startsWith(`${first.old_tax_code},`) ? l.replace(first.old_tax_code, second.old_tax_code) : l));
        const conflicting = path.join(dir, `store-${dialect}-conflict.csv`);
        writeFileSync(conflicting, swapped.join('\n'));
        await expect(linkTaxRegister({ input: conflicting, snapshotDir, outDir: `${outDir}-conflict`, today, store: { links: service } })).rejects.toMatchObject({ code: 'TAX_LINK_CONFLICT' });
        expect(await database.db.selectFrom('tax_code_links').select('person_id').where('old_tax_code', '=', first.old_tax_code).executeTakeFirst()).toEqual({ person_id: first.person_id });
        expect(await database.db.selectFrom('tax_code_link_runs').select('run_id').execute()).toHaveLength(2);
      } finally {
        await database.close();
      }
    }, 120_000);
  }
});
