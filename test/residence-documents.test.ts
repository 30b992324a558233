import { generateKeyPairSync, sign } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { JWK } from 'jose';
import { PDFDocument } from 'pdf-lib';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLeaf, type CanonicalAccessRecord } from '../src/audit/access-record.js';
import { CitizenAccountService } from '../src/citizen/citizen-account.service.js';
import { argon2idPasswordHasher } from '../src/citizen/citizen-password.hasher.js';
import { memoryOtpSender } from '../src/citizen/otp.sender.js';
import { buildApp } from '../src/http/app.js';
import type { IdentityModule } from '../src/identity/identity.module.js';
import { RegistryService } from '../src/registry/registry.service.js';
import { residenceDocumentRepository } from '../src/services/residence-document.repository.js';
import { citizenLan, citizenMinh, registerCitizens } from './citizen.fixture.js';
import { accessToken, adoptApp, callHeaders, grant, makeAgencyKeys, movableClock, officerOf, onboard, type MovableClock } from './exchange.fixture.js';
import { verifyOffline } from './offline-residence-verifier.js';
import { testIdentity } from './officer-session.js';
import { createTestDatabase, dialects } from './test-database.js';

/**
 * Signed residence documents end to end on both stores: issued by an officer on request, by the
 * citizen in the portal (JSON and PDF) and to an agency through the exchange; verified online
 * (the public API) and offline (test/offline-residence-verifier.ts, jose and the specs only);
 * selective disclosure, forgeries, expiry, and revocation by a move or a death in the life
 * event's own transaction, published in the status list.
 */

const issuer = 'https://registry.example.vn';
const password = 'Hoa sen nở giữa đầm lầy';
const operatorToken = 'documents-test-operator-token-0123456789';

interface Issued {
  readonly documentId: string;
  readonly credential: string;
  readonly presentation: string;
  readonly qr: string;
  readonly claims: Record<string, unknown>;
  readonly statusList: { readonly uri: string; readonly idx: number };
}

interface VerifyAnswer { readonly result: string; readonly documentId: string | null; readonly disclosed: Record<string, unknown> }

