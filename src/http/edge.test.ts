import { allScopesKey } from '../../test/officer-session.js';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/test-database.js';
import { fixedClock } from '../shared/clock.js';
import { createLogger } from '../shared/logger.js';
import type { Database } from '../store/database.js';
import { buildApp } from './app.js';

const token = 'edge-test-operator-token-0123456789';
const clock = fixedClock('2026-12-04T08:00:00Z');
let key = '';

/** A raw connection that collects what the server sends and resolves `closed` when the server ends it. */
function rawClient(port: number): { socket: Socket; received: () => string; closed: Promise<number>; waitFor: (text: string) => Promise<void> } {
  const socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  let data = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  socket.on('data', (b: Buffer) => {
    data += b.toString();
    for (const w of waiters.filter((x) => data.includes(x.text))) w.resolve();
  });
  socket.on('error', () => undefined);
  const closed = once(socket, 'close').then(() => performance.now());
  return {
    socket,
    received: () => data,
    closed,
    waitFor: (text) => (data.includes(text) ? Promise.resolve() : new Promise((resolve) => waiters.push({ text, resolve }))),
  };
}

/** Sends one byte every `everyMs` until the socket closes. */
function trickle(socket: Socket, everyMs: number): () => void {
  const timer = setInterval(() => { if (!socket.destroyed) socket.write('a'); }, everyMs);
  socket.once('close', () => { clearInterval(timer); });
  return () => { clearInterval(timer); };
}

describe('time limits at the edge', () => {
  let database: Database;
  let app: FastifyInstance;
  let port: number;
  const reconcileDir = mkdtempSync(path.join(tmpdir(), 'sachsong-edge-'));

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const keyed = await allScopesKey(database.db, clock);
    key = keyed.headers.authorization ?? '';
    app = await buildApp({ database, clock, operatorToken: token, identity: keyed.identity, logger: false, reconcileDir, timeouts: { bodyMs: 400, requestMs: 4_000 } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    port = typeof address === 'object' && address !== null ? address.port : 0;
  });
  afterAll(async () => {
    await app.close();
    await database.close();
    rmSync(reconcileDir, { recursive: true, force: true });
  });

  it('cuts an unauthenticated POST /x/token whose body trickles in, with a 408', async () => {
    const client = rawClient(port);
    client.socket.write('POST /x/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n');
    await client.waitFor('100 Continue');
    const started = performance.now();
    trickle(client.socket, 50);
    const closedAt = await client.closed;
    expect(closedAt - started).toBeLessThan(2_000);
    expect(client.received()).toMatch(/HTTP\/1.1 408/);
    expect(client.received()).toMatch(/REQUEST_BODY_TIMEOUT/);
  });

  it('cuts headers that trickle in', async () => {
    const client = rawClient(port);
    client.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    const started = performance.now();
    trickle(client.socket, 50);
    const closedAt = await client.closed;
    expect(closedAt - started).toBeLessThan(2_000);
    expect(client.received()).toMatch(/HTTP\/1.1 408/);
  });

  it('closes a connection that sends nothing', async () => {
    const client = rawClient(port);
    await once(client.socket, 'connect');
    const started = performance.now();
    const closedAt = await client.closed;
    expect(closedAt - started).toBeLessThan(2_000);
  });

  it('cuts an operator request that is not complete within the whole-request limit, and lets a slower upload within it through', async () => {
    const slow = rawClient(port);
    slow.socket.write(`PUT /api/reconcile-jobs/files/slow.csv HTTP/1.1\r\nHost: x\r\nAuthorization: ${key}\r\nContent-Type: text/csv\r\nContent-Length: 7\r\nExpect: 100-continue\r\n\r\n`);
    await slow.waitFor('100 Continue');
    // Longer than the body limit (400 ms), shorter than the request limit: the operator's upload goes through.
    const ok = rawClient(port);
    ok.socket.write(`PUT /api/reconcile-jobs/files/ok.csv HTTP/1.1\r\nHost: x\r\nAuthorization: ${key}\r\nContent-Type: text/csv\r\nContent-Length: 12\r\nExpect: 100-continue\r\n\r\n`);
    await ok.waitFor('100 Continue');
    const sent = new Promise<void>((resolve) => {
      let n = 0;
      const timer = setInterval(() => {
        ok.socket.write('a');
        if (++n === 12) { clearInterval(timer); resolve(); }
      }, 80);
    });
    await sent;
    await ok.waitFor('\r\n\r\n{');
    expect(ok.received()).toMatch(/HTTP\/1.1 201/);
    ok.socket.destroy();
    // One byte only of the other: the whole-request limit (4 s) ends it.
    slow.socket.write('a');
    await slow.closed;
    expect(slow.received()).not.toMatch(/201/);
  }, 15_000);

  it('keeps a normal client\'s connection alive across requests', async () => {
    const client = rawClient(port);
    client.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.waitFor('"status":"ok"');
    client.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise<void>((resolve) => {
      const check = (): void => { if (client.received().split('"status":"ok"').length === 3) resolve(); else client.socket.once('data', check); };
      check();
    });
    expect(client.socket.destroyed).toBe(false);
    expect(client.received()).toMatch(/keep-alive/i);
    client.socket.destroy();
  });
});

