import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../shared/domain-error.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Checks the operator bearer token on operator endpoints. Comparison is on digests in constant
 * time so that neither length nor prefix leaks.
 */
export function operatorAuth(token: string): (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void {
  const expected = digest(token);
  // The header last found valid: a client sends the same one on every call, so most checks skip hashing.
  let lastValid: string | undefined;
  // A callback hook, not an async one: no promise per request on the hottest path.
  return (request, _reply, done) => {
    const header = request.headers.authorization;
    if (header !== undefined && header === lastValid) {
      done();
      return;
    }
    if (header === undefined) {
      done(new DomainError('unauthorized', 'CREDENTIALS_MISSING', 'this endpoint needs an operator token', 'Send Authorization: Bearer <operator token>'));
      return;
    }
    const match = /^Bearer (.+)$/i.exec(header);
    if (match?.[1] === undefined || !timingSafeEqual(digest(match[1]), expected)) {
      done(new DomainError('unauthorized', 'CREDENTIALS_INVALID', 'the operator token is not valid', 'Use the token from the server configuration (SACHSONG_OPERATOR_TOKEN or data/operator-token)'));
      return;
    }
    lastValid = header;
    done();
  };
}
