import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { ChangeEvent } from './change-event.js';
import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import type { DB } from '../store/database.types.js';
import { fanOut, OutboxFanout } from './event.fanout.js';
import { eventOfMessage, type JetStreamLink } from './jetstream.link.js';
import { encodeStreamRows, eventCursorRepository, outboxRepository, type EncodedStreamRow } from './outbox.repository.js';
import type { WebhookDeliverer } from './webhook.deliverer.js';

/** The outbox cursor of the JetStream publisher: every event up to it is acknowledged by the stream. */
export const jetstreamCursor = 'jetstream';

/** The outbox cursor of the stream's fan-out consumer: every event up to it is in the deliveries. */
export const streamFanoutCursor = 'stream-fanout';

export interface EventDispatcherDeps {
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  /** Pushes webhooks; absent: this process only publishes (another delivers). */
  readonly deliverer?: WebhookDeliverer;
  /** NATS JetStream (config NATS_URL); absent: the embedded fan-out reads the outbox directly. */
  readonly link?: JetStreamLink;
  /** Wait between passes that found nothing; default 20 ms. */
  readonly pollMs?: number;
  /** Events published a batch (read from the outbox at once, the cursor moved once); default 10,000. */
  readonly publishBatch?: number;
  /** The fan-out step of the JetStream path; default fanOut (tests inject failures). */
  readonly fanOut?: typeof fanOut;
  /** Told of a failed pass (the loop waits and tries again); never given personal data. */
  readonly onError?: (error: unknown, loop: string) => void;
}

interface EncodedBatch {
  readonly messages: readonly EncodedStreamRow[];
  readonly lastSeq: number;
  readonly count: number;
}

interface ReadAhead {
  /** The seq the read began after: the batch is the next one only while the cursor is there. */
  readonly after: number;
  readonly limit: number;
  readonly batch: Promise<EncodedBatch | undefined>;
}

/**
 * Moves change events out: outbox → JetStream with publish acknowledgements (Nats-Msg-Id = event
 * id) → the fan-out consumer → webhook deliveries; or, without NATS, outbox → deliveries directly.
 * Every step is at-least-once and idempotent: a step repeated after a crash adds nothing twice.
 */
export class EventDispatcher {
  private running = false;
  private readonly loops: Promise<void>[] = [];
  private readonly sleepers = new Set<() => void>();
  private messages: ConsumerMessages | undefined;
  private buffer: JsMsg[] = [];
  private flushing: Promise<void> | undefined;
  /** The batch after the one last published, read while its acknowledgements came. */
  private readAhead: ReadAhead | undefined;

