import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsentService } from '../src/exchange/consent.service.js';
import { ExchangeDirectory } from '../src/exchange/exchange.directory.js';
import { loadExchangeKeys } from '../src/exchange/exchange-keys.js';
import { GrantService } from '../src/exchange/grant.service.js';
import { MemberService } from '../src/exchange/member.service.js';
import { systemClock } from '../src/shared/clock.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { dialects } from './test-database.js';
import { accessRecordsFor, accessToken, callHeaders, clientAssertion, grant, makeAgencyKeys, onboard, startExchangeFixture, type ExchangeFixture, type TestAgency , adminKey } from './exchange.fixture.js';

const run = promisify(execFile);

for (const dialect of dialects) {
  describe(`exchange security review on ${dialect}`, () => {
    let fx: ExchangeFixture;

    beforeAll(async () => {
      fx = await startExchangeFixture(dialect);
    });
    afterAll(async () => {
      await fx.close();
    });

    const call = (service: string, payload: unknown, headers: Record<string, string>) =>
      fx.app.inject({ method: 'POST', url: `/x/services/${service}`, headers, payload: payload as Record<string, unknown> });

    const giveConsent = async (citizen: string, dataUser: string, purposeCode: string, fields: readonly string[]): Promise<string> => {
      const res = await fx.app.inject({
        method: 'POST', url: '/api/exchange/consents', headers: await adminKey(fx.app),
        payload: { citizen, dataUser, purposeCode, purposeText: 'Trợ cấp hộ gia đình', fields, dataLife: { unit: 'MONTH', value: 1 }, frequency: { unit: 'DAY', value: 10 }, expiry: '2026-06-01' },
      });
      expect(res.statusCode, res.body).toBe(201);
      return res.json<{ artefact: { consentId: string } }>().artefact.consentId;
    };

    /** A household with at least three members: its members' ID numbers. */
    const householdOfThree = async (): Promise<readonly string[]> => {
      const rows = await fx.database.db
        .selectFrom('persons')
        .select(['household_id', 'id_number'])
        .where('household_id', 'is not', null)
        .orderBy('household_id')
        .orderBy('id_number')
        .execute();
      const byHousehold = new Map<string, string[]>();
      for (const r of rows) byHousehold.set(r.household_id ?? '', [...(byHousehold.get(r.household_id ?? '') ?? []), r.id_number]);
      const found = [...byHousehold.values()].find((m) => m.length >= 3);
      if (found === undefined) throw new Error('no household of three in the fixture');
      return found;
    };

    it('household under a consent grant releases only members with their own consent, each record naming that consent', async () => {
      const agency = await makeAgencyKeys('VN/GOV/BLDTBXH/benefit');
      await onboard(fx.app, agency);
      const fields = ['householdId', 'idNumber', 'fullName', 'birthDate'];
      await grant(fx.app, agency.clientId, { service: 'household', fields, requiresConsent: true, purposes: [{ code: 'BENEFIT', text: 'Trợ cấp hộ gia đình' }] });
      const token = await accessToken(fx.app, agency, fx.clock);
      const [subject = '', consenting = '', ...others] = await householdOfThree();
      const subjectConsent = await giveConsent(subject, agency.clientId, 'BENEFIT', fields);
      const memberConsent = await giveConsent(consenting, agency.clientId, 'BENEFIT', ['idNumber', 'fullName', 'birthDate']);
      // A consent that does not cover every member field releases nothing of that member.
      const partial = others[0] ?? '';
      await giveConsent(partial, agency.clientId, 'BENEFIT', ['fullName']);

      const headers = callHeaders(token, agency, { 'x-purpose': 'BENEFIT' });
      const res = await call('household', { idNumber: subject }, headers);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json<{ consentId: string; result: { householdId?: string; members: { idNumber: string }[]; withheldMembers: number } }>();
      expect(body.result.members.map((m) => m.idNumber).sort()).toEqual([subject, consenting].sort());
      expect(body.result.withheldMembers).toBe(others.length);
      expect(body.result.householdId).toBeDefined();
      for (const withheld of others) expect(res.body).not.toContain(withheld);

      const records = await accessRecordsFor(fx, headers['x-request-id'] ?? '');
      const byPerson = new Map(records.map((r) => [r.personId, r]));
      expect([...byPerson.keys()].sort()).toEqual([subject, consenting].sort());
      expect(byPerson.get(subject)).toMatchObject({ consentId: subjectConsent, fields });
      expect(byPerson.get(consenting)).toMatchObject({ consentId: memberConsent, fields: ['idNumber', 'fullName', 'birthDate'] });

      // Without the subject's own consent the call is refused, as before.
      const refused = await call('household', { idNumber: others[0] ?? '' }, callHeaders(token, agency, { 'x-purpose': 'BENEFIT' }));
      expect(refused.json()).toMatchObject({ status: 403, code: 'CONSENT_FIELDS_NOT_COVERED' });
    });

    it('household answers the household number only when granted; without consent every member as before', async () => {
      const agency = await makeAgencyKeys('VN/GOV/BHXH/households');
      await onboard(fx.app, agency);
      await grant(fx.app, agency.clientId, { service: 'household', fields: ['idNumber', 'fullName'] });
      const token = await accessToken(fx.app, agency, fx.clock);
      const members = await householdOfThree();
      const headers = callHeaders(token, agency);
      const res = await call('household', { idNumber: members[0] ?? '' }, headers);
      expect(res.statusCode, res.body).toBe(200);
      const result = res.json<{ result: Record<string, unknown> & { members: { idNumber: string }[] } }>().result;
      expect(Object.keys(result).sort()).toEqual(['members']);
      expect(result.members.map((m) => m.idNumber).sort()).toEqual([...members].sort());
      const records = await accessRecordsFor(fx, headers['x-request-id'] ?? '');
      expect(records).toHaveLength(members.length);
      for (const r of records) expect(r).toMatchObject({ fields: ['idNumber', 'fullName'] });
      for (const r of records) expect(r.consentId ?? null).toBeNull();
    });

    it('verify: without lifeStatus a deceased person answers as an unknown number; with it DECEASED, and the record lists it', async () => {
      const deceased = (await fx.database.db.selectFrom('persons').select(['id_number', 'full_name', 'birth_date']).where('status', '=', 'deceased').orderBy('id_number').executeTakeFirstOrThrow());
      // An unknown number of the same form: the deceased's with another random part.
      let unknown = '';
      for (let i = 0; unknown === ''; i++) {
        const candidate = `${deceased.id_number.slice(0, 6)}${String(i).padStart(6, '0')}`;
        if ((await fx.database.db.selectFrom('persons').select('id_number').where('id_number', '=', candidate).executeTakeFirst()) === undefined) unknown = candidate;
      }
      const plain = await makeAgencyKeys('VN/COM/MB/ekyc');
      await onboard(fx.app, plain, 'bank');
      await grant(fx.app, plain.clientId, { service: 'verify', fields: ['fullName', 'birthDate'] });
      const plainToken = await accessToken(fx.app, plain, fx.clock);
      const ask = async (token: string, agency: typeof plain, idNumber: string, details: Record<string, string>) => {
        const headers = callHeaders(token, agency);
        const res = await call('verify', { idNumber, ...details }, headers);
        return { res, records: await accessRecordsFor(fx, headers['x-request-id'] ?? '') };
      };
      const details = { fullName: deceased.full_name };
      const dead = await ask(plainToken, plain, deceased.id_number, details);
      const nobody = await ask(plainToken, plain, unknown, details);
      expect(dead.res.statusCode, dead.res.body).toBe(200);
      expect(dead.res.statusCode).toBe(nobody.res.statusCode);
      expect(dead.res.json<{ result: unknown }>().result).toEqual(nobody.res.json<{ result: unknown }>().result);
      expect(dead.res.json<{ result: unknown }>().result).toEqual({ match: false, status: 'NOT_FOUND', fields: {}, strategy: 'exact' });
      expect(dead.records).toEqual([]);
      expect(nobody.records).toEqual([]);
      const partialDead = await call('verify', { idNumber: deceased.id_number, ...details, strategy: 'partial' }, callHeaders(plainToken, plain));
      expect(partialDead.json<{ result: unknown }>().result).toEqual({ match: false, status: 'NOT_FOUND', fields: {}, strategy: 'partial' });

      const insurer = await makeAgencyKeys('VN/COM/BAOVIET/claims');
      await onboard(fx.app, insurer, 'insurer');
      await grant(fx.app, insurer.clientId, { service: 'verify', fields: ['fullName', 'birthDate', 'lifeStatus'] });
      const insurerToken = await accessToken(fx.app, insurer, fx.clock);
      const told = await ask(insurerToken, insurer, deceased.id_number, details);
      expect(told.res.json()).toMatchObject({ result: { status: 'DECEASED', match: false, fields: { fullName: 'exact' } } });
      expect(told.records).toHaveLength(1);
      expect(told.records[0]?.fields).toEqual(['fullName', 'lifeStatus']);

      // A living person: exactly the fields compared (a blank one is not), and the life status when granted.
      const living = fx.people[10] ?? '';
      const p = await fx.database.db.selectFrom('persons').select(['full_name']).where('id_number', '=', living).executeTakeFirstOrThrow();
      const alive = await ask(insurerToken, insurer, living, { fullName: p.full_name, birthDate: ' ' });
      expect(alive.res.json()).toMatchObject({ result: { status: 'MATCH', fields: { fullName: 'exact' } } });
      expect(alive.records[0]?.fields).toEqual(['fullName', 'lifeStatus']);
      const aliveNoStatus = await ask(plainToken, plain, living, { fullName: p.full_name, birthDate: ' ' });
      expect(aliveNoStatus.records[0]?.fields).toEqual(['fullName']);
    });

    it('grants: refuses one already ended or ending before it starts; a date is a whole day in Vietnam time', async () => {
      const agency = await makeAgencyKeys('VN/GOV/BTC/grants');
      await onboard(fx.app, agency);
      const base = { clientId: agency.clientId, service: 'verify', fields: ['fullName'], purposes: [{ code: 'KYC', text: 'Xác minh khách hàng' }], legalBasis: 'Luật Căn cước 2023', ratePerMinute: 100, dailyCap: 1000 };
      const post = async (payload: Record<string, unknown>) => fx.app.inject({ method: 'POST', url: '/api/exchange/grants', headers: await adminKey(fx.app), payload: { ...base, ...payload } });
      // The fixture's clock: 2026-03-01T08:00Z, 15:00 in Vietnam.
      const past = await post({ validUntil: '2026-02-28' });
      expect(past.statusCode).toBe(400);
      expect(past.json()).toMatchObject({ code: 'GRANT_ALREADY_ENDED' });
      expect(past.json<{ action: string }>().action).not.toBe('');
      expect((await post({ validUntil: '2026-03-01T07:59:59Z' })).json()).toMatchObject({ code: 'GRANT_ALREADY_ENDED' });
      expect((await post({ validFrom: '2026-09-02', validUntil: '2026-09-01' })).json()).toMatchObject({ status: 400, code: 'GRANT_PERIOD_EMPTY' });
      expect((await post({ validFrom: '2026-09-01T00:00:00Z', validUntil: '2026-09-01T00:00:00Z' })).json()).toMatchObject({ code: 'GRANT_PERIOD_EMPTY' });
      expect((await post({ validUntil: '2027-02-30' })).json()).toMatchObject({ code: 'GRANT_DATE_INVALID' });

      const year = await post({ validFrom: '2027-01-01', validUntil: '2027-12-31' });
      expect(year.statusCode, year.body).toBe(201);
      expect(year.json()).toMatchObject({ validFrom: '2026-12-31T17:00:00.000Z', validUntil: '2027-12-31T17:00:00.000Z' });

      // Today (Vietnam time) as the last day: usable now, until 24:00 Vietnam time.
      const today = await post({ validUntil: '2026-03-01' });
      expect(today.statusCode, today.body).toBe(201);
      expect(today.json()).toMatchObject({ validUntil: '2026-03-01T17:00:00.000Z' });
      const id = fx.people[3] ?? '';
      const verify = async () => call('verify', { idNumber: id, fullName: 'Nguyễn Văn A' }, callHeaders(await accessToken(fx.app, agency, fx.clock), agency));
      expect((await verify()).statusCode).toBe(200);
      fx.clock.advance(9 * 3_600_000 - 1_000); // 16:59:59Z
      expect((await verify()).statusCode).toBe(200);
      fx.clock.advance(1_000); // 17:00:00Z, 2026-03-02 00:00 in Vietnam
      expect((await verify()).json()).toMatchObject({ code: 'GRANT_NOT_VALID' });
      fx.clock.advance(-9 * 3_600_000);
    });

    /**
     * An agency with a verify grant, called once (so the server caches it), and another process on
     * the same store: its own connection, its own (empty) directory. Its commits come between two
     * event-loop turns of the server, as a real process's do (the server reads the change counter
     * once per turn): `change` lets the turn end after each.
     */
    const withOtherProcess = async (code: string, run: (ctx: {
      readonly agency: TestAgency;
      readonly grantId: string;
      readonly verify: (headers?: Record<string, string>) => ReturnType<typeof call>;
      readonly members: MemberService;
      readonly grants: GrantService;
      readonly change: (made: Promise<unknown>) => Promise<void>;
    }) => Promise<void>): Promise<void> => {
      const agency = await makeAgencyKeys(`VN/COM/${code}/ekyc`);
      await onboard(fx.app, agency, 'bank');
      const { grantId } = await grant(fx.app, agency.clientId, { service: 'verify', fields: ['fullName'] });
      const token = await accessToken(fx.app, agency, fx.clock);
      const verify = (headers: Record<string, string> = {}) => call('verify', { idNumber: fx.people[2] ?? '', fullName: 'Nguyễn Văn A' }, callHeaders(token, agency, headers));
      expect((await verify()).statusCode).toBe(200);
      const other: Database = dialect === 'sqlite' ? openDatabase({ sqliteFile: fx.database.location }) : openDatabase({ databaseUrl: fx.database.url ?? '', poolSize: 1 });
      try {
        const directory = new ExchangeDirectory({ db: other.db, clock: systemClock });
        const change = async (made: Promise<unknown>): Promise<void> => {
          await made;
          await new Promise((resolve) => setImmediate(resolve));
        };
        await run({ agency, grantId, verify, members: new MemberService({ db: other.db, clock: fx.clock, directory }), grants: new GrantService({ db: other.db, clock: fx.clock, directory }), change });
      } finally {
        await other.close();
      }
    };

    it('a grant revoked by another process is refused on the server\'s next call', async () => {
      await withOtherProcess('ACB', async ({ grantId, verify, grants, change }) => {
        await change(grants.revoke(grantId));
        expect((await verify()).json()).toMatchObject({ status: 403, code: 'SERVICE_NOT_GRANTED' });
      });
    });

    it.runIf(dialect === 'postgres')('a grant revoked by `sachsong grant revoke` (a child process) is refused on the next call', { timeout: 180_000 }, async () => {
      await withOtherProcess('TCB', async ({ grantId, verify }) => {
        const cli = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'grant', 'revoke', grantId], {
          env: { ...process.env, DATABASE_URL: fx.database.url ?? '', LOG_LEVEL: 'silent' },
          encoding: 'utf8',
          timeout: 170_000,
        });
        expect(cli.stdout).toContain('revoked');
        expect((await verify()).json()).toMatchObject({ status: 403, code: 'SERVICE_NOT_GRANTED' });
      });
    });

    it('a client suspended (and reinstated) by another process holds on the next call', async () => {
      await withOtherProcess('SHB', async ({ agency, verify, members, change }) => {
        await change(members.setClientStatus(agency.clientId, 'suspended'));
        expect((await verify()).json()).toMatchObject({ status: 403, code: 'CLIENT_SUSPENDED' });
        await change(members.setClientStatus(agency.clientId, 'active'));
        const reinstated = await verify();
        expect(reinstated.statusCode, reinstated.body).toBe(200);
      });
    });

    it('an officer registered by another process is known on the next call', async () => {
      await withOtherProcess('VIB', async ({ verify, members, change }) => {
        expect((await verify({ 'x-officer-id': 'officer-2' })).json()).toMatchObject({ code: 'OFFICER_UNKNOWN' });
        await change(members.addOfficer('VN/COM/VIB', 'officer-2', 'Officer Two'));
        expect((await verify({ 'x-officer-id': 'officer-2' })).statusCode).toBe(200);
      });
    });

    it('an officer removed by another process is refused on the next call; the admin API removes and reinstates', async () => {
      await withOtherProcess('HDB', async ({ verify, members, change }) => {
        await change(members.setOfficerStatus('VN/COM/HDB', 'officer-1', 'suspended'));
        expect((await verify()).json()).toMatchObject({ status: 403, code: 'OFFICER_UNKNOWN' });
        const url = '/api/exchange/members/VN/COM/HDB/officers/officer-1/status';
        const back = await fx.app.inject({ method: 'PUT', url, headers: await adminKey(fx.app), payload: { status: 'active' } });
        expect(back.json()).toMatchObject({ officerId: 'officer-1', status: 'active' });
        expect((await verify()).statusCode).toBe(200);
        expect((await fx.app.inject({ method: 'PUT', url, headers: await adminKey(fx.app), payload: { status: 'suspended' } })).statusCode).toBe(200);
        expect((await verify()).json()).toMatchObject({ code: 'OFFICER_UNKNOWN' });
        expect((await fx.app.inject({ method: 'PUT', url: '/api/exchange/members/VN/COM/HDB/officers/nobody/status', headers: await adminKey(fx.app), payload: { status: 'active' } })).json()).toMatchObject({ status: 404, code: 'OFFICER_NOT_FOUND' });
      });
    });

    it('a consent revoked by another process holds on the next call', async () => {
      const agency = await makeAgencyKeys('VN/COM/LPB/loans');
      await onboard(fx.app, agency, 'bank');
      await grant(fx.app, agency.clientId, { service: 'residence', fields: ['permanentResidence'], requiresConsent: true, purposes: [{ code: 'LOAN', text: 'Thẩm định khoản vay' }] });
      const token = await accessToken(fx.app, agency, fx.clock);
      const citizen = fx.people[12] ?? '';
      const consentId = await giveConsent(citizen, agency.clientId, 'LOAN', ['permanentResidence']);
      const ask = () => call('residence', { idNumber: citizen }, callHeaders(token, agency, { 'x-purpose': 'LOAN' }));
      expect((await ask()).statusCode).toBe(200);
      const other: Database = dialect === 'sqlite' ? openDatabase({ sqliteFile: fx.database.location }) : openDatabase({ databaseUrl: fx.database.url ?? '', poolSize: 1 });
      try {
        const consents = new ConsentService({ db: other.db, clock: fx.clock, keys: await loadExchangeKeys(other.db, fx.clock), directory: new ExchangeDirectory({ db: other.db, clock: fx.clock }) });
        await consents.change(consentId, 'revoke');
        await new Promise((resolve) => setImmediate(resolve));
        expect((await ask()).json()).toMatchObject({ status: 403, code: 'CONSENT_REVOKED' });
      } finally {
        await other.close();
      }
    });

    it('keys replaced by another process: an assertion signed by the old key gets no token', async () => {
      await withOtherProcess('OCB', async ({ agency, members, change }) => {
        const token = async (agent: TestAgency) => fx.app.inject({ method: 'POST', url: '/x/token', payload: { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: await clientAssertion(agent, fx.clock) } });
        expect((await token(agency)).statusCode).toBe(200);
        const next = await makeAgencyKeys(agency.clientId);
        await change(members.setKeys(agency.clientId, { keys: [next.publicJwk] }));
        expect((await token(agency)).statusCode).toBe(401);
        const fresh = await token(next);
        expect(fresh.statusCode, fresh.body).toBe(200);
      });
    });
  });
}
