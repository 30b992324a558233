import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

/** Ports of one cluster of scripts/cluster.sh, away from the machine's own services and other clusters. */
export interface ClusterPorts {
  readonly balancer: number;
  readonly pgPrimary: number;
  readonly pgReplica: number;
  readonly nats: number;
}

/** scripts/cluster.sh on its own state folder (under a temp folder PostgreSQL's user may reach) and ports. */
export interface ClusterRun {
  readonly dir: string;
  readonly ports: ClusterPorts;
  run(...args: string[]): { code: number; stdout: string; stderr: string };
  /** `down`, and the temp folder removed. */
  remove(): void;
}

export function clusterRun(ports: ClusterPorts): ClusterRun {
  const parent = mkdtempSync(path.join(tmpdir(), 'sachsong-cluster-test-'));
  chmodSync(parent, 0o755); // PostgreSQL runs as its own user and must reach its folders
  const dir = path.join(parent, 'cluster');
  const env = {
    ...process.env,
    SACHSONG_CLUSTER_DIR: dir,
    SACHSONG_CLUSTER_PORT_BASE: String(ports.balancer),
    PG_PRIMARY_PORT: String(ports.pgPrimary),
    PG_REPLICA_PORT: String(ports.pgReplica),
    NATS_PORT_BASE: String(ports.nats),
  };
  const run = (...args: string[]): { code: number; stdout: string; stderr: string } => {
    const result = spawnSync('scripts/cluster.sh', args, { env, encoding: 'utf8', timeout: 240_000 });
    return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  };
  return {
    dir, ports, run,
    remove: () => {
      run('down');
      rmSync(parent, { recursive: true, force: true });
    },
  };
}

/** One statement on a server of the cluster, on a connection of its own. */
export async function clusterSql<R extends pg.QueryResultRow>(port: number, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/sachsong` });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

export interface Answer {
  readonly status: number;
  readonly node: string | null;
  readonly retryAfter: string | null;
  readonly body: string;
}

/**
 * A request through the balancer on a connection of its own: a client that reuses a kept-alive
 * connection may find it closed under it when a node dies, which is the client's retry to make,
 * not what these tests are about.
 */
export function throughBalancer(port: number, request: { readonly method?: string; readonly path: string; readonly headers?: Record<string, string>; readonly body?: unknown } = { path: '/healthz' }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    const req = http.request({
      host: '127.0.0.1', port, path: request.path, method: request.method ?? 'GET', agent: false,
      headers: { ...request.headers, ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }) },
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => {
        const header = (name: string): string | null => {
          const value = response.headers[name];
          return typeof value === 'string' ? value : null;
        };
        resolve({ status: response.statusCode ?? 0, node: header('x-sachsong-node'), retryAfter: header('retry-after'), body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Polls `probe` until it returns a value other than undefined, or fails after `ms`. */
export async function eventually<T>(what: string, ms: number, probe: () => Promise<T | undefined>, everyMs = 200): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
