// The identity routes end to end over HTTP: an administrator creates an officer, the officer enrols
// with the one-time token (seed → TOTP code computed here), signs in (the OpenID provider's
// interaction is another test; here OfficerAuthService.signIn), and the administrator suspends,
// reactivates, changes, resets and unlocks; service accounts are made, used and revoked.
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { officerOf, startExchangeFixture, type ExchangeFixture } from './exchange.fixture.js';
import type { SignedInOfficer } from './officer-session.js';

const codeAt = (secret: string, ms: number): string => new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate({ timestamp: ms });
const password = 'một mật khẩu đủ dài 2026';

describe('identity API', () => {
  let fx: ExchangeFixture;
  let admin: SignedInOfficer;

  beforeAll(async () => {
    fx = await startExchangeFixture('sqlite', { people: 20 });
    admin = await officerOf(fx.app, 'system_admin');
  }, 60_000);
  afterAll(async () => {
    await fx.close();
  });

  it('creates an officer who enrols with the one-time token, and administers them', async () => {
    const created = await fx.app.inject({ method: 'POST', url: '/api/identity/officers', headers: { ...admin.headers }, payload: { username: 'tranthib', displayName: 'Trần Thị B', role: 'commune_officer', unit: { level: 'commune', code: '00004' } } });
    expect(created.statusCode).toBe(201);
    const { officer, enrolmentToken } = created.json<{ officer: { officerId: string; unit: unknown; enrolled: boolean }; enrolmentToken: string }>();
    expect(officer).toMatchObject({ enrolled: false, unit: { level: 'commune', code: '00004', province: '01' } });
    // a role that does not fit the unit is refused
    const misfit = await fx.app.inject({ method: 'POST', url: '/api/identity/officers', headers: { ...admin.headers }, payload: { username: 'tranthic', displayName: 'Trần Thị C', role: 'auditor', unit: { level: 'commune', code: '00004' } } });
    expect(misfit.json()).toMatchObject({ code: 'ROLE_UNIT_MISMATCH' });

    const begin = await fx.app.inject({ method: 'POST', url: '/api/identity/enrolment/begin', payload: { enrolmentToken } });
    expect(begin.statusCode).toBe(200);
    const { totpSecret } = begin.json<{ totpSecret: string }>();
    const now = fx.clock.now().getTime();
    const complete = await fx.app.inject({ method: 'POST', url: '/api/identity/enrolment/complete', payload: { enrolmentToken, password, code: codeAt(totpSecret, now) } });
    expect(complete.statusCode).toBe(200);
    expect(complete.json()).toMatchObject({ officer: { enrolled: true } });
    const reused = await fx.app.inject({ method: 'POST', url: '/api/identity/enrolment/begin', payload: { enrolmentToken } });
    expect(reused.json()).toMatchObject({ code: 'ENROLMENT_INVALID' });

    const signedIn = await fx.identity.auth.signIn({ username: 'tranthib', password, code: codeAt(totpSecret, now + 30_000) });
    const cookie = `sachsong_session=${signedIn.sessionId}`;
    const me = await fx.app.inject({ url: '/api/identity/me', headers: { cookie } });
    expect(me.json()).toMatchObject({ id: officer.officerId, role: 'commune_officer', csrfToken: signedIn.csrfToken });
    // an officer administers nothing
    const notAdmin = await fx.app.inject({ url: '/api/identity/officers', headers: { cookie } });
    expect(notAdmin.json()).toMatchObject({ code: 'FORBIDDEN_ROLE' });

    const listed = await fx.app.inject({ url: '/api/identity/officers?role=commune_officer', headers: { cookie: admin.headers.cookie } });
    expect(listed.json<{ items: { officerId: string }[] }>().items.map((o) => o.officerId)).toContain(officer.officerId);
    const badRole = await fx.app.inject({ url: '/api/identity/officers?role=king', headers: { cookie: admin.headers.cookie } });
    expect(badRole.json()).toMatchObject({ code: 'ROLE_INVALID' });

    const sessions = await fx.app.inject({ url: `/api/identity/officers/${officer.officerId}/sessions`, headers: { cookie: admin.headers.cookie } });
    expect(sessions.json<{ items: unknown[] }>().items).toHaveLength(1);

    const suspended = await fx.app.inject({ method: 'POST', url: `/api/identity/officers/${officer.officerId}/suspend`, headers: { ...admin.headers } });
    expect(suspended.json()).toMatchObject({ status: 'suspended' });
    expect((await fx.app.inject({ url: '/api/identity/me', headers: { cookie } })).statusCode).toBe(401);
    const back = await fx.app.inject({ method: 'POST', url: `/api/identity/officers/${officer.officerId}/reactivate`, headers: { ...admin.headers } });
    expect(back.json()).toMatchObject({ status: 'active' });
    const moved = await fx.app.inject({ method: 'POST', url: `/api/identity/officers/${officer.officerId}/role`, headers: { ...admin.headers }, payload: { role: 'province_officer', unit: { level: 'province', code: '01' } } });
    expect(moved.json()).toMatchObject({ role: 'province_officer', unit: { level: 'province', code: '01' } });
    const reset = await fx.app.inject({ method: 'POST', url: `/api/identity/officers/${officer.officerId}/reset-second-factor`, headers: { ...admin.headers } });
    expect(reset.json()).toMatchObject({ officer: { enrolmentPending: true }, enrolmentToken: expect.any(String) as string });
    const unlocked = await fx.app.inject({ method: 'POST', url: `/api/identity/officers/${officer.officerId}/unlock`, headers: { ...admin.headers } });
    expect(unlocked.statusCode).toBe(200);
    const self = await fx.app.inject({ method: 'POST', url: `/api/identity/officers/${admin.officerId}/suspend`, headers: { ...admin.headers } });
    expect(self.statusCode).toBeGreaterThanOrEqual(400);
    expect(self.statusCode).toBeLessThan(500);
  });

  it('lets an officer end one of their sessions by its handle, and not another officer\'s', async () => {
    const a = await officerOf(fx.app, 'auditor');
    const b = await officerOf(fx.app, 'auditor');
    const mine = await fx.app.inject({ url: '/api/identity/sessions', headers: { cookie: b.headers.cookie } });
    const ref = mine.json<{ items: { sessionRef: string }[] }>().items[0]?.sessionRef ?? '';
    const foreign = await fx.app.inject({ method: 'POST', url: `/api/identity/sessions/${ref}/revoke`, headers: { ...a.headers } });
    expect(foreign.json()).toMatchObject({ code: 'SESSION_INVALID' });
    expect((await fx.app.inject({ url: '/api/identity/me', headers: { cookie: b.headers.cookie } })).statusCode).toBe(200);
    const own = await fx.app.inject({ method: 'POST', url: `/api/identity/sessions/${ref}/revoke`, headers: { ...b.headers } });
    expect(own.statusCode).toBe(204);
    expect((await fx.app.inject({ url: '/api/identity/me', headers: { cookie: b.headers.cookie } })).statusCode).toBe(401);
  });

  it('makes a service account whose key is shown once, works within its scopes, and stops at revocation', async () => {
    const created = await fx.app.inject({ method: 'POST', url: '/api/identity/service-accounts', headers: { ...admin.headers }, payload: { name: 'Đồng bộ đơn vị', scopes: ['admin_units.read'], unit: { level: 'nation' }, validDays: 30 } });
    expect(created.statusCode).toBe(201);
    const { account, apiKey } = created.json<{ account: { accountId: string; keyId: string }; apiKey: string }>();
    expect(apiKey).toMatch(/^sk_[0-9a-f]{16}_/);
    const listed = await fx.app.inject({ url: '/api/identity/service-accounts', headers: { cookie: admin.headers.cookie } });
    expect(listed.body).not.toContain(apiKey);
    expect(listed.json<{ items: { accountId: string }[] }>().items.map((s) => s.accountId)).toContain(account.accountId);
    const me = await fx.app.inject({ url: '/api/identity/me', headers: { authorization: `Bearer ${apiKey}` } });
    expect(me.json()).toMatchObject({ kind: 'service_account', id: account.accountId, role: null, permissions: ['admin_units.read'] });
    expect(me.json<Record<string, unknown>>()['csrfToken']).toBeUndefined();
    expect((await fx.app.inject({ url: '/api/admin-units/provinces?date=2026-01-01', headers: { authorization: `Bearer ${apiKey}` } })).statusCode).toBe(200);
    const noAdmin = await fx.app.inject({ method: 'POST', url: '/api/identity/service-accounts', headers: { ...admin.headers }, payload: { name: 'x', scopes: ['identity.admin'], unit: { level: 'nation' }, validDays: 30 } });
    expect(noAdmin.json()).toMatchObject({ code: 'SCOPES_INVALID' });
    const revoked = await fx.app.inject({ method: 'POST', url: `/api/identity/service-accounts/${account.accountId}/revoke`, headers: { ...admin.headers } });
    expect(revoked.json()).toMatchObject({ status: 'revoked' });
    expect((await fx.app.inject({ url: '/api/admin-units/provinces?date=2026-01-01', headers: { authorization: `Bearer ${apiKey}` } })).statusCode).toBe(401);
  });

  it('describes the session cookie and the key in the OpenAPI document', async () => {
    const doc = (await fx.app.inject({ url: '/openapi.json' })).json<{ components: { securitySchemes: Record<string, { name?: string }> }; security: unknown[] }>();
    expect(doc.components.securitySchemes['sessionCookie']?.name).toBe('sachsong_session');
    expect(doc.security).toEqual([{ sessionCookie: [] }, { serviceAccountKey: [] }]);
  });

  it("tells any signed-in officer other officers' display names by id (names only), leaving unknown ids out", async () => {
    const clerk = await officerOf(fx.app, 'registry_clerk', { level: 'commune', code: '00004' });
    const ids = `ids=${admin.officerId}&ids=${clerk.officerId}&ids=import-script`;
    const named = await fx.app.inject({ url: `/api/identity/officer-names?${ids}`, headers: { cookie: clerk.headers.cookie } });
    expect(named.statusCode).toBe(200);
    const items = named.json<{ items: Record<string, unknown>[] }>().items;
    expect(items.map((i) => i.officerId).sort()).toEqual([admin.officerId, clerk.officerId].sort());
    for (const item of items) expect(Object.keys(item).sort()).toEqual(['displayName', 'officerId']);
    expect(items.every((i) => typeof i.displayName === 'string' && i.displayName.startsWith('Cán bộ thử'))).toBe(true);
    const none = await fx.app.inject({ url: '/api/identity/officer-names', headers: { cookie: clerk.headers.cookie } });
    expect(none.statusCode).toBe(400);
    expect(none.json<{ code: string }>().code).toBe('INPUT_INVALID');
    expect((await fx.app.inject({ url: `/api/identity/officer-names?${ids}` })).statusCode).toBe(401);
  });
});
