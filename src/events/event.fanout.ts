import type { Kysely } from 'kysely';
import type { Executor } from '../registry/person.repository.js';
import type { Clock } from '../shared/clock.js';
import type { DB } from '../store/database.types.js';
import type { ChangeEvent } from './change-event.js';
import { eventCursorRepository, outboxRepository } from './outbox.repository.js';
import { deliveryRepository, subscriptionRepository, takes } from './subscription.repository.js';

/**
 * Adds a pending delivery for each subscription that takes each event. Idempotent: an event
 * fanned out again adds nothing (the delivery's key is subscription and seq).
 */
export async function fanOut(trx: Executor, events: readonly ChangeEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  const subscriptions = await subscriptionRepository.all(trx);
  const rows: { subscriptionId: string; seq: number; eventId: string }[] = [];
  for (const e of events) {
    for (const s of subscriptions) if (takes(s, e)) rows.push({ subscriptionId: s.subscriptionId, seq: e.seq, eventId: e.eventId });
  }
  await deliveryRepository.addPending(trx, rows);
  return rows.length;
}

/** The outbox cursor of the embedded fan-out (without NATS). */
export const fanoutCursor = 'fanout';

/**
 * The embedded source (no NATS_URL): fans out the outbox directly, a batch a transaction, its
 * cursor advanced in the same transaction as the deliveries it added.
 */
export class OutboxFanout {
  constructor(private readonly deps: { readonly db: Kysely<DB>; readonly clock: Clock; readonly batch?: number }) {}

  /** One batch; resolves with the number of events read (0: caught up). */
  async pass(): Promise<number> {
    // A look without a transaction first: an idle pass costs two reads, not a write transaction.
    const seen = await eventCursorRepository.read(this.deps.db, fanoutCursor);
    if ((await outboxRepository.after(this.deps.db, seen, 1)).length === 0) return 0;
    return this.deps.db.transaction().execute(async (trx) => {
      const from = await eventCursorRepository.read(trx, fanoutCursor);
      const events = await outboxRepository.after(trx, from, this.deps.batch ?? 1_000);
      const last = events.at(-1);
      if (last === undefined) return 0;
      await fanOut(trx, events);
      await eventCursorRepository.advance(trx, fanoutCursor, last.seq, this.deps.clock.now().toISOString());
      return events.length;
    });
  }
}
