import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDomainError, type ErrorKind } from '../shared/domain-error.js';

const statusOf: Readonly<Record<ErrorKind, number>> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
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

function send(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.status(problem.status).type('application/problem+json').send(problem);
}

/**
 * The one place where errors become HTTP responses: domain errors by their kind, schema
 * validation failures as INPUT_INVALID, anything else as INTERNAL_ERROR without its message
 * (it may hold personal data).
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
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: { type: error.name, code: error.code } }, 'unhandled error');
    return send(reply, {
      type: 'https://sachsong.dev/problems/' + (status === 500 ? 'internal-error' : 'request-error'),
      title: status === 500 ? 'INTERNAL_ERROR' : (error.code || 'REQUEST_ERROR'),
      status,
      code: status === 500 ? 'INTERNAL_ERROR' : (error.code || 'REQUEST_ERROR'),
      detail: status === 500 ? 'An unexpected error occurred' : error.message,
      action: status === 500 ? 'Try again later; if it persists, report the time of the request to the operators' : 'Correct the request',
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
