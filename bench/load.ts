import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import autocannon from 'autocannon';

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly non2xx: number;
}

/** Starts a bench server script in its own Node process and returns its base URL. */
export async function startServer(script: string, args: readonly string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
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
  options: { seconds: number; connections: number; warmup?: number; headers?: Record<string, string> },
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
  const r = await run(options.seconds);
  return { requestsPerSecond: r.requests.average, p50Ms: r.latency.p50, p99Ms: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}
