/**
 * examples/agency-client against a running server: it signs the token request, calls services over
 * HTTP and checks the response hash; the exchange's refusals reach it as code, detail and action.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { FastifyInstance } from 'fastify';
import { AgencyClient, ExchangeError } from '../examples/agency-client/src/agency.client.js';
import { openAccessLogStore } from '../src/audit/access-log.store.js';
import { buildApp } from '../src/http/app.js';
import { generatePopulation } from '../src/registry/population.generator.js';
import { systemClock } from '../src/shared/clock.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import path from 'node:path';
import { adoptApp, grant, onboard, type TestAgency } from './exchange.fixture.js';
import { testIdentity } from './officer-session.js';
import { createTestDatabase } from './test-database.js';

let app: FastifyInstance;
let baseUrl: string;
let close: () => Promise<void>;
let person: { id_number: string; full_name: string; birth_date: string };
let privateJwk: JWK;
const clientId = 'VN/COM/VCB/ekyc';
const context = { officerId: 'o-0042', caseReference: 'HS-2026-001234', purpose: 'KYC' };

/** The address a fetch is for (the client passes URL objects). */
const urlOf = (input: Parameters<typeof fetch>[0]): string => (input instanceof Request ? input.url : input instanceof URL ? input.href : input);

beforeAll(async () => {
  const database = await createTestDatabase('sqlite');
  await loadPopulation(database, generatePopulation({ people: 200, seed: 9, today: '2026-01-01' }));
  person = await database.db.selectFrom('persons').select(['id_number', 'full_name', 'birth_date']).where('status', '=', 'alive').where('birth_date', 'like', '19__-__-__').orderBy('id_number').executeTakeFirstOrThrow();
  const accessLogStore = await openAccessLogStore(database, path.join(path.dirname(database.location), 'access-log.db'));
  const identity = testIdentity(database.db, systemClock);
  app = await buildApp({ database, accessLogStore, clock: systemClock, operatorToken: 'agency-client-test-operator-token-0123', identity, logger: false, webRoot: '/nonexistent-web-root' });
  adoptApp(app, identity, systemClock);
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  close = async () => {
    await app.close();
    await accessLogStore.close();
    await database.close();
  };
  // The agency's keys as `sachsong agency keygen` makes them: a public JWKS registered, a private JWK kept.
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  privateJwk = { ...(await exportJWK(privateKey)), kid: 'vcb-2026', alg: 'EdDSA' };
  const agency: TestAgency = { clientId, kid: 'vcb-2026', privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid: 'vcb-2026', alg: 'EdDSA', use: 'sig' }, officerId: context.officerId };
  await onboard(app, agency, 'bank');
  await grant(app, clientId, { service: 'verify', fields: ['fullName', 'birthDate'], purposes: [{ code: 'KYC', text: 'Xác minh khách hàng' }] });
  await grant(app, clientId, { service: 'person', fields: ['fullName'], purposes: [{ code: 'KYC', text: 'Xác minh khách hàng' }] });
}, 60_000);

afterAll(async () => {
  await close();
});

describe('the agency client example', () => {
  it('gets a token with a signed assertion and verifies a person over HTTP, checking the response hash', async () => {
    const client = new AgencyClient({ baseUrl, clientId, privateJwk });
    const reply = await client.call<{ match: boolean; status: string }>('verify', { idNumber: person.id_number, fullName: person.full_name, birthDate: person.birth_date }, context);
    expect(reply.result).toMatchObject({ match: true, status: 'MATCH' });
    const other = await client.call<{ fullName?: string }>('person', { idNumber: person.id_number }, context);
    expect(other.result).toEqual({ fullName: person.full_name });
  });

  it('reuses its token until it nears expiry', async () => {
    let tokenRequests = 0;
    const counting: typeof fetch = (input, init) => {
      if (urlOf(input).endsWith('/x/token')) tokenRequests++;
      return fetch(input, init);
    };
    const client = new AgencyClient({ baseUrl, clientId, privateJwk, fetch: counting });
    for (let i = 0; i < 3; i++) await client.call('verify', { idNumber: person.id_number, fullName: person.full_name }, context);
    expect(tokenRequests).toBe(1);
  });

  it('passes on the exchange\'s refusal: code, detail and the action naming the command', async () => {
    const client = new AgencyClient({ baseUrl, clientId, privateJwk });
    const refused = await client.call('verify', { idNumber: person.id_number }, { ...context, officerId: 'o-unknown' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ExchangeError);
    expect(refused).toMatchObject({ status: 403, code: 'OFFICER_UNKNOWN', action: expect.stringContaining(`sachsong agency officer VN/COM/VCB o-unknown`) as unknown });
  });

  it('refuses an answer whose response hash does not bind it to the request', async () => {
    const tampering: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!urlOf(input).includes('/x/services/')) return response;
      const text = (await response.text()).replace('"MATCH"', '"NO_MATCH"');
      return new Response(text, { status: response.status, headers: response.headers });
    };
    const client = new AgencyClient({ baseUrl, clientId, privateJwk, fetch: tampering });
    await expect(client.call('verify', { idNumber: person.id_number, fullName: person.full_name }, context)).rejects.toMatchObject({ code: 'RESPONSE_HASH_MISMATCH' });
  });

  it('a token request signed with another key is refused', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const client = new AgencyClient({ baseUrl, clientId, privateJwk: { ...(await exportJWK(privateKey)), kid: 'vcb-2026', alg: 'EdDSA' } });
    await expect(client.accessToken()).rejects.toMatchObject({ status: 401 });
  });
});

describe('the exchange\'s description and headers', () => {
  it('names every missing call header in one answer', async () => {
    const client = new AgencyClient({ baseUrl, clientId, privateJwk });
    const response = await fetch(`${baseUrl}/x/services/verify`, { method: 'POST', headers: { authorization: `Bearer ${await client.accessToken()}`, 'content-type': 'application/json' }, body: JSON.stringify({ idNumber: person.id_number }) });
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { code: string; detail: string; errors: { missing: string[] }[] };
    expect(problem.code).toBe('HEADERS_MISSING');
    expect(problem.detail).toBe('the call lacks 4 headers: X-Request-Id, X-Officer-Id, X-Case-Reference, X-Purpose');
    expect(problem.errors).toEqual([{ missing: ['X-Request-Id', 'X-Officer-Id', 'X-Case-Reference', 'X-Purpose'] }]);
  });

  it('marks the call headers required in OpenAPI, with examples for headers, bodies and the token request', async () => {
    const spec = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as { paths: Record<string, { post: { parameters: { name: string; in: string; required?: boolean; schema: { examples?: unknown[] }; example?: unknown }[]; requestBody: { content: Record<string, { schema: { examples?: unknown[] }; example?: unknown; examples?: unknown }> } } }> };
    for (const service of ['verify', 'person', 'residence', 'household', 'changes', 'residence-document']) {
      const operation = spec.paths[`/x/services/${service}`]?.post;
      const headers = new Map((operation?.parameters ?? []).filter((p) => p.in === 'header').map((p) => [p.name, p]));
      for (const name of ['x-request-id', 'x-officer-id', 'x-case-reference', 'x-purpose']) {
        expect(headers.get(name)?.required, `${service} ${name}`).toBe(true);
        expect(JSON.stringify(headers.get(name))).toMatch(/example/);
      }
      expect(headers.get('x-client-id')?.required ?? false).toBe(false);
      expect(JSON.stringify(operation?.requestBody.content['application/json'])).toMatch(/example/);
    }
    expect(JSON.stringify(spec.paths['/x/token']?.post.requestBody)).toContain('client_credentials');
  });
});
