import { AckPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { connect, createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { ChangeEvent } from './change-event.js';

/**
 * The JetStream stream of change events. Subjects are `sachsong.events.<kind>` (never a person's
 * number: subjects show in monitoring); the payload is the change event as JSON; Nats-Msg-Id is
 * the event id, de-duplicated by the server within the duplicate window.
 */
export const eventStream = {
  name: 'SACHSONG_EVENTS',
  subjectPrefix: 'sachsong.events',
  /** Longer than any outage the publisher retries through with the same ids. */
  duplicateWindowMs: 30 * 60_000,
  /** The durable consumer that copies events into webhook deliveries. */
  fanoutConsumer: 'sachsong-fanout',
} as const;

/** One message to publish: its subject's kind, its de-duplication id and its encoded JSON. */
export interface StreamMessage {
  readonly type: string;
  readonly eventId: string;
  readonly data: Uint8Array;
}

/** The wait for acknowledgements after the last one came, before a publish is given up as failed. */
const defaultAckTimeoutMs = 10_000;
/** Messages awaiting their acknowledgement at most: past it the publisher waits for acks to come back. */
const defaultWindow = 8_192;

const decoder = new TextDecoder();
const nanos = (ms: number): number => ms * 1_000_000;

/** A connection to NATS with the event stream in place. */
export class JetStreamLink {
  private readonly acks: AckInbox;

  private constructor(readonly connection: NatsConnection, private readonly js: JetStreamClient, private readonly streamName: string, readonly subjectPrefix: string) {
    this.acks = new AckInbox(connection);
  }

  /** Connects (retrying for ever while the server is away) and makes sure the stream and the fan-out consumer exist. */
  static async open(url: string, options: { readonly streamName?: string; readonly subjectPrefix?: string; readonly ackWaitMs?: number; readonly name?: string; readonly replicas?: number } = {}): Promise<JetStreamLink> {
    const connection = await connect({ servers: url, name: options.name ?? 'sachsong-events', maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    const streamName = options.streamName ?? eventStream.name;
    const jsm = await jetstreamManager(connection);
    const subjectPrefix = options.subjectPrefix ?? eventStream.subjectPrefix;
    // Kept by `replicas` servers (3 in a three-server cluster): one of them may stop and the stream still takes events.
    const config = { name: streamName, subjects: [`${subjectPrefix}.>`], duplicate_window: nanos(eventStream.duplicateWindowMs), num_replicas: options.replicas ?? 1 };
    try {
      await jsm.streams.info(streamName);
      await jsm.streams.update(streamName, config);
    } catch {
      await jsm.streams.add(config);
    }
    await jsm.consumers.add(streamName, { durable_name: eventStream.fanoutConsumer, ack_policy: AckPolicy.Explicit, ack_wait: nanos(options.ackWaitMs ?? 10_000), max_ack_pending: 20_000 });
    return new JetStreamLink(connection, jetstream(connection), streamName, subjectPrefix);
  }

  /**
   * Publishes encoded messages in order as JetStream's asynchronous publish does: each a plain
   * publish with `Nats-Msg-Id` and a reply subject on one inbox subscription, up to `window`
   * awaiting their acknowledgement at once (the library's `js.publish` is a request each, with
   * its own promise and timer: a ceiling of ~16 thousand a second here, against ~60 thousand).
   * Resolves once every message was acknowledged (duplicates included); rejects on an error
   * acknowledgement, or when no acknowledgement came for `ackTimeoutMs`, and the caller sends
   * the batch again (the stream drops what it already has by id).
   *
   * `chained`: each message after the first carries `Nats-Expected-Last-Msg-Id` = the id of the
   * one before, so the stream stores them in this order or not at all. Without it, a connection
   * lost mid-batch can lose some messages in flight while later ones, still in the client's
   * buffer, are stored after the reconnect, ahead of the earlier ones sent again. The server
   * checks duplicates first, so a batch sent again passes the messages it already has.
   *
   * `onSent` is called once every message is handed to the connection, before the last
   * acknowledgements are in.
   */
  async publishEncoded(messages: readonly StreamMessage[], options: { readonly ackTimeoutMs?: number; readonly window?: number; readonly chained?: boolean; readonly onSent?: () => void } = {}): Promise<{ readonly duplicates: number }> {
    if (messages.length === 0) return { duplicates: 0 };
    const batch = new AckedBatch(messages.length, options.ackTimeoutMs ?? defaultAckTimeoutMs);
    const token = this.acks.begin(batch);
    const window = options.window ?? defaultWindow;
    const chained = options.chained ?? false;
    const headerBlocks = encodeHeaders(messages, chained);
    let subjectType = '';
    let subject = '';
    try {
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i] as StreamMessage;
        if (m.type !== subjectType) {
          subjectType = m.type;
          subject = `${this.subjectPrefix}.${m.type}`;
        }
        this.connection.publish(subject, m.data, { reply: `${token}.${i}`, headers: headerBlocks[i] as MsgHdrs });
        if (i + 1 - batch.acked >= window) await batch.below(i + 1 - window / 2);
      }
      // Everything is sent: the caller may work (read its next batch) while the last acknowledgements come.
      options.onSent?.();
      await batch.done;
      return { duplicates: batch.duplicates };
    } finally {
      batch.settle();
      this.acks.end(token);
    }
  }

  /** Calls `onMessage` for each message of the fan-out consumer (not async: batches are handled by the caller). */
  async consume(onMessage: (m: JsMsg) => void): Promise<ConsumerMessages> {
    const consumer = await this.js.consumers.get(this.streamName, eventStream.fanoutConsumer);
    return consumer.consume({ max_messages: 2_000, callback: onMessage });
  }

  async close(): Promise<void> {
    this.acks.close();
    await this.connection.drain().catch(() => this.connection.close());
  }
}

/**
 * A header block already encoded. The client's publish reads a message's headers only through
 * `encode()` (nats-core protocol.publish; tracing options, which we never pass, would add to
 * them): so the blocks of a whole batch are written into one buffer once, instead of a header
 * map, a string and an encoding a message. `test/change-events-publish.test.ts` reads the ids
 * back from the stream.
 */
class EncodedHeaders {
  constructor(private readonly bytes: Uint8Array) {}

  encode(): Uint8Array {
    return this.bytes;
  }
}

const headerStart = 'NATS/1.0\r\nNats-Msg-Id: ';
const chainKey = '\r\nNats-Expected-Last-Msg-Id: ';
const headerEnd = '\r\n\r\n';

/** Each message's header block (`Nats-Msg-Id`, and when chained the id before it), views of one buffer. */
function encodeHeaders(messages: readonly StreamMessage[], chained: boolean): MsgHdrs[] {
  let size = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as StreamMessage;
    if (/[\r\n]/.test(m.eventId)) throw new Error('JETSTREAM_HEADER_INVALID: an event id holds a line break');
    size += headerStart.length + headerEnd.length + Buffer.byteLength(m.eventId);
    if (chained && i > 0) size += chainKey.length + Buffer.byteLength((messages[i - 1] as StreamMessage).eventId);
  }
  const buffer = Buffer.allocUnsafe(size);
  const out = new Array<MsgHdrs>(messages.length);
  let at = 0;
  for (let i = 0; i < messages.length; i++) {
    const start = at;
    at += buffer.write(headerStart, at, 'latin1');
    at += buffer.write((messages[i] as StreamMessage).eventId, at);
    if (chained && i > 0) {
      at += buffer.write(chainKey, at, 'latin1');
      at += buffer.write((messages[i - 1] as StreamMessage).eventId, at);
    }
    at += buffer.write(headerEnd, at, 'latin1');
    out[i] = new EncodedHeaders(buffer.subarray(start, at)) as unknown as MsgHdrs;
  }
  return out;
}

/** `{"stream":` opens a success acknowledgement; its only boolean member is `"duplicate":true`, last. */
const ackOpening = Buffer.from('{"stream":');
const duplicateEnding = Buffer.from('true}');

function endsWith(data: Uint8Array, tail: Uint8Array): boolean {
  if (data.length < tail.length) return false;
  for (let i = 1; i <= tail.length; i++) if (data[data.length - i] !== tail[tail.length - i]) return false;
  return true;
}

function startsWith(data: Uint8Array, head: Uint8Array): boolean {
  if (data.length < head.length) return false;
  for (let i = 0; i < head.length; i++) if (data[i] !== head[i]) return false;
  return true;
}

export function eventOfMessage(m: JsMsg): ChangeEvent {
  return JSON.parse(decoder.decode(m.data)) as ChangeEvent;
}

/**
 * The acknowledgements of one publish: counted as they come, failed by an error acknowledgement
 * or by silence (a lost connection, a server killed before it stored the message).
 */
class AckedBatch {
  acked = 0;
  duplicates = 0;
  readonly done: Promise<void>;
  private readonly seen: Uint8Array;
  private resolve!: () => void;
  private reject!: (error: Error) => void;
  private waiter: { readonly count: number; readonly wake: () => void } | undefined;
  private timer: NodeJS.Timeout;
  private failed: Error | undefined;

  constructor(private readonly size: number, private readonly silenceMs: number) {
    this.seen = new Uint8Array(size);
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // The caller awaits `done` only after the last publish; a failure before that is kept here.
    this.done.catch(() => undefined);
    this.timer = setTimeout(() => { this.fail(new Error(`JETSTREAM_ACK_TIMEOUT: no acknowledgement for ${silenceMs} ms (${this.acked} of ${size})`)); }, silenceMs);
  }

  /** An acknowledgement for message `i` (a repeated one counts once). */
  ack(i: number, message: Msg): void {
    if (this.failed !== undefined || i < 0 || i >= this.size || this.seen[i] === 1) return;
    if (message.headers?.hasError === true) {
      this.fail(new Error(`JETSTREAM_PUBLISH_FAILED: ${message.headers.code} ${message.headers.description}`));
      return;
    }
    // The common answer read from its bytes (no parse an event): the server writes `error` first
    // when there is one, so an answer opening with `{"stream":` is a success; anything else is parsed.
    let duplicate: boolean;
    if (startsWith(message.data, ackOpening)) {
      duplicate = endsWith(message.data, duplicateEnding);
    } else {
      const ack = message.json<{ readonly stream?: string; readonly duplicate?: boolean; readonly error?: { readonly code?: number; readonly description?: string } }>();
      if (ack.error !== undefined || ack.stream === undefined) {
        this.fail(new Error(`JETSTREAM_PUBLISH_FAILED: ${ack.error?.code ?? 0} ${ack.error?.description ?? 'no stream in the acknowledgement'}`));
        return;
      }
      duplicate = ack.duplicate === true;
    }
    this.seen[i] = 1;
    this.acked += 1;
    if (duplicate) this.duplicates += 1;
    this.timer.refresh();
    if (this.waiter !== undefined && this.acked >= this.waiter.count) this.waiter.wake();
    if (this.acked === this.size) {
      clearTimeout(this.timer);
      this.resolve();
    }
  }

  /** Resolves once `count` messages are acknowledged; rejects as `done` does. */
  async below(count: number): Promise<void> {
    this.throwIfFailed();
    if (this.acked >= count) return;
    await Promise.race([new Promise<void>((wake) => { this.waiter = { count, wake }; }), this.done]);
    this.waiter = undefined;
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failed !== undefined) throw this.failed;
  }

  fail(error: Error): void {
    if (this.failed !== undefined || this.acked === this.size) return;
    this.failed = error;
    clearTimeout(this.timer);
    this.reject(error);
  }

  settle(): void {
    clearTimeout(this.timer);
  }
}

/** One reply subscription for every publish of a connection: `<inbox>.<batch>.<index>`. */
class AckInbox {
  private readonly prefix = createInbox();
  private readonly batches = new Map<number, AckedBatch>();
  private next = 0;
  private readonly subscription: Subscription;

  constructor(connection: NatsConnection) {
    this.subscription = connection.subscribe(`${this.prefix}.>`, {
      callback: (error, message) => {
        if (error !== null) {
          for (const b of this.batches.values()) b.fail(error);
          return;
        }
        const tail = message.subject.slice(this.prefix.length + 1);
        const dot = tail.indexOf('.');
        this.batches.get(Number(tail.slice(0, dot)))?.ack(Number(tail.slice(dot + 1)), message);
      },
    });
  }

  begin(batch: AckedBatch): string {
    const id = this.next++;
    this.batches.set(id, batch);
    return `${this.prefix}.${id}`;
  }

  end(token: string): void {
    this.batches.delete(Number(token.slice(this.prefix.length + 1)));
  }

  close(): void {
    for (const b of this.batches.values()) b.fail(new Error('JETSTREAM_CLOSED: the connection was closed'));
    this.subscription.unsubscribe();
  }
}
