import { PostgresAdapter, sql, type Selectable } from 'kysely';
import type { Executor } from '../registry/person.repository.js';
import { directStatement } from '../store/database.js';
import type { ChangeEvent, OutboxEntry } from './change-event.js';
import type { EventOutboxTable } from './events.tables.js';

function fromRow(r: Pick<Selectable<EventOutboxTable>, 'seq' | 'payload'>): ChangeEvent {
  return { ...(JSON.parse(r.payload) as OutboxEntry), seq: r.seq };
}

/** An outbox row as the JetStream publisher sends it. */
export interface StreamRow {
  readonly seq: number;
  readonly eventId: string;
  readonly type: string;
  /** The ChangeEvent's JSON (the stored payload with `seq` added). */
  readonly json: string;
}

/**
 * The stored payload (an OutboxEntry's JSON object) with `"seq"` added as its last member: the
 * ChangeEvent's JSON without parsing and serialising again. Last, so that it is the value a
 * parser keeps even if a payload carried a seq of its own.
 */
export function withSeq(payload: string, seq: number): string {
  const end = payload.lastIndexOf('}');
  const body = payload.slice(0, end).trimEnd();
  return `${body}${body.endsWith('{') ? '' : ','}"seq":${seq}}`;
}

/** The advisory lock that orders outbox writers on PostgreSQL (any fixed number no other code uses). */
/** The transaction-scoped advisory lock every outbox writer takes first on PostgreSQL. */
export const outboxLockKey = 7_301_016;

/**
 * The transactional outbox of change events. The registry appends in the transaction of the
 * life event, so an event is in the outbox exactly when its life event committed.
 *
 * Readers follow `seq` with a cursor, so a smaller seq must never become visible after a larger
 * one. SQLite has one writer at a time; on PostgreSQL the append takes a transaction-scoped
 * advisory lock first, so writers take their seqs and commit one after another (callers append
 * last in their transaction, holding the lock only for the insert and the commit).
 */
/** An entry as its outbox row (the seq is the store's). */
export function outboxRowOf(e: OutboxEntry): { event_id: string; person_id: string; event_type: string; provinces: string; fields: string; payload: string; recorded_at: string } {
  return {
    event_id: e.eventId,
    person_id: e.personId,
    event_type: e.type,
    provinces: JSON.stringify(e.provinces),
    fields: JSON.stringify(Object.keys(e.data)),
    payload: JSON.stringify(e),
    recorded_at: e.recordedAt,
  };
}

export const outboxRepository = {
  async append(db: Executor, entries: readonly OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    if (db.getExecutor().adapter instanceof PostgresAdapter) await sql`SELECT pg_advisory_xact_lock(${outboxLockKey})`.execute(db);
    // 7 parameters a row: 2,000 rows stay under SQLite's and PostgreSQL's limits.
    for (let i = 0; i < entries.length; i += 2_000) {
      await db
        .insertInto('event_outbox')
        .values(entries.slice(i, i + 2_000).map(outboxRowOf))
        .execute();
    }
  },

  /** Committed events after `seq`, in seq order (no smaller seq can still commit: see above). */
  async after(db: Executor, seq: number, limit: number): Promise<readonly ChangeEvent[]> {
    const rows = await db.selectFrom('event_outbox').select(['seq', 'payload']).where('seq', '>', seq).orderBy('seq').limit(limit).execute();
    return rows.map(fromRow);
  },

  /**
   * Committed events after `seq` as the stream carries them: kind, id, and the change event's
   * JSON with its seq, built from the stored payload without parsing it (the publisher's hot
   * path). On SQLite outside a transaction a prepared statement; else through Kysely.
   */
  async afterForStream(db: Executor, seq: number, limit: number): Promise<readonly StreamRow[]> {
    const direct = directStatement<[number, number], [number, string, string, string]>(db, 'SELECT seq, event_id, event_type, payload FROM event_outbox WHERE seq > ? ORDER BY seq LIMIT ?', { raw: true });
    const rows = direct !== undefined
      ? direct.all(seq, limit)
      : (await db.selectFrom('event_outbox').select(['seq', 'event_id', 'event_type', 'payload']).where('seq', '>', seq).orderBy('seq').limit(limit).execute())
        .map((r): [number, string, string, string] => [r.seq, r.event_id, r.event_type, r.payload]);
    return rows.map(([s, eventId, type, payload]) => ({ seq: s, eventId, type, json: withSeq(payload, s) }));
  },

  /** Events with these seqs (deliveries), in seq order. */
  async bySeqs(db: Executor, seqs: readonly number[]): Promise<readonly ChangeEvent[]> {
    if (seqs.length === 0) return [];
    const rows = await db.selectFrom('event_outbox').select(['seq', 'payload']).where('seq', 'in', seqs).orderBy('seq').execute();
    return rows.map(fromRow);
  },

  /** The last seq written (0 when empty). */
  async last(db: Executor): Promise<number> {
    const row = await db.selectFrom('event_outbox').select((eb) => eb.fn.max<number | null>('seq').as('seq')).executeTakeFirst();
    return row?.seq ?? 0;
  },
};

/** The named cursors over the outbox (the JetStream publisher's, the fan-out's). */
export const eventCursorRepository = {
  async read(db: Executor, name: string): Promise<number> {
    const row = await db.selectFrom('event_cursors').select('seq').where('name', '=', name).executeTakeFirst();
    return row?.seq ?? 0;
  },

  /** Moves the cursor forward only: a slower writer never takes it back. */
  async advance(db: Executor, name: string, seq: number, at: string): Promise<void> {
    await db
      .insertInto('event_cursors')
      .values({ name, seq, updated_at: at })
      .onConflict((oc) => oc.column('name').doUpdateSet({ seq, updated_at: at }).where('event_cursors.seq', '<', seq))
      .execute();
  },
};
