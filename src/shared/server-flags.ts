import { availableParallelism } from 'node:os';

/**
 * The V8 flags the server process runs with on a machine of `cores` cores. With two or fewer,
 * garbage collection stays on the request thread: the parallel collector's helper threads compete
 * for the same cores as the access log's writer thread and the clients, and a scavenge waits for
 * them. Measured on 2 cores (bench/exchange-verify.bench.ts, BENCHMARKS.md, 2026-11-28): longest
 * pause 15-18 ms → 6.3-6.5 ms, CPU a request 100-106 µs → 95-98 µs.
 *
 * @example
 * serverNodeFlags(2); // ['--single-threaded-gc']
 * serverNodeFlags(16); // []
 */
export function serverNodeFlags(cores: number = availableParallelism()): readonly string[] {
  return cores <= 2 ? ['--single-threaded-gc'] : [];
}
