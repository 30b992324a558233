import type { Selectable } from 'kysely';
import type { Executor } from '../registry/person.repository.js';
import type { ChangeEvent } from './change-event.js';
import type { EventDeliveriesTable, EventSubscriptionsTable } from './events.tables.js';
import type { Delivery, DeliveryStatus, Subscription, SubscriptionStatus } from './subscription.types.js';

function subscriptionOf(r: Selectable<EventSubscriptionsTable>): Subscription {
  return {
    subscriptionId: r.subscription_id,
    clientId: r.client_id,
    grantId: r.grant_id,
    officerId: r.officer_id,
    purposeCode: r.purpose_code,
    kinds: JSON.parse(r.kinds) as string[],
    fields: JSON.parse(r.fields) as string[],
    provinces: JSON.parse(r.provinces) as string[],
    url: r.url,
    status: r.status as SubscriptionStatus,
    fromSeq: r.from_seq,
    lastError: r.last_error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function deliveryOf(r: Selectable<EventDeliveriesTable>): Delivery {
  return {
    subscriptionId: r.subscription_id,
    seq: r.seq,
    eventId: r.event_id,
    status: r.status as DeliveryStatus,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    recorded: r.recorded === 1,
    deliveredAt: r.delivered_at,
    lastError: r.last_error,
  };
}

export const subscriptionRepository = {
  async insert(db: Executor, s: Subscription): Promise<void> {
    await db.insertInto('event_subscriptions').values({
      subscription_id: s.subscriptionId,
      client_id: s.clientId,
      grant_id: s.grantId,
      officer_id: s.officerId,
      purpose_code: s.purposeCode,
      kinds: JSON.stringify(s.kinds),
      fields: JSON.stringify(s.fields),
      provinces: JSON.stringify(s.provinces),
      url: s.url,
      status: s.status,
      from_seq: s.fromSeq,
      last_error: s.lastError,
      created_at: s.createdAt,
      updated_at: s.updatedAt,
    }).execute();
  },

  async find(db: Executor, subscriptionId: string): Promise<Subscription | undefined> {
    const row = await db.selectFrom('event_subscriptions').selectAll().where('subscription_id', '=', subscriptionId).executeTakeFirst();
    return row === undefined ? undefined : subscriptionOf(row);
  },

  async all(db: Executor, clientId?: string): Promise<readonly Subscription[]> {
    let q = db.selectFrom('event_subscriptions').selectAll();
    if (clientId !== undefined) q = q.where('client_id', '=', clientId);
    return (await q.orderBy('created_at').orderBy('subscription_id').execute()).map(subscriptionOf);
  },

  async setStatus(db: Executor, subscriptionId: string, status: SubscriptionStatus, at: string, lastError: string | null): Promise<void> {
    await db.updateTable('event_subscriptions').set({ status, updated_at: at, last_error: lastError }).where('subscription_id', '=', subscriptionId).execute();
  },

  async setFrom(db: Executor, subscriptionId: string, fromSeq: number, at: string): Promise<void> {
    await db.updateTable('event_subscriptions').set({ from_seq: fromSeq, status: 'active', last_error: null, updated_at: at }).where('subscription_id', '=', subscriptionId).execute();
  },
};

/** Whether a subscription takes an event: its kind, and (when provinces are named) one of its provinces. */
export function takes(s: Subscription, e: ChangeEvent): boolean {
  if (e.seq <= s.fromSeq || !s.kinds.includes(e.type)) return false;
  return s.provinces.length === 0 || e.provinces.some((p) => s.provinces.includes(p));
}

export const deliveryRepository = {
  /**
   * Adds a pending delivery per (subscription, event) not yet there: an event fanned out twice
   * (a JetStream redelivery, a fan-out after a crash) is added once.
   */
  async addPending(db: Executor, rows: readonly { readonly subscriptionId: string; readonly seq: number; readonly eventId: string }[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 2_000) {
      await db
        .insertInto('event_deliveries')
        .values(rows.slice(i, i + 2_000).map((r) => ({
          subscription_id: r.subscriptionId, seq: r.seq, event_id: r.eventId, status: 'pending', attempts: 0, next_attempt_at: 0, recorded: 0, delivered_at: null, last_error: null,
        })))
        .onConflict((oc) => oc.columns(['subscription_id', 'seq']).doNothing())
        .execute();
    }
  },

  /** A replay: these events are pending again for the subscription (delivered or dead ones too). */
  async requeue(db: Executor, rows: readonly { readonly subscriptionId: string; readonly seq: number; readonly eventId: string }[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 2_000) {
      await db
        .insertInto('event_deliveries')
        .values(rows.slice(i, i + 2_000).map((r) => ({
          subscription_id: r.subscriptionId, seq: r.seq, event_id: r.eventId, status: 'pending', attempts: 0, next_attempt_at: 0, recorded: 0, delivered_at: null, last_error: null,
        })))
        .onConflict((oc) => oc.columns(['subscription_id', 'seq']).doUpdateSet({ status: 'pending', attempts: 0, next_attempt_at: 0, last_error: null }))
        .execute();
    }
  },

  /** The subscription's next pending deliveries, in seq order. */
  async pending(db: Executor, subscriptionId: string, limit: number): Promise<readonly Delivery[]> {
    const rows = await db.selectFrom('event_deliveries').selectAll()
      .where('status', '=', 'pending').where('subscription_id', '=', subscriptionId)
      .orderBy('seq').limit(limit).execute();
    return rows.map(deliveryOf);
  },

  async list(db: Executor, subscriptionId: string, status: DeliveryStatus | undefined, afterSeq: number, limit: number): Promise<readonly Delivery[]> {
    let q = db.selectFrom('event_deliveries').selectAll().where('subscription_id', '=', subscriptionId).where('seq', '>', afterSeq);
    if (status !== undefined) q = q.where('status', '=', status);
    return (await q.orderBy('seq').limit(limit).execute()).map(deliveryOf);
  },

  /** Deliveries that must not leave (outside the grant's provinces): removed, never sent. */
  async withhold(db: Executor, subscriptionId: string, seqs: readonly number[]): Promise<void> {
    if (seqs.length === 0) return;
    await db.deleteFrom('event_deliveries').where('subscription_id', '=', subscriptionId).where('seq', 'in', seqs).where('status', '=', 'pending').execute();
  },

  async markRecorded(db: Executor, subscriptionId: string, seqs: readonly number[]): Promise<void> {
    if (seqs.length === 0) return;
    await db.updateTable('event_deliveries').set({ recorded: 1 }).where('subscription_id', '=', subscriptionId).where('seq', 'in', seqs).execute();
  },

  async markDelivered(db: Executor, subscriptionId: string, seqs: readonly number[], at: string): Promise<void> {
    if (seqs.length === 0) return;
    await db.updateTable('event_deliveries').set((eb) => ({ status: 'delivered', delivered_at: at, attempts: eb('attempts', '+', 1), last_error: null }))
      .where('subscription_id', '=', subscriptionId).where('seq', 'in', seqs).where('status', '=', 'pending').execute();
  },

  async markFailed(db: Executor, subscriptionId: string, seqs: readonly number[], nextAttemptAt: number, error: string, dead: boolean): Promise<void> {
    if (seqs.length === 0) return;
    await db.updateTable('event_deliveries')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), next_attempt_at: nextAttemptAt, last_error: error, ...(dead ? { status: 'dead' } : {}) }))
      .where('subscription_id', '=', subscriptionId).where('seq', 'in', seqs).where('status', '=', 'pending').execute();
  },

  async counts(db: Executor, subscriptionId: string): Promise<Readonly<Record<DeliveryStatus, number>>> {
    const rows = await db.selectFrom('event_deliveries').select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('subscription_id', '=', subscriptionId).groupBy('status').execute();
    const out: Record<DeliveryStatus, number> = { pending: 0, delivered: 0, dead: 0 };
    for (const r of rows) out[r.status as DeliveryStatus] = r.n;
    return out;
  },
};
