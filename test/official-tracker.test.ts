import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAccessLog, type AppendingAccessLog } from '../src/audit/access-log.service.js';
import type { AccessLog } from '../src/audit/access-log.types.js';
import { auditRoutes } from '../src/audit/audit.routes.js';
import { AuditService } from '../src/audit/audit.service.js';
import { generateSignerKey, parseSignerKey } from '../src/audit/checkpoint-note.js';
import { leafHash, verifyInclusion } from '../src/audit/merkle-tree.js';
import { createOfficialReads, type OfficialReads } from '../src/audit/official-reads.module.js';
import { OfficialReadRecorder, type OfficialRead } from '../src/audit/official-read.recorder.js';
import { officialReadRepository } from '../src/audit/official-read.repository.js';
import { alertRepository } from '../src/audit/misuse-alert.repository.js';
import { registerErrorHandler } from '../src/http/error-handler.js';
import { adminUnitCatalog } from '../src/registry/admin-unit.catalog.js';
import { fixedClock } from '../src/shared/clock.js';
import type { Database } from '../src/store/database.js';
import { testAccessRecord } from './access-record.fixture.js';
import { createTestDatabase, dialects } from './test-database.js';

const clock = fixedClock('2026-12-04T03:00:00Z');
const citizen = '001085000041';

interface TrackerBody {
  checkpoint: { treeSize: number; rootHash: string } | null;
  entries: { index: number; leaf: string; leafHash: string; proof: string[]; readerUnitName?: string; record: Record<string, unknown> }[];
}

/** A route shaped like the person routes: record the read, then answer. */
async function readingApp(recorder: { record(read: OfficialRead): Promise<void> }, read: OfficialRead): Promise<FastifyInstance> {
  const app = Fastify().withTypeProvider<TypeBoxTypeProvider>();
  registerErrorHandler(app);
  app.get('/persons/:id', async () => {
    const view = { idNumber: citizen, fullName: 'Nguyễn Văn An' };
    await recorder.record(read);
    return view;
  });
  await app.ready();
  return app;
}

for (const dialect of dialects) {
  describe(`officials in the citizen's tracker on ${dialect}`, () => {
    let database: Database;
    let log: AppendingAccessLog;
    let audit: AuditService;
    let app: FastifyInstance;
    let reads: OfficialReads;
    const catalog = adminUnitCatalog();
    const province = catalog.provinces('2026-12-04')[0];
    const commune = province === undefined ? undefined : catalog.communesOf(province.code, '2026-12-04')[0];

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      log = openAccessLog(database, { lingerMs: 1 });
      audit = new AuditService({ db: database.db, registryDb: database.db, signer: parseSignerKey(generateSignerKey('test.sachsong/access-log')), clock });
      reads = createOfficialReads({ accessLog: log, db: database.db, clock });
      app = Fastify().withTypeProvider<TypeBoxTypeProvider>();
      registerErrorHandler(app);
      await app.register(auditRoutes, { audit, prefix: '/api' });
      await app.ready();
    });
    afterAll(async () => {
      await app.close();
      await log.close();
      await database.close();
    });

    it('shows an officer read as officer, role and unit name, with purpose, case, fields and the break-glass mark; proofs verify; the reason stays with the auditors', async () => {
      if (province === undefined || commune === undefined) throw new Error('no 2025 units');
      await log.append(testAccessRecord(1, { personId: citizen }));
      const reader = { kind: 'officer' as const, id: 'officer-42', role: 'commune_officer', unit: { level: 'commune' as const, code: commune.code } };
      const reason = 'Người bị tai nạn, cần xác minh nhân thân gấp';
      await reads.recorder.record({ reader, action: 'person.read', personIds: [citizen], fields: ['fullName', 'birthDate'], purpose: 'Xác minh nhân thân', caseReference: 'HS-17', breakGlassReason: reason, requestId: 'req-bg-1' });
      await reads.monitor.settled();
      const response = await app.inject({ method: 'GET', url: `/api/citizens/${citizen}/access-records` });
      expect(response.statusCode).toBe(200);
      const body = response.json<TrackerBody>();
      const [official, exchange] = body.entries;
      expect(official?.record).toMatchObject({ readerKind: 'officer', readerRole: 'commune_officer', readerUnit: `commune:${commune.code}`, breakGlass: true, service: 'person.read', purpose: 'Xác minh nhân thân', caseReference: 'HS-17', fields: ['fullName', 'birthDate'], officerId: 'officer-42' });
      expect(official?.readerUnitName).toBe(`${commune.name}, ${province.name}`);
      expect(exchange?.record.readerKind).toBeUndefined();
      expect(exchange?.readerUnitName).toBeUndefined();
      expect(response.body).not.toContain('tai nạn');
      expect((await officialReadRepository.breakGlassReason(database.db, 'req-bg-1'))?.reason).toBe(reason);
      const root = Buffer.from(body.checkpoint?.rootHash ?? '', 'hex');
      for (const e of body.entries) {
        expect(verifyInclusion(e.index, body.checkpoint?.treeSize ?? 0, leafHash(e.leaf), e.proof.map((h) => Buffer.from(h, 'hex')), root)).toBe(true);
      }
      const alerts = await alertRepository.list(database.db, { limit: 10 });
      expect(alerts.find((a) => a.subjectKind === 'official-break-glass')).toMatchObject({ subjectId: 'officer-42', clientId: `commune_officer of commune:${commune.code}` });
    });

    it('answers 503 with no data when the log cannot record the read, and 200 with the record in the log when it can', async () => {
      const failing: AccessLog = { append: () => Promise.reject(new Error('disk I/O error')), appendMany: () => Promise.reject(new Error('disk I/O error')), close: () => Promise.resolve() };
      const read: OfficialRead = { reader: { kind: 'officer', id: 'officer-43', role: 'national_officer', unit: { level: 'nation', code: null } }, action: 'person.read', personIds: [citizen], fields: ['fullName'], purpose: 'Tra cứu', caseReference: undefined, breakGlassReason: undefined, requestId: 'req-503' };
      const broken = await readingApp(new OfficialReadRecorder({ accessLog: failing, clock }), read);
      const refused = await broken.inject({ method: 'GET', url: `/persons/${citizen}` });
      expect(refused.statusCode).toBe(503);
      expect(refused.json<{ code: string }>().code).toBe('ACCESS_LOG_UNAVAILABLE');
      expect(refused.body).not.toContain('Nguyễn');
      await broken.close();
      const size = await audit.treeSize();
      const working = await readingApp(reads.recorder, { ...read, requestId: 'req-200' });
      const answered = await working.inject({ method: 'GET', url: `/persons/${citizen}` });
      expect(answered.statusCode).toBe(200);
      // Committed before the answer: no wait for the log.
      expect(await audit.treeSize()).toBe(size + 1);
      await working.close();
    });
  });
}