  constructor(private readonly deps: EventDispatcherDeps) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    const { link, deliverer } = this.deps;
    if (link === undefined) {
      const fanout = new OutboxFanout({ db: this.deps.db, clock: this.deps.clock });
      this.loops.push(this.loop('fanout', () => fanout.pass()));
    } else {
      this.loops.push(this.loop('publish', () => this.publishPass()));
      this.loops.push(this.consumeStream(link));
    }
    if (deliverer !== undefined) this.loops.push(this.loop('deliver', () => deliverer.pass()));
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const wake of this.sleepers) wake();
    await this.messages?.close().catch(() => undefined);
    await Promise.all(this.loops);
    this.loops.length = 0;
    await this.flushing;
  }

  /**
   * Publishes the next batch of the outbox to JetStream and moves the cursor once all are
   * acknowledged. While the last acknowledgements come, the batch after it is read and encoded
   * (only read: nothing of it is sent before this one is acknowledged whole), and the next pass
   * takes it if the cursor is where that read began; after a failed pass it is dropped.
   */
  async publishPass(): Promise<number> {
    const link = this.deps.link;
    if (link === undefined) return 0;
    const limit = this.deps.publishBatch ?? 10_000;
    const from = await eventCursorRepository.read(this.deps.db, jetstreamCursor);
    const ahead = this.readAhead;
    this.readAhead = undefined;
    // A read ahead that found nothing is not trusted: events may have committed since.
    const batch = (ahead?.after === from && ahead.limit === limit ? await ahead.batch : undefined) ?? await this.readBatch(from, limit);
    if (batch === undefined) return 0;
    let next: ReadAhead | undefined;
    // Chained: the stream holds a prefix of the outbox in seq order, so a person's events stay in order after a fault.
    await link.publishEncoded(batch.messages, {
      chained: true,
      onSent: () => {
        if (batch.count === limit) {
          next = { after: batch.lastSeq, limit, batch: this.readBatch(batch.lastSeq, limit) };
          // A failed read shows on the pass that takes it.
          next.batch.catch(() => undefined);
        }
      },
    });
    await eventCursorRepository.advance(this.deps.db, jetstreamCursor, batch.lastSeq, this.deps.clock.now().toISOString());
    this.readAhead = next;
    return batch.count;
  }

  /** The outbox after `seq`, encoded once from the stored JSON (no parse and serialise an event). */
  private async readBatch(seq: number, limit: number): Promise<EncodedBatch | undefined> {
    const rows = await outboxRepository.afterForStream(this.deps.db, seq, limit);
    const last = rows.at(-1);
    return last === undefined ? undefined : { messages: encodeStreamRows(rows), lastSeq: last.seq, count: rows.length };
  }

  private async consumeStream(link: JetStreamLink): Promise<void> {
    while (this.running) {
      try {
        this.messages = await link.consume((m) => {
          this.buffer.push(m);
          this.flushing ??= this.flush();
        });
        await this.messages.closed();
      } catch (error) {
        this.deps.onError?.(error, 'consume');
      }
      await this.sleep(500);
    }
  }

  /**
   * Fans out what the consumer buffered, in seq order, then acknowledges it (a redelivery adds
   * nothing). A batch that fails is tried again, with backoff, before anything buffered after it:
   * handed back to JetStream instead, its events would come back after later ones of the same
   * person had been fanned out and pushed. While it is retried its messages (and those waiting
   * behind it) are kept from redelivery; once stopping they are all handed back, in order.
   */
  private async flush(): Promise<void> {
    try {
      while (this.buffer.length > 0) {
        const batch = this.buffer;
        this.buffer = [];
        const events = batch.map(eventOfMessage).sort((a, b) => a.seq - b.seq);
        for (let failures = 1; ; failures++) {
          try {
            await this.fanOutThrough(events);
            for (const m of batch) m.ack();
            break;
          } catch (error) {
            this.deps.onError?.(error, 'fanout');
            if (!this.running) {
              for (const m of [...batch, ...this.buffer]) m.nak();
              this.buffer = [];
              return;
            }
            for (const m of batch) m.working();
            for (const m of this.buffer) m.working();
            await this.sleep(Math.min(5_000, 50 * 2 ** Math.min(failures, 7)));
          }
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /**
   * Fans out the outbox up to the batch's last event, from the stream fan-out's cursor, in
   * chunks each committed with the cursor: not only the events the batch carries. The stream
   * holds a prefix of the outbox in seq order, so every event up to the batch's last was
   * published; one whose message is still to come (lost in flight, redelivered after the ack
   * wait; delivered to another process) is read from the outbox, and a person's later event is
   * never queued before an earlier one. A message at or below the cursor is a redelivery: fanned
   * out again, which adds nothing. Without a cursor yet (a stream consumed before it existed) it
   * starts at the outbox's beginning: a catch-up once, adding only deliveries not yet there.
   * The common batch, every seq from the cursor to its last (SQLite's seqs have no gaps), is
   * fanned out as it came, with no read; otherwise only the range up to its last event is read.
   */
  private async fanOutThrough(events: readonly ChangeEvent[]): Promise<void> {
    const last = events.at(-1);
    if (last === undefined) return;
    const fan = this.deps.fanOut ?? fanOut;
    let pending: readonly ChangeEvent[] = events;
    for (;;) {
      const { from, reached, passed } = await this.deps.db.transaction().execute(async (trx) => {
        const from = await eventCursorRepository.read(trx, streamFanoutCursor);
        const ahead = pending.filter((e) => e.seq > from);
        const whole = ahead.length === last.seq - from && ahead.every((e, i) => e.seq === from + 1 + i);
        const range = whole ? ahead : await outboxRepository.between(trx, from, last.seq, 2_000);
        await fan(trx, [...pending.filter((e) => e.seq <= from), ...range]);
        // Nothing in the outbox from the cursor to the batch's end: the stream carries events this
        // store does not hold (a failover to a replica they had not reached). They are not the
        // registry's, so they are not delivered (the deliverer reads what it sends from the
        // outbox); the cursor passes them, or the fan-out would wait for them for ever.
        const end = range.length === 0 ? Math.max(from, last.seq) : (range.at(-1)?.seq ?? from);
        if (end > from) await eventCursorRepository.advance(trx, streamFanoutCursor, end, this.deps.clock.now().toISOString());
        return { from, reached: end, passed: range.length === 0 && end > from };
      });
      if (passed) this.deps.onError?.(new Error(`the stream carried events after seq ${String(from)} up to ${String(reached)} that the outbox does not hold; passed, not delivered`), 'fanout');
      pending = pending.filter((e) => e.seq > reached);
      if (reached >= last.seq) return;
    }
  }

  private async loop(name: string, pass: () => Promise<number>): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        const n = await pass();
        failures = 0;
        if (n === 0) await this.sleep(this.deps.pollMs ?? 20);
      } catch (error) {
        failures += 1;
        this.deps.onError?.(error, name);
        await this.sleep(Math.min(5_000, 100 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  /** Waits, or not at all once stopping. */
  private sleep(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}
