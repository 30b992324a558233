import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defectKinds, injectDefects, newLedger, type DefectLedger } from '../src/quality/defect.injector.js';
import { measureAccuracy } from '../src/quality/detection-accuracy.js';
import { QualityService } from '../src/quality/quality.service.js';
import { evaluateStore, runScanPass, type ScanPass } from '../src/quality/quality-scan.runner.js';
import { adminUnitCatalog } from '../src/registry/admin-unit.catalog.js';
import { generatePopulation } from '../src/registry/population.generator.js';
import { RegistryService } from '../src/registry/registry.service.js';
import { fixedClock } from '../src/shared/clock.js';
import { DomainError } from '../src/shared/domain-error.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import type { Database } from '../src/store/database.js';
import { createTestDatabase, dialects } from './test-database.js';

const today = '2026-01-01';
const clock = fixedClock('2026-01-02T03:00:00Z');

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toSatisfy((e: unknown) => e instanceof DomainError && e.code === code);
}

for (const dialect of dialects) {
  describe(`quality engine on ${dialect}`, () => {
    let database: Database & { readonly url: string | undefined };
    let ledger: DefectLedger;
    let quality: QualityService;
    let registry: RegistryService;

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      ledger = newLedger();
      const units = adminUnitCatalog();
      await loadPopulation(database, injectDefects(generatePopulation({ people: 4_000, seed: 11, today }), { rate: 0.01, seed: 11, today, units }, ledger));
      registry = new RegistryService({ db: database.db, clock, onPersonsChanged: async (ids, trx) => { await quality.recheck(trx, ids); } });
      quality = new QualityService({
        db: database.db,
        store: database,
        clock,
        recordCorrection: async (c) => ({ eventId: (await registry.recordEvent({ ...c, type: 'correction', occurredOn: '2026-01-02' })).event.eventId }),
      });
    }, 120_000);
    afterAll(async () => { await database.close(); });

    it('finds every injected defect kind in one full scan, with few false alarms (rule-based precision ≥ 0.99, duplicates ≥ 0.9)', async () => {
      const summary = await quality.fullScan();
      expect(summary.persons).toBeGreaterThanOrEqual(4_000);
      const found = await quality.worklist({ status: 'open', limit: 500 });
      const all = [...found];
      while (all.length % 500 === 0 && all.length > 0) {
        const more = await quality.worklist({ status: 'open', after: all[all.length - 1]?.findingId, limit: 500 });
        if (more.length === 0) break;
        all.push(...more);
      }
      expect(all).toHaveLength(summary.open);
      const accuracy = measureAccuracy(ledger, all);
      // Every kind was injected at least once, and each was found.
      expect(new Set(accuracy.kinds.map((k) => k.kind))).toEqual(new Set(defectKinds));
      for (const kind of accuracy.kinds) expect(kind.recall, kind.kind).toBeGreaterThanOrEqual(kind.kind === 'duplicate' ? 0.9 : 1);
      expect(accuracy.ruleBased.precision).toBeGreaterThanOrEqual(0.99);
      expect(accuracy.duplicates.precision).toBeGreaterThanOrEqual(0.9);
      // Some duplicates are couples registered twice, married to each other, and those are found too.
      const duplicates = ledger.injected.filter((d) => d.kind === 'duplicate');
      const duplicateIds = new Set(duplicates.map((d) => d.recordId));
      const married = await database.db.selectFrom('persons').select(['id_number', 'spouse_id']).where('id_number', 'in', [...duplicateIds]).where('spouse_id', 'is not', null).execute();
      expect(married.length).toBeGreaterThanOrEqual(2);
      expect(married.every((m) => duplicateIds.has(m.spouse_id ?? ''))).toBe(true);
      const reported = new Set(all.filter((f) => f.ruleId === 'clean.duplicate_person').flatMap((f) => [`${f.recordId}|${f.relatedId ?? ''}`, `${f.relatedId ?? ''}|${f.recordId}`]));
      const marriedFound = married.filter((m) => duplicates.some((d) => d.recordId === m.id_number && reported.has(`${d.recordId}|${d.relatedId ?? ''}`)));
      expect(marriedFound.length).toBeGreaterThanOrEqual(married.length / 2);
    }, 120_000);

    it('evaluates the same on a worker thread (SQLite files) as in this thread', async () => {
      const settings = { today: '2026-01-02', staleYears: 15 };
      const here = await evaluateStore(database, settings);
      const pass = await runScanPass(database, settings);
      const ids = (p: ScanPass): string[] => p.findings.map((f) => f.findingId).sort();
      expect(pass.persons).toBe(here.persons);
      expect(ids(pass)).toEqual(ids(here));
      expect([...pass.personsByCommune].sort()).toEqual([...here.personsByCommune].sort());
      expect(here.findings.length).toBeGreaterThan(0);
      if (dialect === 'sqlite') {
        // The worker's failure reaches the caller: a file with no registry in it.
        const empty = path.join(mkdtempSync(path.join(tmpdir(), 'sachsong-scan-')), 'empty.db');
        await expect(runScanPass({ ...database, location: empty }, settings)).rejects.toThrow(/no such table/);
      }
    }, 120_000);

    it('keeps scores per province and commune over scans, and a second scan opens nothing new', async () => {
      const second = await quality.fullScan();
      expect(second.new).toBe(0);
      const national = await quality.scorecard('national');
      const overall = national.rows.find((r) => r.group === 'overall');
      expect(overall?.records).toBe(second.persons);
      expect(overall?.score).toBeGreaterThan(50);
      expect(overall?.score).toBeLessThan(100);
      const provinces = await quality.scorecard('province');
      const someProvince = provinces.rows.find((r) => r.code !== '' && r.failing > 0);
      expect(someProvince).toBeDefined();
      const communes = await quality.scorecard('commune', someProvince?.code);
      expect(communes.rows.length).toBeGreaterThan(0);
      expect(communes.rows.every((r) => r.parent === someProvince?.code)).toBe(true);
      const trend = await quality.trend('national', '');
      expect(new Set(trend.map((t) => t.scanId)).size).toBe(2);
      await rejectsWith(quality.scorecard('planet'), 'SCOPE_UNKNOWN');
    }, 120_000);

    it('re-checks a person when an event changes them, and resolves a finding by a correction', async () => {
      const defect = ledger.injected.find((d) => d.kind === 'id_sex');
      if (defect === undefined) throw new Error('no id_sex defect injected');
      const [finding] = await quality.worklist({ ruleId: 'correct.id_sex', recordId: defect.recordId, status: 'open', limit: 1 });
      if (finding === undefined) throw new Error('the id_sex defect was not found');
      expect(finding.communeCode).not.toBe('');
      const person = await registry.getPerson(defect.recordId);
      const result = await quality.resolve(finding.findingId, { officerId: 'officer-7', reason: 'Giấy khai sinh ghi đúng giới tính', data: { sex: person.sex === 'M' ? 'F' : 'M' } });
      expect(result.stillFailing).toBe(false);
      expect(result.finding.status).toBe('corrected');
      expect(result.eventId).not.toBeNull();
      const { actions } = await quality.finding(finding.findingId);
      expect(actions).toMatchObject([{ action: 'resolve', officerId: 'officer-7', eventId: result.eventId }]);
      await rejectsWith(quality.resolve(finding.findingId, { officerId: 'officer-7', reason: 'again', data: {} }), 'FINDING_NOT_OPEN');
    }, 60_000);

    it('opens a finding in the same transaction as the event that causes it', async () => {
      const alive = await database.db.selectFrom('persons').select(['id_number']).where('status', '=', 'alive').where('spouse_id', 'is', null)
        .where('birth_date', '<', '1990').orderBy('id_number').limit(50).execute();
      const candidates = new Set(ledger.injected.flatMap((d) => [d.recordId, d.relatedId]));
      const target = alive.find((p) => !candidates.has(p.id_number));
      if (target === undefined) throw new Error('no clean adult');
      // A marriage to someone who does not record it back: the spouse link is one-sided.
      const other = await database.db.selectFrom('persons').select(['id_number']).where('status', '=', 'alive').where('spouse_id', 'is not', null).orderBy('id_number').limit(1).executeTakeFirstOrThrow();
      await registry.recordEvent({ personId: target.id_number, type: 'marriage', occurredOn: '2026-01-02', officerId: 'o1', reason: null, data: { spouseId: other.id_number } });
      const open = await quality.worklist({ recordId: target.id_number, ruleId: 'clean.spouse_symmetric', status: 'open', limit: 5 });
      expect(open).toHaveLength(1);
      // The divorce mends it: the re-check closes the finding as fixed.
      await registry.recordEvent({ personId: target.id_number, type: 'divorce', occurredOn: '2026-01-02', officerId: 'o1', reason: 'Ghi nhầm', data: {} });
      const after = await quality.finding(open[0]?.findingId ?? '');
      expect(after.finding.status).toBe('no_longer_failing');
    }, 60_000);

    it('dismisses false positives, merges duplicates or marks them distinct, and keeps decisions across scans', async () => {
      const dups = await quality.worklist({ ruleId: 'clean.duplicate_person', status: 'open', limit: 10 });
      expect(dups.length).toBeGreaterThanOrEqual(2);
      const [first, second] = dups;
      if (first === undefined || second === undefined) throw new Error('not enough duplicates');
      const merged = await quality.merge(first.findingId, { officerId: 'officer-2', reason: 'Cùng một người, đăng ký hai lần' });
      expect(merged.finding.status).toBe('merged');
      expect(merged.eventId).not.toBeNull();
      const distinct = await quality.markDistinct(second.findingId, { officerId: 'officer-2', reason: 'Hai người khác nhau, đã xác minh' });
      expect(distinct.finding.status).toBe('not_duplicate');
      const [name] = await quality.worklist({ ruleId: 'correct.name_plausible', status: 'open', limit: 1 });
      if (name === undefined) throw new Error('no name finding');
      await rejectsWith(quality.markDistinct(name.findingId, { officerId: 'officer-2', reason: 'not a pair' }), 'NOT_A_DUPLICATE');
      await rejectsWith(quality.merge(name.findingId, { officerId: 'officer-2', reason: 'not a pair' }), 'NOT_A_DUPLICATE');
      await rejectsWith(quality.dismiss(name.findingId, { officerId: ' ', reason: 'tên dân tộc thiểu số' }), 'OFFICER_REQUIRED');
      await rejectsWith(quality.dismiss(name.findingId, { officerId: 'officer-3', reason: '' }), 'REASON_REQUIRED');
      const dismissed = await quality.dismiss(name.findingId, { officerId: 'officer-3', reason: 'Tên đúng theo giấy khai sinh' });
      expect(dismissed.finding.status).toBe('dismissed');
      await rejectsWith(quality.dismiss('correct.no_such_rule:000000000000', { officerId: 'o', reason: 'why not' }), 'FINDING_NOT_FOUND');

      await quality.fullScan();
      for (const f of [first, second, name]) {
        const { finding, actions } = await quality.finding(f.findingId);
        expect(['merged', 'not_duplicate', 'dismissed']).toContain(finding.status);
        expect(actions).toHaveLength(1);
      }
    }, 120_000);

    it('refuses an injection rate out of range', async () => {
      const batches: unknown[] = [];
      const run = async (): Promise<void> => {
        for await (const batch of injectDefects(generatePopulation({ people: 10, seed: 1, today }), { rate: 0.5, seed: 1, today, units: adminUnitCatalog() }, newLedger())) batches.push(batch);
      };
      await rejectsWith(run(), 'DEFECT_RATE_INVALID');
      expect(batches).toEqual([]); // refused before the first batch, not part-way
    });
  });
}
