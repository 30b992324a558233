// One node's appends to a shared PostgreSQL access log (access-log-nodes.test.ts and
// bench/access-log-nodes.bench.ts): `<database url> <node name> <records|seconds> <in flight> [--seconds]`.
// Prints one JSON line: the leaf indexes it was given (records mode) or how many it appended.
import { openAccessLog } from '../src/audit/access-log.service.js';
import { openDatabase } from '../src/store/database.js';
import { testAccessRecord } from './access-record.fixture.js';

const [url, node, amount, inFlight, mode] = process.argv.slice(2);
if (url === undefined || node === undefined || amount === undefined || inFlight === undefined) throw new Error('usage: <url> <node> <amount> <in flight> [--seconds]');
const database = openDatabase({ databaseUrl: url, poolSize: 4 });
const log = openAccessLog(database);
const bySeconds = mode === '--seconds';
const until = Date.now() + Number(amount) * 1000;
const total = bySeconds ? Number.POSITIVE_INFINITY : Number(amount);
const indexes: number[] = [];
let started = 0;
let contended = 0;
// Wait for the parent's go, so that every node starts appending at once.
await new Promise<void>((resolve) => { process.stdin.once('data', () => { resolve(); }); });
const t0 = performance.now();
await Promise.all(Array.from({ length: Number(inFlight) }, async () => {
  while (started < total && (!bySeconds || Date.now() < until)) {
    const i = started++;
    try {
      const receipt = await log.append({ ...testAccessRecord(i), requestId: `${node}-${i}` });
      indexes.push(receipt.index);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ACCESS_LOG_CONTENDED') throw error;
      contended++;
    }
  }
}));
const seconds = (performance.now() - t0) / 1000;
await log.close();
await database.close();
console.log(JSON.stringify(bySeconds ? { node, appended: indexes.length, contended, seconds } : { node, indexes, contended, seconds }));
