import type { FastifyInstance } from 'fastify';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics. Requests are labelled by route pattern (`/api/persons/:id`), never by the
 * URL, which carries ID numbers and names.
 */
export function registerMetrics(app: FastifyInstance): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'sachsong_http_request_duration_seconds',
    help: 'HTTP request duration by route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  // One labelled child per method, route and status, found through nested maps: observing then
  // costs no label object, no label hashing and no string building per request.
  type Observer = ReturnType<typeof duration.labels>;
  const children = new Map<string, Map<string, Map<number, Observer>>>();
  const observer = (method: string, route: string, status: number): Observer => {
    let byRoute = children.get(method);
    if (byRoute === undefined) children.set(method, (byRoute = new Map<string, Map<number, Observer>>()));
    let byStatus = byRoute.get(route);
    if (byStatus === undefined) byRoute.set(route, (byStatus = new Map<number, Observer>()));
    let child = byStatus.get(status);
    if (child === undefined) byStatus.set(status, (child = duration.labels(method, route, String(status))));
    return child;
  };
  app.addHook('onResponse', (request, reply, done) => {
    observer(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode).observe(reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics());
  });
  return registry;
}