describe('headers and error answers', () => {
  let database: Database;
  let app: FastifyInstance;
  const lines: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done(); } });
    const keyed = await allScopesKey(database.db, clock);
    key = keyed.headers.authorization ?? '';
    app = await buildApp({ database, clock, operatorToken: token, identity: keyed.identity, logger: createLogger('trace', sink) });
    // A failure as a driver or the file system throws it: a message with an absolute path and input.
    app.get('/boom', { schema: { hide: true } }, () => {
      throw Object.assign(new Error("ENOENT: no such file or directory, open '/work/main/data/secret/079203012345.csv'"), { code: 'ENOENT' });
    });
    app.get('/refused', { schema: { hide: true } }, () => {
      throw Object.assign(new Error("EACCES: permission denied, open '/work/main/data/inbox/Nguyen Van A.csv'"), { code: 'EACCES', statusCode: 403 });
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await database.close();
  });

  it('sends the console with a CSP it runs under, no framing, no sniffing and no referrer', async () => {
    const res = await app.inject({ url: '/healthz' });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/style-src 'self'(;|$)/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).not.toMatch(/upgrade-insecure-requests/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    const docs = await app.inject({ url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    const docsCsp = String(docs.headers['content-security-policy']);
    expect(docsCsp).toMatch(/style-src 'self' 'unsafe-inline'/);
    expect(docsCsp).toMatch(/script-src 'self'(;|$)/);
    expect(docsCsp).toMatch(/frame-ancestors 'none'/);
    expect(docs.headers['x-content-type-options']).toBe('nosniff');
  });

  it('marks every /api answer no-store, errors included', async () => {
    const unauthorised = await app.inject({ url: '/api/persons/079203012345' });
    expect(unauthorised.headers['cache-control']).toBe('no-store');
    const ok = await app.inject({ url: '/api/admin-units/provinces?date=2026-01-01', headers: { authorization: key } });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['cache-control']).toBe('no-store');
    const missing = await app.inject({ url: '/api/persons/079203099999', headers: { authorization: key } });
    expect(missing.headers['cache-control']).toBe('no-store');
  });

  it('gives a JSON answer under /api the REST set (a policy that loads nothing), and an HTML page under /api the browser set', async () => {
    const json = await app.inject({ url: '/api/admin-units/provinces?date=2026-01-01', headers: { authorization: key } });
    expect(json.statusCode).toBe(200);
    expect(json.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
    expect(json.headers['x-content-type-options']).toBe('nosniff');
    expect(json.headers['x-frame-options']).toBe('DENY');
    expect(json.headers['referrer-policy']).toBe('no-referrer');
    expect(json.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(json.headers['cross-origin-resource-policy']).toBe('same-origin');
    // Document-only headers are left off a JSON answer.
    expect(json.headers['cross-origin-opener-policy']).toBeUndefined();
    expect(json.headers['x-xss-protection']).toBeUndefined();
    const refused = await app.inject({ url: '/api/persons/079203012345' });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
    expect(refused.headers['x-frame-options']).toBe('DENY');
    const html = await app.inject({ url: '/api/quality/report?format=html', headers: { authorization: key } });
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(String(html.headers['content-security-policy'])).toMatch(/style-src 'self' 'unsafe-inline'/);
    expect(String(html.headers['content-security-policy'])).toMatch(/script-src 'self'(;|$)/);
    expect(html.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(html.headers['cache-control']).toBe('no-store');
    expect(html.headers['x-frame-options']).toBe('DENY');
  });

  it('answers an unexpected error with the request id only: no path, no message', async () => {
    const res = await app.inject({ url: '/boom' });
    expect(res.statusCode).toBe(500);
    const body = res.json<{ code: string; detail: string }>();
    expect(body.code).toBe('INTERNAL_ERROR');
    expect(body.detail).toMatch(/request [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
    expect(res.body).not.toMatch(/\/work|ENOENT|079203012345|secret/);
  });

  it('answers other client errors by their code with a fixed text: no path, no input', async () => {
    const refused = await app.inject({ url: '/refused' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'REQUEST_ERROR', status: 403 });
    expect(refused.body).not.toMatch(/\/work|EACCES|Nguyen/);
    const res = await app.inject({ method: 'POST', url: '/x/token', headers: { 'content-type': 'application/json' }, payload: '{"client_id": "Nguyễn Văn A 079203012345' });
    expect(res.statusCode).toBe(400);
    expect(res.body).not.toMatch(/Nguy|079203012345/);
    const wrongType = await app.inject({ method: 'POST', url: '/x/token', headers: { 'content-type': 'text/x-079203012345' }, payload: 'x' });
    expect(wrongType.statusCode).toBe(415);
    expect(wrongType.body).not.toMatch(/079203012345/);
  });

  it('logs a caller\'s X-Request-Id only when it is a UUID, and nothing a caller sends verbatim', async () => {
    const crafted = 'Nguyen Van A 079203012345';
    await app.inject({ url: '/healthz', headers: { 'x-request-id': crafted } });
    await app.inject({ url: '/boom', headers: { 'x-request-id': crafted } });
    await app.inject({ method: 'POST', url: '/x/token', headers: { 'x-request-id': crafted, 'content-type': 'application/json' }, payload: `{"x": "${crafted}` });
    await app.inject({ url: `/api/persons/079203012345?name=${encodeURIComponent(crafted)}`, headers: { 'x-request-id': crafted } });
    await app.inject({ url: `/nowhere/079203012345`, headers: { 'x-request-id': crafted } });
    const uuid = '3f2b9c1e-8a4d-4e6f-9b2a-1c3d5e7f9a0b';
    await app.inject({ url: '/healthz', headers: { 'x-request-id': uuid } });
    const all = lines.join('');
    expect(all).toContain(uuid);
    expect(all).not.toMatch(/Nguyen|079203012345/);
    const reqIds = lines.map((l) => (JSON.parse(l) as { reqId?: string }).reqId).filter((id) => id !== undefined);
    expect(reqIds.length).toBeGreaterThan(0);
    for (const id of reqIds) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});
