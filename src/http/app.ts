import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { adminUnitRoutes } from '../registry/admin-unit.routes.js';
import { personRoutes } from '../registry/person.routes.js';
import { RegistryService } from '../registry/registry.service.js';
import type { Clock } from '../shared/clock.js';
import type { Database } from '../store/database.js';
import { registerErrorHandler } from './error-handler.js';
import { registerMetrics } from './metrics.js';
import { operatorAuth } from './operator-auth.js';
import { RouteLogController } from './route-log-controller.js';

export interface AppDeps {
  readonly database: Database;
  readonly clock: Clock;
  readonly operatorToken: string;
  /** A pino logger; request lines carry the route pattern only, never the URL (it holds ID numbers). */
  readonly logger: FastifyBaseLogger | false;
  /** Folder of the built console; default dist/web in the repository. */
  readonly webRoot?: string;
}

// Resolves to <repo>/dist/web from both src/http (tests) and dist/http (built).
const defaultWebRoot = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/**
 * Assembles the HTTP server: the operator API under /api, health and metrics, the OpenAPI
 * description and its docs page, and the web console.
 *
 * @example
 * const app = await buildApp({ database, clock: systemClock, operatorToken, logger: false });
 * await app.listen({ port: 8080 });
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger === false ? {} : { loggerInstance: deps.logger }),
    logController: new RouteLogController(),
    requestIdHeader: 'x-request-id',
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerErrorHandler(app);
  registerMetrics(app);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'sachsong', version: '0.1.0', description: 'National population registry and data exchange' },
      components: { securitySchemes: { operatorToken: { type: 'http', scheme: 'bearer' } } },
      security: [{ operatorToken: [] }],
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());

  app.get('/healthz', { schema: { tags: ['operations'], summary: 'Liveness and store reachability', security: [] } }, async () => {
    await sql`select 1`.execute(deps.database.db);
    return { status: 'ok', store: deps.database.dialect };
  });

  const today = (): string => deps.clock.now().toISOString().slice(0, 10);
  const registry = new RegistryService({ db: deps.database.db, clock: deps.clock });
  await app.register(
    async (api) => {
      api.addHook('onRequest', operatorAuth(deps.operatorToken));
      await api.register(personRoutes, { registry, today });
      await api.register(adminUnitRoutes, { clock: deps.clock });
    },
    { prefix: '/api' },
  );

  const webRoot = deps.webRoot ?? defaultWebRoot;
  if (existsSync(webRoot)) {
    await app.register(fastifyStatic, { root: webRoot, prefix: '/', index: ['index.html'], wildcard: false });
  }
  return app;
}
