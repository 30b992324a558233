import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

const verbose: ReadonlySet<string> = new Set(['info', 'debug', 'trace']);

/** What of an error goes into a line: its type and code, never its message (it may quote input). */
function errorKind(error: (Error & { code?: unknown }) | null | undefined): { type: string; code?: string } {
  return { type: error?.name ?? 'Error', ...(typeof error?.code === 'string' ? { code: error.code } : {}) };
}

/**
 * Request logging that names the route pattern (`/api/persons/:id`) instead of the URL, which
 * carries ID numbers and names: one line per completed request, none on arrival. Fastify's other
 * request lines are replaced too: theirs hold the URL, the request or the error's message.
 */
export class RouteLogController extends LogController {
  override incomingRequest(): void {
    // nothing on arrival: the completion line says all, without the URL
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    // Checked first so that a quieter level costs no allocation on the hot path.
    if (!verbose.has(request.log.level)) return;
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        ...(error ? { error: error.name } : {}),
      },
      'request',
    );
  }

  override defaultErrorLog(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if (reply.statusCode >= 500) request.log.error({ err: errorKind(error), route: request.routeOptions.url ?? 'unmatched' }, 'request failed');
  }

  override streamError(error: Error, request: FastifyRequest): void {
    request.log.warn({ err: errorKind(error), route: request.routeOptions.url ?? 'unmatched' }, 'response stream failed');
  }

  override writeHeadError(error: Error, request: FastifyRequest): void {
    request.log.warn({ err: errorKind(error), route: request.routeOptions.url ?? 'unmatched' }, 'response headers not written');
  }

  override serializerError(error: Error, request: FastifyRequest, _reply: FastifyReply, metadata: { statusCode: number }): void {
    request.log.error({ err: errorKind(error), route: request.routeOptions.url ?? 'unmatched', statusCode: metadata.statusCode }, 'response serializer failed');
  }

  override routeNotFound(request: FastifyRequest): void {
    request.log.info({ method: request.method }, 'route not found');
  }
}
