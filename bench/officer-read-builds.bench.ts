// Two builds of the officer-read server side by side: each checkout's compiled server (its own
// bench/servers/officer-read.server.ts and dist) serves the same generated store with its own
// empty access log, and the two are loaded in turn, --seconds at a time, for --rounds rounds (the
// order alternating), so that the machine's drift falls on both. Reports reads a second and the
// CPU a read of the request thread and of the other threads (the access log's writer and
// checkpointer), from /proc (Linux).
//   npx tsx bench/officer-read-builds.bench.ts --a <checkout> --b <checkout> [--b-variant no-record] [--people 1000000] [--rounds 4] [--seconds 8]
// A checkout is a directory with this project's files and installed packages (a `git worktree`
// of another commit, with node_modules); its src is compiled into its dist first.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { serverNodeFlags } from '../src/shared/server-flags.js';
import { load, mainThreadCpuSeconds, processCpuSeconds, startServer, stopServer } from './load.js';
import { officerReadStore } from './officer-read.store.js';

const { values } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string' },
    'b-variant': { type: 'string', default: '' },
    people: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '8' },
    connections: { type: 'string', default: '64' },
  },
});
if (values.a === undefined || values.b === undefined) throw new Error('--a and --b name the two checkouts');
const checkouts = [{ name: 'A', root: path.resolve(values.a), variant: '' }, { name: 'B', root: path.resolve(values.b), variant: values['b-variant'] }];
const people = Number(values.people);
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const connections = Number(values.connections);

const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-officer-builds-'));
try {
  const { registryFile, logFile: template, personPaths: paths, cookie } = await officerReadStore(dir, people);

  const servers = [];
  for (const checkout of checkouts) {
    const tsc = createRequire(path.join(checkout.root, 'package.json')).resolve('typescript/bin/tsc');
    const built = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: checkout.root, stdio: 'inherit' });
    if (built.status !== 0) throw new Error(`compiling ${checkout.root} failed`);
    const logFile = path.join(dir, `access-log-${checkout.name}.db`);
    copyFileSync(template, logFile);
    const args = [registryFile, logFile, ...(checkout.variant === '' ? [] : [checkout.variant])];
    const server = await startServer(path.join(checkout.root, 'bench/servers/officer-read.server.ts'), args, serverNodeFlags());
    servers.push({ ...checkout, ...server, rates: [] as number[], reads: 0, main: 0, others: 0 });
  }
  try {
    const headers = { cookie };
    for (const server of servers) await load(server.url, paths, { seconds: 4, connections, warmup: 0, headers });
    for (let round = 0; round < rounds; round++) {
      for (const server of round % 2 === 0 ? servers : [...servers].reverse()) {
        const pid = server.child.pid ?? 0;
        const before = { all: processCpuSeconds(pid), main: mainThreadCpuSeconds(pid) };
        const result = await load(server.url, paths, { seconds, connections, warmup: 0, headers });
        const after = { all: processCpuSeconds(pid), main: mainThreadCpuSeconds(pid) };
        if (result.errors > 0 || result.non2xx > 0) throw new Error(`${server.name}: ${result.errors} errors, ${result.non2xx} answers not 2xx`);
        server.rates.push(Math.round(result.requestsPerSecond));
        server.reads += result.requestsPerSecond * seconds;
        server.main += after.main - before.main;
        server.others += after.all - after.main - (before.all - before.main);
      }
    }
  } finally {
    for (const server of servers) await stopServer(server.child);
  }
  const round1 = (n: number): number => Math.round(n * 10) / 10;
  console.log(JSON.stringify({
    bench: 'officer-read-builds',
    people,
    rounds,
    seconds,
    connections,
    builds: servers.map((s) => ({
      name: s.name,
      checkout: s.root,
      variant: s.variant,
      readsPerSecond: Math.round(s.rates.reduce((t, r) => t + r, 0) / s.rates.length),
      rounds: s.rates,
      requestThreadMicrosPerRead: round1((s.main * 1e6) / s.reads),
      otherThreadsMicrosPerRead: round1((s.others * 1e6) / s.reads),
    })),
  }, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
