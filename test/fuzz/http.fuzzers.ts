import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { accessToken, adminKey, grant, makeAgencyKeys, onboard, startExchangeFixture, type ExchangeFixture, type TestAgency } from '../exchange.fixture.js';
import { bytesArbitrary, fuzzer, invariant, nastyText, type AnyFuzzer } from './fuzz-harness.js';

/**
 * Fuzzers of request bodies through the whole HTTP app (`app.inject`: Fastify's parsers, the
 * schemas, the routes and the error handler): random JSON, random bytes under every content type,
 * structured bodies with hostile values. Whatever comes in, the answer is never a 5xx, and an
 * error is problem+json.
 */

type Body =
  | { readonly kind: 'json'; readonly value: unknown }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array; readonly contentType: string | undefined }
  | { readonly kind: 'form'; readonly pairs: readonly (readonly [string, string])[] };

const contentTypes = [undefined, 'application/json', 'application/json; charset=latin1', 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x', 'application/xml', 'application/problem+json', '*/*', ';;;'];

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  nastyText, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(Number.POSITIVE_INFINITY), fc.constant(-0),
  fc.array(nastyText, { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 }),
  fc.stringMatching(/^\d{12}$/), fc.constantFrom('1990-02-30', '1990', '1990-13', '9999-12-31', '0000-01-01', '2027-01-01'),
);

function bodyArbitrary(fields: readonly string[]): fc.Arbitrary<Body> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.dictionary(fc.oneof(fc.constantFrom(...fields, '__proto__', 'constructor', 'prototype'), fc.string({ maxLength: 10 })), hostileValue, { maxKeys: 8 }).map((value) => ({ kind: 'json' as const, value })) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 5 }).map((value) => ({ kind: 'json' as const, value })) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('bytes' as const), bytes: bytesArbitrary, contentType: fc.constantFrom(...contentTypes) }) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 3_000 }), fc.constantFrom('[', '{"a":')).map(([n, open]) => ({ kind: 'bytes' as const, bytes: Buffer.from(open.repeat(n)), contentType: 'application/json' })) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('form' as const), pairs: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...fields), nastyText), nastyText), { maxLength: 6 }) }) },
  );
}

function inject(body: Body): { readonly payload: string | Buffer; readonly headers: Record<string, string> } {
  switch (body.kind) {
    case 'json': return { payload: JSON.stringify(body.value), headers: { 'content-type': 'application/json' } };
    case 'bytes': return { payload: Buffer.from(body.bytes), headers: body.contentType === undefined ? {} : { 'content-type': body.contentType } };
    case 'form': return { payload: new URLSearchParams(body.pairs.map(([k, v]) => [k, v])).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  }
}

/** The answer is not a server error, and an error has a problem+json body with a code. */
function checkAnswer(route: string, response: { readonly statusCode: number; readonly headers: Record<string, unknown>; readonly body: string }): void {
  invariant(response.statusCode < 500, `${route} answered ${response.statusCode}: ${response.body.slice(0, 200)}`);
  if (response.statusCode >= 400) {
    invariant(String(response.headers['content-type']).startsWith('application/problem+json'), `${route} ${response.statusCode} is problem+json (${String(response.headers['content-type'])})`);
  }
}

/** The app with one onboarded agency granted verify and person, its token, and a service account key for /api. */
export interface HttpFuzzTarget {
  readonly fuzzers: readonly AnyFuzzer[];
  close(): Promise<void>;
}

/** Starts the app on a fresh SQLite store and returns its fuzzers. */
export async function startHttpFuzzers(): Promise<HttpFuzzTarget> {
  const fx: ExchangeFixture = await startExchangeFixture('sqlite', { people: 60 });
  const app: FastifyInstance = fx.app;
  const agency: TestAgency = await makeAgencyKeys('VN/COM/FUZZBANK/kyc');
  await onboard(app, agency, 'bank');
  await grant(app, agency.clientId, { service: 'verify', fields: ['fullName', 'birthDate', 'sex'] });
  await grant(app, agency.clientId, { service: 'person', fields: ['fullName', 'birthDate'] });
  await grant(app, agency.clientId, { service: 'tax-code', fields: ['idNumber'] });
  const token = await accessToken(app, agency, fx.clock);
  // a service account key with every permission a key may hold (the operator token opens no /api route)
  const operator = await adminKey(app);
  const calls = (): Record<string, string> => ({
    authorization: `Bearer ${token}`, 'x-request-id': randomUUID(), 'x-officer-id': agency.officerId, 'x-case-reference': 'HS-2026-0001', 'x-purpose': 'KYC',
  });

  const post = (name: string, url: string, fields: readonly string[], headers: () => Record<string, string>): AnyFuzzer => fuzzer<Body>({
    name: `HTTP POST ${url}`,
    file: name,
    weight: 0.5,
    arbitrary: bodyArbitrary(fields),
    check: async (body) => {
      const { payload, headers: contentHeaders } = inject(body);
      const response = await app.inject({ method: 'POST', url, payload, headers: { ...headers(), ...contentHeaders } });
      checkAnswer(`POST ${url}`, response);
    },
  });

  const personFields = ['idNumber', 'fullName', 'birthDate', 'sex', 'communeCode', 'address', 'ethnicity', 'religion', 'nationality', 'fatherIdNumber', 'motherIdNumber', 'householdId'];
  const search = fuzzer<{ readonly name: string; readonly birth: string; readonly limit: string }>({
    name: 'HTTP GET /api/persons?name=&birth=',
    file: 'src/registry/person.routes.ts',
    weight: 0.5,
    arbitrary: fc.record({ name: nastyText, birth: fc.oneof(nastyText, fc.constantFrom('1990', '1990-02', '1990-02-30')), limit: fc.oneof(nastyText, fc.integer().map(String)) }),
    check: async ({ name, birth, limit }) => {
      const query = new URLSearchParams({ name, birth, limit }).toString();
      checkAnswer('GET /api/persons', await app.inject({ method: 'GET', url: `/api/persons?${query}`, headers: operator }));
    },
  });

  return {
    fuzzers: [
      post('src/exchange/exchange.routes.ts', '/x/token', ['grant_type', 'client_assertion_type', 'client_assertion', 'client_id', 'scope'], () => ({})),
      post('src/exchange/exchange.routes.ts', '/x/services/verify', personFields, calls),
      post('src/exchange/exchange.routes.ts', '/x/services/person', ['idNumber', 'fields'], calls),
      post('src/matching/verify.routes.ts', '/api/verify', [...personFields, 'strategy', 'threshold', 'phone', 'cmnd'], () => operator),
      post('src/registry/person.routes.ts', '/api/persons', personFields, () => operator),
      post('src/exchange/exchange-admin.routes.ts', '/api/exchange/grants', ['clientId', 'service', 'fields', 'purposes', 'legalBasis', 'requiresConsent', 'validUntil', 'ratePerMinute', 'dailyCap'], () => operator),
      search,
      post('src/exchange/exchange.routes.ts', '/x/services/tax-code', ['taxCode', 'fields'], calls),
    ],
    close: () => fx.close(),
  };
}
