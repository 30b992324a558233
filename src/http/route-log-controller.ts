import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

const verbose: ReadonlySet<string> = new Set(['info', 'debug', 'trace']);

/**
 * Request logging that names the route pattern (`/api/persons/:id`) instead of the URL, which
 * carries ID numbers and names: one line per completed request, none on arrival.
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
}
