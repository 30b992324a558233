import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fanOut } from '../src/events/event.fanout.js';
import { eventOfMessage, eventStream, JetStreamLink } from '../src/events/jetstream.link.js';
import { adminUnitCatalog } from '../src/registry/admin-unit.catalog.js';
import { generatePopulation } from '../src/registry/population.generator.js';
import { RegistryService } from '../src/registry/registry.service.js';
import { systemClock } from '../src/shared/clock.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import { recordMoves, startDispatch, subscribeMoves } from './change-events.harness.js';
import { freePort, startPrivateNats } from './nats-server.js';
import { createTestDatabase, dialects } from './test-database.js';
import { startWebhookReceiver, waitFor, type WebhookReceiver } from './webhook-receiver.js';

type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

/** Starts a test child (tsx) and waits for its first line; `env` over the test's (NATS_URL unset unless given). */
async function child(script: string, args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<ChildProcess & { readonly firstLine: string }> {
  const c = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NATS_URL: '', ...env } });
  let err = '';
  c.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const firstLine = await new Promise<string>((resolve, reject) => {
    c.stdout.once('data', (d: Buffer) => { resolve(d.toString().trim()); });
    c.once('exit', (code) => { reject(new Error(`${script} exited ${String(code)}: ${err.slice(0, 2_000)}`)); });
  });
  return Object.assign(c, { firstLine });
}

async function killHard(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  await new Promise<void>((resolve) => { c.once('exit', () => { resolve(); }); c.kill('SIGKILL'); });
}

/** Every committed move: life events and the outbox agree (one transaction), in seq order. */
async function committedMoves(database: TestDatabase): Promise<readonly { eventId: string; seq: number; personId: string }[]> {
  const outbox = await database.db.selectFrom('event_outbox').select(['event_id', 'seq', 'person_id']).where('event_type', '=', 'residence_change').orderBy('seq').execute();
  // The moves the test recorded (the generated population's history has none in the outbox: it was loaded in bulk).
  const life = await database.db.selectFrom('life_events').select('event_id').where('event_type', '=', 'residence_change').where('officer_id', '=', 'officer-7').execute();
  expect(new Set(life.map((r) => r.event_id))).toEqual(new Set(outbox.map((r) => r.event_id)));
  return outbox.map((r) => ({ eventId: r.event_id, seq: r.seq, personId: r.person_id }));
}

/** What the agency applied, in the order it first saw each event: every committed event once, and per person in commit order. */
function expectAppliedOnce(applied: readonly { eventId: string; seq: number; personId: string }[], committed: readonly { eventId: string }[]): void {
  const firstSeen = new Map<string, { seq: number; personId: string }>();
  for (const a of applied) if (!firstSeen.has(a.eventId)) firstSeen.set(a.eventId, a);
  expect(new Set(firstSeen.keys())).toEqual(new Set(committed.map((c) => c.eventId)));
  const lastSeqOf = new Map<string, number>();
  for (const { seq, personId } of firstSeen.values()) {
    expect(seq, `person order for ${personId}`).toBeGreaterThan(lastSeqOf.get(personId) ?? 0);
    lastSeqOf.set(personId, seq);
  }
}

/** The dispatching child's environment: its own data folder (its configuration writes there), and NATS_URL when given. */
const childDirs: string[] = [];
function serverEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-events-child-'));
  childDirs.push(dir);
  return { SACHSONG_DATA_DIR: dir, LOG_LEVEL: 'silent', ...extra };
}

const appliedOf = (r: WebhookReceiver): { eventId: string; seq: number; personId: string }[] => r.received.flatMap((x) => x.events.map((e) => ({ eventId: e.eventId, seq: e.seq, personId: e.personId })));

