import { allScopesKey } from '../../test/officer-session.js';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects } from '../../test/test-database.js';
import { buildApp } from '../http/app.js';
import { RegistryService } from '../registry/registry.service.js';
import { fixedClock } from '../shared/clock.js';
import type { Database } from '../store/database.js';

const token = 'verify-test-token-0123456789abcdef';
let auth: Record<string, string> = {};

describe.each(dialects)('POST /api/verify on %s', (dialect) => {
  let database: Database;
  let app: FastifyInstance;
  const logLines: string[] = [];
  const clock = fixedClock('2025-09-01T08:00:00Z');

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    await new RegistryService({ db: database.db, clock }).register({
      type: 'registration', idNumber: '079203012345', occurredOn: '2025-09-01', officerId: 'OFF-1', reason: null,
      facts: { fullName: 'Lê Văn Đức', birthDate: '2003-04-05', sex: 'M', birthProvince: '079', permanentCommune: '00004', permanentAddress: '12 Phố Huế', householdId: 'HH-79-1', relationshipToHead: 'head' },
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

  it('answers yes or no with a result per field and no registry data', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/verify', headers: auth, payload: { idNumber: '079203012345', fullName: 'LE VAN DUC', birthDate: '05/04/2003', sex: 'M' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ match: false, status: 'NO_MATCH', strategy: 'exact', fields: { fullName: 'close', birthDate: 'exact', sex: 'exact' } });
    expect(res.body).not.toContain('Lê');
    const partial = await app.inject({ method: 'POST', url: '/api/verify', headers: auth, payload: { idNumber: '079203012345', fullName: 'LE VAN DUC', birthDate: '2003-04-05', strategy: 'partial', threshold: 0.8 } });
    expect(partial.json()).toMatchObject({ match: true, status: 'MATCH', strategy: 'partial', score: expect.any(Number) as number });
  });

  it('answers an unknown person as NOT_FOUND with 200 (a verification answer, not an error)', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/verify', headers: auth, payload: { idNumber: '079203099999', fullName: 'Lê Văn Đức' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ match: false, status: 'NOT_FOUND', fields: {}, strategy: 'exact' });
  });

  it('answers errors as problem+json with code, message and action', async () => {
    const malformed = await app.inject({ method: 'POST', url: '/api/verify', headers: auth, payload: { idNumber: '12345', fullName: 'A' } });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(malformed.json()).toMatchObject({ code: 'ID_NUMBER_MALFORMED', detail: expect.any(String) as string, action: expect.any(String) as string });
    const extra = await app.inject({ method: 'POST', url: '/api/verify', headers: auth, payload: { idNumber: '079203012345', fullName: 'A', salary: 1 } });
    expect(extra.json()).toMatchObject({ status: 400, code: 'INPUT_INVALID' });
    const threshold = await app.inject({ method: 'POST', url: '/api/verify', headers: auth, payload: { idNumber: '079203012345', fullName: 'A', strategy: 'partial', threshold: 2 } });
    expect(threshold.json()).toMatchObject({ status: 400, code: 'INPUT_INVALID' });
    const noDetails = await app.inject({ method: 'POST', url: '/api/verify', headers: auth, payload: { idNumber: '079203012345' } });
    expect(noDetails.json()).toMatchObject({ status: 400, code: 'VERIFY_NO_DETAILS' });
    const broken = await app.inject({ method: 'POST', url: '/api/verify', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"idNumber": ' });
    expect(broken.statusCode).toBe(400);
    expect(broken.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('is behind the operator token and keeps personal data out of the logs', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/verify', payload: { idNumber: '079203012345', fullName: 'Lê Văn Đức' } });
    expect(res.statusCode).toBe(401);
    const logs = logLines.join('');
    expect(logs).toContain('/api/verify');
    expect(logs).not.toContain('079203012345');
    expect(logs).not.toContain('DUC');
  });
});
