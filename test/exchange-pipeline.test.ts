import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessLog } from '../src/audit/access-log.types.js';
import { openAccessLog } from '../src/audit/access-log.service.js';
import { createExchange, type Exchange } from '../src/exchange/exchange.module.js';
import { MisuseMonitor } from '../src/audit/misuse.monitor.js';
import { VerifyService } from '../src/matching/verify.service.js';
import { generatePopulation } from '../src/registry/population.generator.js';
import { RegistryService } from '../src/registry/registry.service.js';
import { DomainError } from '../src/shared/domain-error.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import { openDatabase } from '../src/store/database.js';
import { accessToken, callHeaders, clientAssertion, grant, makeAgencyKeys, movableClock, onboard, startExchangeFixture, type ExchangeFixture, type TestAgency } from './exchange.fixture.js';
import { createTestDatabase, dialects } from './test-database.js';

describe('misuse monitor', () => {
  it('stays quiet on a steady pattern and alerts once per window on a spike over the own baseline', () => {
    const m = new MisuseMonitor({ windowMs: 60_000, factor: 5, minimumReads: 20, warmupWindows: 3 });
    const t0 = Date.parse('2026-03-01T08:00:00Z');
    for (let w = 0; w < 10; w++) {
      for (let i = 0; i < 10; i++) expect(m.record('VN/GOV/A/app', 'o1', 1, t0 + w * 60_000 + i)).toEqual([]);
    }
    // the 11th window: 10 a minute is usual, 60 is not
    const raised = [];
    for (let i = 0; i < 60; i++) raised.push(...m.record('VN/GOV/A/app', 'o1', 1, t0 + 10 * 60_000 + i));
    expect(raised.map((a) => a.subjectKind).sort()).toEqual(['client', 'officer']);
    const officer = raised.find((a) => a.subjectKind === 'officer');
    expect(officer).toMatchObject({ subjectId: 'o1', clientId: 'VN/GOV/A/app', windowSeconds: 60 });
    expect(officer?.baseline).toBeGreaterThan(8);
    expect(officer?.reads).toBeGreaterThan(5 * (officer?.baseline ?? 0));
    // another officer of the same client reading a little is not flagged as an officer
    expect(m.record('VN/GOV/A/app', 'o2', 1, t0 + 10 * 60_000 + 100).filter((a) => a.subjectKind === 'officer')).toEqual([]);
  });

  it('holds a newcomer to a fixed limit until it has a baseline', () => {
    const m = new MisuseMonitor({ newcomerReads: 30, warmupWindows: 5 });
    const t0 = Date.parse('2026-03-01T08:00:00Z');
    const alerts = [];
    for (let i = 0; i < 40; i++) alerts.push(...m.record('VN/COM/B/app', 'o1', 1, t0 + i));
    expect(alerts.filter((a) => a.subjectKind === 'officer')).toHaveLength(1);
    expect(alerts[0]?.baseline).toBe(0);
  });
});

