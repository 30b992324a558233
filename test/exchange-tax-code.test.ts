import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCheckDigit } from '../src/matching/tax-code.js';
import { TaxCodeLinkService } from '../src/matching/tax-code-link.service.js';
import { dialects } from './test-database.js';
import { accessRecordsFor, accessToken, callHeaders, exchangeAdminHeaders, grant, makeAgencyKeys, onboard, startExchangeFixture, type ExchangeFixture, type TestAgency } from './exchange.fixture.js';

/** The exchange's old-tax-code look-up: under a grant for it, granted fields only, an access record before the answer. */
const code = (n: number): string => {
  for (let base = 810_000_000 + n * 17; ; base++) {
    const c = withCheckDigit(String(base));
    if (c !== undefined) return c;
  }
};

for (const dialect of dialects) {
  describe(`the old tax code look-up on ${dialect}`, () => {
    let fx: ExchangeFixture;
    let bank: TestAgency;
    let tax: TestAgency;
    let bankToken: string;
    let taxToken: string;
    let holder: string;
    let branchHolder: string;
    let probableHolder: string;

    beforeAll(async () => {
      fx = await startExchangeFixture(dialect);
      bank = await makeAgencyKeys('VN/COM/VCB/ekyc');
      tax = await makeAgencyKeys('VN/GOV/BTC/tax');
      await onboard(fx.app, bank, 'bank');
      await onboard(fx.app, tax);
      await grant(fx.app, bank.clientId, { service: 'verify', fields: ['fullName'] });
      await grant(fx.app, tax.clientId, { service: 'tax-code', fields: ['idNumber'], purposes: [{ code: 'TAX_ID', text: 'Chuyển mã số thuế sang số định danh' }] });
      [holder = '', branchHolder = '', probableHolder = ''] = fx.people;
      const links = new TaxCodeLinkService({ db: fx.database.db, clock: fx.clock });
      const stored = await links.storeRun({ sourceName: 'register.csv', inputSha256: '00'.repeat(32), startedAt: fx.clock.now().toISOString(), summary: {}, includeProbable: true, links: [
        { oldTaxCode: code(1), idNumber: holder, outcome: 'linked' },
        { oldTaxCode: code(3), idNumber: probableHolder, outcome: 'to_update' },
      ] });
      expect(stored.written).toBe(2);
      await links.record({ oldTaxCode: `${code(2)}-001`, idNumber: branchHolder, status: 'confirmed', officerId: 'o-7' });
      bankToken = await accessToken(fx.app, bank, fx.clock);
      taxToken = await accessToken(fx.app, tax, fx.clock);
    });
    afterAll(async () => { await fx.close(); });

    const lookUp = async (token: string, agency: TestAgency, body: unknown, overrides: Record<string, string> = {}) => {
      const headers = callHeaders(token, agency, { 'x-purpose': 'TAX_ID', ...overrides });
      const res = await fx.app.inject({ method: 'POST', url: '/x/services/tax-code', headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
      return { res, requestId: headers['x-request-id'] ?? '', headers };
    };

    it('answers the ID number of a confirmed old code, granted fields only, with an access record listing exactly them', async () => {
      const { res, requestId } = await lookUp(taxToken, tax, { taxCode: ` ${code(1)} ` });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json<{ service: string; result: Record<string, unknown> }>();
      expect(body.service).toBe('VN/GOV/BCA/REGISTRY/tax-code');
      expect(body.result).toEqual({ taxCode: code(1), idNumber: holder });
      const records = await accessRecordsFor(fx, requestId);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ personId: holder, clientId: tax.clientId, officerId: tax.officerId, service: 'VN/GOV/BCA/REGISTRY/tax-code', purpose: 'Chuyển mã số thuế sang số định danh', fields: ['idNumber'] });
      // A branch code linked by an officer is answered the same way.
      const branch = await lookUp(taxToken, tax, { taxCode: `${code(2)}-001`, fields: ['idNumber'] });
      expect(branch.res.json<{ result: unknown }>().result).toEqual({ taxCode: `${code(2)}-001`, idNumber: branchHolder });
      expect((await accessRecordsFor(fx, branch.requestId))[0]).toMatchObject({ personId: branchHolder, fields: ['idNumber'] });
    });

    it('refuses a field not granted, and a client without a grant for the service, before reading anything', async () => {
      const notGranted = await lookUp(taxToken, tax, { taxCode: code(1), fields: ['idNumber', 'linkedOn'] });
      expect(notGranted.res.statusCode).toBe(403);
      expect(notGranted.res.json()).toMatchObject({ code: 'FIELD_NOT_GRANTED' });
      expect(await accessRecordsFor(fx, notGranted.requestId)).toEqual([]);
      const noGrant = await lookUp(bankToken, bank, { taxCode: code(1) }, { 'x-purpose': 'KYC' });
      expect(noGrant.res.statusCode).toBe(403);
      expect(noGrant.res.json()).toMatchObject({ code: 'SERVICE_NOT_GRANTED' });
      expect(noGrant.res.body).not.toContain(holder);
      expect(await accessRecordsFor(fx, noGrant.requestId)).toEqual([]);
      const wrongPurpose = await lookUp(taxToken, tax, { taxCode: code(1) }, { 'x-purpose': 'MARKETING' });
      expect(wrongPurpose.res.json()).toMatchObject({ code: 'PURPOSE_NOT_GRANTED' });
      // The look-up rests on law: a grant asking for consent is refused.
      const consentGrant = await fx.app.inject({ method: 'POST', url: '/api/exchange/grants', headers: await exchangeAdminHeaders(fx.app), payload: { clientId: bank.clientId, service: 'tax-code', fields: ['idNumber'], purposes: [{ code: 'KYC', text: 'x' }], legalBasis: 'consent', requiresConsent: true, validUntil: '2027-01-01', ratePerMinute: 10, dailyCap: 10 } });
      expect(consentGrant.json()).toMatchObject({ code: 'CONSENT_NOT_APPLICABLE' });
    });

    it('answers an unknown code and a merely probable one alike, revealing nothing, with no record', async () => {
      const unknown = await lookUp(taxToken, tax, { taxCode: code(9) });
      const probable = await lookUp(taxToken, tax, { taxCode: code(3) });
      expect(unknown.res.statusCode).toBe(404);
      expect(unknown.res.json()).toMatchObject({ code: 'TAX_CODE_NOT_LINKED' });
      expect(probable.res.statusCode).toBe(404);
      expect(probable.res.body).toBe(unknown.res.body);
      expect(probable.res.body).not.toContain(probableHolder);
      expect(await accessRecordsFor(fx, unknown.requestId)).toEqual([]);
      expect(await accessRecordsFor(fx, probable.requestId)).toEqual([]);
    });

    it('refuses malformed codes with a stable code each, and a replayed request id', async () => {
      const cases: readonly [unknown, string][] = [
        [{ taxCode: '100047516' }, 'TAX_CODE_MALFORMED'],
        [{ taxCode: `${code(1).slice(0, 9)}${String((Number(code(1)[9]) + 1) % 10)}` }, 'TAX_CODE_CHECK_DIGIT'],
        [{ taxCode: holder }, 'TAX_CODE_IS_ID_NUMBER'],
        [{ taxCode: `${code(1)}-000` }, 'TAX_CODE_MALFORMED'],
      ];
      for (const [body, expected] of cases) {
        const { res, requestId } = await lookUp(taxToken, tax, body);
        expect(res.statusCode, JSON.stringify(body)).toBe(400);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.json()).toMatchObject({ code: expected });
        expect(await accessRecordsFor(fx, requestId)).toEqual([]);
      }
      // Schema-checked: no code at all, or an extra property.
      expect((await lookUp(taxToken, tax, {})).res.statusCode).toBe(400);
      expect((await lookUp(taxToken, tax, { taxCode: code(1), idNumber: holder })).res.statusCode).toBe(400);
      const first = await lookUp(taxToken, tax, { taxCode: code(1) });
      expect(first.res.statusCode).toBe(200);
      const replay = await fx.app.inject({ method: 'POST', url: '/x/services/tax-code', headers: { ...first.headers, 'content-type': 'application/json' }, payload: JSON.stringify({ taxCode: code(1) }) });
      expect(replay.statusCode).toBe(409);
      expect(replay.json()).toMatchObject({ code: 'REQUEST_REPLAYED' });
      expect(await accessRecordsFor(fx, first.requestId)).toHaveLength(1);
    });
  });
}
