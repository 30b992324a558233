import type { FastifyInstance } from 'fastify';
import { Registry, collectDefaultMetrics, type Metric } from 'prom-client';

const buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] as const;

/** One sample line as prom-client's registry formats it. */
interface Sample {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

interface Series {
  readonly labels: { readonly method: string; readonly route: string; readonly status: string };
  /** Observations per bucket (not cumulative; the last slot is above every bound). */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * A request-duration histogram by method, route pattern and status, in Prometheus's histogram
 * format. Observing is an array increment found through nested maps: prom-client's Histogram
 * builds, checks and hashes a label object on every observation, which cost ~2% of a person
 * lookup under load.
 */
class RouteDurations {
  readonly name = 'sachsong_http_request_duration_seconds';
  readonly help = 'HTTP request duration by route pattern and status';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Map<string, Map<number, Series>>>();

  observe(method: string, route: string, status: number, seconds: number): void {
    let byRoute = this.series.get(method);
    if (byRoute === undefined) this.series.set(method, (byRoute = new Map<string, Map<number, Series>>()));
    let byStatus = byRoute.get(route);
    if (byStatus === undefined) byRoute.set(route, (byStatus = new Map<number, Series>()));
    let s = byStatus.get(status);
    if (s === undefined) {
      s = { labels: { method, route, status: String(status) }, counts: new Float64Array(buckets.length + 1), sum: 0, count: 0 };
      byStatus.set(status, s);
    }
    let b = 0;
    while (b < buckets.length && seconds > (buckets[b] ?? Infinity)) b++;
    s.counts[b] = (s.counts[b] ?? 0) + 1;
    s.sum += seconds;
    s.count++;
  }

  /** What prom-client's registry formats: cumulative buckets with `le`, then sum and count. */
  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    const values: Sample[] = [];
    for (const byRoute of this.series.values()) {
      for (const byStatus of byRoute.values()) {
        for (const s of byStatus.values()) {
          let cumulative = 0;
          buckets.forEach((bound, i) => {
            cumulative += s.counts[i] ?? 0;
            values.push({ metricName: `${this.name}_bucket`, labels: { le: bound, ...s.labels }, value: cumulative });
          });
          values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...s.labels }, value: s.count });
          values.push({ metricName: `${this.name}_sum`, labels: s.labels, value: s.sum });
          values.push({ metricName: `${this.name}_count`, labels: s.labels, value: s.count });
        }
      }
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  reset(): void {
    this.series.clear();
  }
}

/**
 * Prometheus metrics. Requests are labelled by route pattern (`/api/persons/:id`), never by the
 * URL, which carries ID numbers and names.
 */
export function registerMetrics(app: FastifyInstance): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const durations = new RouteDurations();
  // The registry formats any object with this shape; prom-client's Metric type is its own classes.
  registry.registerMetric(durations as unknown as Metric);
  app.addHook('onResponse', (request, reply, done) => {
    durations.observe(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics());
  });
  return registry;
}
