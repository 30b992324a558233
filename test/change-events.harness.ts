import { openAccessLog } from '../src/audit/access-log.service.js';
import type { AccessLog } from '../src/audit/access-log.types.js';
import { EventDispatcher, type EventDispatcherDeps } from '../src/events/event.dispatcher.js';
import type { JetStreamLink } from '../src/events/jetstream.link.js';
import { subscriptionRepository } from '../src/events/subscription.repository.js';
import { WebhookDeliverer, type WebhookDelivererDeps } from '../src/events/webhook.deliverer.js';
import type { Grant } from '../src/exchange/exchange.types.js';
import { adminUnitCatalog } from '../src/registry/admin-unit.catalog.js';
import { RegistryService } from '../src/registry/registry.service.js';
import { systemClock } from '../src/shared/clock.js';
import type { Database } from '../src/store/database.js';
import { generateKeyPairSync } from 'node:crypto';

/** The grant the fault tests' subscription rests on (the deliverer is given it; no exchange is assembled). */
export const faultGrant: Grant = {
  grantId: '00000000-0000-4000-8000-00000000f001',
  clientId: 'VN/GOV/BHXH/events',
  service: 'changes',
  fields: ['residence_change', 'permanentResidence'],
  provinces: [],
  purposes: [{ code: 'BHXH_UPDATE', text: 'Cập nhật hồ sơ bảo hiểm xã hội' }],
  legalBasis: 'Luật Căn cước 2023',
  requiresConsent: false,
  deferTrackerDays: 0,
  validFrom: '2020-01-01T00:00:00.000Z',
  validUntil: '2099-01-01T00:00:00.000Z',
  ratePerMinute: 1_000_000,
  dailyCap: 1_000_000_000,
  status: 'active',
  createdAt: '2020-01-01T00:00:00.000Z',
};

export const faultSubscriptionId = '00000000-0000-4000-8000-00000000f002';

/** Subscribes the fault tests' agency to every move from the start of the outbox. */
export async function subscribeMoves(database: Database, url: string): Promise<void> {
  const at = new Date().toISOString();
  await subscriptionRepository.insert(database.db, {
    subscriptionId: faultSubscriptionId, clientId: faultGrant.clientId, grantId: faultGrant.grantId, officerId: 'officer-1', purposeCode: 'BHXH_UPDATE',
    kinds: ['residence_change'], fields: ['permanentResidence'], provinces: [], url, status: 'active', fromSeq: 0, lastError: null, createdAt: at, updatedAt: at,
  });
}

/** A dispatcher and deliverer over the store, as `serve` runs them, with short retries. */
export function startDispatch(database: Database, options: { readonly link?: JetStreamLink; readonly delivery?: Partial<WebhookDelivererDeps>; readonly onError?: (error: unknown, loop: string) => void; readonly fanOut?: EventDispatcherDeps['fanOut'] } = {}): { readonly dispatcher: EventDispatcher; readonly accessLog: AccessLog; stop(): Promise<void> } {
  const accessLog = openAccessLog(database);
  const { privateKey } = generateKeyPairSync('ed25519');
  const deliverer = new WebhookDeliverer({
    db: database.db, clock: systemClock, accessLog, keyId: 'test-key', privateKey,
    grantOf: (id) => Promise.resolve(id === faultGrant.grantId ? faultGrant : undefined),
    agencyOf: () => Promise.resolve('Bảo hiểm xã hội Việt Nam'),
    maxAttempts: 1_000, backoffMs: () => 50, timeoutMs: 2_000,
    ...options.delivery,
  });
  const dispatcher = new EventDispatcher({
    db: database.db, clock: systemClock, deliverer, pollMs: 10, ...(options.link === undefined ? {} : { link: options.link }), ...(options.fanOut === undefined ? {} : { fanOut: options.fanOut }),
    onError: (error, loop) => { if (options.onError !== undefined) options.onError(error, loop); },
  });
  dispatcher.start();
  return { dispatcher, accessLog, stop: async () => { await dispatcher.stop(); await accessLog.close(); } };
}

/** Records `count` moves (or for ever when undefined) on living people, one after another; calls `onCommit` after each. */
export async function recordMoves(database: Database, count: number | undefined, onCommit: (eventId: string) => void = () => undefined): Promise<void> {
  const registry = new RegistryService({ db: database.db, clock: systemClock });
  const people = (await database.db.selectFrom('persons').select('id_number').where('status', '=', 'alive').orderBy('id_number').limit(40).execute()).map((r) => r.id_number);
  const communes = adminUnitCatalog().communes2025().slice(0, 7).map((c) => c.code);
  for (let i = 0; count === undefined || i < count; i++) {
    const { event } = await registry.recordEvent({
      personId: people[i % people.length] ?? '', type: 'residence_change', occurredOn: '2026-01-01', officerId: 'officer-7', reason: null,
      data: { permanentCommune: communes[i % communes.length], permanentAddress: `Số ${i}` },
    });
    onCommit(event.eventId);
    // As requests arrive: a turn of the event loop between them (a loop without one holds SQLite's single connection).
    await new Promise((resolve) => setImmediate(resolve));
  }
}
