// The whole app as `sachsong serve` builds it (exchange, durable access log, everything), for load tests.
// argv: <sqlite file | postgres URL> <operator token>
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { openAccessLogStore } from '../../src/audit/access-log.store.js';
import { buildApp } from '../../src/http/app.js';
import { systemClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';
import { openDatabase } from '../../src/store/database.js';

const [location = '', token = ''] = process.argv.slice(2);
const database = location.startsWith('postgres') ? openDatabase({ databaseUrl: location, poolSize: 16 }) : openDatabase({ sqliteFile: location });
// As `sachsong serve` has it: the access log in its own file beside the store's (the CLI's access-log.db).
const accessLogStore = await openAccessLogStore(database, location.startsWith('postgres') ? undefined : location.replace(/\.db$/, '.access-log.db'));
const app = await buildApp({ database, accessLogStore, clock: systemClock, operatorToken: token, logger: createLogger('warn') });
// SIGUSR2: write the latency of the requests answered since the last signal, measured inside the
// server (onRequest to onResponse), to stderr as JSON; the bench reads it beside the client's figure.
const latencies: number[] = [];
const arrivals = new WeakMap<object, number>();
app.addHook('onRequest', (request, _reply, done) => {
  arrivals.set(request, performance.now());
  done();
});
app.addHook('onResponse', (request, _reply, done) => {
  const at = arrivals.get(request);
  if (at !== undefined) latencies.push(performance.now() - at);
  done();
});
// What the latency inside the server leaves out: the main thread's event-loop delay (a request
// waits in the socket while the loop is busy) and garbage-collection pauses.
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();
let gcPauses: number[] = [];
/** The longest pause and the count by kind: minor (scavenge) or major (mark-compact, with the incremental marking's finish). */
let gcMajor: number[] = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcPauses.push(entry.duration);
    const kind = (entry as PerformanceEntry & { readonly detail?: { readonly kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MAJOR || kind === constants.NODE_PERFORMANCE_GC_INCREMENTAL) gcMajor.push(entry.duration);
  }
}).observe({ entryTypes: ['gc'] });
process.on('SIGUSR2', () => {
  const sorted = latencies.splice(0).sort((a, b) => a - b);
  const q = (p: number): number => Math.round((sorted[Math.floor(p * (sorted.length - 1))] ?? NaN) * 10) / 10;
  const ms = (ns: number): number => Math.round(ns / 1e5) / 10;
  const gc = gcPauses.sort((a, b) => b - a);
  gcPauses = [];
  const major = gcMajor.sort((a, b) => b - a);
  gcMajor = [];
  process.stderr.write(`${JSON.stringify({ serverLatency: {
    requests: sorted.length, p50Ms: q(0.5), p90Ms: q(0.9), p99Ms: q(0.99), maxMs: q(1),
    eventLoopDelayP99Ms: ms(loopDelay.percentile(99)), eventLoopDelayMaxMs: ms(loopDelay.max),
    gcPauses: gc.length, gcTotalMs: Math.round(gc.reduce((a, b) => a + b, 0)), gcLongestMs: Math.round((gc[0] ?? 0) * 10) / 10,
    gcMajorPauses: major.length, gcMajorLongestMs: Math.round((major[0] ?? 0) * 10) / 10,
  } })}\n`);
  loopDelay.reset();
});
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${address}\n`);
process.once('SIGTERM', () => {
  void app.close().then(() => accessLogStore.close()).then(() => database.close()).then(() => process.exit(0));
});
