import { jetstream, jetstreamManager, JetStreamApiError, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { TurnLedger, type Pending, type ReplayLedgerOptions } from './replay-ledger.repository.js';

/**
 * The replay memory's JetStream stream: one subject a claim (`sachsong.replay.<fingerprint>`, a
 * keyed MAC of kind, client and id: nothing of the call shows in monitoring), at most one message
 * a subject, each kept `horizonMs` (max_age) and then dropped by the servers themselves.
 */
export const replayStream = { name: 'SACHSONG_REPLAY', subjectPrefix: 'sachsong.replay' } as const;

/** The server's answer to a publish expecting a subject with no message yet, when it has one. */
const wrongLastSequence = 10071;

export interface JetStreamReplayLedgerOptions extends ReplayLedgerOptions {
  readonly url: string;
  /** Servers that keep the stream: 3 in a three-server cluster, so that one may stop (config.natsReplicas). */
  readonly replicas: number;
  /** How long a turn's publishes wait for the servers' acknowledgement; default 5 s. */
  readonly timeoutMs?: number;
}

/**
 * The exchange's replay memory on a NATS JetStream cluster instead of the store: what the
 * PostgreSQL ledger writes and prunes on the primary (an insert a call, a delete when it expires)
 * the NATS servers keep and expire. Each claim is a publish that expects its subject to hold no
 * message (Nats-Expected-Last-Subject-Sequence: 0): the stream's leader accepts the first and
 * refuses every later one, across every node, until the claim's message ages out. The turn's
 * publishes are pipelined. Without quorum (two of three servers down) or a connection, the
 * turn's claims are refused as REPLAY_LEDGER_UNAVAILABLE (503): the call is not answered, as when
 * the store's ledger cannot be reached.
 */
export class JetStreamReplayLedger extends TurnLedger {
  private link: Promise<{ readonly connection: NatsConnection; readonly js: JetStreamClient }> | undefined;

  constructor(private readonly jsOptions: JetStreamReplayLedgerOptions) {
    super(jsOptions);
  }

  async close(): Promise<void> {
    this.closed = true;
    const link = this.link;
    this.link = undefined;
    if (link === undefined) return;
    const { connection } = await link.catch(() => ({ connection: undefined }));
    await connection?.drain().catch(() => connection.close());
  }

  protected async write(claims: readonly Pending[]): Promise<readonly boolean[]> {
    const { js } = await this.open();
    const first = new Map<string, number>();
    const subjects = claims.map((c, i) => {
      const subject = `${replayStream.subjectPrefix}.${(c.hi >>> 0).toString(16).padStart(8, '0')}${(c.lo >>> 0).toString(16).padStart(8, '0')}`;
      if (!first.has(subject)) first.set(subject, i);
      return subject;
    });
    const empty = new Uint8Array(0);
    const timeout = this.jsOptions.timeoutMs ?? 5_000;
    const published = new Map<string, Promise<boolean>>();
    for (const [subject] of first) {
      published.set(subject, js.publish(subject, empty, { expect: { lastSubjectSequence: 0 }, timeout }).then(
        () => true,
        (error: unknown) => {
          if (error instanceof JetStreamApiError && error.code === wrongLastSequence) return false;
          throw error;
        },
      ));
    }
    const fresh = new Map<string, boolean>();
    for (const [subject, outcome] of published) fresh.set(subject, await outcome);
    // A repeat within the turn is a replay of the turn's first claim.
    return subjects.map((subject, i) => first.get(subject) === i && fresh.get(subject) === true);
  }

  /** Connects (once; again after a failure) and makes sure the stream exists with this node's settings. */
  private open(): Promise<{ readonly connection: NatsConnection; readonly js: JetStreamClient }> {
    this.link ??= (async () => {
      const connection = await connect({ servers: this.jsOptions.url, name: 'sachsong-replay', maxReconnectAttempts: -1, reconnectTimeWait: 250 });
      try {
        const jsm = await jetstreamManager(connection);
        const config = {
          name: replayStream.name,
          subjects: [`${replayStream.subjectPrefix}.*`],
          max_msgs_per_subject: 1,
          // Kept for the horizon: a claim expires at most that far ahead (ReplayLedger.claim).
          max_age: this.horizonMs * 1_000_000,
          // Publishes carry no message id; the window only has to fit in max_age.
          duplicate_window: Math.min(120_000, this.horizonMs) * 1_000_000,
          num_replicas: this.jsOptions.replicas,
        };
        try {
          await jsm.streams.info(replayStream.name);
          await jsm.streams.update(replayStream.name, config);
        } catch (error) {
          if (!(error instanceof JetStreamApiError) || error.code !== 10059) throw error;
          await jsm.streams.add(config);
        }
        return { connection, js: jetstream(connection) };
      } catch (error) {
        await connection.close();
        throw error;
      }
    })();
    const link = this.link;
    link.catch(() => { if (this.link === link) this.link = undefined; });
    return link;
  }
}
