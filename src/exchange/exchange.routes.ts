import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeJwt } from 'jose';
import { Type, type TSchema } from 'typebox';
import { VerifyBody, VerifyReply } from '../matching/verify.schemas.js';
import { PersonView } from '../registry/person.schemas.js';
import { DomainError, isDomainError } from '../shared/domain-error.js';
import { jwtBearerAssertionType } from './agency-auth.service.js';
import type { Exchange } from './exchange.module.js';
import type { CallHeaders } from './exchange.service.js';
import { ChangesServiceBody, envelope, HouseholdServiceBody, PersonServiceBody, TaxCodeServiceBody, TokenBody, TokenReply, CallHeadersSchema, CallHeadersDoc, serviceBodyExamples, tokenBodyExample } from './exchange.schemas.js';
import type { ServiceBodies } from './registry-exchange.services.js';
import { serviceCatalog, serviceNames, type ServiceName } from './service.catalog.js';

/** Token requests allowed per caller address and per claimed client id in a window. */
export interface TokenRateLimits {
  /** Default 120 a window. */
  readonly perAddress?: number;
  /** Default 60 a window: a client needs one token every 5 minutes. */
  readonly perClient?: number;
  /** Default 60 s. */
  readonly windowMs?: number;
}

export interface AgencyRoutesOptions {
  readonly exchange: Exchange;
  readonly tokenLimits?: TokenRateLimits;
}

/** The raw body of each request, kept for the request hash. */
const rawBodies = new WeakMap<FastifyRequest, string>();

/** Refusals answered as 429 with Retry-After, and as 415: every other domain error goes to the app's handler. */
const statusOfCode: Readonly<Record<string, number>> = {
  RATE_LIMITED: 429,
  TOKEN_RATE_LIMITED: 429,
  CLIENT_ASSERTIONS_EXHAUSTED: 429,
  MEDIA_TYPE_UNSUPPORTED: 415,
};

const jsonMediaType = /^application\/json\s*(;|$)/i;

const unsupportedMediaType = (): DomainError =>
  new DomainError('invalid', 'MEDIA_TYPE_UNSUPPORTED', 'service calls take a JSON body only', 'Send the body as JSON with Content-Type: application/json');

/** The client id a token request claims (client_id, else the assertion's unverified iss): a rate-limit key only. */
function claimedClient(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as { readonly client_id?: unknown; readonly client_assertion?: unknown };
  if (typeof b.client_id === 'string') return b.client_id;
  if (typeof b.client_assertion !== 'string') return undefined;
  try {
    const iss = decodeJwt(b.client_assertion).iss;
    return typeof iss === 'string' ? iss.slice(0, 140) : undefined;
  } catch {
    return undefined;
  }
}

const header = (request: FastifyRequest, name: string): string | undefined => {
  const v = request.headers[name];
  return typeof v === 'string' ? v : undefined;
};

const serviceBodies: { readonly [S in ServiceName]: TSchema } = {
  verify: VerifyBody,
  person: PersonServiceBody,
  residence: PersonServiceBody,
  household: HouseholdServiceBody,
  changes: ChangesServiceBody,
  'residence-document': PersonServiceBody,
  'tax-code': TaxCodeServiceBody,
};

const serviceResults: { readonly [S in ServiceName]: TSchema } = {
  verify: VerifyReply,
  person: Type.Partial(PersonView),
  residence: Type.Partial(Type.Pick(PersonView, ['permanentResidence', 'temporaryResidence', 'currentResidence'])),
  household: Type.Object({
    householdId: Type.Optional(Type.String({ description: 'only when granted' })),
    communeCode: Type.Optional(Type.String()),
    address: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    members: Type.Array(Type.Record(Type.String(), Type.Unknown())),
    withheldMembers: Type.Optional(Type.Integer({ description: 'under a consent grant: members left out for want of their own consent' })),
  }),
  'residence-document': Type.Object({
    documentId: Type.String(),
    credential: Type.String({ description: 'SD-JWT VC (dc+sd-jwt) with every granted claim disclosable; verify at /documents/verify or offline against /.well-known/jwt-vc-issuer' }),
    issuedAt: Type.String(),
    expiresAt: Type.String(),
    statusList: Type.Object({ uri: Type.String(), idx: Type.Integer() }),
  }),
  changes: Type.Object({
    items: Type.Array(Type.Object({ seq: Type.Integer(), personId: Type.String(), type: Type.String(), occurredOn: Type.String(), recordedAt: Type.String() })),
    next: Type.Integer({ description: 'the cursor to send as `since` next time' }),
  }),
  'tax-code': Type.Object({
    taxCode: Type.String({ description: 'the old tax code looked up, as stored (10 digits, or 10-3)' }),
    idNumber: Type.Optional(Type.String({ description: 'only when granted: the 12-digit ID number, the tax code since 1 July 2025' })),
    linkedOn: Type.Optional(Type.String({ description: 'only when granted: the day the link was confirmed (YYYY-MM-DD)' })),
  }),
};

