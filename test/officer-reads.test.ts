import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAccessLog, type AppendingAccessLog } from '../src/audit/access-log.service.js';
import type { AccessLog } from '../src/audit/access-log.types.js';
import { AuditService } from '../src/audit/audit.service.js';
import { generateSignerKey, parseSignerKey } from '../src/audit/checkpoint-note.js';
import { leafHash, verifyInclusion } from '../src/audit/merkle-tree.js';
import { sha256Hex } from '../src/audit/official-read.recorder.js';
import { officialReadRepository } from '../src/audit/official-read.repository.js';
import { alertRepository } from '../src/audit/misuse-alert.repository.js';
import { buildApp } from '../src/http/app.js';
import type { IdentityModule } from '../src/identity/identity.module.js';
import { adminUnitCatalog } from '../src/registry/admin-unit.catalog.js';
import { generatePopulation } from '../src/registry/population.generator.js';
import { fixedClock } from '../src/shared/clock.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import type { Database } from '../src/store/database.js';
import { signInOfficer, testIdentity, type SignedInOfficer } from './officer-session.js';
import { createTestDatabase, dialects } from './test-database.js';

// 10:00 in Hà Nội: no night alert.
const clock = fixedClock('2026-12-04T03:00:00Z');
const token = 'officer-reads-test-token-0123456789';

