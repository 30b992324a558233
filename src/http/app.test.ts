import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allScopesKey } from '../../test/officer-session.js';
import { createTestDatabase, dialects } from '../../test/test-database.js';
import { RegistryService } from '../registry/registry.service.js';
import { fixedClock } from '../shared/clock.js';
import type { Database } from '../store/database.js';
import { buildApp } from './app.js';

const token = 'test-operator-token-0123456789abcdef';
let auth: Record<string, string> = {};

describe.each(dialects)('HTTP API on %s', (dialect) => {
  let database: Database;
  let app: FastifyInstance;
  const logLines: string[] = [];
  const clock = fixedClock('2025-09-01T08:00:00Z');

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    const registry = new RegistryService({ db: database.db, clock });
    await registry.register({
      type: 'registration', idNumber: '079203012345', occurredOn: '2025-09-01', officerId: 'OFF-1', reason: null,
      facts: { fullName: 'Lê Văn Đức', birthDate: '2003-04-05', sex: 'M', birthProvince: '079', currentCommune: '00004', currentAddress: '12 Phố Huế', householdId: 'HH-79-1', relationshipToHead: 'head', permanentCommune: '00004' },
    });
    const sink = new Writable({ write(chunk: Buffer, _enc, done) { logLines.push(chunk.toString()); done(); } });
    const keyed = await allScopesKey(database.db, clock);
    auth = keyed.headers;
    app = await buildApp({ database, clock, operatorToken: token, identity: keyed.identity, logger: pino({ level: 'info' }, sink) });
  });
  afterAll(async () => {
    await app.close();
    await database.close();
  });

  it('refuses operator endpoints without a valid token, as problem+json', async () => {
    const none = await app.inject({ url: '/api/persons/079203012345' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(none.json()).toMatchObject({ code: 'CREDENTIALS_MISSING', status: 401 });
    const forged = await app.inject({ url: '/api/persons/079203012345', headers: { authorization: 'Bearer forged-token-forged-token-forged' } });
    expect(forged.json()).toMatchObject({ code: 'CREDENTIALS_INVALID' });
  });

  it('serves a person by ID with unit names resolved', async () => {
    const res = await app.inject({ url: '/api/persons/079203012345', headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      idNumber: '079203012345', fullName: 'Lê Văn Đức', sex: 'M', birthProvince: { code: '079' },
      currentResidence: { communeCode: '00004', communeName: 'Phường Ba Đình', address: '12 Phố Huế' },
    });
  });

  it('answers bad and unknown ID numbers with stable codes', async () => {
    const malformed = await app.inject({ url: '/api/persons/07920301234', headers: auth });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ code: 'ID_NUMBER_MALFORMED', action: expect.any(String) as string });
    const unknown = await app.inject({ url: '/api/persons/079203099999', headers: auth });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'PERSON_NOT_FOUND' });
  });

  it('searches with or without diacritics, and by date of birth', async () => {
    for (const name of ['le van duc', 'Lê Văn Đức', 'LE VAN']) {
      const res = await app.inject({ url: `/api/persons?name=${encodeURIComponent(name)}&birth=2003`, headers: auth });
      expect(res.json<{ items: { idNumber: string }[] }>().items.map((i) => i.idNumber)).toEqual(['079203012345']);
    }
    const bad = await app.inject({ url: '/api/persons?name=le&birth=2003-02-30', headers: auth });
    expect(bad.json()).toMatchObject({ code: 'DATE_INVALID' });
    const missing = await app.inject({ url: '/api/persons', headers: auth });
    expect(missing.json()).toMatchObject({ code: 'INPUT_INVALID', status: 400 });
  });

  it('records an event over HTTP and shows it in events and history', async () => {
    const res = await app.inject({
      method: 'POST', url: '/api/persons/079203012345/events', headers: auth,
      payload: { type: 'residence_change', occurredOn: '2025-08-30', officerId: 'OFF-9', reason: null, data: { temporaryCommune: '00008', temporaryAddress: 'KTX' } },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ person: { version: 2, temporaryResidence: { communeCode: '00008' } }, event: { type: 'residence_change' } });
    const events = await app.inject({ url: '/api/persons/079203012345/events', headers: auth });
    expect(events.json<{ items: { type: string }[] }>().items.map((e) => e.type)).toEqual(['registration', 'residence_change']);
    const history = await app.inject({ url: '/api/persons/079203012345/history?at=2025-09-01', headers: auth });
    expect(history.json()).toMatchObject({ version: 2 });
    const badEvent = await app.inject({ method: 'POST', url: '/api/persons/079203012345/events', headers: auth, payload: { type: 'death', occurredOn: '2025-13-01', officerId: null, reason: null, data: {} } });
    expect(badEvent.json()).toMatchObject({ code: 'DATE_INVALID' });
  });

  it('serves households', async () => {
    const res = await app.inject({ url: '/api/households/HH-79-1', headers: auth });
    expect(res.json()).toMatchObject({ householdId: 'HH-79-1', headId: '079203012345', communeName: 'Phường Ba Đình', members: [{ idNumber: '079203012345' }] });
    expect((await app.inject({ url: '/api/households/NOPE', headers: auth })).json()).toMatchObject({ code: 'HOUSEHOLD_NOT_FOUND' });
  });

  it('has health, metrics labelled by route pattern, and an OpenAPI 3.1 description', async () => {
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok', store: dialect });
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/sachsong_http_request_duration_seconds_count\{method="GET",route="\/api\/persons\/:id",status="200"\}/);
    expect(metrics).not.toMatch(/079203012345/);
    const spec = (await app.inject({ url: '/openapi.json' })).json<{ openapi: string; paths: Record<string, unknown> }>();
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/api/persons/{id}', '/api/persons', '/api/persons/{id}/history', '/api/households/{id}', '/healthz']));
    expect((await app.inject({ url: '/docs/' })).statusCode).toBe(200);
  });

  it('keeps personal data out of the logs', () => {
    const all = logLines.join('');
    expect(all).toMatch(/"route":"\/api\/persons\/:id"/);
    // request lines still carry their request id (request loggers are made on first use)
    const requestLine = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.route === '/api/persons/:id');
    expect(requestLine?.reqId).toEqual(expect.any(String));
    expect(all).not.toMatch(/079203012345|Lê Văn|le van duc|Phố Huế/i);
  });
});
