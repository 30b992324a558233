import { describe, expect, it } from 'vitest';
import { serverNodeFlags } from './server-flags.js';

describe('the server process flags', () => {
  it('keep garbage collection on one thread on two cores or fewer, and leave it parallel above', () => {
    expect(serverNodeFlags(1)).toEqual(['--single-threaded-gc']);
    expect(serverNodeFlags(2)).toEqual(['--single-threaded-gc']);
    expect(serverNodeFlags(4)).toEqual([]);
  });
});
