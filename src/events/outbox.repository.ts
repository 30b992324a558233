import { PostgresAdapter, sql, type Selectable } from 'kysely';
import type { Executor } from '../registry/person.repository.js';
import { directStatement } from '../store/database.js';
import type { ChangeEvent, OutboxEntry } from './change-event.js';
import type { EventOutboxTable } from './events.tables.js';

function fromRow(r: Pick<Selectable<EventOutboxTable>, 'seq' | 'payload'>): ChangeEvent {
  return { ...(JSON.parse(r.payload) as OutboxEntry), seq: r.seq };
}

/** An outbox row as the JetStream publisher reads it. */
export interface StreamRow {
  readonly seq: number;
  readonly eventId: string;
  readonly type: string;
  /** The stored payload (an OutboxEntry's JSON): `encodeStreamRows` adds the seq. */
  readonly payload: string;
}

/** A row encoded for the stream: its kind, its id and the ChangeEvent's JSON as bytes. */
export interface EncodedStreamRow {
  readonly type: string;
  readonly eventId: string;
  readonly data: Uint8Array;
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

/**
 * The rows' ChangeEvent JSON (`withSeq` of each) written into one buffer, each message a view of
 * it: one allocation a batch instead of a string and a buffer an event (the publisher's hot path).
 * A payload as JSON.stringify writes it (ending in `}`) is copied as it is with `,"seq":N}` put
 * over its last byte; any other goes through `withSeq`.
 */
export function encodeStreamRows(rows: readonly StreamRow[]): EncodedStreamRow[] {
  let size = 0;
  for (const r of rows) size += Buffer.byteLength(r.payload) + 24;
  const buffer = Buffer.allocUnsafe(size);
  const out: EncodedStreamRow[] = new Array<EncodedStreamRow>(rows.length);
  let at = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as StreamRow;
    const start = at;
    const p = r.payload;
    const before = p.charCodeAt(p.length - 2);
    if (p.charCodeAt(p.length - 1) === 0x7d && before > 0x20 && before !== 0x7b) {
      at += buffer.write(p, at) - 1;
      at += buffer.write(`,"seq":${String(r.seq)}}`, at, 'latin1');
    } else {
      at += buffer.write(withSeq(p, r.seq), at);
    }
    out[i] = { type: r.type, eventId: r.eventId, data: buffer.subarray(start, at) };
  }
  return out;
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

  /** Committed events with `after` < seq ≤ `through`, in seq order, at most `limit`. */
  async between(db: Executor, after: number, through: number, limit: number): Promise<readonly ChangeEvent[]> {
    const rows = await db.selectFrom('event_outbox').select(['seq', 'payload']).where('seq', '>', after).where('seq', '<=', through).orderBy('seq').limit(limit).execute();
    return rows.map(fromRow);
  },

  /**
   * Committed events after `seq` as the stream carries them: kind, id and the stored payload
   * (`encodeStreamRows` adds the seq without parsing it: the publisher's hot path). On SQLite
   * outside a transaction a prepared statement; else through Kysely.
   */
  async afterForStream(db: Executor, seq: number, limit: number): Promise<readonly StreamRow[]> {
    const direct = directStatement<[number, number], [number, string, string, string]>(db, 'SELECT seq, event_id, event_type, payload FROM event_outbox WHERE seq > ? ORDER BY seq LIMIT ?', { raw: true });
    const rows = direct !== undefined
      ? direct.all(seq, limit)
      : (await db.selectFrom('event_outbox').select(['seq', 'event_id', 'event_type', 'payload']).where('seq', '>', seq).orderBy('seq').limit(limit).execute())
        .map((r): [number, string, string, string] => [r.seq, r.event_id, r.event_type, r.payload]);
    return rows.map(([s, eventId, type, payload]) => ({ seq: s, eventId, type, payload }));
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