/**
 * The agencies' side of the exchange, under /x with its own authentication: the token endpoint
 * (RFC 7523 client assertions), the catalog, the consent-signing keys, and one route per service.
 */
export const agencyRoutes: FastifyPluginAsyncTypebox<AgencyRoutesOptions> = async (app, { exchange, tokenLimits = {} }) => {
  const tags = ['exchange'];
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  // Keep the body as sent: the response hash covers its SHA-256.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    rawBodies.set(request, body as string);
    void jsonParser(request, body as string, done);
  });
  // Rate limits and fair-use refusals are 429 with Retry-After, a body other than JSON on a
  // service 415; everything else goes to the app's handler.
  app.setErrorHandler((error, request, reply) => {
    const status = isDomainError(error) ? statusOfCode[error.code] : undefined;
    if (isDomainError(error) && status !== undefined) {
      const retry = error.details?.retryAfterSeconds;
      if (status === 429) reply.header('retry-after', String(typeof retry === 'number' ? retry : 60));
      return reply
        .status(status)
        .type('application/problem+json')
        .send({ type: `https://sachsong.dev/problems/${error.code.toLowerCase().replaceAll('_', '-')}`, title: error.code, status, code: error.code, detail: error.message, action: error.action, instance: request.url.split('?')[0] ?? request.url });
    }
    throw error;
  });

  // The token endpoint in a scope of its own: only it takes form bodies, and only it is throttled here.
  await app.register(async (scope: FastifyInstance) => {
    // OAuth 2 token requests are form-encoded (RFC 6749 §4.4).
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    await scope.register(fastifyRateLimit, { global: false, cache: 100_000 });
    const windowMs = tokenLimits.windowMs ?? 60_000;
    const limit = (name: string, max: number, key: (request: FastifyRequest) => string | undefined) => {
      const check = scope.createRateLimit({ max, timeWindow: windowMs, keyGenerator: (request) => key(request) ?? '' });
      return async (request: FastifyRequest): Promise<void> => {
        if (key(request) === undefined) return;
        const result = await check(request);
        if (!result.isAllowed && result.isExceeded) {
          throw new DomainError('forbidden', 'TOKEN_RATE_LIMITED', `too many token requests from this ${name}`, 'Reuse each access token until it expires; retry after the time in Retry-After', { retryAfterSeconds: Math.max(1, result.ttlInSeconds) });
        }
      };
    };
    // Per caller address before the body is read, per claimed client id once it is.
    const perAddress = limit('address', tokenLimits.perAddress ?? 120, (request) => `a ${request.ip}`);
    const perClient = limit('client', tokenLimits.perClient ?? 60, (request) => {
      const id = claimedClient(request.body);
      return id === undefined ? undefined : `c ${id}`;
    });
    registerTokenRoute(scope, exchange, tags, perAddress, perClient);
  });
  await registerServices(app, exchange, tags);
};

