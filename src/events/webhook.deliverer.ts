import type { KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AccessLog, AccessRecordInput } from '../audit/access-log.types.js';
import type { Grant } from '../exchange/exchange.types.js';
import { grantCoversProvinces } from '../exchange/grant-scope.js';
import type { Clock } from '../shared/clock.js';
import type { DB } from '../store/database.types.js';
import type { ChangeEvent } from './change-event.js';
import { outboxRepository } from './outbox.repository.js';
import { deliveryRepository, subscriptionRepository } from './subscription.repository.js';
import type { Delivery, Subscription } from './subscription.types.js';
import { signatureHeader, signWebhookBody } from './webhook-signature.js';

/** The service the access records of pushed events name (the pull feed's). */
export const changesServiceId = 'VN/GOV/BCA/REGISTRY/changes';

/** Sends one webhook request; resolves with the HTTP status (throws on a network failure). */
export type WebhookPost = (url: string, body: string, headers: Readonly<Record<string, string>>, timeoutMs: number) => Promise<number>;

export const fetchPost: WebhookPost = async (url, body, headers, timeoutMs) => {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
  await res.arrayBuffer().catch(() => undefined);
  return res.status;
};

export interface WebhookDelivererDeps {
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  readonly accessLog: AccessLog;
  /** The exchange's signing key (the consent-signing Ed25519 key, published at /x/consent-keys). */
  readonly keyId: string;
  readonly privateKey: KeyObject;
  /** The grant a subscription rests on, and the name of the client's member (the receiving agency). */
  readonly grantOf: (grantId: string) => Promise<Grant | undefined>;
  readonly agencyOf: (clientId: string) => Promise<string | undefined>;
  /** Attempts before an event is dead-lettered; default 8 (about 4 minutes of backoff). */
  readonly maxAttempts?: number;
  /** Wait before attempt n+1 after n failures; default 1 s doubling to 5 min, with ±20 % jitter. */
  readonly backoffMs?: (failures: number) => number;
  /** Events a request at most; default 200. */
  readonly batch?: number;
  readonly timeoutMs?: number;
  readonly post?: WebhookPost;
}

