import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerErrorHandler } from './error-handler.js';

/** What the pg driver and Node throw when the primary restarts, fails over or is not listening. */
const storeErrors: Readonly<Record<string, () => Error>> = {
  'admin shutdown (57P01)': () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
  'starting up (57P03)': () => Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
  'connection refused': () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5433'), { code: 'ECONNREFUSED' }),
  'connection lost mid-query': () => new Error('Connection terminated unexpectedly'),
  'SQLite disk full': () => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }),
  'PostgreSQL disk full (53100)': () => Object.assign(new Error('could not extend file: No space left on device'), { code: '53100' }),
};

describe('a store that cannot be reached', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = Fastify({ logger: false });
    registerErrorHandler(app);
    app.get('/store/:kind', (request) => {
      const make = storeErrors[(request.params as { kind: string }).kind];
      throw make === undefined ? new Error('a bug') : make();
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
  });

  it.each(Object.keys(storeErrors))('answers 503 with Retry-After, not 500, for %s', async (kind) => {
    const response = await app.inject({ url: `/store/${encodeURIComponent(kind)}` });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('2');
    expect(response.json()).toMatchObject({ code: 'STORE_UNAVAILABLE', status: 503 });
    // The driver's message (it may name a host or port) is not passed on.
    expect(response.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|administrator/);
  });

  it('still answers 500 without Retry-After for any other error', async () => {
    const response = await app.inject({ url: '/store/other' });
    expect(response.statusCode).toBe(500);
    expect(response.headers['retry-after']).toBeUndefined();
  });
});
