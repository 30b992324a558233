import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { VerifyBody, VerifyReply } from '../matching/verify.schemas.js';
import { PersonView } from '../registry/person.schemas.js';
import { isDomainError } from '../shared/domain-error.js';
import { jwtBearerAssertionType } from './agency-auth.service.js';
import type { Exchange } from './exchange.module.js';
import type { CallHeaders } from './exchange.service.js';
import { ChangesServiceBody, envelope, HouseholdServiceBody, PersonServiceBody, TokenBody, TokenReply, CallHeadersSchema } from './exchange.schemas.js';
import type { ServiceBodies } from './registry-exchange.services.js';
import { serviceCatalog, serviceNames, type ServiceName } from './service.catalog.js';

export interface AgencyRoutesOptions {
  readonly exchange: Exchange;
}

/** The raw body of each request, kept for the request hash. */
const rawBodies = new WeakMap<FastifyRequest, string>();

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
};

const serviceResults: { readonly [S in ServiceName]: TSchema } = {
  verify: VerifyReply,
  person: Type.Partial(PersonView),
  residence: Type.Partial(Type.Pick(PersonView, ['permanentResidence', 'temporaryResidence', 'currentResidence'])),
  household: Type.Object({
    householdId: Type.String(),
    communeCode: Type.Optional(Type.String()),
    address: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    members: Type.Array(Type.Record(Type.String(), Type.Unknown())),
  }),
  changes: Type.Object({
    items: Type.Array(Type.Object({ seq: Type.Integer(), personId: Type.String(), type: Type.String(), occurredOn: Type.String(), recordedAt: Type.String() })),
    next: Type.Integer({ description: 'the cursor to send as `since` next time' }),
  }),
};

/**
 * The agencies' side of the exchange, under /x with its own authentication: the token endpoint
 * (RFC 7523 client assertions), the catalog, the consent-signing keys, and one route per service.
 */
export const agencyRoutes: FastifyPluginAsyncTypebox<AgencyRoutesOptions> = (app, { exchange }) => {
  const tags = ['exchange'];
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  // Keep the body as sent: the response hash covers its SHA-256.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    rawBodies.set(request, body as string);
    void jsonParser(request, body as string, done);
  });
  // OAuth 2 token requests are form-encoded (RFC 6749 §4.4).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  // Fair-use refusals are 429 with Retry-After; everything else goes to the app's handler.
  app.setErrorHandler((error, request, reply) => {
    if (isDomainError(error) && error.code === 'RATE_LIMITED') {
      const retry = error.details?.retryAfterSeconds;
      return reply
        .status(429)
        .header('retry-after', String(typeof retry === 'number' ? retry : 60))
        .type('application/problem+json')
        .send({ type: 'https://sachsong.dev/problems/rate-limited', title: error.code, status: 429, code: error.code, detail: error.message, action: error.action, instance: request.url.split('?')[0] ?? request.url });
    }
    throw error;
  });

  app.post('/token', {
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
    const token = await exchange.auth.issueToken({ grantType: b.grant_type, clientAssertionType: b.client_assertion_type, clientAssertion: b.client_assertion, clientId: b.client_id });
    return reply.header('cache-control', 'no-store').send({ access_token: token.accessToken, token_type: token.tokenType, expires_in: token.expiresIn });
  });

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
      // Credentials and grant first: a caller without them learns nothing, not even whether its body is valid.
      onRequest: async (request) => {
        await exchange.pipeline.admit(name, request.headers.authorization);
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
      const result = await exchange.pipeline.call(name, headers, request.body as ServiceBodies[typeof name], rawBodies.get(request) ?? '');
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
};
