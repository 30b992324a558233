import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provinceOf } from '../src/events/change-event.js';
import { verifyWebhookBody } from '../src/events/webhook-signature.js';
import { adminUnitCatalog } from '../src/registry/admin-unit.catalog.js';
import { RegistryService } from '../src/registry/registry.service.js';
import { dialects } from './test-database.js';
import { accessRecordsFor, accessToken, callHeaders, exchangeAdminHeaders, grant, makeAgencyKeys, onboard, startExchangeFixture, type ExchangeFixture, type TestAgency } from './exchange.fixture.js';
import { parseLeaf, type CanonicalAccessRecord } from '../src/audit/access-record.js';
import { startWebhookReceiver, waitFor, type WebhookReceiver } from './webhook-receiver.js';

const [communeA, communeB] = adminUnitCatalog().communes2025().filter((c, i, all) => i === 0 || c.provinceCode !== all[0]?.provinceCode);

for (const dialect of dialects) {
  describe(`change events on ${dialect}`, () => {
    let fx: ExchangeFixture;
    let registry: RegistryService;
    let agency: TestAgency;
    let token: string;
    let receiver: WebhookReceiver;
    let keys: ReadonlyMap<string, KeyObject>;
    let next = 0;
    // Each test moves a different person.
    const person = (): string => fx.people[next++] ?? '';

    beforeAll(async () => {
      fx = await startExchangeFixture(dialect, { events: { dispatch: true, pollMs: 10, delivery: { maxAttempts: 3, backoffMs: () => 0 } } });
      registry = new RegistryService({ db: fx.database.db, clock: fx.clock });
      agency = await makeAgencyKeys('VN/GOV/BHXH/events');
      await onboard(fx.app, agency);
      await grant(fx.app, agency.clientId, { service: 'changes', fields: ['residence_change', 'death', 'permanentResidence'], purposes: [{ code: 'BHXH_UPDATE', text: 'Cập nhật hồ sơ bảo hiểm xã hội' }] });
      token = await accessToken(fx.app, agency, fx.clock);
      receiver = await startWebhookReceiver();
      const jwks = (await fx.app.inject({ method: 'GET', url: '/x/consent-keys' })).json<{ keys: (JsonWebKey & { kid: string })[] }>();
      keys = new Map(jwks.keys.map((k) => [k.kid, createPublicKey({ key: k, format: 'jwk' })]));
    });
    afterAll(async () => {
      await fx.close();
      await receiver.close();
    });

    const subscribe = (payload: Record<string, unknown>, t = token) =>
      fx.app.inject({ method: 'POST', url: '/x/subscriptions', headers: { authorization: `Bearer ${t}` }, payload: { purpose: 'BHXH_UPDATE', officerId: agency.officerId, ...payload } });
    const move = (id: string, commune = communeB?.code ?? '') =>
      registry.recordEvent({ personId: id, type: 'residence_change', occurredOn: '2026-02-20', officerId: 'officer-7', reason: null, data: { permanentCommune: commune, permanentAddress: 'Số 1 đường Láng' } });
    const recordsOf = async (subscriptionId: string): Promise<CanonicalAccessRecord[]> => {
      await fx.settled();
      return (await fx.accessLogDatabase.db.selectFrom('access_records').select('leaf').orderBy('idx').execute())
        .map((r) => parseLeaf(r.leaf))
        .filter((r): r is CanonicalAccessRecord => r?.requestId.startsWith(`${subscriptionId}/`) === true);
    };

    it('writes the outbox in the life event\'s transaction: a refused event leaves neither', async () => {
      const id = person();
      const before = await fx.database.db.selectFrom('event_outbox').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      const { event } = await move(id);
      const row = await fx.database.db.selectFrom('event_outbox').selectAll().where('event_id', '=', event.eventId).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ person_id: id, event_type: 'residence_change' });
      expect(JSON.parse(row.provinces)).toContain(communeB?.provinceCode);
      expect(JSON.parse(row.fields)).toEqual(['permanentResidence']);
      // A refused event (a bad commune) writes no life event and no outbox row.
      await expect(move(id, '99999')).rejects.toThrow();
      // A failure late in the transaction (after both inserts) rolls both back.
      const failing = new RegistryService({ db: fx.database.db, clock: fx.clock, onPersonsChanged: () => Promise.reject(new Error('late failure')) });
      await expect(failing.recordEvent({ personId: id, type: 'name_change', occurredOn: '2026-02-21', officerId: 'officer-7', reason: null, data: { fullName: 'Trần Thị Bé' } })).rejects.toThrow('late failure');
      const after = await fx.database.db.selectFrom('event_outbox').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(after.n).toBe(before.n + 1);
      const lifeEvents = await fx.database.db.selectFrom('life_events').select('event_id').where('person_id', '=', id).where('event_type', '=', 'name_change').execute();
      expect(lifeEvents).toEqual([]);
    });

    it('pushes subscribed events signed by the exchange, with granted fields only, each an access record', async () => {
      const res = await subscribe({ url: receiver.url, kinds: ['residence_change', 'death'], fields: ['permanentResidence'] });
      expect(res.statusCode, res.body).toBe(201);
      const sub = res.json<{ subscriptionId: string }>();
      const [mover, dead] = [person(), person()];
      const moved = (await move(mover)).event;
      const died = (await registry.recordEvent({ personId: dead, type: 'death', occurredOn: '2026-02-22', officerId: 'officer-7', reason: null, data: {} })).event;
      // Not subscribed: a name change.
      await registry.recordEvent({ personId: person(), type: 'name_change', occurredOn: '2026-02-22', officerId: 'officer-7', reason: null, data: { fullName: 'Lê Văn Mới' } });
      await waitFor(() => receiver.unique().has(died.eventId), 'the death to be pushed');
      const events = receiver.received.flatMap((r) => r.events);
      expect(events.map((e) => e.eventId)).toEqual([moved.eventId, died.eventId]);
      expect(events[0]).toMatchObject({ personId: mover, type: 'residence_change', data: { permanentResidence: { communeCode: communeB?.code, address: 'Số 1 đường Láng' } } });
      // The death sets status and deathDate: not subscribed, so not sent.
      expect(events[1]).toMatchObject({ personId: dead, type: 'death', data: {} });
      for (const r of receiver.received) {
        expect(verifyWebhookBody(r.body, r.signature ?? '', keys)).toMatchObject({ sub: sub.subscriptionId });
        // An altered body does not verify.
        expect(verifyWebhookBody(r.body.replace('"events"', '"evente"'), r.signature ?? '', keys)).toBeUndefined();
      }
      const records = await recordsOf(sub.subscriptionId);
      expect(records.map((r) => [r.personId, r.fields])).toEqual([[mover, ['type', 'occurredOn', 'permanentResidence']], [dead, ['type', 'occurredOn']]]);
      expect(records[0]).toMatchObject({ clientId: agency.clientId, officerId: agency.officerId, service: 'VN/GOV/BCA/REGISTRY/changes', purpose: 'Cập nhật hồ sơ bảo hiểm xã hội' });
      const view = async (): Promise<Record<string, number>> => (await fx.app.inject({ method: 'GET', url: `/x/subscriptions/${sub.subscriptionId}`, headers: { authorization: `Bearer ${token}` } })).json<{ deliveries: Record<string, number> }>().deliveries;
      await waitFor(async () => (await view()).delivered === 2, 'both marked delivered');
      expect(await view()).toEqual({ pending: 0, delivered: 2, dead: 0 });
      await fx.app.inject({ method: 'POST', url: `/x/subscriptions/${sub.subscriptionId}/pause`, headers: { authorization: `Bearer ${token}` } });
    });

    it('filters by province: an event is pushed when the person\'s province before or after is subscribed', async () => {
      const province = communeA?.provinceCode ?? '';
      const own = await startWebhookReceiver();
      const res = await subscribe({ url: own.url, kinds: ['residence_change'], provinces: [province] });
      expect(res.statusCode, res.body).toBe(201);
      const sub = res.json<{ subscriptionId: string }>();
      const id = person();
      const into = (await move(id, communeA?.code)).event;
      const within = (await move(id, communeA?.code)).event;
      const out = (await move(id, communeB?.code)).event;
      // Someone else, moving between two communes outside the province (both in communeB's).
      const other = person();
      await move(other, communeB?.code);
      const elsewhere = (await move(other, communeB?.code)).event;
      await waitFor(async () => (await recordsOf(sub.subscriptionId)).length >= 3, 'three pushes');
      await waitFor(() => own.unique().has(out.eventId), 'the move out pushed');
      const got = own.received.flatMap((r) => r.events);
      expect(got.filter((e) => e.personId === id).map((e) => e.eventId)).toEqual([into.eventId, within.eventId, out.eventId]);
      // The other person's second move never touched the province (their first may have: they may have lived there).
      expect(got.some((e) => e.eventId === elsewhere.eventId)).toBe(false);
      expect(provinceOf(communeB?.code ?? null)).not.toBe(province);
      await fx.app.inject({ method: 'POST', url: `/x/subscriptions/${sub.subscriptionId}/pause`, headers: { authorization: `Bearer ${token}` } });
      await own.close();
    });

    it('a changes grant of some provinces: subscriptions within them only, and push and pull release only events of people there', async () => {
      const [provinceA, provinceB] = [communeA?.provinceCode ?? '', communeB?.provinceCode ?? ''];
      const admin = await exchangeAdminHeaders(fx.app);
      const provincial = await makeAgencyKeys('VN/GOV/UBNDT/events');
      await onboard(fx.app, provincial);
      const grantBody = { clientId: provincial.clientId, service: 'changes', fields: ['residence_change', 'permanentResidence'], purposes: [{ code: 'TINH', text: 'Cập nhật dữ liệu dân cư của tỉnh' }], legalBasis: 'Luật Cư trú 2020', validUntil: '2027-01-01', ratePerMinute: 1_000, dailyCap: 100_000 };
      // Province codes are checked against the units in force, and only a changes grant is limited by province.
      for (const [body, code] of [[{ ...grantBody, provinces: ['99'] }, 'GRANT_PROVINCE_UNKNOWN'], [{ ...grantBody, service: 'verify', fields: ['fullName'], provinces: [provinceA] }, 'GRANT_PROVINCES_NOT_APPLICABLE']] as const) {
        const res = await fx.app.inject({ method: 'POST', url: '/api/exchange/grants', headers: admin, payload: body });
        expect([res.statusCode, res.json<{ code: string }>().code]).toEqual([400, code]);
      }
      const made = await fx.app.inject({ method: 'POST', url: '/api/exchange/grants', headers: admin, payload: { ...grantBody, provinces: [provinceA, provinceA] } });
      expect(made.statusCode, made.body).toBe(201);
      expect(made.json()).toMatchObject({ provinces: [provinceA] });
      const listed = (await fx.app.inject({ method: 'GET', url: `/api/exchange/grants?clientId=${encodeURIComponent(provincial.clientId)}`, headers: admin })).json<{ items: { provinces: string[] }[] }>();
      expect(listed.items.map((g) => g.provinces)).toEqual([[provinceA]]);
      // A grant made without provinces (every earlier one) has none: every province.
      expect((await fx.app.inject({ method: 'GET', url: `/api/exchange/grants?clientId=${encodeURIComponent(agency.clientId)}`, headers: admin })).json<{ items: { provinces: string[] }[] }>().items.map((g) => g.provinces)).toEqual([[]]);

      const provincialToken = await accessToken(fx.app, provincial, fx.clock);
      const own = await startWebhookReceiver();
      const sub = (payload: Record<string, unknown>) =>
        fx.app.inject({ method: 'POST', url: '/x/subscriptions', headers: { authorization: `Bearer ${provincialToken}` }, payload: { url: own.url, kinds: ['residence_change'], fields: ['permanentResidence'], purpose: 'TINH', officerId: provincial.officerId, ...payload } });
      for (const provinces of [[provinceB], [provinceA, provinceB]]) {
        const refused = await sub({ provinces });
        expect([refused.statusCode, refused.json<{ code: string }>().code], JSON.stringify(provinces)).toEqual([403, 'PROVINCE_NOT_GRANTED']);
        expect(refused.json()).toMatchObject({ errors: [{ provinces: [provinceB] }] });
      }
      // None named: the granted provinces, not every province.
      const res = await sub({});
      expect(res.statusCode, res.body).toBe(201);
      const subscription = res.json<{ subscriptionId: string; provinces: string[] }>();
      expect(subscription.provinces).toEqual([provinceA]);

      const lifeSeq = async (): Promise<number> => (await fx.database.db.selectFrom('life_events').select((eb) => eb.fn.max<number | null>('seq').as('seq')).executeTakeFirstOrThrow()).seq ?? 0;
      const feedFrom = await lifeSeq();
      const [x, y] = [person(), person()];
      const into = (await move(x, communeA?.code)).event;
      const within = (await move(x, communeA?.code)).event;
      // A move out of the granted province concerns it: released (the agency learns the person left).
      const out = (await move(x, communeB?.code)).event;
      await move(y, communeB?.code);
      const elsewhere = (await move(y, communeB?.code)).event;
      await waitFor(() => own.unique().has(out.eventId), 'the move out pushed');
      // The delivery path holds the grant's provinces too: a subscription row widened by other means pushes nothing outside them.
      await fx.database.db.updateTable('event_subscriptions').set({ provinces: '[]' }).where('subscription_id', '=', subscription.subscriptionId).execute();
      const widened = (await move(y, communeB?.code)).event;
      const later = (await move(x, communeA?.code)).event;
      await waitFor(() => own.unique().has(later.eventId), 'the move back pushed');
      const pushed = own.received.flatMap((r) => r.events);
      expect(pushed.filter((e) => e.personId === x).map((e) => e.eventId)).toEqual([into.eventId, within.eventId, out.eventId, later.eventId]);
      expect(pushed.some((e) => e.eventId === elsewhere.eventId || e.eventId === widened.eventId)).toBe(false);
      const widenedSeq = (await fx.database.db.selectFrom('event_outbox').select('seq').where('event_id', '=', widened.eventId).executeTakeFirstOrThrow()).seq;
      expect(await fx.database.db.selectFrom('event_deliveries').select('seq').where('subscription_id', '=', subscription.subscriptionId).where('seq', '=', widenedSeq).execute()).toEqual([]);
      expect((await recordsOf(subscription.subscriptionId)).some((r) => r.personId === y && r.requestId.endsWith(`/${widenedSeq}`))).toBe(false);

      // The pull feed under the same grant: the same events, nothing of people only outside the province.
      const feedHeaders = callHeaders(provincialToken, provincial, { 'x-purpose': 'TINH' });
      const feed = await fx.app.inject({ method: 'POST', url: '/x/services/changes', headers: feedHeaders, payload: { since: feedFrom, limit: 100 } });
      expect(feed.statusCode, feed.body).toBe(200);
      const items = feed.json<{ result: { items: { seq: number; personId: string }[] } }>().result.items;
      const ids = await fx.database.db.selectFrom('life_events').select(['seq', 'event_id']).where('seq', 'in', items.map((i) => i.seq)).execute();
      const feedIds = new Set(ids.map((r) => r.event_id));
      for (const e of [into, within, out, later]) expect(feedIds.has(e.eventId), e.eventId).toBe(true);
      for (const e of [elsewhere, widened]) expect(feedIds.has(e.eventId), e.eventId).toBe(false);
      // Each released event is an access record of the call; the unreleased ones are not.
      expect((await accessRecordsFor(fx, feedHeaders['x-request-id'] ?? '')).map((r) => r.personId)).toEqual(items.map((i) => i.personId));
      // Under a grant of every province the feed has them all.
      const everyFeed = await fx.app.inject({ method: 'POST', url: '/x/services/changes', headers: callHeaders(token, agency, { 'x-purpose': 'BHXH_UPDATE' }), payload: { since: feedFrom, limit: 100 } });
      expect(everyFeed.json<{ result: { items: unknown[] } }>().result.items.length).toBeGreaterThanOrEqual(items.length + 2);
      await fx.app.inject({ method: 'POST', url: `/x/subscriptions/${subscription.subscriptionId}/pause`, headers: { authorization: `Bearer ${provincialToken}` } });
      await own.close();
    });

    it('refuses kinds or fields not granted, unknown kinds and provinces, plain http elsewhere, and callers without a changes grant; nothing is written', async () => {
      const refusals = [
        [{ url: receiver.url, kinds: ['birth_registration'] }, 403, 'FIELD_NOT_GRANTED'],
        [{ url: receiver.url, kinds: ['death'], fields: ['fullName'] }, 403, 'FIELD_NOT_GRANTED'],
        [{ url: receiver.url, kinds: ['wedding'] }, 400, 'EVENT_KIND_UNKNOWN'],
        [{ url: receiver.url, kinds: ['death'], fields: ['shoeSize'] }, 400, 'FIELD_UNKNOWN'],
        [{ url: receiver.url, kinds: ['death'], provinces: ['99'] }, 400, 'PROVINCE_UNKNOWN'],
        [{ url: 'http://agency.example.vn/hook', kinds: ['death'] }, 400, 'WEBHOOK_URL_INVALID'],
        [{ url: 'https://user:pw@agency.example.vn/hook', kinds: ['death'] }, 400, 'WEBHOOK_URL_INVALID'],
        [{ url: receiver.url, kinds: ['death'], purpose: 'OTHER' }, 403, 'PURPOSE_NOT_GRANTED'],
        [{ url: receiver.url, kinds: ['death'], officerId: 'nobody' }, 403, 'OFFICER_UNKNOWN'],
        [{ url: receiver.url, kinds: ['death'], fromSeq: 10_000_000 }, 400, 'CURSOR_INVALID'],
      ] as const;
      const before = await fx.database.db.selectFrom('event_subscriptions').select('subscription_id').execute();
      for (const [payload, status, code] of refusals) {
        const res = await subscribe(payload);
        expect([res.statusCode, res.json<{ code: string }>().code], JSON.stringify(payload)).toEqual([status, code]);
      }
      expect(await fx.database.db.selectFrom('event_subscriptions').select('subscription_id').execute()).toEqual(before);
      const other = await makeAgencyKeys('VN/GOV/BTC/tax');
      await onboard(fx.app, other);
      await grant(fx.app, other.clientId, { service: 'verify', fields: ['fullName'] });
      const otherToken = await accessToken(fx.app, other, fx.clock);
      expect((await subscribe({ url: receiver.url, kinds: ['death'] }, otherToken)).json()).toMatchObject({ status: 403, code: 'SERVICE_NOT_GRANTED' });
      expect((await fx.app.inject({ method: 'GET', url: '/x/subscriptions' })).statusCode).toBe(401);
    });

    it('pauses a subscription whose changes grant was revoked: nothing more is pushed or recorded', async () => {
      const other = await makeAgencyKeys('VN/GOV/BHYT/events');
      await onboard(fx.app, other);
      const { grantId } = await grant(fx.app, other.clientId, { service: 'changes', fields: ['residence_change'], purposes: [{ code: 'BHYT', text: 'Cập nhật thẻ bảo hiểm y tế' }] });
      const otherToken = await accessToken(fx.app, other, fx.clock);
      const own = await startWebhookReceiver();
      const res = await fx.app.inject({ method: 'POST', url: '/x/subscriptions', headers: { authorization: `Bearer ${otherToken}` }, payload: { url: own.url, kinds: ['residence_change'], purpose: 'BHYT', officerId: other.officerId } });
      expect(res.statusCode, res.body).toBe(201);
      const sub = res.json<{ subscriptionId: string }>();
      const revoked = await fx.app.inject({ method: 'POST', url: `/api/exchange/grants/${grantId}/revoke`, headers: await exchangeAdminHeaders(fx.app) });
      expect(revoked.statusCode, revoked.body).toBeLessThan(300);
      await move(person());
      await waitFor(async () => (await fx.database.db.selectFrom('event_subscriptions').select('status').where('subscription_id', '=', sub.subscriptionId).executeTakeFirstOrThrow()).status === 'paused', 'the pause');
      const row = await fx.database.db.selectFrom('event_subscriptions').select('last_error').where('subscription_id', '=', sub.subscriptionId).executeTakeFirstOrThrow();
      expect(row.last_error).toMatch(/^GRANT_NOT_VALID/);
      expect(own.received).toEqual([]);
      expect(await recordsOf(sub.subscriptionId)).toEqual([]);
      await own.close();
    });

    it('retries a failing endpoint, dead-letters the event after the last attempt, and replays from a cursor', async () => {
      const failing = await startWebhookReceiver();
      failing.status = () => 503;
      const res = await subscribe({ url: failing.url, kinds: ['residence_change'] });
      const sub = res.json<{ subscriptionId: string }>();
      const first = (await move(person())).event;
      const second = (await move(person())).event;
      const headers = { authorization: `Bearer ${token}` };
      await waitFor(async () => (await fx.app.inject({ method: 'GET', url: `/x/subscriptions/${sub.subscriptionId}`, headers })).json<{ status: string }>().status === 'dead_letter', 'the dead letter');
      const dead = (await fx.app.inject({ method: 'GET', url: `/x/subscriptions/${sub.subscriptionId}/deliveries?status=dead`, headers })).json<{ items: { eventId: string; attempts: number; lastError: string }[] }>();
      expect(dead.items).toMatchObject([{ eventId: first.eventId, attempts: 3, lastError: 'HTTP 503' }]);
      expect(failing.received).toEqual([]);
      // Access records were written once, before the first attempt, not per attempt.
      expect((await recordsOf(sub.subscriptionId)).length).toBe(2);
      failing.status = () => 200;
      const seqOf = async (eventId: string): Promise<number> => (await fx.database.db.selectFrom('event_outbox').select('seq').where('event_id', '=', eventId).executeTakeFirstOrThrow()).seq;
      const replay = await fx.app.inject({ method: 'POST', url: `/x/subscriptions/${sub.subscriptionId}/replay`, headers, payload: { fromSeq: (await seqOf(first.eventId)) - 1 } });
      expect(replay.json()).toMatchObject({ status: 'active', lastError: null });
      await waitFor(() => failing.unique().has(second.eventId), 'the replayed events');
      expect(failing.received.flatMap((r) => r.events.map((e) => e.eventId))).toEqual([first.eventId, second.eventId]);
      // A replay from a delivered cursor sends the later events again: the agency de-duplicates by event id.
      await fx.app.inject({ method: 'POST', url: `/x/subscriptions/${sub.subscriptionId}/replay`, headers, payload: { fromSeq: await seqOf(first.eventId) } });
      await waitFor(() => failing.received.flatMap((r) => r.events).length === 3, 'the second replay');
      expect([...failing.unique()]).toEqual([first.eventId, second.eventId]);
      expect((await fx.app.inject({ method: 'POST', url: `/x/subscriptions/${sub.subscriptionId}/replay`, headers, payload: { fromSeq: 99_999_999 } })).json()).toMatchObject({ code: 'CURSOR_INVALID' });
      await failing.close();
    });
  });
}
