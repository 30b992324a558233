/**
 * The change events' tables (migration 0030); `DB` in store/database.types.ts extends this interface.
 *
 * Sizes at a nation: the outbox grows by the life events (a few million a year); deliveries by
 * events times the subscriptions that take them; subscriptions in the hundreds.
 */
import type { Generated } from 'kysely';

export interface EventsTables {
  event_outbox: EventOutboxTable;
  event_cursors: EventCursorsTable;
  event_subscriptions: EventSubscriptionsTable;
  event_deliveries: EventDeliveriesTable;
}

/** One change event, written in the transaction of its life event. Append-only. */
export interface EventOutboxTable {
  /** The order of commit: per person it is the order of their events. */
  seq: Generated<number>;
  /** The life event's id: the de-duplication key everywhere (JetStream Nats-Msg-Id, deliveries). */
  event_id: string;
  person_id: string;
  event_type: string;
  /** JSON array of the 2-digit province codes the event concerns (before and after a move). */
  provinces: string;
  /** JSON array of the exchange field names the event sets. */
  fields: string;
  /** JSON of the change event (change-event.ts ChangeEvent). */
  payload: string;
  recorded_at: string;
}

/** How far a reader of the outbox has gone: `jetstream` (published and acknowledged), `fanout` (copied into deliveries). */
export interface EventCursorsTable {
  name: string;
  seq: number;
  updated_at: string;
}

/** An agency's push subscription under its `changes` grant. */
export interface EventSubscriptionsTable {
  subscription_id: string;
  client_id: string;
  grant_id: string;
  officer_id: string;
  purpose_code: string;
  /** JSON arrays: event kinds, exchange fields, 2-digit province codes (empty: every province). */
  kinds: string;
  fields: string;
  provinces: string;
  url: string;
  /** active | paused (by the agency) | dead_letter (an event failed every retry; replay resumes). */
  status: string;
  /** Events after this outbox seq are delivered (set at creation and by a replay). */
  from_seq: number;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

/** One event for one subscription. */
export interface EventDeliveriesTable {
  subscription_id: string;
  seq: number;
  event_id: string;
  /** pending | delivered | dead */
  status: string;
  attempts: number;
  /** Epoch ms before which no new attempt is made (backoff). */
  next_attempt_at: number;
  /** 1 once the access records of this delivery are in the access log (written before the first attempt). */
  recorded: number;
  delivered_at: string | null;
  last_error: string | null;
}
