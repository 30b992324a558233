import { allScopesKey } from './officer-session.js';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAccessLog } from '../src/audit/access-log.service.js';
import type { AccessLog } from '../src/audit/access-log.types.js';
import { generateSignerKey } from '../src/audit/checkpoint-note.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../src/audit/merkle-tree.js';
import { buildApp } from '../src/http/app.js';
import { fixedClock } from '../src/shared/clock.js';
import type { Database } from '../src/store/database.js';
import { createTestDatabase, dialects } from './test-database.js';

const token = 'audit-test-token-0123456789abcdef';
let auth: Record<string, string> = {};
const citizen = '079203012345';
const hex = (s: string): Buffer => Buffer.from(s, 'hex');

interface CheckpointBody { treeSize: number; rootHash: string; note: string; verifierKey: string }
interface TrackerBody {
  checkpoint: CheckpointBody | null;
  entries: { index: number; leaf: string; leafHash: string; proof: string[]; record: { purpose: string; legalBasis: string; clientId: string; consentId?: string } }[];
  nextBefore: number | null;
}

describe.each(dialects)('the access log API on %s', (dialect) => {
  let database: Database;
  let app: FastifyInstance;
  let log: AccessLog;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    log = openAccessLog(database);
    // Released on 2026-11-20: two ordinary uses, one police enquiry deferred to 2026-12-15.
    const base = { at: '2026-11-20T03:00:00Z', officerId: 'officer-1', service: 'person.read', fields: ['fullName', 'currentAddress'], visibility: 'public' as const };
    await log.appendMany([
      { ...base, personId: citizen, clientId: 'VN/GOV/BHXH/insurance-portal', purpose: 'Cấp thẻ BHYT', legalBasis: 'Luật BHYT 2008', requestId: 'r1' },
      { ...base, personId: '079203000001', clientId: 'VN/GOV/BHXH/insurance-portal', purpose: 'Cấp thẻ BHYT', legalBasis: 'Luật BHYT 2008', requestId: 'r2' },
      { ...base, personId: citizen, clientId: 'VN/GOV/BCA/investigation', purpose: 'Điều tra', legalBasis: 'Bộ luật TTHS 2015, Điều 88', requestId: 'r3', visibility: { deferredUntil: '2026-12-15' }, caseReference: 'VA-77' },
      { ...base, personId: citizen, clientId: 'VN/COM/VCB/kyc', purpose: 'Mở tài khoản', legalBasis: 'Đồng ý của công dân', consentId: 'consent-9', requestId: 'r4' },
    ]);
    const keyed = await allScopesKey(database.db, fixedClock('2026-11-27T08:00:00Z'));
    auth = keyed.headers;
    app = await buildApp({ database, clock: fixedClock('2026-11-27T08:00:00Z'), operatorToken: token, identity: keyed.identity, logger: false, accessLog: log, auditSigningKey: generateSignerKey('test.sachsong/access-log') });
  });
  afterAll(async () => {
    await app.close();
    await log.close();
    await database.close();
  });

  it("serves the citizen's tracker with proofs against a signed checkpoint, deferred entries hidden", async () => {
    const response = await app.inject({ url: `/api/citizens/${citizen}/access-records`, headers: auth });
    expect(response.statusCode).toBe(200);
    const body = response.json<TrackerBody>();
    expect(body.entries.map((e) => e.record.purpose)).toEqual(['Mở tài khoản', 'Cấp thẻ BHYT']);
    expect(body.entries[0]?.record.consentId).toBe('consent-9');
    const checkpoint = body.checkpoint;
    expect(checkpoint?.note.startsWith(`test.sachsong/access-log\n${checkpoint.treeSize}\n`)).toBe(true);
    for (const entry of body.entries) {
      expect(leafHash(entry.leaf).toString('hex')).toBe(entry.leafHash);
      expect(verifyInclusion(entry.index, checkpoint?.treeSize ?? 0, hex(entry.leafHash), entry.proof.map(hex), hex(checkpoint?.rootHash ?? ''))).toBe(true);
    }
    // Nothing about other people.
    expect(JSON.stringify(body)).not.toContain('079203000001');
  });

  it('serves checkpoints and both kinds of proof', async () => {
    const first = (await app.inject({ url: '/api/audit/checkpoint', headers: auth })).json<CheckpointBody>();
    expect(first.treeSize).toBe(4);
    const inclusion = await app.inject({ url: '/api/audit/proofs/inclusion?index=2&treeSize=4', headers: auth });
    const proof = inclusion.json<{ leafHash: string; proof: string[] }>();
    expect(verifyInclusion(2, 4, hex(proof.leafHash), proof.proof.map(hex), hex(first.rootHash))).toBe(true);

    await log.append({ personId: citizen, at: '2026-11-27T07:00:00Z', clientId: 'VN/GOV/BHXH/insurance-portal', officerId: 'officer-2', service: 'person.verify', purpose: 'Gia hạn', legalBasis: 'Luật BHYT 2008', fields: ['fullName'], visibility: 'public', requestId: 'r5' });
    const second = (await app.inject({ url: '/api/audit/checkpoint', headers: auth })).json<CheckpointBody>();
    expect(second.treeSize).toBe(5);
    const consistency = (await app.inject({ url: '/api/audit/proofs/consistency?first=4&second=5', headers: auth })).json<{ proof: string[] }>();
    expect(verifyConsistency(4, 5, hex(first.rootHash), hex(second.rootHash), consistency.proof.map(hex))).toBe(true);
  });

  it('answers bad requests with problem+json and refuses callers without the operator token', async () => {
    expect((await app.inject({ url: `/api/citizens/${citizen}/access-records` })).statusCode).toBe(401);
    const malformed = await app.inject({ url: '/api/citizens/12345/access-records', headers: auth });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(malformed.json()).toMatchObject({ code: 'ID_NUMBER_MALFORMED' });
    const beyond = await app.inject({ url: '/api/audit/proofs/inclusion?index=0&treeSize=999', headers: auth });
    expect(beyond.statusCode).toBe(400);
    expect(beyond.json()).toMatchObject({ code: 'TREE_SIZE_INVALID' });
    expect((await app.inject({ url: '/api/audit/proofs/consistency?first=5&second=4', headers: auth })).statusCode).toBe(400);
  });
});
