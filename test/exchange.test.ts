import { createHash, generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { responseHash } from '../src/exchange/exchange.service.js';
import { dialects } from './test-database.js';
import { accessRecordsFor, accessToken, callHeaders, clientAssertion, grant, makeAgencyKeys, onboard, startExchangeFixture, type ExchangeFixture, type TestAgency , adminKey } from './exchange.fixture.js';


const without = (headers: Record<string, string>, name: string): Record<string, string> => Object.fromEntries(Object.entries(headers).filter(([k]) => k !== name));
const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

for (const dialect of dialects) {
  describe(`exchange on ${dialect}`, () => {
    let fx: ExchangeFixture;
    let bank: TestAgency;
    let token: string;

    beforeAll(async () => {
      fx = await startExchangeFixture(dialect);
      bank = await makeAgencyKeys('VN/COM/VCB/ekyc');
      await onboard(fx.app, bank, 'bank');
      await grant(fx.app, bank.clientId, { service: 'verify', fields: ['fullName', 'birthDate', 'sex'] });
      await grant(fx.app, bank.clientId, { service: 'person', fields: ['fullName', 'birthDate'] });
      token = await accessToken(fx.app, bank, fx.clock);
    });
    afterAll(async () => {
      await fx.close();
    });

    const person = async (id: string): Promise<{ full_name: string; birth_date: string; sex: string }> =>
      fx.database.db.selectFrom('persons').select(['full_name', 'birth_date', 'sex']).where('id_number', '=', id).executeTakeFirstOrThrow();

    it('verifies through the exchange: yes/no per field, bound to the request, with a durable access record', async () => {
      const id = fx.people[0] ?? '';
      const p = await person(id);
      const headers = callHeaders(token, bank);
      const payload = JSON.stringify({ idNumber: id, fullName: p.full_name, birthDate: p.birth_date });
      const res = await fx.app.inject({ method: 'POST', url: '/x/services/verify', headers: { ...headers, 'content-type': 'application/json' }, payload });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json<{ requestId: string; requestHash: string; result: { match: boolean; fields: Record<string, string> } }>();
      expect(body.result.match).toBe(true);
      expect(body.result.fields).toEqual({ fullName: 'exact', birthDate: 'exact' });
      expect(res.body).not.toContain(p.full_name);
      const requestHash = createHash('sha256').update(payload).digest('hex');
      expect(body.requestHash).toBe(requestHash);
      expect(res.headers['x-response-hash']).toBe(responseHash(headers['x-request-id'] ?? '', requestHash, res.body));
      const records = await accessRecordsFor(fx, headers['x-request-id'] ?? '');
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ personId: id, clientId: bank.clientId, officerId: bank.officerId, service: 'VN/GOV/BCA/REGISTRY/verify', purpose: 'Xác minh khách hàng', caseReference: 'HS-2026-0001', fields: ['fullName', 'birthDate'] });
    });

    const call = async (service: string, payload: unknown, headers: Record<string, string> = callHeaders(token, bank)) =>
      fx.app.inject({ method: 'POST', url: `/x/services/${service}`, headers, payload: payload as Record<string, unknown> });

    it('refuses a replayed request id, a malformed one, and calls without officer, case or purpose', async () => {
      const id = fx.people[1] ?? '';
      const headers = callHeaders(token, bank);
      expect((await call('verify', { idNumber: id, sex: 'M' }, headers)).statusCode).toBe(200);
      const replay = await call('verify', { idNumber: id, sex: 'M' }, headers);
      expect(replay.statusCode).toBe(409);
      expect(replay.json()).toMatchObject({ code: 'REQUEST_REPLAYED' });
      expect((await call('verify', { idNumber: id }, callHeaders(token, bank, { 'x-request-id': 'not-a-uuid' }))).json()).toMatchObject({ code: 'REQUEST_ID_INVALID' });
      const noOfficer = without(callHeaders(token, bank), 'x-officer-id');
      expect((await call('verify', { idNumber: id }, noOfficer)).json()).toMatchObject({ code: 'OFFICER_ID_MISSING' });
      // The action names the command that exists, with this member and officer filled in.
      expect((await call('verify', { idNumber: id }, callHeaders(token, bank, { 'x-officer-id': 'someone-else' }))).json()).toMatchObject({ code: 'OFFICER_UNKNOWN', action: expect.stringContaining('sachsong agency officer VN/COM/VCB someone-else --name') as unknown });
      const noCase = without(callHeaders(token, bank), 'x-case-reference');
      expect((await call('verify', { idNumber: id }, noCase)).json()).toMatchObject({ code: 'CASE_REFERENCE_MISSING' });
      expect((await call('verify', { idNumber: id }, callHeaders(token, bank, { 'x-purpose': 'MARKETING' }))).json()).toMatchObject({ code: 'PURPOSE_NOT_GRANTED' });
      expect((await call('verify', { idNumber: id }, callHeaders(token, bank, { 'x-client-id': 'VN/GOV/BCA/police' }))).json()).toMatchObject({ status: 403, code: 'CLIENT_ID_MISMATCH' });
      expect((await call('verify', { idNumber: id, sex: 'F' }, callHeaders(token, bank, { 'x-client-id': bank.clientId }))).statusCode).toBe(200);
    });

    it('refuses forged, missing and expired tokens, and suspended clients', async () => {
      const id = fx.people[2] ?? '';
      const [prefix, claims] = token.split('.');
      const forgedClaims = Buffer.from(JSON.stringify({ sub: 'VN/GOV/BCA/police', mem: 'VN/GOV/BCA', exp: 9_999_999_999, jti: 'x' })).toString('base64url');
      for (const forged of [`${prefix ?? ''}.${forgedClaims}.${token.split('.')[2] ?? ''}`, `${prefix ?? ''}.${claims ?? ''}.AAAA`, 'garbage']) {
        const res = await call('verify', { idNumber: id }, callHeaders(forged, bank));
        expect(res.statusCode).toBe(401);
        expect(res.json()).toMatchObject({ code: 'TOKEN_INVALID' });
      }
      const anonymous = without(callHeaders(token, bank), 'authorization');
      expect((await call('verify', { idNumber: id }, anonymous)).json()).toMatchObject({ status: 401, code: 'CREDENTIALS_MISSING' });

      const shortLived = await accessToken(fx.app, bank, fx.clock);
      fx.clock.advance(301_000);
      const expired = await call('verify', { idNumber: id }, callHeaders(shortLived, bank));
      expect(expired.statusCode).toBe(401);
      expect(expired.json()).toMatchObject({ code: 'TOKEN_EXPIRED' });
      token = await accessToken(fx.app, bank, fx.clock);

      const suspend = async (status: string) => fx.app.inject({ method: 'PUT', url: `/api/exchange/clients/${bank.clientId}/status`, headers: await adminKey(fx.app), payload: { status } });
      expect((await suspend('suspended')).statusCode).toBe(200);
      const refused = await call('verify', { idNumber: id });
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({ code: 'CLIENT_SUSPENDED' });
      expect((await suspend('active')).statusCode).toBe(200);
      expect((await call('verify', { idNumber: id, sex: 'F' })).statusCode).toBe(200);
    });

    it('issues tokens only for valid, fresh, correctly signed client assertions', async () => {
      const post = (payload: Record<string, string>) => fx.app.inject({ method: 'POST', url: '/x/token', payload });
      const form = (assertion: string) => ({ grant_type: 'client_credentials', client_assertion_type: assertionType, client_assertion: assertion });
      const good = await clientAssertion(bank, fx.clock);
      // form-encoded, as OAuth clients send it
      const formRes = await fx.app.inject({ method: 'POST', url: '/x/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(form(good)).toString() });
      expect(formRes.statusCode).toBe(200);
      expect(formRes.json()).toMatchObject({ token_type: 'Bearer', expires_in: 300 });
      expect((await post(form(good))).json()).toMatchObject({ status: 401, code: 'CLIENT_ASSERTION_REPLAYED' });
      expect((await post(form(await clientAssertion(bank, fx.clock, { expIn: -120 })))).json()).toMatchObject({ code: 'CLIENT_ASSERTION_EXPIRED' });
      expect((await post(form(await clientAssertion(bank, fx.clock, { expIn: 3_600 })))).json()).toMatchObject({ code: 'CLIENT_ASSERTION_TOO_LONG' });
      expect((await post(form(await clientAssertion(bank, fx.clock, { aud: 'https://elsewhere' })))).json()).toMatchObject({ code: 'CLIENT_ASSERTION_INVALID' });
      const stranger = await makeAgencyKeys(bank.clientId);
      expect((await post(form(await clientAssertion({ ...stranger, kid: bank.kid }, fx.clock)))).json()).toMatchObject({ code: 'CLIENT_ASSERTION_SIGNATURE_INVALID' });
      expect((await post(form(await clientAssertion(bank, fx.clock, { iss: 'VN/GOV/NOBODY/app' })))).json()).toMatchObject({ code: 'CLIENT_UNKNOWN' });
      expect((await post(form('not.a.jwt'))).json()).toMatchObject({ status: 401, code: 'CLIENT_ASSERTION_MALFORMED' });
      expect((await post({ grant_type: 'password' })).json()).toMatchObject({ status: 400, code: 'GRANT_TYPE_UNSUPPORTED' });
      expect((await post({ grant_type: 'client_credentials' })).json()).toMatchObject({ status: 400, code: 'CLIENT_ASSERTION_MISSING' });
    });

    it('answers only granted fields and refuses fields, services and purposes not granted', async () => {
      const id = fx.people[3] ?? '';
      const res = await call('person', { idNumber: id });
      expect(res.statusCode, res.body).toBe(200);
      const result = res.json<{ result: Record<string, unknown> }>().result;
      expect(Object.keys(result).sort()).toEqual(['birthDate', 'fullName']);
      expect((await call('person', { idNumber: id, fields: ['fullName', 'permanentResidence'] })).json()).toMatchObject({ status: 403, code: 'FIELD_NOT_GRANTED' });
      expect((await call('person', { idNumber: id, fields: ['shoeSize'] })).json()).toMatchObject({ status: 400, code: 'FIELD_UNKNOWN' });
      expect((await call('verify', { idNumber: id, communeCode: '00001' })).json()).toMatchObject({ status: 403, code: 'FIELD_NOT_GRANTED' });
      expect((await call('household', { idNumber: id })).json()).toMatchObject({ status: 403, code: 'SERVICE_NOT_GRANTED' });
      expect((await call('person', { idNumber: '079' })).statusCode).toBe(400);
    });

    it('a household call writes one access record per member released; the change feed one per event', async () => {
      const gov = await makeAgencyKeys('VN/GOV/BHXH/portal');
      await onboard(fx.app, gov);
      await grant(fx.app, gov.clientId, { service: 'household', fields: ['idNumber', 'fullName', 'relationshipToHead'] });
      await grant(fx.app, gov.clientId, { service: 'changes', fields: ['birth_registration', 'registration'] });
      const govToken = await accessToken(fx.app, gov, fx.clock);
      const headers = callHeaders(govToken, gov);
      const res = await call('household', { idNumber: fx.people[4] ?? '' }, headers);
      expect(res.statusCode, res.body).toBe(200);
      const members = res.json<{ result: { members: Record<string, unknown>[] } }>().result.members;
      expect(members.length).toBeGreaterThan(0);
      for (const m of members) expect(Object.keys(m).sort()).toEqual(['fullName', 'idNumber', 'relationshipToHead']);
      const records = await accessRecordsFor(fx, headers['x-request-id'] ?? '');
      expect(records.map((r) => r.personId).sort()).toEqual(members.map((m) => m.idNumber).sort());

      const feedHeaders = callHeaders(govToken, gov);
      const feed = await call('changes', { since: 0, limit: 5 }, feedHeaders);
      expect(feed.statusCode, feed.body).toBe(200);
      const { items, next } = feed.json<{ result: { items: { seq: number; personId: string }[]; next: number } }>().result;
      expect(items).toHaveLength(5);
      expect(next).toBe(items.at(-1)?.seq);
      expect((await accessRecordsFor(fx, feedHeaders['x-request-id'] ?? '')).map((r) => r.personId)).toEqual(items.map((i) => i.personId));
      const after = await call('changes', { since: next, limit: 5 }, callHeaders(govToken, gov));
      expect(after.json<{ result: { items: { seq: number }[] } }>().result.items.every((i) => i.seq > next)).toBe(true);
    });

    it('enforces fair-use caps with 429 and Retry-After, and a revoked grant on the next call', async () => {
      const telco = await makeAgencyKeys('VN/COM/VIETTEL/sim');
      await onboard(fx.app, telco, 'telecom');
      const { grantId } = await grant(fx.app, telco.clientId, { service: 'verify', fields: ['fullName'], ratePerMinute: 2 });
      const t = await accessToken(fx.app, telco, fx.clock);
      const id = fx.people[5] ?? '';
      expect((await call('verify', { idNumber: id, fullName: 'Nguyễn Văn A' }, callHeaders(t, telco))).statusCode).toBe(200);
      expect((await call('verify', { idNumber: id, fullName: 'Nguyễn Văn A' }, callHeaders(t, telco))).statusCode).toBe(200);
      const limited = await call('verify', { idNumber: id, fullName: 'Nguyễn Văn A' }, callHeaders(t, telco));
      expect(limited.statusCode).toBe(429);
      expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED' });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      fx.clock.advance(30_000);
      expect((await call('verify', { idNumber: id, fullName: 'Nguyễn Văn A' }, callHeaders(t, telco))).statusCode).toBe(200);
      expect((await fx.app.inject({ method: 'POST', url: `/api/exchange/grants/${grantId}/revoke`, headers: await adminKey(fx.app) })).statusCode).toBe(200);
      expect((await call('verify', { idNumber: id, fullName: 'Nguyễn Văn A' }, callHeaders(t, telco))).json()).toMatchObject({ status: 403, code: 'SERVICE_NOT_GRANTED' });
    });

    it('a service that needs consent refuses without it; pause and revocation take effect on the next request', async () => {
      const lender = await makeAgencyKeys('VN/COM/TPBANK/loans');
      await onboard(fx.app, lender, 'bank');
      await grant(fx.app, lender.clientId, { service: 'residence', fields: ['permanentResidence', 'currentResidence'], requiresConsent: true, purposes: [{ code: 'LOAN', text: 'Thẩm định khoản vay' }] });
      const t = await accessToken(fx.app, lender, fx.clock);
      const citizen = fx.people[6] ?? '';
      const ask = (fields?: string[]) => call('residence', { idNumber: citizen, ...(fields ? { fields } : {}) }, callHeaders(t, lender, { 'x-purpose': 'LOAN' }));
      expect((await ask()).json()).toMatchObject({ status: 403, code: 'CONSENT_REQUIRED' });

      const give = await fx.app.inject({
        method: 'POST', url: '/api/exchange/consents', headers: await adminKey(fx.app),
        payload: { citizen, dataUser: lender.clientId, purposeCode: 'LOAN', purposeText: 'Thẩm định khoản vay', fields: ['permanentResidence'], dataLife: { unit: 'MONTH', value: 6 }, frequency: { unit: 'DAY', value: 2 }, expiry: '2026-06-01' },
      });
      expect(give.statusCode, give.body).toBe(201);
      const consentId = give.json<{ artefact: { consentId: string } }>().artefact.consentId;
      expect((await ask()).json()).toMatchObject({ status: 403, code: 'CONSENT_FIELDS_NOT_COVERED' });
      const headers = callHeaders(t, lender, { 'x-purpose': 'LOAN' });
      const ok = await call('residence', { idNumber: citizen, fields: ['permanentResidence'] }, headers);
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.json()).toMatchObject({ consentId });
      expect(await accessRecordsFor(fx, headers['x-request-id'] ?? '')).toMatchObject([{ consentId, personId: citizen, purpose: 'Thẩm định khoản vay' }]);

      const act = async (action: string) => fx.app.inject({ method: 'POST', url: `/api/exchange/consents/${consentId}/${action}`, headers: await adminKey(fx.app) });
      expect((await act('pause')).json()).toMatchObject({ status: 'PAUSED' });
      expect((await ask(['permanentResidence'])).json()).toMatchObject({ code: 'CONSENT_PAUSED' });
      expect((await act('resume')).json()).toMatchObject({ status: 'ACTIVE' });
      // frequency: 2 a day, one used above
      expect((await ask(['permanentResidence'])).statusCode).toBe(200);
      expect((await ask(['permanentResidence'])).json()).toMatchObject({ code: 'CONSENT_FREQUENCY_EXCEEDED' });
      expect((await act('revoke')).json()).toMatchObject({ status: 'REVOKED' });
      expect((await ask(['permanentResidence'])).json()).toMatchObject({ code: 'CONSENT_REVOKED' });
      expect((await act('resume')).json()).toMatchObject({ status: 409, code: 'CONSENT_STATUS_CONFLICT' });

      const shown = await fx.app.inject({ method: 'GET', url: `/api/exchange/consents/${consentId}`, headers: await adminKey(fx.app) });
      expect(shown.json()).toMatchObject({ status: 'REVOKED', signatureValid: true, signature: { alg: 'EdDSA' } });
      const list = await fx.app.inject({ method: 'GET', url: `/api/exchange/consents?citizen=${citizen}`, headers: await adminKey(fx.app) });
      expect(list.json<{ items: unknown[] }>().items).toHaveLength(1);
    });

    it('consent artefacts are signed: a changed artefact no longer verifies against the published key', async () => {
      const keys = await fx.app.inject({ method: 'GET', url: '/x/consent-keys' });
      const { keys: [jwk] } = keys.json<{ keys: Record<string, string>[] }>();
      const citizen = fx.people[7] ?? '';
      const give = await fx.app.inject({
        method: 'POST', url: '/api/exchange/consents', headers: await adminKey(fx.app),
        payload: { citizen, dataUser: bank.clientId, purposeCode: 'KYC', purposeText: 'Mở tài khoản', fields: ['fullName'], dataLife: { unit: 'YEAR', value: 1 }, frequency: { unit: 'DAY', value: 1 }, expiry: '2027-01-01T00:00:00Z' },
      });
      const consent = give.json<{ artefact: Record<string, unknown>; signature: { value: string } }>();
      const { createPublicKey, verify } = await import('node:crypto');
      const { default: canonicalize } = await import('canonicalize');
      const key = createPublicKey({ key: jwk as unknown as JsonWebKey, format: 'jwk' });
      const sig = Buffer.from(consent.signature.value, 'base64url');
      expect(verify(null, Buffer.from(canonicalize(consent.artefact) ?? ''), key, sig)).toBe(true);
      expect(verify(null, Buffer.from(canonicalize({ ...consent.artefact, fields: ['fullName', 'permanentResidence'] }) ?? ''), key, sig)).toBe(false);
    });

    it('refuses malformed onboarding, grants and consents with clear codes', async () => {
      const post = async (url: string, payload: Record<string, unknown>) => fx.app.inject({ method: 'POST', url, headers: await adminKey(fx.app), payload });
      const a = await makeAgencyKeys('VN/GOV/BYT/his');
      const member = (memberId: string, jwk: Record<string, unknown>) => ({ memberId, name: 'Bộ Y tế', kind: 'ministry', subsystems: [{ code: 'his', name: 'HIS', jwks: { keys: [jwk] } }], officers: [] });
      expect((await post('/api/exchange/members', member('VN/GOV/b y t', a.publicJwk))).json()).toMatchObject({ status: 400, code: 'MEMBER_ID_MALFORMED' });
      expect((await post('/api/exchange/members', member('VN/GOV/BYT', { ...a.publicJwk, d: 'c2VjcmV0' }))).json()).toMatchObject({ code: 'JWKS_INVALID' });
      expect((await post('/api/exchange/members', member('VN/GOV/BYT', { kty: 'OKP', crv: 'Ed25519', x: 'short', kid: 'k' }))).json()).toMatchObject({ code: 'JWKS_INVALID' });
      // Keys that import but cannot be trusted to sign: each refused at onboarding, not at the first token request.
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
      const weak = [
        { kty: 'RSA', n: 'AQAB', e: 'AQAB', kid: 'tiny' },
        { kty: 'RSA', n: Buffer.alloc(256, 0xfe).toString('base64url'), e: 'AQAB', kid: 'even' },
        { ...rsa, e: 'Aw', kid: 'e3' },
        { ...rsa, kid: 'hmac', alg: 'HS256' },
        { ...rsa, kid: 'enc', use: 'enc' },
        { ...generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ format: 'jwk' }), kid: 'k1' },
      ];
      for (const jwk of weak) expect((await post('/api/exchange/members', member('VN/GOV/BYT', jwk))).json(), jwk.kid).toMatchObject({ code: 'JWKS_INVALID' });
      expect((await post('/api/exchange/members', member('VN/GOV/RSA', { ...rsa, kid: 'rsa-2048' }))).statusCode).toBe(201);
      expect((await post('/api/exchange/members', member('VN/GOV/BYT', a.publicJwk))).statusCode).toBe(201);
      expect((await post('/api/exchange/members', member('VN/GOV/BYT', a.publicJwk))).json()).toMatchObject({ status: 409, code: 'MEMBER_EXISTS' });
      const g = { clientId: a.clientId, service: 'verify', fields: ['fullName'], purposes: [{ code: 'CARE', text: 'Khám chữa bệnh' }], legalBasis: 'Luật BHYT', validUntil: '2027-01-01', ratePerMinute: 10, dailyCap: 100 };
      expect((await post('/api/exchange/grants', { ...g, service: 'everything' })).json()).toMatchObject({ code: 'SERVICE_UNKNOWN' });
      expect((await post('/api/exchange/grants', { ...g, fields: ['religion'] })).json()).toMatchObject({ code: 'GRANT_FIELDS_INVALID' });
      expect((await post('/api/exchange/grants', { ...g, validUntil: '2025-13-40' })).json()).toMatchObject({ code: 'GRANT_DATE_INVALID' });
      expect((await post('/api/exchange/grants', { ...g, validUntil: '2025-01-01' })).json()).toMatchObject({ code: 'GRANT_ALREADY_ENDED' });
      expect((await post('/api/exchange/grants', { ...g, service: 'changes', fields: ['death'], requiresConsent: true })).json()).toMatchObject({ code: 'CONSENT_NOT_APPLICABLE' });
      expect((await post('/api/exchange/grants', { ...g, clientId: 'VN/GOV/BYT/nothing' })).json()).toMatchObject({ status: 404, code: 'CLIENT_NOT_FOUND' });
      const c = { citizen: fx.people[8] ?? '', dataUser: a.clientId, purposeCode: 'CARE', purposeText: 'Khám', fields: ['fullName'], dataLife: { unit: 'DAY', value: 1 }, frequency: { unit: 'DAY', value: 1 }, expiry: '2027-01-01' };
      expect((await post('/api/exchange/consents', { ...c, citizen: '12345' })).json()).toMatchObject({ code: 'ID_NUMBER_MALFORMED' });
      expect((await post('/api/exchange/consents', { ...c, citizen: '001099999999' })).json()).toMatchObject({ status: 404, code: 'PERSON_NOT_FOUND' });
      expect((await post('/api/exchange/consents', { ...c, expiry: '2026-01-01' })).json()).toMatchObject({ code: 'CONSENT_EXPIRY_INVALID' });
      expect((await post('/api/exchange/consents', { ...c, dataUser: 'VN/GOV/BYT/ghost' })).json()).toMatchObject({ status: 404, code: 'CLIENT_UNKNOWN' });
      expect((await post('/api/exchange/consents', { ...c, dataLife: { unit: 'DAY', value: 0 } })).statusCode).toBe(400);
      // A legal basis given is a real one; refused, nothing is written (the citizen still has no consent).
      expect((await post('/api/exchange/consents', { ...c, legalBasis: '  ' })).json()).toMatchObject({ status: 400, code: 'CONSENT_LEGAL_BASIS_MISSING' });
      const none = await fx.app.inject({ method: 'GET', url: `/api/exchange/consents?citizen=${c.citizen}`, headers: await adminKey(fx.app) });
      expect(none.json<{ items: unknown[] }>().items).toEqual([]);
      // Recorded, the consent and its administration log line (who, under which law) are written together.
      const given = await post('/api/exchange/consents', { ...c, legalBasis: 'Luật Bảo hiểm y tế, Điều 32' });
      expect(given.statusCode).toBe(201);
      const consentId = given.json<{ artefact: { consentId: string } }>().artefact.consentId;
      const history = await fx.app.inject({ method: 'GET', url: `/api/exchange/consents/${consentId}/history`, headers: await adminKey(fx.app) });
      expect(history.json<{ items: { action: string; detail: Record<string, string> }[] }>().items).toMatchObject([{ action: 'consent.recorded', detail: { legalBasis: 'Luật Bảo hiểm y tế, Điều 32', purposeCode: 'CARE' } }]);
      const unknown = await fx.app.inject({ method: 'GET', url: '/api/exchange/consents/no-such-consent/history', headers: await adminKey(fx.app) });
      expect(unknown.json()).toMatchObject({ status: 404, code: 'CONSENT_NOT_FOUND' });
    });

    it('lists the catalog publicly and documents every service in OpenAPI', async () => {
      const catalog = (await fx.app.inject({ method: 'GET', url: '/x/catalog' })).json<{ services: { name: string; path: string }[] }>();
      expect(catalog.services.map((s) => s.name)).toEqual(['verify', 'person', 'residence', 'household', 'changes', 'residence-document', 'tax-code']);
      const spec = (await fx.app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, unknown> }>();
      for (const s of catalog.services) expect(spec.paths[s.path]).toBeDefined();
    });
  });
}
