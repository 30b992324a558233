import type { Insertable, Selectable } from 'kysely';
import type { LifeEventsTable } from '../store/database.types.js';
import type { LifeEvent, LifeEventType } from './life-event.types.js';
import type { Executor } from './person.repository.js';

function fromRow(r: Selectable<LifeEventsTable>): LifeEvent {
  return {
    seq: r.seq,
    eventId: r.event_id,
    personId: r.person_id,
    type: r.event_type as LifeEventType,
    occurredOn: r.occurred_on,
    recordedAt: r.recorded_at,
    officerId: r.officer_id,
    reason: r.reason,
    data: JSON.parse(r.data) as LifeEvent['data'],
  };
}

/** The append-only life-event log: insert and read, never update or delete. */
export const lifeEventRepository = {
  async append(db: Executor, event: Omit<LifeEvent, 'seq'>): Promise<void> {
    await db.insertInto('life_events').values(lifeEventRow(event)).execute();
  },

  async appendMany(db: Executor, events: readonly Omit<LifeEvent, 'seq'>[]): Promise<void> {
    // 8 parameters a row: 2,000 rows stay under SQLite's 32,766 and PostgreSQL's 65,535.
    for (let i = 0; i < events.length; i += 2_000) {
      await db.insertInto('life_events').values(events.slice(i, i + 2_000).map(lifeEventRow)).execute();
    }
  },

  async byEventId(db: Executor, eventId: string): Promise<LifeEvent> {
    return fromRow(await db.selectFrom('life_events').selectAll().where('event_id', '=', eventId).executeTakeFirstOrThrow());
  },

  /** A person's events in the order they were recorded; `recordedUpTo` bounds them for history. */
  async forPerson(db: Executor, personId: string, recordedUpTo?: string): Promise<readonly LifeEvent[]> {
    let q = db.selectFrom('life_events').selectAll().where('person_id', '=', personId);
    if (recordedUpTo !== undefined) q = q.where('recorded_at', '<=', recordedUpTo);
    const rows = await q.orderBy('seq').execute();
    return rows.map(fromRow);
  },

  /**
   * The change feed other modules read (the exchange's `changes` service): events of the given
   * types recorded after `since` (a seq), oldest first, at most `limit`; no event data. With
   * `provinces`, only events concerning one of them (the person's province before or after).
   */
  async changesSince(db: Executor, since: number, types: readonly string[], limit: number, provinces: readonly string[] = []): Promise<readonly LifeEventChange[]> {
    if (types.length === 0) return [];
    let q = db
      .selectFrom('life_events')
      .select(['life_events.seq', 'life_events.person_id', 'life_events.event_type', 'life_events.occurred_on', 'life_events.recorded_at'])
      .where('life_events.seq', '>', since)
      .where('life_events.event_type', 'in', types);
    if (provinces.length > 0) {
      // The provinces an event concerns are its outbox entry's (before and after it, change-event.ts):
      // an event with none (a bulk-loaded history) is not in any province's feed. Codes are 2 digits, checked by the grant.
      q = q
        .innerJoin('event_outbox', 'event_outbox.event_id', 'life_events.event_id')
        .where((eb) => eb.or(provinces.map((p) => eb('event_outbox.provinces', 'like', `%"${p}"%`))));
    }
    const rows = await q.orderBy('life_events.seq').limit(limit).execute();
    return rows.map((r) => ({ seq: r.seq, personId: r.person_id, type: r.event_type, occurredOn: r.occurred_on, recordedAt: r.recorded_at }));
  },
};

/** One entry of the change feed: what happened to whom and when, not the event's data. */
export interface LifeEventChange {
  readonly seq: number;
  readonly personId: string;
  readonly type: string;
  readonly occurredOn: string;
  readonly recordedAt: string;
}

export function lifeEventRow(e: Omit<LifeEvent, 'seq'>): Insertable<LifeEventsTable> {
  return {
    event_id: e.eventId,
    person_id: e.personId,
    event_type: e.type,
    occurred_on: e.occurredOn,
    recorded_at: e.recordedAt,
    officer_id: e.officerId,
    reason: e.reason,
    data: JSON.stringify(e.data),
  };
}
