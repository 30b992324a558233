import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeEvent, OutboxEntry } from '../src/events/change-event.js';
import { EventDispatcher, jetstreamCursor } from '../src/events/event.dispatcher.js';
import { JetStreamLink, type StreamMessage } from '../src/events/jetstream.link.js';
import { encodeStreamRows, eventCursorRepository, outboxRepository, withSeq } from '../src/events/outbox.repository.js';
import { systemClock } from '../src/shared/clock.js';
import { startPrivateNats, type PrivateNats } from './nats-server.js';
import { createTestDatabase, dialects } from './test-database.js';

let streams = 0;
const openLink = (url: string): Promise<JetStreamLink> => {
  const n = `${String(process.pid)}_${String(streams++)}`;
  return JetStreamLink.open(url, { streamName: `TEST_PUBLISH_${n}`, subjectPrefix: `test-publish-${n}` });
};

/** The stream's messages in stream order: the id each was stored under and the event it carries. */
async function streamContents(connection: NatsConnection, streamName: string): Promise<{ msgId: string; event: ChangeEvent }[]> {
  const jsm = await jetstreamManager(connection);
  const { state } = await jsm.streams.info(streamName);
  const out: { msgId: string; event: ChangeEvent }[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(streamName, { seq });
    if (m !== null) out.push({ msgId: m.header.get('Nats-Msg-Id'), event: m.json<ChangeEvent>() });
  }
  return out;
}

/** `count` moves of `persons` people, each person's in the order of i. */
function moves(count: number, persons: number, address = (i: number): string => `Số ${String(i)}`): OutboxEntry[] {
  return Array.from({ length: count }, (_, i) => ({
    eventId: randomUUID(),
    personId: `0010850${String(i % persons).padStart(5, '0')}`,
    type: 'residence_change',
    occurredOn: '2026-11-01',
    recordedAt: new Date(Date.UTC(2026, 10, 1) + i).toISOString(),
    provinces: ['01'],
    data: { permanentResidence: { communeCode: '00004', address: address(i) } },
  }));
}

let nats: PrivateNats;
beforeAll(async () => { nats = await startPrivateNats(); });
afterAll(async () => { await nats.close(); });

describe('the stored payload as the stream carries it', () => {
  it('adds the seq as the last member, which a parser keeps over one the payload carried', () => {
    expect(JSON.parse(withSeq('{"eventId":"e-1","data":{"a":1}}', 7))).toEqual({ eventId: 'e-1', data: { a: 1 }, seq: 7 });
    expect(JSON.parse(withSeq('{"eventId":"e-1","seq":3}', 7))).toEqual({ eventId: 'e-1', seq: 7 });
    expect(JSON.parse(withSeq('{}', 9))).toEqual({ seq: 9 });
  });

  it('a batch encoded into one buffer: each message the bytes of its withSeq, Vietnamese and odd payloads included', () => {
    const payloads = ['{"eventId":"e-1","data":{"address":"Số 5 đường Láng, Đống Đa"}}', '{}', '{ }', '{"a":1 }', '{"seq":3}', '{"a":"}"}\n', JSON.stringify(moves(1, 1)[0])];
    const rows = payloads.map((payload, i) => ({ seq: 1_000_000_000_000 + i, eventId: `e-${String(i)}`, type: 'residence_change', payload }));
    const encoded = encodeStreamRows(rows);
    expect(encoded.map((m) => Buffer.from(m.data).toString('utf8'))).toEqual(rows.map((r) => withSeq(r.payload, r.seq)));
    expect(encoded.map((m) => (JSON.parse(Buffer.from(m.data).toString('utf8')) as { seq: number }).seq)).toEqual(rows.map((r) => r.seq));
    expect(encoded.map((m) => [m.type, m.eventId])).toEqual(rows.map((r) => [r.type, r.eventId]));
  });
});