describe.each(dialects)("officers' reads through /api on %s", (dialect) => {
  let database: Database;
  let log: AppendingAccessLog;
  let identity: IdentityModule;
  let app: FastifyInstance;
  let person: { id: string; commune: string };
  let own: SignedInOfficer;
  let other: SignedInOfficer;
  let otherCommune: string;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    await loadPopulation(database, generatePopulation({ people: 300, seed: 14, today: '2026-01-01' }));
    const row = await database.db.selectFrom('persons').select(['id_number', 'permanent_commune']).where('permanent_commune', 'is not', null).where('status', '=', 'alive').orderBy('id_number').executeTakeFirstOrThrow();
    person = { id: row.id_number, commune: row.permanent_commune ?? '' };
    const catalog = adminUnitCatalog();
    const commune = catalog.findCommune(person.commune, '2026-12-04');
    if (commune === undefined) throw new Error('the person has no 2025 commune');
    otherCommune = catalog.communesOf(commune.provinceCode, '2026-12-04').find((c) => c.code !== commune.code)?.code ?? '';
    log = openAccessLog(database, { lingerMs: 1 });
    identity = testIdentity(database.db, clock);
    own = await signInOfficer(identity, clock, { role: 'commune_officer', unit: { level: 'commune', code: commune.code } });
    other = await signInOfficer(identity, clock, { role: 'commune_officer', unit: { level: 'commune', code: otherCommune } });
    app = await buildApp({ database, clock, operatorToken: token, identity, logger: false, accessLog: log, auditSigningKey: generateSignerKey('test.sachsong/access-log') });
    await app.ready();
  }, 120_000);
  afterAll(async () => {
    await app.close();
    await log.close();
    await database.close();
  });

  it("records an officer's read before answering; the citizen's tracker names the officer, role and unit, and its proof verifies", async () => {
    const response = await app.inject({ method: 'GET', url: `/api/persons/${person.id}`, headers: { ...own.headers, 'x-purpose': 'Giải quyết đăng ký thường trú', 'x-case-reference': 'HS-2026-7' } });
    expect(response.statusCode).toBe(200);
    await log.indexed();
    const audit = new AuditService({ db: database.db, registryDb: database.db, signer: parseSignerKey(generateSignerKey('test.sachsong/access-log')), clock });
    const page = await audit.tracker(person.id);
    const entry = page.entries[0];
    expect(entry?.record).toMatchObject({ officerId: own.officerId, readerKind: 'officer', readerRole: 'commune_officer', readerUnit: expect.stringMatching(/^commune:\d{5}$/) as unknown, service: 'person.read', purpose: 'Giải quyết đăng ký thường trú', caseReference: 'HS-2026-7' });
    expect(entry?.record.breakGlass).toBeUndefined();
    const root = Buffer.from(page.checkpoint?.rootHash ?? '', 'hex');
    expect(verifyInclusion(entry?.index ?? -1, page.checkpoint?.treeSize ?? 0, leafHash(entry?.leaf ?? ''), (entry?.proof ?? []).map((h) => Buffer.from(h, 'hex')), root)).toBe(true);
  });

  it('marks a break-glass read in the log, keeps its reason for the auditors and alerts them', async () => {
    const reason = 'Người dân bị tai nạn tại địa bàn, cần xác minh';
    const refused = await app.inject({ method: 'GET', url: `/api/persons/${person.id}`, headers: other.headers });
    expect(refused.statusCode).toBe(403);
    const response = await app.inject({ method: 'GET', url: `/api/persons/${person.id}`, headers: { ...other.headers, 'x-break-glass-reason': reason } });
    expect(response.statusCode).toBe(200);
    const row = await database.db.selectFrom('break_glass_reasons').selectAll().where('reader_id', '=', other.officerId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ reason, reason_sha256: sha256Hex(reason) });
    const leaves = await database.db.selectFrom('access_records').select('leaf').where('person_id', '=', person.id).orderBy('idx', 'desc').execute();
    const marked = JSON.parse(leaves[0]?.leaf ?? '{}') as Record<string, unknown>;
    expect(marked).toMatchObject({ officerId: other.officerId, breakGlass: true, breakGlassReasonSha256: sha256Hex(reason), readerUnit: `commune:${otherCommune}` });
    expect(leaves[0]?.leaf).not.toContain('tai nạn');
    for (let i = 0; i < 50; i++) {
      const alerts = await alertRepository.list(database.db, { limit: 20 });
      const alert = alerts.find((a) => a.subjectKind === 'official-break-glass' && a.subjectId === other.officerId);
      if (alert !== undefined) {
        expect(alert.clientId).toBe(`commune_officer of commune:${otherCommune}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('no break-glass alert');
  });

  it("gives the auditors each break-glass read with its reason, whose data it showed and the hash the record carries; others are refused", async () => {
    const reason = 'Hồ sơ chuyển từ xã khác, cần đối chiếu gấp';
    const read = await app.inject({ method: 'GET', url: `/api/persons/${person.id}`, headers: { ...other.headers, 'x-break-glass-reason': reason } });
    expect(read.statusCode).toBe(200);
    const auditor = await signInOfficer(identity, clock, { role: 'auditor', unit: { level: 'nation' } });
    // Two break-glass reads so far (this one and the previous test's), one a page: the cursor walks both once.
    type Item = { requestId: string; readerId: string; action: string; personIds: string[]; reason: string; reasonSha256: string };
    const first = await app.inject({ url: '/api/audit/break-glass-reads?limit=1', headers: auditor.headers });
    expect(first.statusCode).toBe(200);
    const page = first.json<{ items: Item[]; nextCursor: string | null }>();
    expect(page.items).toHaveLength(1);
    expect(page.nextCursor).not.toBeNull();
    const second = await app.inject({ url: `/api/audit/break-glass-reads?limit=10&cursor=${page.nextCursor ?? ''}`, headers: auditor.headers });
    const rest = second.json<{ items: Item[]; nextCursor: string | null }>();
    expect(rest.nextCursor).toBeNull();
    const items = [...page.items, ...rest.items];
    expect(items.map((i) => i.reason).sort()).toEqual([reason, 'Người dân bị tai nạn tại địa bàn, cần xác minh'].sort());
    const item = items.find((i) => i.reason === reason);
    expect(item).toMatchObject({ readerId: other.officerId, action: 'person.read', personIds: [person.id], reasonSha256: sha256Hex(reason) });
    // The access record of that request carries the same hash and the break-glass mark.
    const leaves = await database.db.selectFrom('access_records').select('leaf').where('person_id', '=', person.id).orderBy('idx', 'desc').limit(1).execute();
    expect(JSON.parse(leaves[0]?.leaf ?? '{}')).toMatchObject({ requestId: item?.requestId, breakGlass: true, breakGlassReasonSha256: sha256Hex(reason) });
    // Bounded by time: nothing recorded before the clock's day.
    const empty = await app.inject({ url: '/api/audit/break-glass-reads?to=2026-12-01T00:00:00Z', headers: auditor.headers });
    expect(empty.json<{ items: unknown[] }>().items).toEqual([]);
    const forged = await app.inject({ url: '/api/audit/break-glass-reads?cursor=bm90LWEtY3Vyc29y', headers: auditor.headers });
    expect(forged.statusCode).toBe(400);
    expect(forged.json<{ code: string }>().code).toBe('BREAK_GLASS_CURSOR_INVALID');
    // The officers who read persons, and the reader themself, do not see the reasons.
    for (const officer of [own, other]) {
      expect((await app.inject({ url: '/api/audit/break-glass-reads', headers: officer.headers })).statusCode).toBe(403);
    }
  });

  it('alerts on a read of a person flagged sensitive', async () => {
    await officialReadRepository.flagSensitive(database.db, { person_id: person.id, flagged_by: 'auditor-1', flagged_at: clock.now().toISOString(), note: 'bảo vệ nhân chứng' });
    // A fresh app: its monitor reads the flags anew.
    const fresh = await buildApp({ database, clock, operatorToken: token, identity, logger: false, accessLog: log });
    try {
      expect((await fresh.inject({ method: 'GET', url: `/api/persons/${person.id}`, headers: own.headers })).statusCode).toBe(200);
      for (let i = 0; i < 50; i++) {
        const alerts = await alertRepository.list(database.db, { limit: 20 });
        if (alerts.some((a) => a.subjectKind === 'official-sensitive' && a.subjectId === own.officerId)) return;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('no sensitive-person alert');
    } finally {
      await fresh.close();
    }
  });

  it('answers 503 and no data when the access log cannot take the record', async () => {
    const failing: AccessLog = { append: () => Promise.reject(new Error('disk I/O error')), appendMany: () => Promise.reject(new Error('disk I/O error')), close: () => Promise.resolve() };
    const broken = await buildApp({ database, clock, operatorToken: token, identity, logger: false, accessLog: failing });
    try {
      const response = await broken.inject({ method: 'GET', url: `/api/persons/${person.id}`, headers: own.headers });
      expect(response.statusCode).toBe(503);
      expect(response.json<{ code: string }>().code).toBe('ACCESS_LOG_UNAVAILABLE');
      const fullName = (await database.db.selectFrom('persons').select('full_name').where('id_number', '=', person.id).executeTakeFirstOrThrow()).full_name;
      expect(response.body).not.toContain(fullName);
      expect(response.body).not.toContain('birthDate');
    } finally {
      await broken.close();
    }
  });

  it('records one entry per listed person of a search, with the summary fields shown', async () => {
    const name = (await database.db.selectFrom('persons').select('full_name').where('id_number', '=', person.id).executeTakeFirstOrThrow()).full_name;
    const before = await database.db.selectFrom('access_records').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const response = await app.inject({ method: 'GET', url: `/api/persons?name=${encodeURIComponent(name)}`, headers: own.headers });
    expect(response.statusCode).toBe(200);
    const items = response.json<{ items: { idNumber: string }[] }>().items;
    expect(items.map((i) => i.idNumber)).toContain(person.id);
    const after = await database.db.selectFrom('access_records').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(after.n - before.n).toBe(items.length);
    const last = await database.db.selectFrom('access_records').select('leaf').where('person_id', '=', person.id).orderBy('idx', 'desc').executeTakeFirstOrThrow();
    expect(JSON.parse(last.leaf)).toMatchObject({ service: 'person.search', fields: expect.arrayContaining(['idNumber', 'fullName', 'birthDate']) as unknown });
  });
});
