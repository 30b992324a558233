import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { citizenAccountRepository } from '../src/citizen/citizen-account.repository.js';
import type { Dialect } from '../src/store/dialect.js';
import { exchangeAdminHeaders, makeAgencyKeys, officerOf, onboard, startExchangeFixture, type ExchangeFixture } from './exchange.fixture.js';

/**
 * The officers' side of the citizen e-ID over HTTP, on both stores: relying parties onboarded,
 * listed, suspended by exchange administrators (bad redirect URIs and unknown clients refused with
 * their codes), and the activation drive for the nation and for one province.
 */

interface Problem { readonly code: string; readonly detail: string; readonly action: string; readonly errors?: readonly { readonly field: string }[] }

describe.each(['sqlite', 'postgres'] as const)('the citizen e-ID administration API (%s)', (dialect: Dialect) => {
  let fx: ExchangeFixture;
  let admin: Record<string, string>;
  const clientId = 'VN/COM/BANKA/login';

  const post = async (url: string, payload: unknown, headers = admin): Promise<{ status: number; body: Record<string, unknown> & Partial<Problem> }> => {
    const res = await fx.app.inject({ method: 'POST', url, headers, payload: payload as Record<string, unknown> });
    return { status: res.statusCode, body: res.json() };
  };
  const get = async (url: string, headers = admin): Promise<{ status: number; body: unknown }> => {
    const res = await fx.app.inject({ method: 'GET', url, headers });
    return { status: res.statusCode, body: res.json() };
  };

  beforeAll(async () => {
    fx = await startExchangeFixture(dialect, { people: 50 });
    admin = await exchangeAdminHeaders(fx.app);
    await onboard(fx.app, await makeAgencyKeys(clientId), 'bank');
  }, 120_000);
  afterAll(async () => { await fx.close(); });

  it('onboards a relying party, lists it, suspends it; refuses bad redirect URIs, unknown claims and clients with clear errors', async () => {
    const good = { clientId, displayName: 'Ngân hàng A', redirectUris: ['https://banka.example/cb'], postLogoutRedirectUris: ['https://banka.example/bye'], allowedClaims: ['vn_tax_code', 'name'] };
    const plainHttp = await post('/api/citizen/relying-parties', { ...good, redirectUris: ['http://banka.example/cb'] });
    expect(plainHttp).toMatchObject({ status: 400, body: { code: 'REDIRECT_URI_INVALID', errors: [{ field: 'redirectUris[0]' }], action: 'Give absolute https URLs' } });
    expect(plainHttp.body.detail).toContain('must be https');
    expect(await post('/api/citizen/relying-parties', { ...good, redirectUris: ['https://banka.example/cb#frag'] })).toMatchObject({ status: 400, body: { code: 'REDIRECT_URI_INVALID' } });
    expect(await post('/api/citizen/relying-parties', { ...good, redirectUris: ['https://banka.example/cb', 'https://other.example/cb'] })).toMatchObject({ status: 400, body: { code: 'REDIRECT_URI_INVALID', errors: [{ field: 'redirectUris' }] } });
    expect(await post('/api/citizen/relying-parties', { ...good, redirectUris: ['https://banka.example/cb'], backchannelLogoutUri: 'ftp://banka.example/logout' })).toMatchObject({ status: 400, body: { code: 'REDIRECT_URI_INVALID', errors: [{ field: 'backchannelLogoutUri' }] } });
    expect(await post('/api/citizen/relying-parties', { ...good, redirectUris: ['not a url'] })).toMatchObject({ status: 400, body: { code: 'REDIRECT_URI_INVALID' } });
    expect((await post('/api/citizen/relying-parties', { ...good, allowedClaims: ['name', 'religion'] })).status).toBe(400);
    expect(await post('/api/citizen/relying-parties', { ...good, clientId: 'VN/COM/NOBODY/login' })).toMatchObject({ status: 404, body: { code: 'CLIENT_NOT_FOUND' } });
    // Another role may not onboard.
    const clerk = await officerOf(fx.app, 'commune_officer', { level: 'commune', code: '00004' });
    expect((await post('/api/citizen/relying-parties', good, clerk.headers)).status).toBe(403);

    const created = await post('/api/citizen/relying-parties', good);
    expect(created).toMatchObject({ status: 201, body: { clientId, displayName: 'Ngân hàng A', redirectUris: ['https://banka.example/cb'], allowedClaims: ['name', 'vn_tax_code'], status: 'active', backchannelLogoutUri: null } });
    expect(await post('/api/citizen/relying-parties', good)).toMatchObject({ status: 409, body: { code: 'RELYING_PARTY_EXISTS' } });
    expect(await get('/api/citizen/relying-parties')).toMatchObject({ status: 200, body: [{ clientId, status: 'active' }] });

    expect(await post('/api/citizen/relying-parties/status', { clientId, status: 'suspended' })).toMatchObject({ status: 200, body: { clientId, status: 'suspended' } });
    expect(await get('/api/citizen/relying-parties')).toMatchObject({ body: [{ clientId, status: 'suspended' }] });
    expect(await post('/api/citizen/relying-parties/status', { clientId: 'VN/COM/NOBODY/login', status: 'active' })).toMatchObject({ status: 404, body: { code: 'RELYING_PARTY_NOT_FOUND' } });
    expect((await post('/api/citizen/relying-parties/status', { clientId, status: 'deleted' })).status).toBe(400);
  });

  it('the activation drive: the nation, one province for a national officer, and a province officer\'s own province only', async () => {
    const opened = [['cit_h1', 1, '01', '2026-02-23T08:00:00.000Z'], ['cit_h2', 2, '01', '2026-02-24T08:00:00.000Z'], ['cit_s1', 1, '79', '2026-03-01T07:00:00.000Z']] as const;
    let i = 0;
    for (const [id, level, province, at] of opened) {
      await citizenAccountRepository.insert(fx.database.db, {
        account_id: id, person_id: `09919000${String(1000 + i++)}`, level, status: 'active', phone: '+84912345678', password_hash: 'x', totp_secret: null, totp_last_step: null,
        card_number: null, province, failed_attempts: 0, locked_until: null, last_sign_in_at: null, level2_at: null, created_at: at, updated_at: at,
      });
    }
    const nation = (await officerOf(fx.app, 'quality_officer', { level: 'nation' })).headers;
    expect(await get('/api/citizen/activation-drive', nation)).toMatchObject({ status: 200, body: { target: 40_000_000, province: null, accounts: 3, level1: 2, level2: 1 } });
    const hanoi = await get('/api/citizen/activation-drive?province=01', nation);
    expect(hanoi).toMatchObject({ status: 200, body: { province: '01', accounts: 2, level1: 1, level2: 1, byProvince: [{ province: '01', level1: 1, level2: 1 }] } });
    expect((hanoi.body as { byWeek: unknown }).byWeek).toEqual([{ weekStart: '2026-02-23', activated: 2, cumulative: 2 }]);
    const hcmc = (await officerOf(fx.app, 'quality_officer', { level: 'province', code: '79' })).headers;
    expect(await get('/api/citizen/activation-drive?province=79', hcmc)).toMatchObject({ status: 200, body: { province: '79', accounts: 1, level1: 1, level2: 0 } });
    expect((await get('/api/citizen/activation-drive?province=01', hcmc)).status).toBe(403);
    expect((await get('/api/citizen/activation-drive', hcmc)).status).toBe(403);
    expect((await get('/api/citizen/activation-drive?province=7', nation)).status).toBe(400);
  });
});