describe.each(dialects)('residence documents on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: FastifyInstance;
  let clock: MovableClock;
  let identity: IdentityModule;
  let commune = '';
  let clerk: Record<string, string> = {};
  let jwks: { keys: JWK[] } = { keys: [] };
  const citizen: { cookie: string; csrf: string } = { cookie: '', csrf: '' };

  const records = async (): Promise<CanonicalAccessRecord[]> => {
    const rows = await store.db.selectFrom('access_records').select('leaf').orderBy('idx').execute();
    return rows.map((r) => parseLeaf(r.leaf)).filter((r): r is CanonicalAccessRecord => r !== undefined);
  };
  const verify = async (presentation: string): Promise<{ status: number; body: VerifyAnswer & { code?: string } }> => {
    const res = await app.inject({ method: 'POST', url: '/documents/verify', payload: { presentation } });
    return { status: res.statusCode, body: res.json() };
  };
  const statusListOf = async (uri: string): Promise<string> => {
    const res = await app.inject({ url: new URL(uri).pathname });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/statuslist+jwt');
    return res.body;
  };
  const issueAsClerk = async (person: string, body: Record<string, unknown> = {}): Promise<Issued> => {
    const res = await app.inject({ method: 'POST', url: `/api/persons/${person}/residence-documents`, headers: { ...clerk, 'x-case-reference': 'HS-CT07-0042' }, payload: body });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<Issued>();
  };

  beforeAll(async () => {
    store = await createTestDatabase(dialect);
    clock = movableClock('2026-03-01T08:00:00.000Z');
    await registerCitizens(new RegistryService({ db: store.db, clock }), [citizenLan, citizenMinh]);
    identity = testIdentity(store.db, clock);
    const hasher = argon2idPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
    const otp = memoryOtpSender();
    app = await buildApp({ database: store, clock, operatorToken, identity, logger: false, citizenOtp: otp, citizenHasher: hasher, publicUrl: issuer, webRoot: '/nonexistent-web-root' });
    await app.ready();
    adoptApp(app, identity, clock);
    const place = identity.ties.ties({ idNumber: citizenLan.idNumber, permanentCommune: citizenLan.facts.permanentCommune, temporaryCommune: null, currentCommune: null, householdCommune: null }).communes[0];
    commune = place?.commune ?? '';
    clerk = { ...(await officerOf(app, 'registry_clerk', { level: 'commune', code: commune })).headers };
    const accounts = new CitizenAccountService({ db: store.db, clock, hasher, otp });
    const { challengeId } = await accounts.startActivation({ idNumber: citizenLan.idNumber, fullName: citizenLan.facts.fullName, birthDate: citizenLan.facts.birthDate, phone: citizenLan.phone });
    await accounts.confirmActivation({ challengeId, code: otp.sent.at(-1)?.code ?? '', password });
    const signIn = await app.inject({ method: 'POST', url: '/citizen/portal/sign-in', payload: { idNumber: citizenLan.idNumber, password } });
    expect(signIn.statusCode, signIn.body).toBe(200);
    citizen.cookie = (String(signIn.headers['set-cookie']).split(';')[0]) ?? '';
    citizen.csrf = signIn.json<{ csrfToken: string }>().csrfToken;
    jwks = (await app.inject({ url: '/documents/jwks.json' })).json();
  }, 120_000);

  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it('publishes the issuer metadata and the JWKS without the private key', async () => {
    const meta = (await app.inject({ url: '/.well-known/jwt-vc-issuer' })).json<{ issuer: string; jwks: { keys: JWK[] } }>();
    expect(meta.issuer).toBe(issuer);
    expect(meta.jwks).toEqual(jwks);
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('an officer issues one on request: signed, recorded in the access log, valid online and offline', async () => {
    const before = (await records()).length;
    const doc = await issueAsClerk(citizenLan.idNumber);
    expect(doc.claims).toMatchObject({
      idNumber: citizenLan.idNumber, fullName: 'Nguyễn Thị Lan', birthDate: '1990-03-12',
      permanentResidence: { address: 'Số 5 ngõ 12 Đội Cấn', communeCode: '00004' },
      residenceProvince: { code: '01', name: 'Thành phố Hà Nội' },
    });
    expect(doc.qr).toBe(`${issuer}/verify/residence#${doc.presentation}`);
    const added = (await records()).slice(before);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ personId: citizenLan.idNumber, service: 'document.residence', clientId: 'VN/GOV/sachsong/officer', readerRole: 'registry_clerk', caseReference: 'HS-CT07-0042', legalBasis: 'Luật Cư trú 2020' });
    expect([...(added[0]?.fields ?? [])].sort()).toEqual(Object.keys(doc.claims).sort());
    const online = await verify(doc.presentation);
    expect(online.status).toBe(200);
    expect(online.body.result).toBe('valid');
    expect(online.body.documentId).toBe(doc.documentId);
    expect(online.body.disclosed).toEqual(doc.claims);
    // The QR code's content verifies as the bare presentation does.
    expect((await verify(doc.qr)).body.result).toBe('valid');
    const offline = await verifyOffline(doc.presentation, jwks, { now: clock.now(), issuer, statusList: await statusListOf(doc.statusList.uri) });
    expect(offline).toEqual({ result: 'valid', claims: doc.claims, statusChecked: true });
  });

  it('shows only what the holder discloses: "lives in province X" alone', async () => {
    const doc = await issueAsClerk(citizenLan.idNumber, { disclose: ['residenceProvince'] });
    const online = await verify(doc.presentation);
    expect(online.body.result).toBe('valid');
    expect(online.body.disclosed).toEqual({ residenceProvince: { code: '01', name: 'Thành phố Hà Nội' } });
    expect(doc.presentation).not.toContain(Buffer.from('Nguyễn').toString('base64url').slice(0, 6));
    const offline = await verifyOffline(doc.presentation, jwks, { now: clock.now(), issuer });
    expect(offline.claims).toEqual({ residenceProvince: { code: '01', name: 'Thành phố Hà Nội' } });
    // A document may carry fewer claims to begin with.
    const narrow = await issueAsClerk(citizenLan.idNumber, { claims: ['fullName', 'residenceCommune'] });
    expect(Object.keys(narrow.claims).sort()).toEqual(['fullName', 'residenceCommune']);
    expect((await verify(narrow.credential)).body.disclosed).toEqual(narrow.claims);
  });

  it('refuses forgeries: an altered disclosure, an altered signature, another key, a made-up key id', async () => {
    const doc = await issueAsClerk(citizenLan.idNumber, { disclose: ['residenceProvince'] });
    const [jwt = '', disclosure = ''] = doc.presentation.split('~');
    const [salt, , value] = JSON.parse(Buffer.from(disclosure, 'base64url').toString()) as [string, string, { code: string; name: string }];
    const altered = Buffer.from(JSON.stringify([salt, 'residenceProvince', { ...value, code: '79', name: 'Thành phố Hồ Chí Minh' }])).toString('base64url');
    const cases: Record<string, string> = {
      'altered disclosure': `${jwt}~${altered}~`,
      'repeated disclosure': `${jwt}~${disclosure}~${disclosure}~`,
      'altered signature': `${jwt.slice(0, -6)}${jwt.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA'}~${disclosure}~`,
      'altered payload': `${jwt.split('.')[0] ?? ''}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as object, exp: 4_000_000_000 })).toString('base64url')}.${jwt.split('.')[2] ?? ''}~${disclosure}~`,
    };
    // Signed with a key the registry never published, under its key id and under a made-up one.
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    for (const kid of [jwks.keys[0]?.kid ?? '', 'residence-documents-9']) {
      const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'dc+sd-jwt', kid })).toString('base64url');
      const body = jwt.split('.')[1] ?? '';
      const sig = sign('sha256', Buffer.from(`${header}.${body}`), { key: other, dsaEncoding: 'ieee-p1363' }).toString('base64url');
      cases[`another key (${kid})`] = `${header}.${body}.${sig}~${disclosure}~`;
    }
    for (const [name, presentation] of Object.entries(cases)) {
      const online = await verify(presentation);
      expect(online.body.result, name).toBe('forged');
      expect(online.body.disclosed, name).toEqual({});
      expect((await verifyOffline(presentation, jwks, { now: clock.now(), issuer })).result, name).toBe('forged');
    }
    for (const garbage of ['hello', 'a.b.c', jwt, '~~~']) {
      const res = await verify(garbage);
      expect(res.status, garbage).toBe(400);
      expect(res.body.code).toBe('DOCUMENT_MALFORMED');
    }
    // Verification records: result, document id and claim names; no values, nothing of the verifier.
    const rows = await store.db.selectFrom('document_verifications').selectAll().execute();
    expect(rows.length).toBeGreaterThan(8);
    expect(Object.keys(rows[0] ?? {}).sort()).toEqual(['channel', 'disclosed', 'document_id', 'result', 'verification_id', 'verified_at']);
    expect(JSON.stringify(rows)).not.toContain('Nguyễn');
    expect(JSON.stringify(rows)).not.toContain(citizenLan.idNumber);
  });

  it('the citizen gets their own in the portal, as JSON and as a PDF with its QR code, each recorded in their log', async () => {
    const headers = { cookie: citizen.cookie, 'x-csrf-token': citizen.csrf };
    const noCsrf = await app.inject({ method: 'POST', url: '/citizen/portal/documents/residence', headers: { cookie: citizen.cookie }, payload: {} });
    expect(noCsrf.statusCode).toBe(403);
    const signedOut = await app.inject({ method: 'POST', url: '/citizen/portal/documents/residence', payload: {} });
    expect(signedOut.statusCode).toBe(401);
    const before = (await records()).length;
    const json = await app.inject({ method: 'POST', url: '/citizen/portal/documents/residence', headers, payload: { disclose: ['fullName', 'permanentResidence'] } });
    expect(json.statusCode, json.body).toBe(200);
    const doc = json.json<Issued>();
    expect((await verify(doc.qr)).body.disclosed).toEqual({ fullName: doc.claims.fullName, permanentResidence: doc.claims.permanentResidence });
    const pdf = await app.inject({ method: 'POST', url: '/citizen/portal/documents/residence', headers, payload: { format: 'pdf', disclose: ['fullName', 'residenceProvince'] } });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const bytes = pdf.rawPayload;
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    const parsed = await PDFDocument.load(bytes);
    expect(parsed.getPageCount()).toBe(1);
    expect(parsed.getTitle()).toBe('Xác nhận thông tin về cư trú');
    // The Vietnamese font is embedded (a subset), not a standard font without the marks.
    expect(bytes.toString('latin1')).toMatch(/\/BaseFont \/DejaVuSans/);
    expect(bytes.toString('latin1')).not.toContain('/Helvetica');
    const added = (await records()).slice(before);
    expect(added).toHaveLength(2);
    expect(added[0]).toMatchObject({ personId: citizenLan.idNumber, clientId: 'VN/GOV/sachsong/citizen-portal', service: 'document.residence' });
    const mine = await app.inject({ url: '/citizen/portal/documents', headers: { cookie: citizen.cookie } });
    const items = mine.json<{ items: { documentId: string; status: string; verifications: number; issuedTo: string }[] }>().items;
    expect(items.find((i) => i.documentId === doc.documentId)).toMatchObject({ status: 'valid', verifications: 1, issuedTo: 'citizen' });
  });

  it('a move revokes every document of the person in the life event\'s transaction; the status list shows it', async () => {
    const doc = await issueAsClerk(citizenLan.idNumber);
        const move = await app.inject({ method: 'POST', url: `/api/persons/${citizenLan.idNumber}/events`, headers: clerk, payload: { type: 'residence_change', occurredOn: '2026-02-28', officerId: null, reason: null, data: { permanentCommune: '00004', permanentAddress: 'Số 9 phố Kim Mã' } } });
    expect(move.statusCode, move.body).toBe(201);
    expect((await verify(doc.presentation)).body.result).toBe('revoked');
    const list = await statusListOf(doc.statusList.uri);
    expect((await verifyOffline(doc.presentation, jwks, { now: clock.now(), issuer, statusList: list })).result).toBe('revoked');
    // Without the list an offline verifier sees only the signature: why documents are short-lived and lists cached briefly.
    expect((await verifyOffline(doc.presentation, jwks, { now: clock.now(), issuer })).result).toBe('valid');
    const rows = await store.db.selectFrom('residence_documents').select(['status', 'revoked_reason']).where('person_id', '=', citizenLan.idNumber).execute();
    expect(rows.every((r) => r.status === 'revoked')).toBe(true);
    expect(rows.some((r) => r.revoked_reason === 'residence_change')).toBe(true);
    const fresh = await issueAsClerk(citizenLan.idNumber);
    expect(fresh.claims.permanentResidence).toMatchObject({ address: 'Số 9 phố Kim Mã' });
    expect((await verify(fresh.presentation)).body.result).toBe('valid');
    const freshList = await statusListOf(fresh.statusList.uri);
    expect((await verifyOffline(fresh.presentation, jwks, { now: clock.now(), issuer, statusList: freshList })).result).toBe('valid');
  });

  it('a move waits for an issuance in flight (the holder\'s lock) and revokes the document it wrote', async () => {
    let locked: () => void = () => undefined;
    let release: () => void = () => undefined;
    const isLocked = new Promise<void>((resolve) => { locked = resolve; });
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const documentId = `race-${dialect}`;
    // An issuance as the service runs it, held open after writing its document.
    const issuance = store.db.transaction().execute(async (trx) => {
      const at = clock.now().toISOString();
      await residenceDocumentRepository.lockHolder(trx, citizenLan.idNumber, at);
      await residenceDocumentRepository.insert(trx, { document_id: documentId, person_id: citizenLan.idNumber, issued_to: 'officer', issued_by: 'test', claims: '["permanentResidence"]', key_id: 'residence-documents-1', issued_at: at, expires_at: at, status: 'valid', revoked_at: null, revoked_reason: null });
      locked();
      await gate;
    });
    await isLocked;
    const move = app.inject({ method: 'POST', url: `/api/persons/${citizenLan.idNumber}/events`, headers: clerk, payload: { type: 'residence_change', occurredOn: '2026-02-28', officerId: null, reason: null, data: { permanentCommune: '00004', permanentAddress: 'Số 11 phố Kim Mã' } } });
    // On PostgreSQL the move's transaction is seen waiting for the lock; SQLite's one connection queues it behind the issuance anyway.
    if (dialect === 'postgres') await expect.poll(async () => (await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(store.db)).rows[0]?.n ?? 0, { timeout: 20_000 }).toBeGreaterThan(0);
    release();
    await issuance;
    expect((await move).statusCode).toBe(201);
    const row = await store.db.selectFrom('residence_documents').select(['status', 'revoked_reason']).where('document_id', '=', documentId).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'revoked', revoked_reason: 'residence_change' });
  });

  it('an agency receives one through the exchange under a grant: only granted claims, recorded', async () => {
    const agency = await makeAgencyKeys(`VN/COM/BANK${dialect === 'sqlite' ? 'S' : 'P'}/kyc`);
    await onboard(app, agency, 'bank');
    await grant(app, agency.clientId, { service: 'residence-document', fields: ['fullName', 'residenceProvince', 'permanentResidence'] });
    const token = await accessToken(app, agency, clock);
    const call = async (body: unknown): Promise<{ status: number; json: { code?: string; result?: { credential: string; documentId: string } }; requestId: string }> => {
      const headers = callHeaders(token, agency);
      const res = await app.inject({ method: 'POST', url: '/x/services/residence-document', headers, payload: body as Record<string, unknown> });
      return { status: res.statusCode, json: res.json(), requestId: headers['x-request-id'] ?? '' };
    };
    const refused = await call({ idNumber: citizenLan.idNumber, fields: ['fullName', 'idNumber'] });
    expect(refused.status).toBe(403);
    expect(refused.json.code).toBe('FIELD_NOT_GRANTED');
    const ok = await call({ idNumber: citizenLan.idNumber, fields: ['fullName', 'residenceProvince'] });
    expect(ok.status).toBe(200);
    const credential = ok.json.result?.credential ?? '';
    const online = await verify(credential);
    expect(online.body.result).toBe('valid');
    expect(Object.keys(online.body.disclosed).sort()).toEqual(['fullName', 'residenceProvince']);
    const added = (await records()).filter((r) => r.requestId === ok.requestId);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ clientId: agency.clientId, service: 'VN/GOV/BCA/REGISTRY/residence-document', fields: ['fullName', 'residenceProvince'] });
    const row = await store.db.selectFrom('residence_documents').selectAll().where('document_id', '=', ok.json.result?.documentId ?? '').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ issued_to: 'agency', issued_by: agency.clientId });
  });

  it('refuses bad requests with a stable code and writes nothing', async () => {
    const count = async (): Promise<number> => (await store.db.selectFrom('residence_documents').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
    const before = await count();
    const unknownClaim = await app.inject({ method: 'POST', url: `/api/persons/${citizenLan.idNumber}/residence-documents`, headers: clerk, payload: { claims: ['salary'] } });
    expect(unknownClaim.statusCode).toBe(400);
    const outside = await app.inject({ method: 'POST', url: `/api/persons/${citizenMinh.idNumber}/residence-documents`, headers: clerk, payload: {} });
    expect(outside.statusCode).toBe(403);
    expect(outside.json<{ code: string }>().code).toBe('OUTSIDE_JURISDICTION');
    const nobody = await app.inject({ method: 'POST', url: '/api/persons/001190999999/residence-documents', headers: clerk, payload: {} });
    expect(nobody.statusCode).toBe(404);
    const noList = await app.inject({ url: '/documents/status-lists/99' });
    expect(noList.statusCode).toBe(404);
    expect(noList.json<{ code: string }>().code).toBe('STATUS_LIST_NOT_FOUND');
    expect(await count()).toBe(before);
  });

  it('a death revokes the documents; a deceased person gets none', async () => {
    const doc = await issueAsClerk(citizenLan.idNumber);
    const death = await app.inject({ method: 'POST', url: `/api/persons/${citizenLan.idNumber}/events`, headers: clerk, payload: { type: 'death', occurredOn: '2026-02-28', officerId: null, reason: null, data: { status: 'deceased', deathDate: '2026-02-28' } } });
    expect(death.statusCode, death.body).toBe(201);
    expect((await verify(doc.presentation)).body.result).toBe('revoked');
    const none = await app.inject({ method: 'POST', url: `/api/persons/${citizenLan.idNumber}/residence-documents`, headers: clerk, payload: {} });
    expect(none.statusCode).toBe(409);
    expect(none.json<{ code: string }>().code).toBe('PERSON_DECEASED');
  });

  it('expires after its validity: refused online and offline', async () => {
    const minhClerk = { ...(await officerOf(app, 'registry_clerk', { level: 'commune', code: identity.ties.ties({ idNumber: citizenMinh.idNumber, permanentCommune: citizenMinh.facts.permanentCommune, temporaryCommune: null, currentCommune: null, householdCommune: null }).communes[0]?.commune ?? '' })).headers };
    const res = await app.inject({ method: 'POST', url: `/api/persons/${citizenMinh.idNumber}/residence-documents`, headers: minhClerk, payload: {} });
    expect(res.statusCode, res.body).toBe(200);
    const doc = res.json<Issued>();
    clock.advance(179 * 86_400_000);
    expect((await verify(doc.presentation)).body.result).toBe('valid');
    clock.advance(2 * 86_400_000);
    const online = await verify(doc.presentation);
    expect(online.body.result).toBe('expired');
    expect((await verifyOffline(doc.presentation, jwks, { now: clock.now(), issuer })).result).toBe('expired');
  });
});
