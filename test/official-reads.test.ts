import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAccessLog, type AppendingAccessLog } from '../src/audit/access-log.service.js';
import type { AccessLog } from '../src/audit/access-log.types.js';
import { canonicalLeaf, normaliseAccessRecord, referenceLeaf } from '../src/audit/access-record.js';
import { AuditService } from '../src/audit/audit.service.js';
import { generateSignerKey, parseSignerKey } from '../src/audit/checkpoint-note.js';
import { leafHash, verifyInclusion } from '../src/audit/merkle-tree.js';
import { OfficialReadRecorder, officialReadRecords, sha256Hex, type OfficialRead } from '../src/audit/official-read.recorder.js';
import { fixedClock } from '../src/shared/clock.js';
import type { Database } from '../src/store/database.js';
import { testAccessRecord } from './access-record.fixture.js';
import { createTestDatabase, dialects } from './test-database.js';

const clock = fixedClock('2026-12-04T03:00:00Z');

export function officerRead(overrides: Partial<OfficialRead> = {}): OfficialRead {
  return {
    reader: { kind: 'officer', id: 'officer-7', role: 'commune_officer', unit: { level: 'commune', code: '00004' } },
    action: 'person.read',
    personIds: ['001085000001'],
    fields: ['fullName', 'birthDate', 'permanentAddress'],
    purpose: 'Giải quyết thủ tục đăng ký thường trú',
    caseReference: 'HS-2026-0042',
    breakGlassReason: undefined,
    requestId: 'req-1',
    ...overrides,
  };
}

describe('official read records (pure)', () => {
  it('name the reader, role, unit and fields; the hand-written leaf equals RFC 8785', () => {
    const plain = officialReadRecords(officerRead({ personIds: ['001085000001', '001085000002', '001085000001'] }), clock.now());
    expect(plain.map((r) => r.personId)).toEqual(['001085000001', '001085000002']);
    const glass = officialReadRecords(officerRead(), clock.now(), sha256Hex('Cấp cứu tại bệnh viện tỉnh'));
    const job = { ...testAccessRecord(3), readerKind: 'job' as const, readerRole: 'person.export', readerUnit: 'nation', jobId: 'export-1', jobHash: 'a'.repeat(64) };
    for (const input of [...plain, ...glass, job]) {
      const record = normaliseAccessRecord(input);
      expect(canonicalLeaf(record)).toBe(referenceLeaf(record));
    }
    const leaf = canonicalLeaf(normaliseAccessRecord(glass[0] ?? job));
    expect(JSON.parse(leaf)).toMatchObject({ readerKind: 'officer', readerRole: 'commune_officer', readerUnit: 'commune:00004', breakGlass: true, service: 'person.read' });
    expect(leaf).not.toContain('Cấp cứu');
  });

  it('leave the leaf of an exchange record byte for byte as before', () => {
    const leaf = canonicalLeaf(normaliseAccessRecord(testAccessRecord(1, { personId: '001085000001' })));
    expect(leaf).toBe('{"at":"2026-11-01T00:00:01.000Z","clientId":"VN/GOV/BHXH/insurance-portal","fields":["fullName"],"legalBasis":"Luật Căn cước 2023, Điều 10","officerId":"officer-1","personId":"001085000001","purpose":"Kiểm tra","requestId":"test-1","service":"person.verify","visibility":"public"}');
  });

  it('refuse a malformed unit, a false break-glass mark and a bad hash', () => {
    const base = officialReadRecords(officerRead(), clock.now())[0];
    if (base === undefined) throw new Error('no record');
    expect(() => normaliseAccessRecord({ ...base, readerUnit: 'commune:4' })).toThrow(/readerUnit/);
    expect(() => normaliseAccessRecord({ ...base, breakGlass: false as unknown as true })).toThrow(/breakGlass/);
    expect(() => normaliseAccessRecord({ ...base, jobHash: 'XYZ' })).toThrow(/jobHash/);
  });
});

for (const dialect of dialects) {
  describe(`the official read recorder on ${dialect}`, () => {
    let database: Database;
    let log: AppendingAccessLog;
    let audit: AuditService;

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      log = openAccessLog(database, { lingerMs: 1 });
      audit = new AuditService({ db: database.db, signer: parseSignerKey(generateSignerKey('test.sachsong/access-log')), clock });
    });
    afterAll(async () => {
      await log.close();
      await database.close();
    });

    it('has every record committed, with a verifying inclusion proof, when record resolves; old records still verify', async () => {
      await log.appendMany([testAccessRecord(0, { personId: '001085000003' }), testAccessRecord(1, { personId: '001085000003' })]);
      const reasons: string[] = [];
      const recorder = new OfficialReadRecorder({ accessLog: log, clock, reasons: (e) => { reasons.push(e.reason); return Promise.resolve(); } });
      await recorder.record(officerRead({ action: 'household.read', personIds: ['001085000003', '001085000004'], breakGlassReason: 'Tai nạn giao thông, cần xác minh nhân thân' }));
      // No waiting for the index: the records are committed when record resolves.
      expect(await audit.treeSize()).toBe(4);
      await log.indexed();
      const page = await audit.tracker('001085000004');
      const entry = page.entries[0];
      expect(entry?.record).toMatchObject({ service: 'household.read', readerRole: 'commune_officer', readerUnit: 'commune:00004', breakGlass: true, breakGlassReasonSha256: sha256Hex('Tai nạn giao thông, cần xác minh nhân thân') });
      expect(reasons).toEqual(['Tai nạn giao thông, cần xác minh nhân thân']);
      const root = Buffer.from(page.checkpoint?.rootHash ?? '', 'hex');
      expect(verifyInclusion(entry?.index ?? -1, page.checkpoint?.treeSize ?? 0, leafHash(entry?.leaf ?? ''), (entry?.proof ?? []).map((h) => Buffer.from(h, 'hex')), root)).toBe(true);
      const old = await audit.tracker('001085000003');
      expect(old.entries.map((e) => e.record.readerKind ?? 'exchange')).toEqual(['officer', 'exchange', 'exchange']);
      const report = await audit.verify();
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
    });

    it('rejects with ACCESS_LOG_UNAVAILABLE when the log fails, and tells no observer', async () => {
      const failing: AccessLog = { append: () => Promise.reject(new Error('disk full')), appendMany: () => Promise.reject(new Error('disk full')), close: () => Promise.resolve() };
      let observed = 0;
      const recorder = new OfficialReadRecorder({ accessLog: failing, clock, observe: () => { observed++; } });
      await expect(recorder.record(officerRead())).rejects.toMatchObject({ kind: 'unavailable', code: 'ACCESS_LOG_UNAVAILABLE' });
      expect(observed).toBe(0);
    });

    it('refuses a break-glass read it could not keep the reason of', async () => {
      const recorder = new OfficialReadRecorder({ accessLog: log, clock });
      const before = await audit.treeSize();
      await expect(recorder.record(officerRead({ breakGlassReason: 'Khẩn cấp, cần tra cứu ngay' }))).rejects.toMatchObject({ code: 'BREAK_GLASS_UNRECORDED' });
      expect(await audit.treeSize()).toBe(before);
    });
  });
}
