import { AckPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
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


const encoder = new TextEncoder();
const decoder = new TextDecoder();
const nanos = (ms: number): number => ms * 1_000_000;

/** A connection to NATS with the event stream in place. */
export class JetStreamLink {
  private constructor(readonly connection: NatsConnection, private readonly js: JetStreamClient, private readonly streamName: string, private readonly subjectPrefix: string) {}

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
   * Publishes events in order, pipelined, and resolves once the server acknowledged every one
   * (duplicates included); rejects if any was not acknowledged, so the caller sends them again.
   */
  async publish(events: readonly ChangeEvent[]): Promise<{ readonly duplicates: number }> {
    const acks = events.map((e) => this.js.publish(`${this.subjectPrefix}.${e.type}`, encoder.encode(JSON.stringify(e)), { msgID: e.eventId, timeout: 10_000 }));
    const settled = await Promise.allSettled(acks);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed !== undefined) throw (failed).reason;
    return { duplicates: settled.filter((s) => s.status === 'fulfilled' && s.value.duplicate).length };
  }

  /** Calls `onMessage` for each message of the fan-out consumer (not async: batches are handled by the caller). */
  async consume(onMessage: (m: JsMsg) => void): Promise<ConsumerMessages> {
    const consumer = await this.js.consumers.get(this.streamName, eventStream.fanoutConsumer);
    return consumer.consume({ max_messages: 2_000, callback: onMessage });
  }

  async close(): Promise<void> {
    await this.connection.drain().catch(() => this.connection.close());
  }
}

export function eventOfMessage(m: JsMsg): ChangeEvent {
  return JSON.parse(decoder.decode(m.data)) as ChangeEvent;
}
