import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { compactVerify, importJWK, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import type { AccessLog, AccessRecordInput } from '../src/audit/access-log.types.js';
import type { OutboxEntry } from '../src/events/change-event.js';
import { OutboxFanout } from '../src/events/event.fanout.js';
import { outboxRepository } from '../src/events/outbox.repository.js';
import { subscriptionRepository } from '../src/events/subscription.repository.js';
import { WebhookDeliverer, type WebhookBody } from '../src/events/webhook.deliverer.js';
import { systemClock } from '../src/shared/clock.js';
import { faultGrant } from './change-events.harness.js';
import { createTestDatabase, dialects } from './test-database.js';

/** What an agency runs, with jose only: the detached payload put back between the dots, checked against the published JWK. */
async function agencyVerifies(body: string, signature: string, jwk: JWK): Promise<Record<string, unknown> | undefined> {
  const [header = '', detached, sig = ''] = signature.split('.');
  if (detached !== '') return undefined;
  try {
    const { protectedHeader } = await compactVerify(`${header}.${Buffer.from(body).toString('base64url')}.${sig}`, await importJWK(jwk, 'EdDSA'), { algorithms: ['EdDSA'] });
    return protectedHeader;
  } catch {
    return undefined;
  }
}

for (const dialect of dialects) {
  describe(`a batched webhook delivery on ${dialect}`, () => {
    it('carries several events in one signed body that jose verifies, in seq order per person, each with its id and an access record', async () => {
      const database = await createTestDatabase(dialect);
      try {
        const people = ['001085000001', '001085000002', '001085000003'];
        const entries: OutboxEntry[] = Array.from({ length: 30 }, (_, i) => ({
          eventId: randomUUID(), personId: people[i % 3] ?? '', type: i % 10 === 9 ? 'death' : 'residence_change', occurredOn: '2026-11-01',
          recordedAt: new Date(Date.UTC(2026, 10, 1) + i).toISOString(), provinces: ['01'],
          data: { permanentResidence: { communeCode: '00004', address: `Số ${String(i)}` }, fullName: 'Nguyễn Văn A' },
        }));
        await database.db.transaction().execute((trx) => outboxRepository.append(trx, entries));
        const subscriptionId = randomUUID();
        const at = new Date().toISOString();
        await subscriptionRepository.insert(database.db, {
          subscriptionId, clientId: faultGrant.clientId, grantId: faultGrant.grantId, officerId: 'officer-1', purposeCode: 'BHXH_UPDATE',
          kinds: ['residence_change'], fields: ['permanentResidence'], provinces: [], url: 'http://127.0.0.1:9/events', status: 'active', fromSeq: 0, lastError: null, createdAt: at, updatedAt: at,
        });
        await new OutboxFanout({ db: database.db, clock: systemClock }).pass();

        const records: AccessRecordInput[] = [];
        const accessLog: AccessLog = {
          append: () => Promise.reject(new Error('not used')),
          appendMany: (r) => { records.push(...r); return Promise.resolve([]); },
          close: () => Promise.resolve(),
        };
        const requests: { body: string; headers: Readonly<Record<string, string>> }[] = [];
        const { privateKey, publicKey } = generateKeyPairSync('ed25519');
        const deliverer = new WebhookDeliverer({
          db: database.db, clock: systemClock, accessLog, keyId: 'consent-signing-1', privateKey,
          grantOf: () => Promise.resolve(faultGrant), agencyOf: () => Promise.resolve('Bảo hiểm xã hội Việt Nam'),
          post: (_url, body, headers) => { requests.push({ body, headers }); return Promise.resolve(200); },
        });
        expect(await deliverer.pass()).toBe(27);
        expect(requests).toHaveLength(1);
        const [request] = requests;
        if (request === undefined) throw new Error('no request');

        // The signature, checked the way an agency would with jose and the published key alone.
        const jwk = { ...(publicKey.export({ format: 'jwk' }) as JWK), kid: 'consent-signing-1' };
        const signature = request.headers['x-sachsong-signature'] ?? '';
        expect(await agencyVerifies(request.body, signature, jwk)).toMatchObject({ alg: 'EdDSA', kid: 'consent-signing-1', typ: 'sachsong-events+jws', sub: subscriptionId });
        // Any change to the body (one event dropped, two swapped) fails.
        const body = JSON.parse(request.body) as WebhookBody;
        const [first, second, ...rest] = body.events;
        expect(await agencyVerifies(JSON.stringify({ ...body, events: [first, ...rest] }), signature, jwk)).toBeUndefined();
        expect(await agencyVerifies(JSON.stringify({ ...body, events: [second, first, ...rest] }), signature, jwk)).toBeUndefined();
        expect(await agencyVerifies(request.body, signature, { ...(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }) as JWK) })).toBeUndefined();

        // Several events, each under its own id (the agency's de-duplication key), in seq order, so each person's in commit order.
        const moves = entries.filter((e) => e.type === 'residence_change');
        expect(body.events.map((e) => e.eventId)).toEqual(moves.map((e) => e.eventId));
        const seqs = body.events.map((e) => e.seq);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        expect(request.headers['idempotency-key']).toBe(`${subscriptionId}:${String(seqs[0])}-${String(seqs.at(-1))}`);
        // Only the subscribed field leaves.
        for (const e of body.events) expect(Object.keys(e.data)).toEqual(['permanentResidence']);

        // One access record per delivered event, naming exactly what was sent.
        expect(records.map((r) => r.requestId)).toEqual(seqs.map((s) => `${subscriptionId}/${String(s)}`));
        expect(records.map((r) => r.personId)).toEqual(body.events.map((e) => e.personId));
        for (const r of records) expect(r.fields).toEqual(['type', 'occurredOn', 'permanentResidence']);

        // Delivered: nothing sent or recorded again.
        expect(await deliverer.pass()).toBe(0);
        expect(requests).toHaveLength(1);
        expect(records).toHaveLength(27);
      } finally {
        await database.close();
      }
    }, 30_000);
  });
}