describe('publishing with pipelined acknowledgements', () => {
  const encode = (e: OutboxEntry, seq: number): StreamMessage => ({ type: e.type, eventId: e.eventId, data: Buffer.from(JSON.stringify({ ...e, seq })) });

  it('chained: a message the stream refused stops every later one of the batch; sent again, the stream holds the batch in order', async () => {
    const link = await openLink(nats.url);
    try {
      const jsm = await jetstreamManager(link.connection);
      const name = await jsm.streams.find(`${link.subjectPrefix}.residence_change`);
      const info = await jsm.streams.info(name);
      // The second message too large for the stream: refused as a lost message would be missing.
      await jsm.streams.update(name, { ...info.config, max_msg_size: 1_000 });
      const events = moves(5, 2, (i) => (i === 1 ? 'x'.repeat(2_000) : `Số ${String(i)}`));
      const messages = events.map((e, i) => encode(e, i + 1));
      await expect(link.publishEncoded(messages, { chained: true, ackTimeoutMs: 5_000 })).rejects.toThrow(/JETSTREAM_PUBLISH_FAILED/);
      // Only the prefix before the refused message: nothing of the same person overtook it.
      expect((await streamContents(link.connection, name)).map((m) => m.msgId)).toEqual([events[0]?.eventId]);
      // Sent again once the stream takes it: the first is a duplicate, the rest follow in order.
      await jsm.streams.update(name, { ...info.config, max_msg_size: -1 });
      expect(await link.publishEncoded(messages, { chained: true })).toEqual({ duplicates: 1 });
      expect((await streamContents(link.connection, name)).map((m) => m.msgId)).toEqual(events.map((e) => e.eventId));
    } finally {
      await link.close();
    }
  });

  it('refuses an event id that would break the header block, before sending anything', async () => {
    const link = await openLink(nats.url);
    try {
      const [e] = moves(1, 1);
      if (e === undefined) throw new Error('no event');
      await expect(link.publishEncoded([{ ...encode(e, 1), eventId: 'e-1\r\nNats-Expected-Stream: X' }])).rejects.toThrow(/JETSTREAM_HEADER_INVALID/);
    } finally {
      await link.close();
    }
  });

  it('rejects when no acknowledgement comes (the server gone), and resolves once it is back', async () => {
    const own = await startPrivateNats();
    const link = await openLink(own.url);
    try {
      const messages = moves(50, 5).map((e, i) => encode(e, i + 1));
      expect(await link.publishEncoded(messages.slice(0, 10))).toEqual({ duplicates: 0 });
      await own.kill();
      await expect(link.publishEncoded(messages, { chained: true, ackTimeoutMs: 300 })).rejects.toThrow(/JETSTREAM_ACK_TIMEOUT/);
      await own.restart();
      // Sent again until acknowledged (as the dispatcher's loop does): what was stored before is a duplicate.
      let result: { readonly duplicates: number } | undefined;
      for (let attempt = 0; result === undefined; attempt++) {
        try {
          result = await link.publishEncoded(messages, { chained: true, ackTimeoutMs: 1_000 });
        } catch (error) {
          if (attempt > 30) throw error;
        }
      }
      expect(result.duplicates).toBeGreaterThanOrEqual(10);
    } finally {
      await link.close();
      await own.close();
    }
  }, 60_000);
});

for (const dialect of dialects) {
  describe(`the dispatcher on ${dialect}`, () => {
    it('publishes the outbox in seq order, each event under its id, moves its cursor after the acks, and adds nothing when publishing again', async () => {
      const database = await createTestDatabase(dialect);
      const link = await openLink(nats.url);
      try {
        const entries = moves(2_500, 40);
        await database.db.transaction().execute((trx) => outboxRepository.append(trx, entries));
        const dispatcher = new EventDispatcher({ db: database.db, clock: systemClock, link, publishBatch: 1_000 });
        const passes: number[] = [];
        for (let n = await dispatcher.publishPass(); n > 0; n = await dispatcher.publishPass()) {
          passes.push(n);
          expect(await eventCursorRepository.read(database.db, jetstreamCursor)).toBe((await outboxRepository.after(database.db, 0, passes.reduce((a, b) => a + b, 0))).at(-1)?.seq);
        }
        expect(passes).toEqual([1_000, 1_000, 500]);
        const stored = await outboxRepository.after(database.db, 0, 10_000);
        const name = await (await jetstreamManager(link.connection)).streams.find(`${link.subjectPrefix}.residence_change`);
        const contents = await streamContents(link.connection, name);
        // Every event once, in seq order (so each person's in commit order), the payload the change event.
        expect(contents.map((m) => m.msgId)).toEqual(stored.map((e) => e.eventId));
        expect(contents.map((m) => m.event)).toEqual(stored);
        // From the start again (a crash before the cursor moved): all duplicates, nothing stored twice.
        await database.db.deleteFrom('event_cursors').where('name', '=', jetstreamCursor).execute();
        for (let n = await dispatcher.publishPass(); n > 0; n = await dispatcher.publishPass()) { /* drained */ }
        expect((await (await jetstreamManager(link.connection)).streams.info(name)).state.messages).toBe(2_500);
      } finally {
        await link.close();
        await database.close();
      }
    }, 60_000);

    it('reads the next batch while acknowledgements come, and uses it only where the cursor is: a moved cursor or an empty read is read again', async () => {
      const database = await createTestDatabase(dialect);
      const link = await openLink(nats.url);
      try {
        const entries = moves(1_000, 10);
        await database.db.transaction().execute((trx) => outboxRepository.append(trx, entries));
        const dispatcher = new EventDispatcher({ db: database.db, clock: systemClock, link, publishBatch: 500 });
        expect(await dispatcher.publishPass()).toBe(500);
        // The cursor taken back (a second node, an operator): the read ahead (after 500) is not used.
        await database.db.deleteFrom('event_cursors').where('name', '=', jetstreamCursor).execute();
        expect(await dispatcher.publishPass()).toBe(500);
        expect(await dispatcher.publishPass()).toBe(500);
        // The read ahead after the last full batch found nothing; events committed since are published.
        const later = moves(7, 3);
        await database.db.transaction().execute((trx) => outboxRepository.append(trx, later));
        expect(await dispatcher.publishPass()).toBe(7);
        expect(await dispatcher.publishPass()).toBe(0);
        const name = await (await jetstreamManager(link.connection)).streams.find(`${link.subjectPrefix}.residence_change`);
        expect((await streamContents(link.connection, name)).map((m) => m.msgId)).toEqual([...entries, ...later].map((e) => e.eventId));
      } finally {
        await link.close();
        await database.close();
      }
    }, 60_000);
  });
}