for (const dialect of dialects) {
  describe(`change events under faults on ${dialect}`, () => {
    let database: TestDatabase;
    let receiver: WebhookReceiver;
    const target = (): string => database.url ?? database.location;

    beforeEach(async () => {
      database = await createTestDatabase(dialect);
      await loadPopulation(database, generatePopulation({ people: 200, seed: 5, today: '2026-01-01' }));
      receiver = await startWebhookReceiver();
      await subscribeMoves(database, receiver.url);
    });
    afterEach(async () => {
      await receiver.close();
      await database.close();
      for (const dir of childDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    });

    it('the server killed (SIGKILL) mid-stream: after restart every committed event is pushed, none applied twice after de-duplication', async () => {
      const server = await child('test/change-events.child.ts', [target(), 'record'], serverEnv());
      await waitFor(() => receiver.unique().size >= 40, 'pushes before the kill', 60_000);
      await killHard(server);
      const committed = await committedMoves(database);
      expect(committed.length).toBeGreaterThan(receiver.unique().size - 1);
      // Restarted without new events: it finishes what the killed one left.
      const restarted = await child('test/change-events.child.ts', [target(), 'drain'], serverEnv());
      try {
        await waitFor(() => receiver.unique().size >= committed.length, 'every committed event', 60_000);
      } finally {
        await killHard(restarted);
      }
      expectAppliedOnce(appliedOf(receiver), committed);
    }, 150_000);

    it('the server killed (SIGKILL) mid-stream with NATS_URL set: after restart JetStream holds each event once and every committed event is pushed, none applied twice after de-duplication', async () => {
      const nats = await startPrivateNats();
      const env = serverEnv({ NATS_URL: nats.url });
      let restarted: ChildProcess | undefined;
      try {
        const server = await child('test/change-events.child.ts', [target(), 'record'], env);
        expect(server.firstLine).toBe('started jetstream');
        await waitFor(() => receiver.unique().size >= 40, 'pushes through JetStream before the kill', 60_000);
        await killHard(server);
        const committed = await committedMoves(database);
        // Killed with events committed but not yet published, published but not fanned out, or pushed but not marked.
        expect(committed.length).toBeGreaterThan(receiver.unique().size - 1);
        restarted = await child('test/change-events.child.ts', [target(), 'drain'], env);
        await waitFor(() => receiver.unique().size >= committed.length, 'every committed event after the restart', 90_000);
        expectAppliedOnce(appliedOf(receiver), committed);
        const jetstreamCursor = await database.db.selectFrom('event_cursors').select('seq').where('name', '=', 'jetstream').executeTakeFirstOrThrow();
        expect(jetstreamCursor.seq).toBe(committed.at(-1)?.seq);
        // The embedded fan-out never ran: every delivery came through the stream.
        expect(await database.db.selectFrom('event_cursors').select('seq').where('name', '=', 'fanout').execute()).toEqual([]);
        const connection = await connect({ servers: nats.url });
        try {
          const jsm = await jetstreamManager(connection);
          const info = await jsm.streams.info(eventStream.name);
          // A publish cut by the kill was sent again by the restarted server and de-duplicated by event id: once each, in seq order.
          expect(info.state.messages).toBe(committed.length);
          const streamSeqs: number[] = [];
          for (let s = info.state.first_seq; s <= info.state.last_seq; s++) streamSeqs.push((await jsm.streams.getMessage(eventStream.name, { seq: s }))?.json<{ seq: number }>().seq ?? 0);
          expect(streamSeqs).toEqual(committed.map((c) => c.seq));
        } finally {
          await connection.close();
        }
      } finally {
        if (restarted !== undefined) await killHard(restarted);
        await nats.close();
      }
    }, 200_000);

    it('NATS killed (SIGKILL) mid-stream and restarted: JetStream stores each event once (Nats-Msg-Id) and every event is pushed', async () => {
      const nats = await startPrivateNats();
      const link = await JetStreamLink.open(nats.url, { ackWaitMs: 2_000 });
      const running = startDispatch(database, { link });
      let recorded = 0;
      const recording = recordMoves(database, 400, () => { recorded += 1; });
      try {
        await waitFor(() => receiver.unique().size >= 30, 'pushes through JetStream', 60_000);
        await nats.kill();
        // Moves still commit while NATS is down: they wait in the outbox.
        const atKill = recorded;
        await waitFor(() => recorded >= atKill + 30, 'moves committed during the outage', 60_000);
        await nats.restart();
        await recording;
        const committed = await committedMoves(database);
        await waitFor(() => receiver.unique().size >= committed.length, 'every committed event after the restart', 90_000);
        expectAppliedOnce(appliedOf(receiver), committed);
        const jsm = await jetstreamManager(link.connection);
        const info = await jsm.streams.info(eventStream.name);
        // Republished after the outage, de-duplicated by event id: one stored message per event.
        expect(info.state.messages).toBe(committed.length);
        // And stored in seq order (each message chained to the one before): no person's later event ahead of an earlier one.
        const streamSeqs: number[] = [];
        for (let s = info.state.first_seq; s <= info.state.last_seq; s++) streamSeqs.push((await jsm.streams.getMessage(eventStream.name, { seq: s }))?.json<{ seq: number }>().seq ?? 0);
        expect(streamSeqs).toEqual(committed.map((c) => c.seq));
      } finally {
        await recording.catch(() => undefined);
        await running.stop();
        await link.close();
        await nats.close();
      }
    }, 200_000);

    it('a fan-out that fails on the JetStream path holds the later messages back until it succeeds: no person\'s later event is pushed first', async () => {
      const nats = await startPrivateNats();
      const link = await JetStreamLink.open(nats.url, { ackWaitMs: 2_000, streamName: `TEST_FANOUT_ORDER_${dialect.toUpperCase()}`, subjectPrefix: `test-fanout-order-${dialect}` });
      const people = (await database.db.selectFrom('persons').select('id_number').where('status', '=', 'alive').orderBy('id_number').limit(3).execute()).map((r) => r.id_number);
      const registry = new RegistryService({ db: database.db, clock: systemClock });
      const communes = adminUnitCatalog().communes2025().slice(0, 4).map((c) => c.code);
      let moves = 0;
      const moveAll = async (): Promise<void> => {
        for (const personId of people) {
          moves += 1;
          await registry.recordEvent({ personId, type: 'residence_change', occurredOn: '2026-01-01', officerId: 'officer-7', reason: null, data: { permanentCommune: communes[moves % communes.length], permanentAddress: `Số ${moves}` } });
        }
      };
      // The first fan-out of the first moves fails for a while (a store that refuses writes), as often as it is tried.
      let failing: Set<string> | undefined;
      let failedUntil = 0;
      let failures = 0;
      const running = startDispatch(database, {
        link,
        fanOut: async (trx, events) => {
          failing ??= new Set(events.map((e) => e.eventId));
          if (failedUntil === 0) failedUntil = Date.now() + 1_500;
          if (Date.now() < failedUntil && events.some((e) => failing?.has(e.eventId) === true)) {
            failures += 1;
            throw new Error('injected fan-out failure');
          }
          return fanOut(trx, events);
        },
      });
      try {
        await moveAll();
        await waitFor(() => failures >= 1, 'the first fan-out to fail');
        // Later moves of the same people while the first ones cannot be fanned out.
        for (let round = 0; round < 3; round++) await moveAll();
        const committed = await committedMoves(database);
        expect(committed).toHaveLength(people.length * 4);
        await waitFor(() => receiver.unique().size >= committed.length, 'every committed event', 60_000);
        expect(failures).toBeGreaterThan(1);
        expectAppliedOnce(appliedOf(receiver), committed);
      } finally {
        await running.stop();
        await link.close();
        await nats.close();
      }
    }, 120_000);

    it('a message lost in flight to the fan-out (redelivered only after the ack wait): no person\'s later event is pushed first', async () => {
      const nats = await startPrivateNats();
      const link = await JetStreamLink.open(nats.url, { ackWaitMs: 2_000, streamName: `TEST_FANOUT_LOST_${dialect.toUpperCase()}`, subjectPrefix: `test-fanout-lost-${dialect}` });
      // The first delivery of the first message never reaches the fan-out, as when a connection drops with it in flight.
      const consume = link.consume.bind(link);
      let dropped: string | undefined;
      link.consume = (onMessage) => consume((m) => {
        if (dropped === undefined) {
          dropped = eventOfMessage(m).eventId;
          return;
        }
        onMessage(m);
      });
      const running = startDispatch(database, { link });
      try {
        await recordMoves(database, 60);
        const committed = await committedMoves(database);
        await waitFor(() => receiver.unique().size >= committed.length, 'every committed event', 60_000);
        expect(dropped).toBe(committed[0]?.eventId);
        expectAppliedOnce(appliedOf(receiver), committed);
      } finally {
        await running.stop();
        await link.close();
        await nats.close();
      }
    }, 120_000);

    it('events the stream carries that the outbox does not hold (a failover to a replica they had not reached): passed, not delivered, and the fan-out goes on', async () => {
      const nats = await startPrivateNats();
      const link = await JetStreamLink.open(nats.url, { ackWaitMs: 2_000, streamName: `TEST_FANOUT_MISSING_${dialect.toUpperCase()}`, subjectPrefix: `test-fanout-missing-${dialect}` });
      // The fan-out gets nothing until the store has lost the last five events; then the first of
      // those five never reaches it with the backlog (lost in flight), so the batch has a gap the
      // outbox cannot fill.
      const consume = link.consume.bind(link);
      const held: JsMsg[] = [];
      let target: ((m: JsMsg) => void) | undefined;
      let open = false;
      link.consume = (onMessage) => {
        target = onMessage;
        return consume((m) => { if (open) onMessage(m); else held.push(m); });
      };
      const errors: string[] = [];
      const running = startDispatch(database, { link, onError: (error, loop) => { errors.push(`${loop}: ${error instanceof Error ? error.message : String(error)}`); } });
      try {
        await recordMoves(database, 20);
        const all = await committedMoves(database);
        await waitFor(() => held.length >= all.length, 'every event published to the stream', 60_000);
        const lost = all.slice(-5);
        await database.db.deleteFrom('event_outbox').where('event_id', 'in', lost.map((e) => e.eventId)).execute();
        await database.db.deleteFrom('life_events').where('event_id', 'in', lost.map((e) => e.eventId)).execute();
        const dropSeq = lost[0]?.seq;
        open = true;
        for (const m of held.splice(0)) if (eventOfMessage(m).seq !== dropSeq) target?.(m);
        const kept = await committedMoves(database);
        expect(kept).toHaveLength(15);
        await waitFor(() => receiver.unique().size >= kept.length, 'every event the store holds', 60_000);
        expectAppliedOnce(appliedOf(receiver), kept);
        // The fan-out went on: every message acknowledged, the lost one's redelivery too (a fan-out
        // waiting for the outbox to fill the gap would hold them all for ever).
        const jsm = await jetstreamManager(link.connection);
        const settled = async (): Promise<boolean> => {
          const consumer = await jsm.consumers.info(`TEST_FANOUT_MISSING_${dialect.toUpperCase()}`, eventStream.fanoutConsumer);
          return consumer.num_ack_pending === 0 && consumer.num_pending === 0;
        };
        for (const until = Date.now() + 30_000; !(await settled());) {
          if (Date.now() > until) throw new Error('the fan-out never acknowledged the batch with events the outbox does not hold');
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        expect([...receiver.unique()].filter((id) => lost.some((e) => e.eventId === id))).toEqual([]);
        expect(errors.some((e) => /that the outbox does not hold; passed, not delivered/.test(e))).toBe(true);
      } finally {
        await running.stop();
        await link.close();
        await nats.close();
      }
    }, 120_000);

    it('commits racing each other: the fan-out\'s cursor passes no event that commits after a later one', async () => {
      const running = startDispatch(database);
      const registry = new RegistryService({ db: database.db, clock: systemClock });
      const ids = (await database.db.selectFrom('persons').select('id_number').where('status', '=', 'alive').orderBy('id_number').limit(80).execute()).map((r) => r.id_number);
      const communes = adminUnitCatalog().communes2025().slice(0, 5).map((c) => c.code);
      try {
        // 8 writers at once, each moving its own 10 people 3 times.
        await Promise.all(Array.from({ length: 8 }, async (_, w) => {
          for (let i = 0; i < 30; i++) {
            await registry.recordEvent({ personId: ids[w * 10 + (i % 10)] ?? '', type: 'residence_change', occurredOn: '2026-01-01', officerId: 'officer-7', reason: null, data: { permanentCommune: communes[(i + w) % communes.length], permanentAddress: `Số ${w}-${i}` } });
          }
        }));
        const committed = await committedMoves(database);
        expect(committed).toHaveLength(240);
        await waitFor(() => receiver.unique().size >= committed.length, 'every committed event', 60_000);
        expectAppliedOnce(appliedOf(receiver), committed);
      } finally {
        await running.stop();
      }
    }, 120_000);

    it('the subscriber killed (SIGKILL) mid-stream: deliveries are retried until it is back; every event applied once after de-duplication', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-receiver-'));
      const file = path.join(dir, 'applied.txt');
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/events`;
      await database.db.updateTable('event_subscriptions').set({ url }).execute();
      const applied = (): { eventId: string; seq: number; personId: string }[] => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter((l) => l !== '') : [])
        .map((l) => { const [eventId = '', seq = '0', personId = ''] = l.split(' '); return { eventId, seq: Number(seq), personId }; });
      let subscriber = await child('test/webhook-receiver.child.ts', [String(port), file]);
      const running = startDispatch(database);
      const recording = recordMoves(database, 300);
      try {
        await waitFor(() => new Set(applied().map((a) => a.eventId)).size >= 40, 'applied before the kill', 60_000);
        await killHard(subscriber);
        await new Promise((r) => setTimeout(r, 500));
        subscriber = await child('test/webhook-receiver.child.ts', [String(port), file]);
        await recording;
        const committed = await committedMoves(database);
        await waitFor(() => new Set(applied().map((a) => a.eventId)).size >= committed.length, 'every committed event', 60_000);
        expectAppliedOnce(applied(), committed);
        const failed = await database.db.selectFrom('event_deliveries').select('seq').where('attempts', '>', 1).execute();
        expect(failed.length).toBeGreaterThan(0);
      } finally {
        await recording.catch(() => undefined);
        await running.stop();
        await killHard(subscriber);
        rmSync(dir, { recursive: true, force: true });
      }
    }, 150_000);
  });
}
