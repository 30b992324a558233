import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CitizenAccountService } from '../src/citizen/citizen-account.service.js';
import { argon2idPasswordHasher } from '../src/citizen/citizen-password.hasher.js';
import { memoryOtpSender } from '../src/citizen/otp.sender.js';
import { parseLeaf } from '../src/audit/access-record.js';
import { personRepository } from '../src/registry/person.repository.js';
import { accessToken, callHeaders, grant, makeAgencyKeys, officerOf, onboard, startExchangeFixture, type ExchangeFixture, type TestAgency } from './exchange.fixture.js';
import type { Dialect } from '../src/store/dialect.js';

/**
 * The citizen's portal pages over HTTP, on both stores: sign-in, the record with its sources and
 * an access record of the read; consents the citizen gives and withdraws, held on the very next
 * exchange call; a correction request that lands in the commune's quality worklist, survives a
 * full scan, and whose answer the citizen reads.
 */

const password = 'Cây ngay không sợ chết đứng';

describe.each(['sqlite', 'postgres'] as const)('the citizen portal pages (%s)', (dialect: Dialect) => {
  let fx: ExchangeFixture;
  let personId = '';
  let commune = '';
  let cookie = '';
  let lender: TestAgency;
  let grantId = '';

  const page = async (url: string): Promise<{ status: number; body: string; location: string | undefined }> => {
    const res = await fx.app.inject({ method: 'GET', url, headers: { cookie } });
    return { status: res.statusCode, body: res.body, location: res.headers.location };
  };
  const csrfOf = (html: string): string => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const post = async (url: string, fields: Record<string, string>, csrf?: string): Promise<{ status: number; body: string; location: string | undefined }> => {
    const res = await fx.app.inject({
      method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ ...fields, ...(csrf === undefined ? {} : { csrf }) }).toString(),
    });
    return { status: res.statusCode, body: res.body, location: res.headers.location };
  };
  const portalRecords = async (service: string): Promise<number> => {
    await fx.settled();
    const rows = await fx.accessLogDatabase.db.selectFrom('access_records').select('leaf').execute();
    return rows.map((r) => parseLeaf(r.leaf)).filter((r) => r?.personId === personId && r.service === service && r.clientId === 'VN/GOV/sachsong/citizen-portal').length;
  };

  beforeAll(async () => {
    fx = await startExchangeFixture(dialect);
    personId = fx.people[3] ?? '';
    const person = await personRepository.findById(fx.database.db, personId);
    if (person === undefined) throw new Error('no person');
    commune = person.permanentCommune ?? '';
    const otp = memoryOtpSender();
    const accounts = new CitizenAccountService({ db: fx.database.db, clock: fx.clock, hasher: argon2idPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }), otp });
    const { challengeId } = await accounts.startActivation({ idNumber: personId, fullName: person.fullName, birthDate: person.birthDate, phone: '0912 000 111' });
    await accounts.confirmActivation({ challengeId, code: otp.sent.at(-1)?.code ?? '', password });
    lender = await makeAgencyKeys('VN/COM/LENDR/loans');
    await onboard(fx.app, lender, 'bank');
    ({ grantId } = await grant(fx.app, lender.clientId, { service: 'residence', fields: ['permanentResidence'], requiresConsent: true, purposes: [{ code: 'LOAN', text: 'Thẩm định khoản vay' }] }));
  }, 60_000);

  afterAll(async () => {
    await fx.close();
  });

  it('signs in with the e-ID and shows the record with each field\'s source and last change, leaving an access record', async () => {
    expect((await page('/citizen/portal/my/record')).location).toBe('/citizen/portal/my');
    const wrong = await post('/citizen/portal/my/sign-in', { idNumber: personId, password: 'not the password at all' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('data-testid="portal-error"');
    const fromElsewhere = await fx.app.inject({ method: 'POST', url: '/citizen/portal/my/sign-in', headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, payload: `idNumber=${personId}&password=x` });
    expect(fromElsewhere.statusCode).toBe(403);
    const res = await fx.app.inject({ method: 'POST', url: '/citizen/portal/my/sign-in', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ idNumber: personId, password }).toString() });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/citizen/portal/my/record');
    cookie = String(res.headers['set-cookie']).split(';')[0] ?? '';
    expect(cookie).toMatch(/^sachsong_citizen=/);

    const before = await portalRecords('portal.record');
    const record = await page('/citizen/portal/my/record');
    expect(record.status).toBe(200);
    expect(record.body).toContain(`data-testid="record-id-number">${personId}`);
    expect(record.body).toContain('Nguồn <span lang="en">· Source</span>: Cơ sở dữ liệu quốc gia về dân cư');
    expect(record.body).toMatch(/Cập nhật <span lang="en">· Updated<\/span> \d{2}\/\d{2}\/\d{4}/);
    expect(record.body).toContain('data-field="permanentAddress"');
    expect(await portalRecords('portal.record')).toBe(before + 1);
    // The same read leaves its record in the citizen's own tracker.
    const tracker = await page('/citizen/portal/my/tracker');
    expect(tracker.body).toContain('data-service="portal.record"');
    expect(tracker.body).toContain('Bạn, trên Cổng công dân');
  });

  it('the citizen gives and withdraws consent themselves; each holds on the next exchange call', async () => {
    const t = await accessToken(fx.app, lender, fx.clock);
    const ask = async (): Promise<{ status: number; code?: string; consentId?: string }> => {
      const res = await fx.app.inject({ method: 'POST', url: '/x/services/residence', headers: callHeaders(t, lender, { 'x-purpose': 'LOAN' }), payload: { idNumber: personId, fields: ['permanentResidence'] } });
      return { status: res.statusCode, ...res.json<{ code?: string; consentId?: string }>() };
    };
    expect(await ask()).toMatchObject({ status: 403, code: 'CONSENT_REQUIRED' });
    const consents = await page('/citizen/portal/my/consents');
    expect(consents.body).toContain(`data-grant="${grantId}"`);
    expect(consents.body).toContain('Agency LENDR');
    // Without the page's CSRF token the form is refused.
    expect((await post('/citizen/portal/my/consents/give', { grantId, purposeCode: 'LOAN' })).status).toBe(403);
    expect((await post('/citizen/portal/my/consents/give', { grantId, purposeCode: 'NOPE' }, csrfOf(consents.body))).status).toBe(400);
    const given = await post('/citizen/portal/my/consents/give', { grantId, purposeCode: 'LOAN' }, csrfOf(consents.body));
    expect(given.status).toBe(303);
    const ok = await ask();
    expect(ok.status).toBe(200);
    const after = await page('/citizen/portal/my/consents?done=consent-given');
    expect(after.body).toContain('data-testid="portal-notice"');
    expect(after.body).toContain(`data-consent="${ok.consentId ?? ''}"`);
    expect(after.body).toContain('Thẩm định khoản vay');
    expect(after.body).toContain('Đang có hiệu lực');
    expect(after.body).toContain('01/03/2026 15:00'); // the fixture's clock: 08:00 UTC, 15:00 in Vietnam
    const csrf = csrfOf(after.body);
    expect((await post('/citizen/portal/my/consents/change', { consentId: ok.consentId ?? '', action: 'pause' }, csrf)).status).toBe(303);
    expect(await ask()).toMatchObject({ status: 403, code: 'CONSENT_PAUSED' });
    expect((await post('/citizen/portal/my/consents/change', { consentId: ok.consentId ?? '', action: 'revoke' }, csrf)).status).toBe(303);
    expect(await ask()).toMatchObject({ status: 403, code: 'CONSENT_REVOKED' });
    expect((await page('/citizen/portal/my/consents')).body).toContain('Đã rút lại');
    // Another's consent is not found; an unknown action is refused.
    expect((await post('/citizen/portal/my/consents/change', { consentId: '00000000-0000-0000-0000-000000000000', action: 'revoke' }, csrf)).status).toBe(404);
    expect((await post('/citizen/portal/my/consents/change', { consentId: ok.consentId ?? '', action: 'delete' }, csrf)).status).toBe(400);
  });

  it('a consent an officer records for the citizen (assisted channel) names the officer and the law, shows in the citizen\'s page, and the citizen withdraws it', async () => {
    const officer = await officerOf(fx.app, 'exchange_admin');
    const consent = { citizen: personId, dataUser: lender.clientId, purposeCode: 'LOAN', purposeText: 'Thẩm định khoản vay (tại quầy)', fields: ['permanentResidence'], dataLife: { unit: 'YEAR', value: 1 }, frequency: { unit: 'DAY', value: 5 }, expiry: '2027-01-01T00:00:00.000Z' };
    const withoutLaw = await fx.app.inject({ method: 'POST', url: '/api/exchange/consents', headers: officer.headers, payload: consent });
    expect(withoutLaw.statusCode).toBe(400);
    expect(withoutLaw.json()).toMatchObject({ code: 'CONSENT_LEGAL_BASIS_MISSING' });
    const legalBasis = 'Nghị định 13/2023/NĐ-CP, Điều 11';
    const recorded = await fx.app.inject({ method: 'POST', url: '/api/exchange/consents', headers: officer.headers, payload: { ...consent, legalBasis } });
    expect(recorded.statusCode, recorded.body).toBe(201);
    const consentId = recorded.json<{ artefact: { consentId: string } }>().artefact.consentId;

    const mine = await page('/citizen/portal/my/consents');
    const card = new RegExp(`data-consent="${consentId}"[\\s\\S]*?</li>`).exec(mine.body)?.[0] ?? '';
    expect(card).toContain('Thẩm định khoản vay (tại quầy)');
    expect(card).toContain(`Cán bộ <span lang="en">· officer</span> ${officer.officerId} ghi nhận giúp bạn`);
    expect(card).toContain(legalBasis);
    expect(card).toContain('data-testid="consent-revoke"');
    // The consent the citizen gave themselves names no officer.
    expect(mine.body.match(/data-testid="consent-recorded-by"/g)?.length).toBe(1);

    const t = await accessToken(fx.app, lender, fx.clock);
    const ask = async (): Promise<{ status: number; code?: string }> => {
      const res = await fx.app.inject({ method: 'POST', url: '/x/services/residence', headers: callHeaders(t, lender, { 'x-purpose': 'LOAN' }), payload: { idNumber: personId, fields: ['permanentResidence'] } });
      return { status: res.statusCode, ...res.json<{ code?: string }>() };
    };
    expect((await ask()).status).toBe(200);
    expect((await post('/citizen/portal/my/consents/change', { consentId, action: 'revoke' }, csrfOf(mine.body))).status).toBe(303);
    expect(await ask()).toMatchObject({ status: 403, code: 'CONSENT_REVOKED' });
    const history = await fx.app.inject({ method: 'GET', url: `/api/exchange/consents/${consentId}/history`, headers: officer.headers });
    expect(history.json<{ items: { action: string; actorId: string; detail: Record<string, string> }[] }>().items.map((a) => [a.action, a.actorId, a.detail.legalBasis])).toEqual([
      ['consent.recorded', officer.officerId, legalBasis], ['consent.withdrawn', `citizen:${personId}`, undefined],
    ]);
  });

  it('a correction request lands in the commune\'s worklist, survives a full scan, and the citizen reads its answer', async () => {
    const requests = await page('/citizen/portal/my/requests');
    const csrf = csrfOf(requests.body);
    const short = await post('/citizen/portal/my/requests', { field: 'hometown', explanation: 'sai' }, csrf);
    expect(short.status).toBe(400);
    expect(short.body).toContain('10 đến 1000');
    expect((await post('/citizen/portal/my/requests', { field: 'idNumber', explanation: 'Số định danh của tôi bị sai' }, csrf)).status).toBe(400);
    expect((await post('/citizen/portal/my/requests', { field: 'hometown', explanation: 'Quê tôi ở Nam Định, không phải Hà Nam', evidence: 'Giấy khai sinh số 123/1980' }, csrf)).status).toBe(303);
    expect((await post('/citizen/portal/my/requests', { field: 'hometown', explanation: 'Lần nữa: quê tôi ở Nam Định' }, csrf)).status).toBe(409);
    expect((await post('/citizen/portal/my/requests', { field: 'religion', explanation: 'Tôi theo đạo Phật, không phải không tôn giáo' }, csrf)).status).toBe(303);

    const officer = await officerOf(fx.app, 'quality_officer', { level: 'commune', code: commune });
    const worklist = await fx.app.inject({ method: 'GET', url: '/api/quality/findings?rule=citizen.correction_request', headers: officer.headers });
    const items = worklist.json<{ items: { findingId: string; field: string; recordId: string; communeCode: string; status: string }[] }>().items;
    expect(items.map((f) => [f.field, f.recordId, f.communeCode, f.status]).sort()).toEqual([['hometown', personId, commune, 'open'], ['religion', personId, commune, 'open']]);
    const hometown = items.find((f) => f.field === 'hometown')?.findingId ?? '';
    const religion = items.find((f) => f.field === 'religion')?.findingId ?? '';
    const shown = await fx.app.inject({ method: 'GET', url: `/api/quality/findings/${encodeURIComponent(hometown)}`, headers: officer.headers });
    expect(shown.json()).toMatchObject({ request: { field: 'hometown', explanation: 'Quê tôi ở Nam Định, không phải Hà Nam', evidence: 'Giấy khai sinh số 123/1980', status: 'submitted' } });

    // A full scan neither closes nor counts them.
    const nation = await officerOf(fx.app, 'quality_officer', { level: 'nation' });
    expect((await fx.app.inject({ method: 'POST', url: '/api/quality/scans', headers: nation.headers })).statusCode).toBe(201);
    const still = await fx.app.inject({ method: 'GET', url: `/api/quality/findings?rule=citizen.correction_request&status=open`, headers: officer.headers });
    expect(still.json<{ total: number }>().total).toBe(2);

    const resolve = await fx.app.inject({ method: 'POST', url: `/api/quality/findings/${encodeURIComponent(hometown)}/resolve`, headers: officer.headers, payload: { reason: 'Đối chiếu giấy khai sinh 123/1980', data: { hometown: 'Nam Định' } } });
    expect(resolve.statusCode, resolve.body).toBe(200);
    expect(resolve.json()).toMatchObject({ stillFailing: false, finding: { status: 'corrected' } });
    expect((await fx.app.inject({ method: 'POST', url: `/api/quality/findings/${encodeURIComponent(religion)}/dismiss`, headers: officer.headers, payload: { reason: 'Hồ sơ gốc ghi không tôn giáo; mời bổ sung giấy tờ' } })).statusCode).toBe(200);

    const mine = await page('/citizen/portal/my/requests');
    expect(mine.body.match(/data-testid="correction-request"/g)?.length).toBe(2);
    expect(mine.body).toContain('Đã sửa · corrected');
    expect(mine.body).toContain('Không chấp nhận · not accepted');
    expect(mine.body).toContain('Hồ sơ gốc ghi không tôn giáo; mời bổ sung giấy tờ');
    expect((await page('/citizen/portal/my/record')).body).toContain('Nam Định');
  });

  it('services and sessions pages list and end them; sign-out ends the session', async () => {
    const services = await page('/citizen/portal/my/services');
    expect(services.status).toBe(200);
    expect(services.body).toContain('data-testid="session"');
    const csrf = csrfOf(services.body);
    expect((await post('/citizen/portal/my/services/revoke', { clientId: 'VN/COM/NOTMINE/login' }, csrf)).status).toBe(404);
    expect((await post('/citizen/portal/my/sign-out', {}, csrf)).location).toBe('/citizen/portal/my');
    expect((await page('/citizen/portal/my/record')).location).toBe('/citizen/portal/my');
  });
});
