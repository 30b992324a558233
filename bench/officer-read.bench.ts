// An officer's read of a person (session cookie, jurisdiction, the access record durable in the
// Merkle log before the answer) against a bare Fastify hello-world, measured in the same run.
//   npx tsx bench/officer-read.bench.ts [--people 1000000] [--seconds 10] [--connections 64] [--warmup 5] [--rounds 3] [--profile <dir>] [--server-flags "<node flags>"]
//
// The servers run with the V8 flags `sachsong serve` uses on this machine (src/shared/server-flags.ts);
// --server-flags= runs them with none, --profile <dir> writes a CPU profile of each server.
//
// The registry is a SQLite file with a generated population; the server is `sachsong serve`'s
// buildApp with the access log in its own file (writer thread), in its own process. A national
// officer is made and signed in here (the identity module's own sign-in, with a cheap password
// hash: sign-in is not what is measured); the load generator sends its session cookie. Every
// answered read appended one access record: the log's size is checked after the run. The officer
// servers run the compiled code (dist), as `sachsong serve` does: src is compiled first.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '../src/store/database.js';
import { serverNodeFlags } from '../src/shared/server-flags.js';
import { compileServerCode } from './built-code.js';
import { officerReadStore } from './officer-read.store.js';
import { load, startServer, stopServer, type LoadResult } from './load.js';

const { values } = parseArgs({
  options: {
    people: { type: 'string', default: '1000000' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    warmup: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    profile: { type: 'string' },
    'server-flags': { type: 'string' },
  },
});
const serverFlags = [
  ...(values['server-flags'] === undefined ? serverNodeFlags() : values['server-flags'].split(' ').filter((f) => f !== '')),
  ...(values.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values.profile}`]),
];
const people = Number(values.people);
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const warmup = Number(values.warmup);
const rounds = Number(values.rounds);

const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-officer-bench-'));
try {
  const { registryFile, logFile, personPaths, cookie, loadSeconds } = await officerReadStore(dir, people);

  compileServerCode();
  const targets = [
    { name: 'helloWorld', script: 'bench/servers/hello.server.ts', args: [] as string[], paths: ['/'], headers: {} },
    { name: 'officerRead', script: 'bench/servers/officer-read.server.ts', args: [registryFile, logFile], paths: personPaths, headers: { cookie } },
    // The same server with the recorder replaced by nothing: what the durable record itself costs.
    { name: 'officerReadUnrecorded', script: 'bench/servers/officer-read.server.ts', args: [registryFile, logFile, 'no-record'], paths: personPaths, headers: { cookie } },
  ];
  const servers = [];
  for (const target of targets) servers.push({ ...target, ...(await startServer(target.script, target.args, serverFlags)), runs: [] as LoadResult[] });
  try {
    for (const server of servers) await load(server.url, server.paths, { seconds: warmup, connections, warmup: 0, headers: server.headers });
    for (let round = 0; round < rounds; round++) {
      for (const server of servers) server.runs.push(await load(server.url, server.paths, { seconds, connections, warmup: 0, headers: server.headers, ...(server.child.pid === undefined ? {} : { serverPid: server.child.pid }) }));
    }
  } finally {
    for (const server of servers) await stopServer(server.child);
  }
  const check = openDatabase({ sqliteFile: logFile });
  const records = await check.db.selectFrom('access_records').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const sampleLeaf = await check.db.selectFrom('access_records').select('leaf').orderBy('idx', 'desc').limit(1).executeTakeFirst();
  await check.close();
  const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const summary = (runs: readonly LoadResult[]): LoadResult & { readonly rounds: readonly number[]; readonly serverCpuMicrosPerRequest: number; readonly serverMainThreadCpuMicrosPerRequest: number } => ({
    requestsPerSecond: Math.round(runs.reduce((t, r) => t + r.requestsPerSecond, 0) / Math.max(runs.length, 1)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    errors: runs.reduce((t, r) => t + r.errors, 0),
    non2xx: runs.reduce((t, r) => t + r.non2xx, 0),
    rounds: runs.map((r) => Math.round(r.requestsPerSecond)),
    serverCpuMicrosPerRequest: median(runs.map((r) => r.serverCpuMicrosPerRequest ?? 0)),
    // The request thread's part; the rest is the access log's writer thread, its checkpointer and V8's helpers.
    serverMainThreadCpuMicrosPerRequest: median(runs.map((r) => r.serverMainThreadCpuMicrosPerRequest ?? 0)),
  });
  const results = Object.fromEntries(servers.map((server) => [server.name, summary(server.runs)]));
  const baseline = results.helloWorld ?? summary([]);
  const read = results.officerRead ?? summary([]);
  const unrecorded = results.officerReadUnrecorded ?? summary([]);
  console.log(JSON.stringify({
    bench: 'officer-read',
    people,
    loadSeconds: Math.round(loadSeconds * 10) / 10,
    connections,
    seconds,
    warmupSeconds: warmup,
    rounds,
    serverFlags,
    helloWorld: baseline,
    officerRead: read,
    ratio: Math.round((read.requestsPerSecond / baseline.requestsPerSecond) * 1000) / 1000,
    roundRatios: read.rounds.map((r, i) => Math.round((r / (baseline.rounds[i] ?? 1)) * 1000) / 1000),
    // The same comparison in CPU spent a request: less bent by other load on the machine than rates.
    cpuRatio: Math.round((baseline.serverCpuMicrosPerRequest / Math.max(read.serverCpuMicrosPerRequest, 1)) * 1000) / 1000,
    officerReadUnrecorded: unrecorded,
    unrecordedRatio: Math.round((unrecorded.requestsPerSecond / baseline.requestsPerSecond) * 1000) / 1000,
    unrecordedCpuRatio: Math.round((baseline.serverCpuMicrosPerRequest / Math.max(unrecorded.serverCpuMicrosPerRequest, 1)) * 1000) / 1000,
    accessRecords: records.n,
    recordSample: sampleLeaf === undefined ? null : (JSON.parse(sampleLeaf.leaf) as Record<string, unknown>).readerKind,
  }, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
