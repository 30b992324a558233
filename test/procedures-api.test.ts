// The linked procedures over HTTP on both stores: the applicant under the portal's e-ID session,
// officers by role and jurisdiction, the catalogue; every answer that shows persons recorded first.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { citizenCsrfToken } from '../src/citizen/citizen-account.service.js';
import { exchangeAdminHeaders, officerOf, startExchangeFixture, type ExchangeFixture } from './exchange.fixture.js';
import { unitOf } from './procedures.harness.js';
import { dialects } from './test-database.js';

interface Citizen { readonly personId: string; readonly headers: Record<string, string> }

for (const dialect of dialects) {
  describe(`linked procedures API on ${dialect}`, () => {
    let fx: ExchangeFixture;
    let mother: Citizen;
    let other: Citizen;
    let procedureId = '';
    let communeCode = '';

    /** An e-ID account with an open portal session, written as the portal's sign-in writes them. */
    const citizenOf = async (personId: string, n: number): Promise<Citizen> => {
      const at = fx.clock.now().toISOString();
      const accountId = `cit_${String(n).padStart(32, '0')}`;
      await fx.database.db.insertInto('citizen_accounts').values({
        account_id: accountId, person_id: personId, level: 1, status: 'active', phone: `09120000${String(n).padStart(2, '0')}`, password_hash: 'x',
        totp_secret: null, totp_last_step: null, card_number: null, province: null, failed_attempts: 0, locked_until: null, last_sign_in_at: null, level2_at: null, created_at: at, updated_at: at,
      }).execute();
      const sessionId = `session-${String(n)}-${'x'.repeat(30)}`;
      await fx.database.db.insertInto('citizen_sessions').values({
        session_hash: createHash('sha256').update(sessionId).digest('hex'), session_ref: `ref${String(n)}`, account_id: accountId, acr_level: 1, device: 'Linux',
        created_at: at, last_seen_at: at, absolute_expires_at: new Date(Date.parse(at) + 8 * 3_600_000).toISOString(), revoked_at: null, revoked_reason: null,
      }).execute();
      return { personId, headers: { cookie: `sachsong_citizen=${sessionId}`, 'x-csrf-token': citizenCsrfToken(sessionId) } };
    };
    const leaves = async (personId: string): Promise<readonly Record<string, unknown>[]> => {
      await fx.settled();
      return (await fx.accessLogDatabase.db.selectFrom('access_records').select('leaf').where('person_id', '=', personId).orderBy('idx').execute()).map((r) => JSON.parse(r.leaf) as Record<string, unknown>);
    };

    beforeAll(async () => {
      fx = await startExchangeFixture(dialect, { people: 300 });
      const rows = await fx.database.db.selectFrom('persons').select(['id_number', 'sex', 'permanent_commune']).where('id_number', 'in', [...fx.people]).execute();
      const ok = rows.filter((r) => r.permanent_commune !== null && unitOf(r.permanent_commune) !== undefined && r.id_number.slice(3, 4) <= '1');
      const f = ok.find((r) => r.sex === 'F');
      const m = ok.find((r) => r.sex === 'M');
      if (f === undefined || m === undefined) throw new Error('no applicants in the population');
      mother = await citizenOf(f.id_number, 1);
      other = await citizenOf(m.id_number, 2);
    }, 120_000);
    afterAll(async () => { await fx.close(); });

    it('a parent applies once and follows each step; every answer is in the access log first', async () => {
      const res = await fx.app.inject({ method: 'POST', url: '/citizen/portal/procedures/birth', headers: mother.headers, payload: { child: { fullName: 'Đỗ Khánh Linh', birthDate: '2026-02-14', sex: 'F' } } });
      expect(res.statusCode, res.body).toBe(201);
      const view = res.json<{ procedureId: string; subjectId: string; subjectName: string; communeCode: string; communeName: string | null; steps: { key: string; status: string; ownerName: string }[] }>();
      procedureId = view.procedureId;
      communeCode = view.communeCode;
      expect(view.subjectName).toBe('Đỗ Khánh Linh');
      expect(view.communeName).not.toBeNull();
      expect(view.steps.map((s) => `${s.key}:${s.status}`)).toEqual(['birth_registration:done', 'permanent_residence:pending', 'health_insurance_card:pending']);
      expect(view.steps[2]?.ownerName).toBe('Bảo hiểm xã hội Việt Nam');
      const recorded = (await leaves(view.subjectId)).filter((l) => l.service === 'procedure.status');
      expect(recorded).toHaveLength(1);
      expect(recorded[0]).toMatchObject({ clientId: 'VN/GOV/sachsong/citizen-portal' });

      const mine = await fx.app.inject({ url: '/citizen/portal/procedures', headers: { cookie: mother.headers.cookie } });
      expect(mine.json<{ items: { procedureId: string }[] }>().items.map((i) => i.procedureId)).toEqual([procedureId]);
      const one = await fx.app.inject({ url: `/citizen/portal/procedures/${procedureId}`, headers: { cookie: mother.headers.cookie } });
      expect(one.statusCode).toBe(200);
      expect((await leaves(view.subjectId)).filter((l) => l.service === 'procedure.status')).toHaveLength(3);
      // Another citizen cannot see it, nor tell that it exists.
      const theirs = await fx.app.inject({ url: `/citizen/portal/procedures/${procedureId}`, headers: { cookie: other.headers.cookie } });
      expect(theirs.statusCode).toBe(404);
      expect(theirs.json<{ code: string }>().code).toBe('PROCEDURE_NOT_FOUND');
    });

    it('refuses without a session, without the CSRF token, and bad applications with problem+json', async () => {
      const none = await fx.app.inject({ url: '/citizen/portal/procedures' });
      expect(none.statusCode).toBe(401);
      const noCsrf = await fx.app.inject({ method: 'POST', url: '/citizen/portal/procedures/death', headers: { cookie: mother.headers.cookie }, payload: { deceasedId: other.personId, deathDate: '2026-02-01' } });
      expect(noCsrf.json<{ code: string }>().code).toBe('CSRF_INVALID');
      const shape = await fx.app.inject({ method: 'POST', url: '/citizen/portal/procedures/birth', headers: mother.headers, payload: { child: { fullName: 'A', birthDate: '14/02/2026', sex: 'F' } } });
      expect(shape.statusCode).toBe(400);
      const parent = await fx.app.inject({ method: 'POST', url: '/citizen/portal/procedures/birth', headers: mother.headers, payload: { child: { fullName: 'Đỗ Khánh Vy', birthDate: '2026-02-14', sex: 'F' }, otherParentId: '001099999999' } });
      expect(parent.statusCode).toBe(404);
      expect(parent.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(parent.json<{ code: string }>().code).toBe('PARENT_NOT_FOUND');
      const twice = await fx.app.inject({ method: 'POST', url: '/citizen/portal/procedures/birth', headers: mother.headers, payload: { child: { fullName: 'Đỗ Khánh Linh', birthDate: '2026-02-14', sex: 'F' } } });
      expect(twice.statusCode).toBe(409);
      expect(twice.json<{ code: string }>().code).toBe('PROCEDURE_DUPLICATE');
    });

    it('officers see the procedures of their unit only; each read recorded with the reader', async () => {
      const national = await officerOf(fx.app, 'national_officer');
      const list = await fx.app.inject({ url: '/api/procedures', headers: national.headers });
      expect(list.statusCode).toBe(200);
      expect(list.json<{ items: { procedureId: string }[] }>().items.map((i) => i.procedureId)).toContain(procedureId);
      const one = await fx.app.inject({ url: `/api/procedures/${procedureId}`, headers: national.headers });
      expect(one.statusCode).toBe(200);
      const read = (await leaves(mother.personId)).filter((l) => l.service === 'procedure.read').at(-1);
      expect(read).toMatchObject({ officerId: national.officerId, readerRole: 'national_officer' });

      const unit = unitOf(communeCode);
      const local = await officerOf(fx.app, 'commune_officer', { level: 'commune', code: unit?.commune ?? '' });
      expect((await fx.app.inject({ url: `/api/procedures/${procedureId}`, headers: local.headers })).statusCode).toBe(200);
      const elsewhere = await officerOf(fx.app, 'commune_officer', { level: 'commune', code: unit?.commune === '00004' ? '26734' : '00004' });
      const refused = await fx.app.inject({ url: `/api/procedures/${procedureId}`, headers: elsewhere.headers });
      expect(refused.statusCode).toBe(403);
      const theirList = await fx.app.inject({ url: '/api/procedures', headers: elsewhere.headers });
      expect(theirList.json<{ items: unknown[] }>().items).toEqual([]);
      // A clerk of the commune may retry a failed step; this one is not failed.
      const clerk = await officerOf(fx.app, 'registry_clerk', { level: 'commune', code: unit?.commune ?? '' });
      const retry = await fx.app.inject({ method: 'POST', url: `/api/procedures/${procedureId}/steps/3/retry`, headers: clerk.headers });
      expect(retry.statusCode).toBe(409);
      expect(retry.json<{ code: string }>().code).toBe('STEP_NOT_FAILED');
    });

    it('serves the catalogue of 53 essential services, and agencies\' delivery addresses to the exchange administrator', async () => {
      const officer = await officerOf(fx.app, 'leader');
      const all = await fx.app.inject({ url: '/api/service-catalogue', headers: officer.headers });
      const body = all.json<{ total: number; items: { name: string; agency: string; reads: string[] }[]; fieldUse: Record<string, number> }>();
      expect(body.total).toBe(53);
      expect(new Set(body.items.map((i) => i.name)).size).toBe(53);
      expect(body.items.every((i) => i.reads.length > 0 && i.agency !== '')).toBe(true);
      const linked = await fx.app.inject({ url: '/api/service-catalogue?linked=true', headers: officer.headers });
      expect(linked.json<{ total: number }>().total).toBe(2);
      const search = await fx.app.inject({ url: `/api/service-catalogue?q=${encodeURIComponent('khai tu')}`, headers: officer.headers });
      expect(search.json<{ items: { name: string }[] }>().items.map((i) => i.name)).toContain('Đăng ký khai tử');

      const admin = await exchangeAdminHeaders(fx.app);
      const bad = await fx.app.inject({ method: 'PUT', url: '/api/procedure-endpoints/bhxh', headers: admin, payload: { url: 'http://bhxh.example.vn/hook' } });
      expect(bad.json<{ code: string }>().code).toBe('ENDPOINT_INVALID');
      const unknown = await fx.app.inject({ method: 'PUT', url: '/api/procedure-endpoints/nobody', headers: admin, payload: { url: 'https://x.example.vn/' } });
      expect(unknown.json<{ code: string }>().code).toBe('AGENCY_UNKNOWN');
      expect((await fx.app.inject({ method: 'PUT', url: '/api/procedure-endpoints/bhxh', headers: admin, payload: { url: 'https://bhxh.example.vn/lien-thong' } })).statusCode).toBe(204);
      const list = await fx.app.inject({ url: '/api/procedure-endpoints', headers: admin });
      expect(list.json<{ items: { agency: string; url: string }[] }>().items).toEqual([expect.objectContaining({ agency: 'bhxh', url: 'https://bhxh.example.vn/lien-thong' })]);
    });
  });
}
