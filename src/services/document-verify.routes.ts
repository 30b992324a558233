import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DomainError } from '../shared/domain-error.js';
import { VerifyLimiter } from './document-verify.limiter.js';
import { maxPresentationLength } from './document-verify.service.js';
import { verifyPageHtml, verifyScript, verifyScriptPath, verifyStylePath, verifyStylesheet } from './document-verify.page.js';
import { documentPaths, type Documents } from './documents.module.js';

export interface DocumentVerifyRoutesOptions {
  readonly documents: Documents;
  /** Online verifications a minute from one address (each writes a record); default 300. */
  readonly verifyPerMinute?: number;
}

const Jwk = Type.Object({ kty: Type.String(), crv: Type.String(), x: Type.String(), y: Type.String(), kid: Type.String(), alg: Type.String(), use: Type.String() });

export const VerificationView = Type.Object({
  verificationId: Type.String(),
  result: Type.Union([Type.Literal('valid'), Type.Literal('revoked'), Type.Literal('expired'), Type.Literal('forged')], { description: 'valid: signed by the registry, in force, not revoked' }),
  documentId: Type.Union([Type.String(), Type.Null()]),
  issuedAt: Type.Union([Type.String(), Type.Null()]),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
  disclosed: Type.Record(Type.String(), Type.Unknown(), { description: 'only the claims the holder disclosed (none for a forged document)' }),
  verifiedAt: Type.String(),
});

/**
 * The public side of signed documents, no sign-in: the issuer's keys (SD-JWT VC issuer metadata
 * and a plain JWKS), the status lists, the verify API and the verify page.
 */
export const documentVerifyRoutes: FastifyPluginAsyncTypebox<DocumentVerifyRoutesOptions> = (app, { documents, verifyPerMinute }) => {
  const tags = ['documents'];
  const limiter = new VerifyLimiter(verifyPerMinute ?? 300, () => Date.now());
  const keys = { keys: documents.keys.jwks.map((k) => ({ ...k })) };

  app.get(documentPaths.issuerMetadata, {
    schema: { tags, summary: 'SD-JWT VC issuer metadata: the issuer and the public keys that sign residence documents and status lists', security: [], response: { 200: Type.Object({ issuer: Type.String(), jwks: Type.Object({ keys: Type.Array(Jwk) }) }) } },
  }, (_request, reply) => {
    void reply.header('cache-control', 'public, max-age=3600');
    return { issuer: documents.issuer, jwks: keys };
  });

  app.get(documentPaths.jwks, {
    schema: { tags, summary: 'The registry\'s document-signing public keys (JWKS), for offline verification', security: [], response: { 200: Type.Object({ keys: Type.Array(Jwk) }) } },
  }, (_request, reply) => {
    void reply.header('cache-control', 'public, max-age=3600');
    return keys;
  });

  app.get(`${documentPaths.statusLists}/:listId`, {
    schema: { tags, summary: 'A status list (IETF Token Status List, statuslist+jwt): one bit per document, 1 = revoked', security: [],
      params: Type.Object({ listId: Type.String({ pattern: '^[0-9]{1,9}$' }) }),
      response: { 200: Type.String({ description: 'a compact JWT' }) } },
  }, async (request, reply) => {
    const jwt = await documents.statusLists.jwt(Number(request.params.listId));
    return reply.type('application/statuslist+jwt').header('cache-control', 'public, max-age=60').send(jwt);
  });

  app.post(documentPaths.verifyApi, {
    schema: { tags, summary: 'Verify a residence document presentation (or the verify page address the QR code holds); each verification is recorded without personal data', security: [],
      body: Type.Object({ presentation: Type.String({ minLength: 1, maxLength: maxPresentationLength + 2048, description: 'the SD-JWT presentation, or <verify page>#<presentation>' }) }, { additionalProperties: false }),
      response: { 200: VerificationView } },
  }, async (request) => {
    limiter.take(request.ip);
    const verification = await documents.verifier.verify(request.body.presentation, request.headers['x-verify-channel'] === 'page' ? 'page' : 'api');
    if (verification.result === 'malformed') {
      throw new DomainError('invalid', 'DOCUMENT_MALFORMED', 'this is not a residence document presentation', 'Paste the whole content of the QR code, or the SD-JWT as issued (<jwt>~<disclosure>~…~)');
    }
    return { ...verification, result: verification.result };
  });

  app.get(documentPaths.verifyPage, { schema: { hide: true } }, (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(verifyPageHtml(documentPaths.jwks, documentPaths.verifyApi)));
  app.get(verifyScriptPath, { schema: { hide: true } }, (_request, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(verifyScript));
  app.get(verifyStylePath, { schema: { hide: true } }, (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(verifyStylesheet));
  return Promise.resolve();
};
