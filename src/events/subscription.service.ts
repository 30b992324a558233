import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ClientEntry } from '../exchange/exchange.directory.js';
import type { Grant } from '../exchange/exchange.types.js';
import { changeKinds, personFields } from '../exchange/service.catalog.js';
import { adminUnitCatalog } from '../registry/admin-unit.catalog.js';
import type { Clock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import { outboxRepository } from './outbox.repository.js';
import { deliveryRepository, subscriptionRepository, takes } from './subscription.repository.js';
import type { Delivery, DeliveryStatus, Subscription } from './subscription.types.js';

export interface SubscriptionInput {
  readonly url: string;
  readonly kinds: readonly string[];
  readonly fields?: readonly string[] | undefined;
  readonly provinces?: readonly string[] | undefined;
  readonly purpose: string;
  readonly officerId: string;
  /** Deliver events after this outbox seq; default: only events from now on. */
  readonly fromSeq?: number | undefined;
}

export interface SubscriptionView extends Subscription {
  readonly deliveries: Readonly<Record<DeliveryStatus, number>>;
}

export interface SubscriptionServiceDeps {
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  readonly client: (clientId: string) => Promise<ClientEntry | undefined>;
  /** Plain http is allowed to these hosts only (tests, an agency's gateway on the same host); default loopback. */
  readonly plainHttpHosts?: readonly string[];
}

const loopback = ['127.0.0.1', 'localhost', '[::1]'];

/** Agencies' push subscriptions under their `changes` grant: create, read, pause, resume, replay. */
export class SubscriptionService {
  constructor(private readonly deps: SubscriptionServiceDeps) {}

  async create(clientId: string, input: SubscriptionInput): Promise<Subscription> {
    const entry = await this.entry(clientId);
    const at = this.deps.clock.now().toISOString();
    const grant = grantFor(entry, input.purpose, at);
    if (!entry.officers.has(input.officerId)) {
      const member = entry.member.memberId;
      throw new DomainError('forbidden', 'OFFICER_UNKNOWN', 'this officer is not registered for the client’s member', `Ask the exchange operators to register the officer: sachsong agency officer ${member} ${input.officerId.slice(0, 128)} --name "<full name>" (or POST /api/exchange/members/${member}/officers)`);
    }
    const kinds = [...new Set(input.kinds)];
    const fields = [...new Set(input.fields ?? [])];
    const provinces = [...new Set(input.provinces ?? [])];
    const unknownKinds = kinds.filter((k) => !changeKinds.includes(k));
    if (kinds.length === 0 || unknownKinds.length > 0) {
      throw new DomainError('invalid', 'EVENT_KIND_UNKNOWN', kinds.length === 0 ? 'a subscription names at least one event kind' : `unknown event kinds: ${unknownKinds.join(', ').slice(0, 200)}`, `Choose from: ${changeKinds.join(', ')}`);
    }
    const unknownFields = fields.filter((f) => !personFields.includes(f));
    if (unknownFields.length > 0) throw new DomainError('invalid', 'FIELD_UNKNOWN', `unknown fields: ${unknownFields.join(', ').slice(0, 200)}`, `Choose from: ${personFields.join(', ')}`);
    const notGranted = [...kinds, ...fields].filter((f) => !grant.fields.includes(f));
    if (notGranted.length > 0) {
      throw new DomainError('forbidden', 'FIELD_NOT_GRANTED', `not granted to this client: ${notGranted.join(', ').slice(0, 200)}`, 'Subscribe to the granted kinds and fields only, or ask the exchange operators to extend the grant', { fields: notGranted });
    }
    const known = new Set(adminUnitCatalog().provinces(at.slice(0, 10)).map((p) => p.code));
    const badProvinces = provinces.filter((p) => !known.has(p));
    if (badProvinces.length > 0) throw new DomainError('invalid', 'PROVINCE_UNKNOWN', `unknown province codes: ${badProvinces.join(', ').slice(0, 100)}`, 'Give 2-digit province codes in force today (GET /api/admin-units/provinces)');
    const outside = grant.provinces.length === 0 ? [] : provinces.filter((p) => !grant.provinces.includes(p));
    if (outside.length > 0) {
      throw new DomainError('forbidden', 'PROVINCE_NOT_GRANTED', `provinces not granted to this client: ${outside.join(', ').slice(0, 100)}`, `Subscribe to the granted provinces only (${grant.provinces.join(', ').slice(0, 200)}), or ask the exchange operators to extend the grant`, { provinces: outside.slice(0, 20) });
    }
    this.checkUrl(input.url);
    const last = await outboxRepository.last(this.deps.db);
    if (input.fromSeq !== undefined && (!Number.isSafeInteger(input.fromSeq) || input.fromSeq < 0 || input.fromSeq > last)) {
      throw new DomainError('invalid', 'CURSOR_INVALID', `fromSeq must be a whole number from 0 to ${last}`, 'Give an event seq already seen, or leave it out to receive new events only');
    }
    const subscription: Subscription = {
      subscriptionId: randomUUID(),
      clientId,
      grantId: grant.grantId,
      officerId: input.officerId,
      purposeCode: input.purpose,
      kinds,
      fields,
      // None named under a grant of some provinces: the granted ones (never every province).
      provinces: provinces.length === 0 ? [...grant.provinces] : provinces,
      url: input.url,
      status: 'active',
      fromSeq: input.fromSeq ?? last,
      lastError: null,
      createdAt: at,
      updatedAt: at,
    };
    await this.deps.db.transaction().execute(async (trx) => {
      await subscriptionRepository.insert(trx, subscription);
      // Events before the fan-out reached the subscription are queued here; the fan-out adds the rest (never twice).
      if (subscription.fromSeq < last) await this.requeue(trx, subscription, last);
    });
    return subscription;
  }

  async list(clientId: string): Promise<readonly Subscription[]> {
    return subscriptionRepository.all(this.deps.db, clientId);
  }

  async get(clientId: string, subscriptionId: string): Promise<SubscriptionView> {
    const s = await this.own(clientId, subscriptionId);
    return { ...s, deliveries: await deliveryRepository.counts(this.deps.db, subscriptionId) };
  }

  async deliveries(clientId: string, subscriptionId: string, status: DeliveryStatus | undefined, afterSeq: number, limit: number): Promise<readonly Delivery[]> {
    await this.own(clientId, subscriptionId);
    return deliveryRepository.list(this.deps.db, subscriptionId, status, afterSeq, Math.min(Math.max(limit, 1), 1_000));
  }

  async pause(clientId: string, subscriptionId: string): Promise<Subscription> {
    await this.own(clientId, subscriptionId);
    await subscriptionRepository.setStatus(this.deps.db, subscriptionId, 'paused', this.deps.clock.now().toISOString(), null);
    return this.own(clientId, subscriptionId);
  }

  /**
   * Delivers again every event after `fromSeq` that the subscription takes (delivered and dead
   * ones too), in order, and resumes a paused or dead-lettered subscription.
   */
  async replay(clientId: string, subscriptionId: string, fromSeq: number): Promise<Subscription> {
    const s = await this.own(clientId, subscriptionId);
    const at = this.deps.clock.now().toISOString();
    grantFor(await this.entry(clientId), s.purposeCode, at);
    const last = await outboxRepository.last(this.deps.db);
    if (!Number.isSafeInteger(fromSeq) || fromSeq < 0 || fromSeq > last) {
      throw new DomainError('invalid', 'CURSOR_INVALID', `fromSeq must be a whole number from 0 to ${last}`, 'Give the seq of the last event you applied');
    }
    await this.deps.db.transaction().execute(async (trx) => {
      await subscriptionRepository.setFrom(trx, subscriptionId, fromSeq, at);
      await this.requeue(trx, { ...s, fromSeq }, last);
    });
    return this.own(clientId, subscriptionId);
  }

  private async requeue(trx: Kysely<DB>, s: Subscription, upTo: number): Promise<void> {
    for (let from = s.fromSeq; from < upTo;) {
      const events = await outboxRepository.after(trx, from, 2_000);
      const inRange = events.filter((e) => e.seq <= upTo);
      const lastSeen = inRange.at(-1);
      if (lastSeen === undefined) break;
      await deliveryRepository.requeue(trx, inRange.filter((e) => takes(s, e)).map((e) => ({ subscriptionId: s.subscriptionId, seq: e.seq, eventId: e.eventId })));
      from = lastSeen.seq;
    }
  }

  private async own(clientId: string, subscriptionId: string): Promise<Subscription> {
    const s = await subscriptionRepository.find(this.deps.db, subscriptionId);
    if (s === undefined || s.clientId !== clientId) throw new DomainError('not_found', 'SUBSCRIPTION_NOT_FOUND', 'this client has no subscription with this id', 'List your subscriptions');
    return s;
  }

  private async entry(clientId: string): Promise<ClientEntry> {
    const entry = await this.deps.client(clientId);
    if (entry === undefined) throw new DomainError('unauthorized', 'CLIENT_UNKNOWN', 'the client of this token is no longer registered', 'Ask the exchange operators');
    return entry;
  }

  private checkUrl(url: string): void {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw badUrl('not a URL');
    }
    if (parsed.username !== '' || parsed.password !== '') throw badUrl('credentials in the URL');
    const plainOk = (this.deps.plainHttpHosts ?? loopback).includes(parsed.hostname);
    if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && plainOk)) throw badUrl('not https');
  }
}

function badUrl(why: string): DomainError {
  return new DomainError('invalid', 'WEBHOOK_URL_INVALID', `the webhook URL is refused: ${why}`, 'Give an https:// URL without credentials');
}

/** The client's `changes` grant in force now with this purpose. */
function grantFor(entry: ClientEntry, purpose: string, at: string): Grant {
  const grants = (entry.grants.get('changes') ?? []).filter((g) => g.validFrom <= at && at < g.validUntil);
  if (grants.length === 0) throw new DomainError('forbidden', 'SERVICE_NOT_GRANTED', 'this client has no changes grant in force', 'Ask the exchange operators for a grant');
  const grant = grants.find((g) => g.purposes.some((p) => p.code === purpose));
  if (grant === undefined) throw new DomainError('forbidden', 'PURPOSE_NOT_GRANTED', `purpose ${purpose.slice(0, 64)} is not granted for changes`, 'State one of the purposes of your grant');
  return grant;
}
