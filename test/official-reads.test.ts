import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAccessLog, type AppendingAccessLog } from '../src/audit/access-log.service.js';
import type { AccessLog } from '../src/audit/access-log.types.js';
import { canonicalLeaf, normaliseAccessRecord, prepareAccessRecord, referenceLeaf, toRow } from '../src/audit/access-record.js';
import { AuditService } from '../src/audit/audit.service.js';
import { generateSignerKey, parseSignerKey } from '../src/audit/checkpoint-note.js';
import { leafHash, verifyInclusion } from '../src/audit/merkle-tree.js';
import { BulkJobRecorder, bulkJobPersonId, personsSha256 } from '../src/audit/bulk-job.recorder.js';
import { OfficialReadMonitor } from '../src/audit/official-read.monitor.js';
import { OfficialReadRecorder, officialReadRecords, sha256Hex, type OfficialRead } from '../src/audit/official-read.recorder.js';
import { officialReadRepository } from '../src/audit/official-read.repository.js';
import { alertRepository } from '../src/audit/misuse-alert.repository.js';
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

  it('prepare on the append path the same leaf as the reference path, for every combination of the new members', () => {
    const base = officialReadRecords(officerRead(), clock.now())[0];
    if (base === undefined) throw new Error('no record');
    let checked = 0;
    for (let i = 0; i < 128; i++) {
      const input = {
        ...base,
        readerKind: (['officer', 'service_account', 'job', undefined] as const)[i % 4],
        readerRole: i & 4 ? 'province_officer "quoted"' : undefined,
        readerUnit: i & 8 ? 'province:01' : undefined,
        ...(i & 16 ? { breakGlass: true as const, breakGlassReasonSha256: sha256Hex(`reason ${String(i)}`) } : {}),
        ...(i & 32 ? { jobId: `job-${String(i)}\n`, jobHash: sha256Hex(String(i)) } : {}),
        ...(i & 64 ? { caseReference: 'VA-1', consentId: 'c-1', receivingAgency: 'Công an tỉnh' } : {}),
      };
      const reference = toRow(0, normaliseAccessRecord(input));
      const prepared = prepareAccessRecord(input);
      expect(prepared.leaf).toBe(reference.leaf);
      expect(prepared.leaf).toBe(referenceLeaf(normaliseAccessRecord(input)));
      expect(prepared.leaf_hash.equals(reference.leaf_hash)).toBe(true);
      checked++;
    }
    expect(checked).toBe(128);
    for (const patch of [{ readerUnit: 'commune:4' }, { readerKind: 'clerk' }, { breakGlass: false }, { jobHash: 'A'.repeat(64) }, { readerRole: ' ' }, { jobId: 7 }]) {
      const input = { ...base, ...patch } as typeof base;
      expect(() => normaliseAccessRecord(input)).toThrow();
      expect(() => prepareAccessRecord(input)).toThrow();
    }
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
      audit = new AuditService({ db: database.db, registryDb: database.db, signer: parseSignerKey(generateSignerKey('test.sachsong/access-log')), clock });
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

    it('answers the reads of one journal write once it is written, tells each to the observer then, and none of a failed write', async () => {
      let settle: { resolve: () => void; reject: (error: Error) => void } = { resolve: () => undefined, reject: () => undefined };
      const nextWrite = (): Promise<void> => new Promise<void>((resolve, reject) => { settle = { resolve, reject }; });
      let write = nextWrite();
      const refuse = (): Promise<never> => Promise.reject(new Error('not this path'));
      // As the journal does: every append until its write shares that write's promise.
      const journaled: AccessLog = { append: refuse, appendMany: refuse, appendLeaves: () => write, close: () => Promise.resolve() };
      const observed: string[] = [];
      const recorder = new OfficialReadRecorder({ accessLog: journaled, clock, observe: (read) => { observed.push(read.requestId); } });
      const first = recorder.record(officerRead({ requestId: 'req-a' }));
      const second = recorder.record(officerRead({ requestId: 'req-b', personIds: ['001085000002'] }));
      await Promise.resolve();
      expect(observed).toEqual([]);
      settle.resolve();
      await Promise.all([first, second]);
      expect(observed).toEqual(['req-a', 'req-b']);
      // The next write fails: both of its reads are refused with the route's error, and neither is observed.
      write = nextWrite();
      const third = recorder.record(officerRead({ requestId: 'req-c' }));
      const fourth = recorder.record(officerRead({ requestId: 'req-d' }));
      settle.reject(new Error('EIO'));
      await expect(third).rejects.toMatchObject({ kind: 'unavailable', code: 'ACCESS_LOG_UNAVAILABLE' });
      await expect(fourth).rejects.toMatchObject({ kind: 'unavailable', code: 'ACCESS_LOG_UNAVAILABLE' });
      expect(observed).toEqual(['req-a', 'req-b']);
    });

    it('alerts on break-glass, night (Vietnam time), sensitive persons and volume over the reader\'s own baseline, naming the reader', async () => {
      const monitor = new OfficialReadMonitor(database.db, { volume: { windowMs: 60_000, warmupWindows: 3, minimumReads: 20, factor: 5 } });
      await officialReadRepository.flagSensitive(database.db, { person_id: '001085000099', flagged_by: 'admin-1', flagged_at: '2026-12-01T00:00:00.000Z', note: 'nhân chứng được bảo vệ' });
      const kinds = async (read: OfficialRead, at: string): Promise<string[]> => (await monitor.check(read, new Date(at))).map((a) => a.subjectKind).sort();
      // 10:00 in Hà Nội (03:00 UTC), in the unit, nobody sensitive: nothing.
      expect(await kinds(officerRead(), '2026-12-04T03:00:00Z')).toEqual([]);
      expect(await kinds(officerRead({ breakGlassReason: 'Tai nạn giao thông, cần xác minh' }), '2026-12-04T03:00:05Z')).toEqual(['official-break-glass']);
      // 22:30 in Hà Nội is 15:30 UTC: the night's first read alerts, the second does not; 05:59 the next morning is the same night.
      expect(await kinds(officerRead(), '2026-12-04T15:30:00Z')).toEqual(['official-night']);
      expect(await kinds(officerRead(), '2026-12-04T22:59:00Z')).toEqual([]);
      expect(await kinds(officerRead(), '2026-12-04T23:00:00Z')).toEqual([]);
      expect(await kinds(officerRead({ reader: { kind: 'officer', id: 'officer-8', role: 'province_officer', unit: { level: 'province', code: '01' } } }), '2026-12-04T21:00:00Z')).toEqual(['official-night']);
      expect(await kinds(officerRead({ personIds: ['001085000001', '001085000099'] }), '2026-12-05T03:00:00Z')).toEqual(['official-sensitive']);
      // Volume: three quiet windows of 2 reads, then 30 in one window (over 20 and 5 × the baseline).
      const reader = { kind: 'officer' as const, id: 'officer-9', role: 'national_officer', unit: { level: 'nation' as const, code: null } };
      for (let w = 0; w < 3; w++) for (let r = 0; r < 2; r++) await monitor.check(officerRead({ reader }), new Date(Date.UTC(2026, 11, 5, 3, w, r)));
      const burst: string[] = [];
      for (let r = 0; r < 30; r++) burst.push(...(await kinds(officerRead({ reader }), new Date(Date.UTC(2026, 11, 5, 3, 3, r)).toISOString())));
      expect(burst).toEqual(['official-volume']);
      const listed = await alertRepository.list(database.db, { limit: 50 });
      expect(listed.find((a) => a.subjectKind === 'official-break-glass')).toMatchObject({ subjectId: 'officer-7', clientId: 'commune_officer of commune:00004', reads: 1 });
      expect(listed.find((a) => a.subjectKind === 'official-volume')).toMatchObject({ subjectId: 'officer-9', clientId: 'national_officer of nation' });
      expect(listed.filter((a) => a.subjectKind === 'official-night').map((a) => [a.subjectId, a.windowStart])).toEqual(expect.arrayContaining([['officer-7', '2026-12-04T15:00:00.000Z'], ['officer-8', '2026-12-04T15:00:00.000Z']]));
    });

    it('raises the same alerts through observe, whose common reads decide at once', async () => {
      const monitor = new OfficialReadMonitor(database.db, { volume: { windowMs: 60_000, warmupWindows: 3, minimumReads: 20, factor: 5 }, sensitiveCacheMs: 3_600_000 });
      await officialReadRepository.flagSensitive(database.db, { person_id: '001085000098', flagged_by: 'admin-1', flagged_at: '2026-12-01T00:00:00.000Z', note: 'nạn nhân' });
      const reader = { kind: 'officer' as const, id: 'officer-11', role: 'national_officer', unit: { level: 'nation' as const, code: null } };
      // By day in Hà Nội; the first read loads the list of flagged persons.
      for (let w = 0; w < 3; w++) for (let r = 0; r < 2; r++) monitor.observe(officerRead({ reader }), new Date(Date.UTC(2026, 11, 6, 3, w, r)));
      await monitor.settled();
      for (let r = 0; r < 30; r++) monitor.observe(officerRead({ reader }), new Date(Date.UTC(2026, 11, 6, 3, 3, r)));
      monitor.observe(officerRead({ reader, personIds: ['001085000098'] }), new Date(Date.UTC(2026, 11, 6, 3, 4, 0)));
      await monitor.settled();
      const mine = (await alertRepository.list(database.db, { limit: 100 })).filter((a) => a.subjectId === 'officer-11').map((a) => a.subjectKind).sort();
      expect(mine).toEqual(['official-sensitive', 'official-volume']);
    });

    it('records a bulk job once, with the hash of its sorted persons, and shows it in each included tracker with a proof', async () => {
      const jobs = new BulkJobRecorder({ accessLog: log, db: database.db, clock });
      const reader = { kind: 'officer' as const, id: 'officer-5', role: 'national_officer', unit: { level: 'nation' as const, code: null } };
      const members = ['001085000022', '001085000021', '001085000023'];
      const size = await audit.treeSize();
      const receipt = await jobs.record({ jobId: 'export-2026-12-04', kind: 'person.export', reader, purpose: 'Có trong lần xuất dữ liệu dân cư ngày 2026-12-04', fields: ['fullName', 'birthDate'] }, members);
      expect(await audit.treeSize()).toBe(size + 1);
      expect(receipt).toMatchObject({ persons: 3, logIndex: size, personsSha256: personsSha256(members) });
      expect(receipt.personsSha256).toBe(sha256Hex('001085000021\n001085000022\n001085000023\n'));
      expect(await officialReadRepository.bulkJob(database.db, 'export-2026-12-04')).toMatchObject({ persons: 3, persons_sha256: receipt.personsSha256, log_index: size });
      await log.indexed();
      const page = await audit.tracker('001085000022');
      const entry = page.entries.find((e) => e.record.jobId === 'export-2026-12-04');
      expect(entry?.record).toMatchObject({ personId: bulkJobPersonId, readerKind: 'job', service: 'person.export', jobHash: receipt.personsSha256 });
      const root = Buffer.from(page.checkpoint?.rootHash ?? '', 'hex');
      expect(verifyInclusion(entry?.index ?? -1, page.checkpoint?.treeSize ?? 0, leafHash(entry?.leaf ?? ''), (entry?.proof ?? []).map((h) => Buffer.from(h, 'hex')), root)).toBe(true);
      expect((await audit.tracker('001085000024')).entries.some((e) => e.record.jobId !== undefined)).toBe(false);
      const writer = jobs.begin({ jobId: 'x', kind: 'reconcile', reader, purpose: 'p', fields: ['f'] });
      await expect(writer.add(['001085000002', '001085000001'])).rejects.toMatchObject({ code: 'BULK_JOB_IDS_UNSORTED' });
      expect((await audit.verify()).ok).toBe(true);
    });

    it('refuses a break-glass read it could not keep the reason of', async () => {
      const recorder = new OfficialReadRecorder({ accessLog: log, clock });
      const before = await audit.treeSize();
      await expect(recorder.record(officerRead({ breakGlassReason: 'Khẩn cấp, cần tra cứu ngay' }))).rejects.toMatchObject({ code: 'BREAK_GLASS_UNRECORDED' });
      expect(await audit.treeSize()).toBe(before);
    });
  });
}
