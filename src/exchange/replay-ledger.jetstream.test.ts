import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateNats, type PrivateNats } from '../../test/nats-server.js';
import { JetStreamReplayLedger } from './replay-ledger.jetstream.js';

const secret = Buffer.from('a shared exchange secret of test');

describe('the replay memory on NATS JetStream', () => {
  let nats: PrivateNats;
  beforeAll(async () => { nats = await startPrivateNats(); });
  afterAll(async () => { await nats.close(); });

  const ledger = (horizonMs = 660_000): JetStreamReplayLedger => new JetStreamReplayLedger({ url: nats.url, replicas: 1, secret, now: () => Date.now(), horizonMs, timeoutMs: 2_000 });

  it('takes the first claim of an id and refuses every later one, from any node', async () => {
    const [node1, node2] = [ledger(), ledger()];
    try {
      const far = Date.now() + 300_000;
      expect(await node1.claim('request', 'VN/GOV/BANK/portal', 'id-1', far)).toBe(true);
      expect(await node1.claim('request', 'VN/GOV/BANK/portal', 'id-1', far)).toBe(false);
      // Another node, on its own connection: the stream's leader decides, not the node's memory.
      expect(await node2.claim('request', 'VN/GOV/BANK/portal', 'id-1', far)).toBe(false);
      // The same id for another client, or as another kind, is another claim.
      expect(await node2.claim('request', 'VN/GOV/TAX/portal', 'id-1', far)).toBe(true);
      expect(await node2.claim('assertion', 'VN/GOV/BANK/portal', 'id-1', far)).toBe(true);
      // Two claims of one id in one turn: the first wins.
      const both = await Promise.all([node1.claim('request', 'c', 'twice', far), node2.claim('request', 'c', 'twice', far), node1.claim('request', 'c', 'twice', far)]);
      expect(both.filter((fresh) => fresh)).toHaveLength(1);
    } finally {
      await node1.close();
      await node2.close();
    }
  });

  it('forgets a claim once the horizon has passed: the servers age it out', async () => {
    const short = ledger(1_000);
    try {
      expect(await short.claim('request', 'c', 'ages-out', Date.now() + 1_000)).toBe(true);
      expect(await short.claim('request', 'c', 'ages-out', Date.now() + 1_000)).toBe(false);
      // The server drops the message after max_age (it checks about once a second): poll for it.
      let fresh = false;
      for (const until = Date.now() + 10_000; !fresh && Date.now() < until;) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        fresh = await short.claim('request', 'c', 'ages-out', Date.now() + 1_000);
      }
      expect(fresh).toBe(true);
    } finally {
      await short.close();
    }
  });

  it('refuses calls while NATS is away (503, nothing answered), and remembers the claims when it is back', async () => {
    const node = ledger();
    try {
      const far = Date.now() + 300_000;
      expect(await node.claim('request', 'c', 'before', far)).toBe(true);
      await nats.kill();
      await expect(node.claim('request', 'c', 'during', far)).rejects.toMatchObject({ code: 'REPLAY_LEDGER_UNAVAILABLE' });
      await nats.restart();
      // The connection comes back by itself; the claim made before the outage is still known.
      let answer: boolean | undefined;
      for (const until = Date.now() + 15_000; answer === undefined && Date.now() < until;) {
        answer = await node.claim('request', 'c', 'before', far).catch(() => undefined);
      }
      expect(answer).toBe(false);
      expect(await node.claim('request', 'c', 'after', far)).toBe(true);
    } finally {
      await node.close();
    }
  }, 30_000);
});
