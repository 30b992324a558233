import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDomainError, type ErrorKind } from '../shared/domain-error.js';
import { storeRetryAfterSeconds, storeUnavailable } from '../store/store-unavailable.js';

const statusOf: Readonly<Record<ErrorKind, number>> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
  rate_limited: 429,
};

/** RFC 9457 problem details, with MOSIP's code / message / action triple. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly action: string;
  readonly instance?: string;
  readonly errors?: readonly unknown[];
}

/** Codes of Fastify's own request errors and of the edge's (edge.ts): stable, and they quote nothing. */
const knownCode = /^(FST_ERR_[A-Z0-9_]+|REQUEST_[A-Z_]+)$/;

const requestErrorText: Readonly<Record<number, string>> = {
  400: 'the request could not be read',
  404: 'nothing is found at this address',
  405: 'this method is not allowed here',
  408: 'the request was not received in time',
  413: 'the request body is too large',
  415: 'this content type is not accepted here',
  429: 'too many requests',
};

function send(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.status(problem.status).type('application/problem+json').send(problem);
}

/**
 * The one place where errors become HTTP responses: domain errors by their kind, schema
 * validation failures as INPUT_INVALID, other client errors by their code with a fixed text, and
 * anything else as INTERNAL_ERROR with the request id only. No message of a non-domain error is
 * sent: it may hold personal data, the caller's input or a server path.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (isDomainError(error)) {
      const status = statusOf[error.kind];
      return send(reply, {
        type: `https://sachsong.dev/problems/${error.code.toLowerCase().replaceAll('_', '-')}`,
        title: error.code,
        status,
        code: error.code,
        detail: error.message,
        action: error.action,
        instance: request.url.split('?')[0] ?? request.url,
        ...(error.details ? { errors: [error.details] } : {}),
      });
    }
    if (error.validation) {
      return send(reply, {
        type: 'https://sachsong.dev/problems/input-invalid',
        title: 'INPUT_INVALID',
        status: 400,
        code: 'INPUT_INVALID',
        detail: `request ${error.validationContext ?? 'input'} ${error.validation.map((v) => `${v.instancePath || '/'} ${v.message ?? ''}`).join('; ')}`,
        action: 'Correct the request as the API description says and send it again',
        errors: error.validation.map((v) => ({ path: v.instancePath, message: v.message })),
      });
    }
    if (storeUnavailable(error)) {
      // The store is restarting or failing over: no answer rather than a wrong one, and a time to come back.
      request.log.warn({ err: { type: error.name, code: error.code } }, 'store unavailable');
      reply.header('retry-after', String(storeRetryAfterSeconds));
      return send(reply, {
        type: 'https://sachsong.dev/problems/store-unavailable',
        title: 'STORE_UNAVAILABLE',
        status: 503,
        code: 'STORE_UNAVAILABLE',
        detail: `The registry's store cannot be reached just now (request ${request.id})`,
        action: 'Send the request again after the time in Retry-After',
      });
    }
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) {
      request.log.error({ err: { type: error.name, code: error.code } }, 'unhandled error');
      return send(reply, {
        type: 'https://sachsong.dev/problems/internal-error',
        title: 'INTERNAL_ERROR',
        status,
        code: 'INTERNAL_ERROR',
        detail: `An unexpected error occurred (request ${request.id})`,
        action: 'Try again later; if it persists, report the request id and time to the operators',
      });
    }
    // Fastify's and Node's messages may quote the input (a JSON parse error quotes the body) or name
    // server paths: only the code goes out, with a fixed text for the status.
    const code = knownCode.test(error.code) ? error.code : 'REQUEST_ERROR';
    return send(reply, {
      type: 'https://sachsong.dev/problems/request-error',
      title: code,
      status,
      code,
      detail: requestErrorText[status] ?? 'the request was refused',
      action: 'Correct the request as the API description says and send it again',
    });
  });
  app.setNotFoundHandler((request, reply) =>
    send(reply, {
      type: 'https://sachsong.dev/problems/route-not-found',
      title: 'ROUTE_NOT_FOUND',
      status: 404,
      code: 'ROUTE_NOT_FOUND',
      detail: `no route ${request.method} ${request.url.split('?')[0] ?? ''}`,
      action: 'See /openapi.json for the routes this server offers',
    }),
  );
}
