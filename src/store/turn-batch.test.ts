import { describe, expect, it } from 'vitest';
import { TurnBatch } from './turn-batch.js';

describe('lookups batched by event-loop turn', () => {
  it('loads the keys of one turn in one call, each once, and answers every asker', async () => {
    const calls: (readonly string[])[] = [];
    const batch = new TurnBatch<string, number>((keys) => {
      calls.push(keys);
      return Promise.resolve(new Map(keys.filter((k) => k !== 'missing').map((k) => [k, k.length])));
    });
    const answers = await Promise.all([batch.load('a'), batch.load('bb'), batch.load('a'), batch.load('missing')]);
    expect(answers).toEqual([1, 2, 1, undefined]);
    expect(calls).toEqual([['a', 'bb', 'missing']]);
    // a later turn is a call of its own, after the earlier keys were asked for
    expect(await batch.load('ccc')).toBe(3);
    expect(calls).toEqual([['a', 'bb', 'missing'], ['ccc']]);
  });

  it('fails every lookup of the turn with the error of its call, and goes on with the next turn', async () => {
    let fail = true;
    const batch = new TurnBatch<string, string>((keys) => {
      if (fail) return Promise.reject(new Error('store unreachable'));
      return Promise.resolve(new Map(keys.map((k) => [k, k.toUpperCase()])));
    });
    const failed = await Promise.allSettled([batch.load('x'), batch.load('y')]);
    expect(failed.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : r.value))).toEqual(['store unreachable', 'store unreachable']);
    fail = false;
    expect(await batch.load('x')).toBe('X');
  });

  it('turns a loader that throws instead of rejecting into rejected lookups', async () => {
    const batch = new TurnBatch<string, string>(() => {
      throw new Error('bad query');
    });
    await expect(batch.load('x')).rejects.toThrow('bad query');
  });
});
