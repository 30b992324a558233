// The cluster's balancer (scripts/cluster.sh balancer-config) in front of a stand-in node that
// takes a call and drops it unanswered, as a node stopping mid-call does: HAProxy must answer 503
// with Retry-After and a problem+json body, never 502, while the node's own answers pass as they are.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterRun } from './cluster.harness.js';

const cluster = clusterRun({ balancer: 18590, pgPrimary: 15833, pgReplica: 15834, nats: 14722 });
const nodePort = cluster.ports.balancer + 1;
let node: http.Server;
let balancer: ChildProcess;

async function call(method: string, path: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const response = await fetch(`http://127.0.0.1:${cluster.ports.balancer}${path}`, { method, ...(method === 'POST' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}) });
  return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
}

describe('the cluster balancer', () => {
  beforeAll(async () => {
    node = http.createServer((request, response) => {
      if (request.url === '/healthz') {
        response.end('ok');
        return;
      }
      // Took the call, then gone without a word.
      if (request.url === '/drop') {
        request.socket.destroy();
        return;
      }
      response.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '2' }).end('{"code":"STORE_UNAVAILABLE"}');
    });
    node.listen(nodePort, '127.0.0.1');
    await once(node, 'listening');
    const written = cluster.run('balancer-config', '1');
    expect(written.code, written.stderr).toBe(0);
    // Where scripts/cluster.sh finds it: Debian puts it in /usr/sbin.
    const haproxy = process.env.HAPROXY ?? (existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : 'haproxy');
    balancer = spawn(haproxy, ['-f', `${cluster.dir}/haproxy.cfg`, '-db'], { stdio: 'ignore' });
    // Up once the node has passed its health checks (rise 2, every 500 ms).
    for (let i = 0; i < 100; i++) {
      const up = await call('GET', '/healthz').then((r) => r.status === 200, () => false);
      if (up) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('HAProxy did not come up');
  }, 30_000);

  afterAll(async () => {
    balancer.kill('SIGTERM');
    node.close();
    await once(balancer, 'exit');
    cluster.remove();
  });

  it('answers a POST the node dropped unanswered with 503, Retry-After and problem+json, not 502', async () => {
    const answer = await call('POST', '/drop');
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('2');
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ status: 503, code: 'NODE_NO_ANSWER' });
  });

  it('passes the node\'s own answers as they are, naming the node', async () => {
    const answer = await call('POST', '/busy');
    expect(answer.status).toBe(503);
    expect(answer.body).toBe('{"code":"STORE_UNAVAILABLE"}');
    expect(answer.headers['x-sachsong-node']).toBe('node1');
  });
});