for (const dialect of dialects) {
  describe(`exchange pipeline on ${dialect}`, () => {
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    let exchange: Exchange;
    let accessLog: AccessLog;
    const clock = movableClock('2026-03-01T08:00:00.000Z');
    let people: string[];

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      await loadPopulation(database, generatePopulation({ people: 200, seed: 5, today: '2026-01-01' }));
      people = (await database.db.selectFrom('persons').select('id_number').where('status', '=', 'alive').limit(40).execute()).map((r) => r.id_number);
      accessLog = openAccessLog(database);
      exchange = await createExchange({
        db: database.db,
        clock,
        accessLog,
        registry: new RegistryService({ db: database.db, clock }),
        verifier: new VerifyService({ db: database.db, clock }),
        misuse: { newcomerReads: 25, warmupWindows: 5 },
      });
    });
    afterAll(async () => {
      await accessLog.close();
      await database.close();
    });

    it('an officer reading far more than usual raises an alert that operators can list and acknowledge', async () => {
      await exchange.members.onboard({ memberId: 'VN/GOV/CA', name: 'Công an tỉnh', kind: 'province', subsystems: [{ code: 'app', name: 'app', jwks: { keys: [(await makeAgencyKeys('VN/GOV/CA/app')).publicJwk] } }], officers: [{ officerId: 'snoop', name: 'S' }] });
      await exchange.grants.add({ clientId: 'VN/GOV/CA/app', service: 'person', fields: ['fullName'], purposes: [{ code: 'CASE', text: 'Điều tra' }], legalBasis: 'BLTTHS', validUntil: '2027-01-01', ratePerMinute: 1000, dailyCap: 10_000, deferTrackerDays: 90 });
      // the token path is tested over HTTP; here the pipeline is driven with a token issued by the same service
      const agency = await makeAgencyKeys('VN/GOV/CA/app');
      await exchange.members.setKeys('VN/GOV/CA/app', { keys: [agency.publicJwk] });
      const { clientAssertion } = await import('./exchange.fixture.js');
      const { accessToken: t } = await exchange.auth.issueToken({ grantType: 'client_credentials', clientAssertionType: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', clientAssertion: await clientAssertion(agency, clock) });
      for (const id of people.slice(0, 30)) {
        const body = { idNumber: id };
        await exchange.pipeline.call('person', { authorization: `Bearer ${t}`, requestId: randomUUID(), officerId: 'snoop', caseReference: 'VA-1', purpose: 'CASE' }, body, JSON.stringify(body));
      }
      await exchange.pipeline.settled();
      const open = await exchange.alerts.list('open');
      expect(open.map((a) => `${a.subjectKind}:${a.subjectId}`).sort()).toEqual(['client:VN/GOV/CA/app', 'officer:snoop']);
      expect(open[0]?.reads).toBe(26);
      const acked = await exchange.alerts.acknowledge(open[0]?.alertId ?? '');
      expect(acked.status).toBe('acknowledged');
      expect(await exchange.alerts.list('open')).toHaveLength(1);
      await expect(exchange.alerts.acknowledge(randomUUID())).rejects.toMatchObject({ code: 'ALERT_NOT_FOUND' });
      // the grant defers the citizen's view of police reads
      const rows = await database.db.selectFrom('access_records').select('deferred_until').limit(1).execute();
      expect(rows[0]?.deferred_until).toBe('2026-05-30');
    });

    it('a consent paused or revoked through another connection and exchange (as another process has) takes effect on the next call, as one changed here does', async () => {
      const agency = await makeAgencyKeys('VN/COM/CACHEBANK/ekyc');
      await exchange.members.onboard({ memberId: 'VN/COM/CACHEBANK', name: 'Cache Bank', kind: 'bank', subsystems: [{ code: 'ekyc', name: 'eKYC', jwks: { keys: [agency.publicJwk] } }], officers: [{ officerId: 'teller', name: 'T' }] });
      await exchange.grants.add({ clientId: agency.clientId, service: 'verify', fields: ['sex'], purposes: [{ code: 'KYC', text: 'Mở tài khoản' }], legalBasis: 'consent', requiresConsent: true, validUntil: '2027-01-01', ratePerMinute: 1000, dailyCap: 10_000 });
      const { accessToken: t } = await exchange.auth.issueToken({ grantType: 'client_credentials', clientAssertionType: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', clientAssertion: await clientAssertion(agency, clock) });
      const citizen = people[35] ?? '';
      const verify = () => {
        const body = { idNumber: citizen, sex: 'M' as const };
        return exchange.pipeline.call('verify', { authorization: `Bearer ${t}`, requestId: randomUUID(), officerId: 'teller', caseReference: 'KYC-1', purpose: 'KYC' }, body, JSON.stringify(body));
      };
      // no consent yet (remembered as none), then given here: the next call rests on it
      await expect(verify()).rejects.toMatchObject({ code: 'CONSENT_REQUIRED' });
      const consent = await exchange.consents.give({ citizen, dataUser: agency.clientId, purposeCode: 'KYC', purposeText: 'Mở tài khoản', fields: ['sex'], dataLife: { unit: 'YEAR', value: 1 }, frequency: { unit: 'DAY', value: 100 }, expiry: '2026-12-31T00:00:00Z' });
      const consentId = consent.artefact.consentId;
      // a date alone is a whole day in Vietnam time, as for grants
      const dated = await exchange.consents.give({ citizen: people[36] ?? '', dataUser: agency.clientId, purposeCode: 'KYC', purposeText: 'Mở tài khoản', fields: ['sex'], dataLife: { unit: 'YEAR', value: 1 }, frequency: { unit: 'DAY', value: 1 }, start: '2026-01-01', expiry: '2026-06-30' });
      expect([dated.artefact.start, dated.artefact.expiry]).toEqual(['2025-12-31T17:00:00.000Z', '2026-06-30T17:00:00.000Z']);
      expect(JSON.parse((await verify()).body)).toMatchObject({ consentId });
      expect(JSON.parse((await verify()).body)).toMatchObject({ consentId });
      // another connection to the same store, with its own exchange (what another process holds), pauses it
      const other = openDatabase(dialect === 'sqlite' ? { sqliteFile: database.location } : { databaseUrl: database.location });
      const otherLog = openAccessLog(other);
      try {
        const elsewhere = await createExchange({ db: other.db, clock, accessLog: otherLog, registry: new RegistryService({ db: other.db, clock }), verifier: new VerifyService({ db: other.db, clock }) });
        await elsewhere.consents.change(consentId, 'pause');
        await expect(verify()).rejects.toMatchObject({ code: 'CONSENT_PAUSED' });
        await exchange.consents.change(consentId, 'resume');
        expect(JSON.parse((await verify()).body)).toMatchObject({ consentId });
        await elsewhere.consents.change(consentId, 'revoke');
        await expect(verify()).rejects.toMatchObject({ code: 'CONSENT_REVOKED' });
      } finally {
        await otherLog.close();
        await other.close();
      }
    });
  });
}

describe('no release without a durable access record', () => {
  let fx: ExchangeFixture;
  let agency: TestAgency;
  const failing: AccessLog = {
    append: () => Promise.reject(new DomainError('unavailable', 'ACCESS_LOG_UNAVAILABLE', 'the access log cannot write', 'Retry later')),
    appendMany: () => Promise.reject(new DomainError('unavailable', 'ACCESS_LOG_UNAVAILABLE', 'the access log cannot write', 'Retry later')),
    close: () => Promise.resolve(),
  };

  beforeAll(async () => {
    fx = await startExchangeFixture('sqlite', { accessLog: failing });
    agency = await makeAgencyKeys('VN/GOV/BTC/tax');
    await onboard(fx.app, agency);
    await grant(fx.app, agency.clientId, { service: 'person', fields: ['fullName', 'birthDate'] });
  });
  afterAll(async () => {
    await fx.close();
  });

  it('answers 503 and nothing of the person when the log cannot write', async () => {
    const id = fx.people[0] ?? '';
    const name = (await fx.database.db.selectFrom('persons').select('full_name').where('id_number', '=', id).executeTakeFirstOrThrow()).full_name;
    const t = await accessToken(fx.app, agency, fx.clock);
    const res = await fx.app.inject({ method: 'POST', url: '/x/services/person', headers: callHeaders(t, agency), payload: { idNumber: id } });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'ACCESS_LOG_UNAVAILABLE' });
    expect(res.body).not.toContain(name);
    expect(res.body).not.toContain(id);
  });
});