export const defaultBackoffMs = (failures: number): number => {
  const base = Math.min(300_000, 1_000 * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
};

/** The body agencies receive: the subscription and its events, each with only the subscribed fields. */
export interface WebhookBody {
  readonly subscriptionId: string;
  readonly events: readonly (Omit<ChangeEvent, 'provinces'>)[];
}

/**
 * Pushes pending deliveries to each active subscription's URL, in seq order, a batch a request
 * and one request in flight per subscription. Before the first attempt the access records of the
 * batch are written (the data may leave on any attempt); a 2xx marks it delivered; anything
 * else is retried with backoff, and an event that fails every attempt is dead: the subscription
 * stops (dead_letter) until the agency replays from a cursor, so no later event overtakes it.
 */
export class WebhookDeliverer {
  private readonly inFlight = new Set<string>();
  private readonly post: WebhookPost;

  constructor(private readonly deps: WebhookDelivererDeps) {
    this.post = deps.post ?? fetchPost;
  }

  /** One round over the active subscriptions; resolves with the events delivered. */
  async pass(): Promise<number> {
    const subscriptions = (await subscriptionRepository.all(this.deps.db)).filter((s) => s.status === 'active' && !this.inFlight.has(s.subscriptionId));
    const counts = await Promise.all(subscriptions.map(async (s) => {
      this.inFlight.add(s.subscriptionId);
      try {
        return await this.deliver(s);
      } finally {
        this.inFlight.delete(s.subscriptionId);
      }
    }));
    return counts.reduce((a, b) => a + b, 0);
  }

  private async deliver(listed: Subscription): Promise<number> {
    const { db, clock } = this.deps;
    // Read again: a pause or replay since the round began holds for this request.
    const s = await subscriptionRepository.find(db, listed.subscriptionId);
    if (s?.status !== 'active') return 0;
    const pending = await deliveryRepository.pending(db, s.subscriptionId, this.deps.batch ?? 200);
    const first = pending[0];
    const nowMs = clock.now().getTime();
    if (first === undefined || first.nextAttemptAt > nowMs) return 0;
    // Only the rows due together (a failed batch is retried as one).
    const due = pending.filter((d) => d.nextAttemptAt <= nowMs);
    const at = clock.now().toISOString();
    const grant = await this.deps.grantOf(s.grantId);
    if (grant === undefined || grant.status !== 'active' || at < grant.validFrom || at >= grant.validUntil) {
      await subscriptionRepository.setStatus(db, s.subscriptionId, 'paused', at, 'GRANT_NOT_VALID: the changes grant was revoked or is not in force');
      return 0;
    }
    const read = await outboxRepository.bySeqs(db, due.map((d) => d.seq));
    // The grant's provinces bound every subscription under it (subscription.service.ts); held here too, so no row
    // queued outside them (a subscription written by other means, a replay) ever leaves.
    const events = read.filter((e) => grantCoversProvinces(grant.provinces, e.provinces));
    if (events.length < read.length) {
      const kept = new Set(events.map((e) => e.seq));
      await deliveryRepository.withhold(db, s.subscriptionId, read.filter((e) => !kept.has(e.seq)).map((e) => e.seq));
    }
    const lead = due.find((d) => d.seq === events[0]?.seq);
    if (lead === undefined) return 0;
    const sent = events.map((e) => ({ eventId: e.eventId, seq: e.seq, personId: e.personId, type: e.type, occurredOn: e.occurredOn, recordedAt: e.recordedAt, data: pick(e.data, s.fields) }));
    await this.record(s, grant, due, sent, at);

    const body = JSON.stringify({ subscriptionId: s.subscriptionId, events: sent } satisfies WebhookBody);
    const seqs = events.map((e) => e.seq);
    let failure: string | undefined;
    try {
      const status = await this.post(s.url, body, {
        [signatureHeader]: signWebhookBody(body, this.deps.keyId, this.deps.privateKey, s.subscriptionId, nowMs),
        'x-sachsong-subscription': s.subscriptionId,
        'idempotency-key': `${s.subscriptionId}:${seqs[0] ?? 0}-${seqs.at(-1) ?? 0}`,
      }, this.deps.timeoutMs ?? 10_000);
      if (status < 200 || status > 299) failure = `HTTP ${status}`;
    } catch (error) {
      failure = `NETWORK: ${(error as Error).name}`;
    }
    if (failure === undefined) {
      await deliveryRepository.markDelivered(db, s.subscriptionId, seqs, clock.now().toISOString());
      return seqs.length;
    }
    const failures = lead.attempts + 1;
    const max = this.deps.maxAttempts ?? 8;
    if (failures >= max) {
      // The first event is dead; the rest of the batch stays pending behind it.
      await db.transaction().execute(async (trx) => {
        await deliveryRepository.markFailed(trx, s.subscriptionId, [lead.seq], nowMs, failure, true);
        await deliveryRepository.markFailed(trx, s.subscriptionId, seqs.slice(1), nowMs, failure, false);
        await subscriptionRepository.setStatus(trx, s.subscriptionId, 'dead_letter', at, `event ${lead.seq} failed ${failures} attempts (${failure}); replay from ${lead.seq - 1} to resume`);
      });
      return 0;
    }
    await deliveryRepository.markFailed(db, s.subscriptionId, seqs, nowMs + (this.deps.backoffMs ?? defaultBackoffMs)(failures), failure, false);
    return 0;
  }

  /** The access records of deliveries not yet recorded: durable before the request is made. */
  private async record(s: Subscription, grant: Grant, due: readonly Delivery[], sent: readonly { readonly seq: number; readonly personId: string; readonly data: Readonly<Record<string, unknown>> }[], at: string): Promise<void> {
    const unrecorded = new Set(due.filter((d) => !d.recorded).map((d) => d.seq));
    if (unrecorded.size === 0) return;
    const purpose = grant.purposes.find((p) => p.code === s.purposeCode)?.text ?? s.purposeCode;
    const receivingAgency = await this.deps.agencyOf(s.clientId);
    const visibility = grant.deferTrackerDays > 0 ? { deferredUntil: new Date(Date.parse(at) + grant.deferTrackerDays * 86_400_000).toISOString().slice(0, 10) } : ('public' as const);
    const records = sent.filter((e) => unrecorded.has(e.seq)).map((e): AccessRecordInput => ({
      personId: e.personId,
      at,
      clientId: s.clientId,
      receivingAgency,
      officerId: s.officerId,
      service: changesServiceId,
      purpose,
      legalBasis: grant.legalBasis,
      fields: ['type', 'occurredOn', ...Object.keys(e.data)],
      visibility,
      requestId: `${s.subscriptionId}/${e.seq}`,
    }));
    if (records.length > 0) await this.deps.accessLog.appendMany(records);
    await deliveryRepository.markRecorded(this.deps.db, s.subscriptionId, [...unrecorded]);
  }
}

function pick(data: Readonly<Record<string, unknown>>, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) if (f in data) out[f] = data[f];
  return out;
}
