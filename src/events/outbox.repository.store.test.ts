import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects } from '../../test/test-database.js';
import type { OutboxEntry } from './change-event.js';
import { outboxRepository } from './outbox.repository.js';

type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

const entry = (personId: string): OutboxEntry => ({
  eventId: randomUUID(), personId, type: 'death', occurredOn: '2026-01-01', recordedAt: '2026-01-01T00:00:00.000Z', provinces: ['01'], data: {},
});

for (const dialect of dialects) {
  describe(`the outbox on ${dialect}`, () => {
    let database: TestDatabase;
    beforeEach(async () => { database = await createTestDatabase(dialect); });
    afterEach(async () => { await database.close(); });

    it('orders writers: a second append waits until the first one\'s transaction ends, so seqs become visible in order', async () => {
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => { release = resolve; });
      let firstAppended: () => void = () => undefined;
      const appended = new Promise<void>((resolve) => { firstAppended = resolve; });
      const first = database.db.transaction().execute(async (trx) => {
        await outboxRepository.append(trx, [entry('001085000001')]);
        firstAppended();
        await held;
      });
      await appended;
      let secondDone = false;
      const second = database.db.transaction().execute(async (trx) => {
        await outboxRepository.append(trx, [entry('001085000002')]);
      }).then(() => { secondDone = true; });
      await new Promise((r) => setTimeout(r, 300));
      // While the first is open, the second has not taken a seq (nor committed one a reader could pass to).
      expect(secondDone).toBe(false);
      // (SQLite's one connection is held by the first transaction: a read would wait for it too.)
      if (dialect === 'postgres') expect(await outboxRepository.after(database.db, 0, 10)).toEqual([]);
      release();
      await Promise.all([first, second]);
      const events = await outboxRepository.after(database.db, 0, 10);
      expect(events.map((e) => e.personId)).toEqual(['001085000001', '001085000002']);
      expect(events[0]?.seq).toBeLessThan(events[1]?.seq ?? 0);
    });

    it('reads after a cursor in seq order, bounded, up to a seq, and the last seq', async () => {
      await database.db.transaction().execute((trx) => outboxRepository.append(trx, ['001085000003', '001085000004', '001085000005'].map(entry)));
      const all = await outboxRepository.after(database.db, 0, 10);
      expect(all.map((e) => e.personId)).toEqual(['001085000003', '001085000004', '001085000005']);
      const [, second] = all;
      expect((await outboxRepository.after(database.db, second?.seq ?? 0, 10)).map((e) => e.personId)).toEqual(['001085000005']);
      expect(await outboxRepository.after(database.db, 0, 1)).toHaveLength(1);
      const [first] = all;
      expect((await outboxRepository.between(database.db, first?.seq ?? 0, second?.seq ?? 0, 10)).map((e) => e.personId)).toEqual(['001085000004']);
      expect((await outboxRepository.between(database.db, 0, all.at(-1)?.seq ?? 0, 2)).map((e) => e.personId)).toEqual(['001085000003', '001085000004']);
      expect(await outboxRepository.last(database.db)).toBe(all.at(-1)?.seq);
      // Nothing written for an empty batch.
      await outboxRepository.append(database.db, []);
      expect(await outboxRepository.after(database.db, 0, 10)).toHaveLength(3);
    });
  });
}
