import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly non2xx: number;
  /** CPU time (user + system, every thread) the server process spent a request, when its pid was given. */
  readonly serverCpuMicrosPerRequest?: number;
  /** The part of it spent by the server's main thread (the request thread), when its pid was given. */
  readonly serverMainThreadCpuMicrosPerRequest?: number;
}

/** CPU seconds (user + system, all threads) a process has used so far, from /proc (Linux). */
export function processCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/** CPU seconds (user + system) a process's main thread has used so far, from /proc (Linux). */
export function mainThreadCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
}

function statCpuSeconds(file: string): number {
  const stat = readFileSync(file, 'utf8');
  // Fields after the command name (which may hold spaces) start at state; utime and stime are the 12th and 13th of them.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
}
// Linux's USER_HZ, fixed at 100 on the architectures Node runs on.
const clockTicksPerSecond = 100;

/** Starts a bench server (`script` prints its address on its first line); `nodeFlags` go before the script (V8 flags, --cpu-prof). */
export async function startServer(script: string, args: readonly string[], nodeFlags: readonly string[] = []): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.setEncoding('utf8');
  const [line] = (await once(child.stdout, 'data')) as [string];
  return { url: line.trim(), child };
}

export async function stopServer(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await once(child, 'exit');
}

/**
 * Runs autocannon for `seconds` after a warm-up of `warmup` seconds (JIT, page cache), with the
 * same settings for every server: `connections` keep-alive connections, no pipelining (one
 * request in flight per connection, as browsers and API clients send). `paths` are cycled through.
 */
export async function load(
  url: string,
  paths: readonly string[],
  options: { seconds: number; connections: number; warmup?: number; headers?: Record<string, string>; serverPid?: number },
): Promise<LoadResult> {
  let i = 0;
  const run = (duration: number): Promise<autocannon.Result> =>
    autocannon({
      url,
      connections: options.connections,
      pipelining: 1,
      duration,
      headers: options.headers ?? {},
      requests: [{ setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length] ?? '/' }) }],
    });
  if ((options.warmup ?? 5) > 0) await run(options.warmup ?? 5);
  const cpuBefore = options.serverPid === undefined ? 0 : processCpuSeconds(options.serverPid);
  const mainBefore = options.serverPid === undefined ? 0 : mainThreadCpuSeconds(options.serverPid);
  const r = await run(options.seconds);
  const cpu = options.serverPid === undefined ? undefined : processCpuSeconds(options.serverPid) - cpuBefore;
  const main = options.serverPid === undefined ? undefined : mainThreadCpuSeconds(options.serverPid) - mainBefore;
  return {
    requestsPerSecond: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    errors: r.errors,
    non2xx: r.non2xx,
    ...(cpu === undefined || r.requests.total === 0 ? {} : { serverCpuMicrosPerRequest: Math.round((cpu * 1e6) / r.requests.total) }),
    ...(main === undefined || r.requests.total === 0 ? {} : { serverMainThreadCpuMicrosPerRequest: Math.round((main * 1e6) / r.requests.total) }),
  };
}