function registerTokenRoute(app: FastifyInstance, exchange: Exchange, tags: readonly string[], perAddress: (request: FastifyRequest) => Promise<void>, perClient: (request: FastifyRequest) => Promise<void>): void {
  app.withTypeProvider<TypeBoxTypeProvider>().post('/token', {
    onRequest: perAddress,
    preHandler: perClient,
    config: { swaggerTransform: ({ schema, url }) => ({ url, schema: { ...schema, body: { ...TokenBody, examples: [tokenBodyExample] } } }) },
    schema: {
      tags,
      summary: 'OAuth 2 client credentials with a JWT client assertion (RFC 7523): a short-lived access token',
      description: `Form or JSON body: grant_type=client_credentials, client_assertion_type=${jwtBearerAssertionType}, client_assertion=a JWT signed by a key of the client's registered JWKS with iss = sub = client id, aud = "${exchange.auth.tokenAudience}", exp at most 10 minutes ahead, and a fresh jti.`,
      security: [],
      body: TokenBody,
      response: { 200: TokenReply },
    },
  }, async (request, reply) => {
    const b = request.body;
    const token = await exchange.auth.issueToken({ grantType: b.grant_type, clientAssertionType: b.client_assertion_type, clientAssertion: b.client_assertion, clientId: b.client_id, address: request.ip });
    return reply.header('cache-control', 'no-store').send({ access_token: token.accessToken, token_type: token.tokenType, expires_in: token.expiresIn });
  });
}

function registerServices(app: FastifyInstance, exchange: Exchange, tags: readonly string[]): Promise<void> {

  app.get('/catalog', {
    schema: { tags, summary: 'The services offered, their fields, and how to call them', security: [] },
  }, () => ({
    tokenEndpoint: '/x/token',
    tokenAudience: exchange.auth.tokenAudience,
    clientAssertionType: jwtBearerAssertionType,
    requiredHeaders: ['Authorization: Bearer <access token>', 'X-Request-Id: <fresh UUID>', 'X-Officer-Id', 'X-Case-Reference', 'X-Purpose: <purpose code of the grant>'],
    responseBinding: 'X-Response-Hash = SHA-256(requestId \\n SHA-256(request body) \\n response body), hex',
    openapi: '/openapi.json',
    consentKeys: '/x/consent-keys',
    services: serviceNames.map((n) => serviceCatalog[n]),
  }));

  app.get('/consent-keys', {
    schema: { tags, summary: 'The public keys that sign consent artefacts (JWKS)', security: [] },
  }, () => ({
    keys: [...exchange.keys.consentPublicKeys].map(([kid, key]) => ({ ...key.export({ format: 'jwk' }), kid, alg: 'EdDSA', use: 'sig' })),
  }));

  for (const name of serviceNames) {
    const description = serviceCatalog[name];
    app.post(`/services/${name}`, {
      // The description states the headers required and shows examples; the route takes them
      // optional so that the service can name every missing one in one answer.
      config: { swaggerTransform: ({ schema, url }) => ({ url, schema: { ...schema, headers: CallHeadersDoc, body: { ...serviceBodies[name], examples: [serviceBodyExamples[name]] } } }) },
      // Credentials and grant first: a caller without them learns nothing, not even whether its body is valid.
      onRequest: async (request) => {
        await exchange.pipeline.admit(name, request.headers.authorization);
        // JSON only: the request hash is over the exact body received, never over a body parsed otherwise.
        const type = request.headers['content-type'];
        if (type === undefined || !jsonMediaType.test(type)) throw unsupportedMediaType();
      },
      schema: {
        tags,
        summary: description.summary,
        description: `Service ${description.serviceId}. Answers only granted fields; every release is written to the access log before the response leaves. X-Response-Hash binds the response to the request.`,
        security: [{ agencyToken: [] }],
        headers: CallHeadersSchema,
        body: serviceBodies[name],
        response: { 200: envelope(serviceResults[name]) },
      },
    }, async (request: FastifyRequest, reply: FastifyReply) => {
      const headers: CallHeaders = {
        authorization: request.headers.authorization,
        clientId: header(request, 'x-client-id'),
        requestId: header(request, 'x-request-id'),
        officerId: header(request, 'x-officer-id'),
        caseReference: header(request, 'x-case-reference'),
        purpose: header(request, 'x-purpose'),
      };
      const raw = rawBodies.get(request);
      if (raw === undefined) throw unsupportedMediaType();
      const result = await exchange.pipeline.call(name, headers, request.body as ServiceBodies[typeof name], raw);
      return reply
        .header('x-request-hash', result.requestHash)
        .header('x-response-hash', result.responseHash)
        .header('cache-control', 'no-store')
        .type('application/json; charset=utf-8')
        .serializer((payload) => payload as string)
        .send(result.body);
    });
  }
  return Promise.resolve();
}
