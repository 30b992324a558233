/**
 * The direction centre's figures (issue 17):
 * - a dashboard page (GET /api/direction/dashboard: the nation, a province, a commune) over HTTP,
 *   p50 / p95 / p99 with 1 M persons and a year of daily values for every commune, province and
 *   the nation, for two indicators; GET /healthz over the same connection alongside, as the floor;
 * - refreshing every indicator at 1 M persons, per indicator, and the estimate at 100 M.
 *
 *   npx tsx bench/direction-dashboard.bench.ts [--people 1000000] [--days 365] [--requests 600] [--seed 1]
 *
 * SQLite store in a temp folder. Prints one JSON document.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { addDays } from '../src/direction/direction-time.js';
import { IndicatorService } from '../src/direction/indicator.service.js';
import { indicatorCatalog } from '../src/direction/indicator.catalog.js';
import { indicatorRepository, type IndicatorPoint } from '../src/direction/indicator.repository.js';
import { buildApp } from '../src/http/app.js';
import { adminUnitCatalog } from '../src/registry/admin-unit.catalog.js';
import { generatePopulationInWorker } from '../src/registry/population.generator.js';
import { fixedClock } from '../src/shared/clock.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrator.js';
import { signInOfficer, testIdentity } from '../test/officer-session.js';

const { values } = parseArgs({
  options: {
    people: { type: 'string', default: '1000000' },
    days: { type: 'string', default: '365' },
    requests: { type: 'string', default: '600' },
    seed: { type: 'string', default: '1' },
  },
});
const people = Number(values.people);
const days = Number(values.days);
const requests = Number(values.requests);
// 15 June 2026, 09:00 in Hà Nội: the year of history ends today.
const clock = fixedClock('2026-06-15T02:00:00Z');
const today = '2026-06-15';

const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-direction-'));
  const database = openDatabase({ sqliteFile: path.join(dir, 'bench.db') });
  await migrateToLatest(database.db, database.dialect);
  const t0 = performance.now();
  await loadPopulation(database, generatePopulationInWorker({ people, seed: Number(values.seed), today: '2026-01-01' }));
  const loadSeconds = (performance.now() - t0) / 1000;

  // Refresh every indicator once, timed per indicator (each alone, then all together as the scheduler runs them).
  const indicators = new IndicatorService({ db: database.db, dialect: database.dialect, clock });
  const perIndicator: Record<string, number> = {};
  for (const def of indicatorCatalog) {
    const s = performance.now();
    const run = await indicators.refresh('demand', [def.id]);
    if (Object.keys(run.failures).length > 0) throw new Error(`indicator ${def.id} failed: ${JSON.stringify(run.failures)}`);
    perIndicator[def.id] = round((performance.now() - s) / 1000, 3);
  }
  const r0 = performance.now();
  const all = await indicators.refresh('schedule');
  const refreshSeconds = (performance.now() - r0) / 1000;

  // A year of daily history for two place indicators: today's values drifting back in time.
  const h0 = performance.now();
  let historyRows = 0;
  for (const id of ['registry.population', 'registry.permanent_residence_share']) {
    const current = await database.db.selectFrom('direction_indicator_values').selectAll().where('indicator_id', '=', id).where('day', '=', today).execute();
    for (let d = 1; d < days; d++) {
      const day = addDays(today, -d);
      const points: IndicatorPoint[] = current.map((c) => ({
        indicatorId: id, scope: c.scope as IndicatorPoint['scope'], code: c.scope_code, day,
        value: id === 'registry.population' ? Math.round(c.value * (1 - d * 0.00003)) : round(Math.max(0, c.value - d * 0.01)), denominator: c.denominator,
      }));
      await database.db.transaction().execute((trx) => indicatorRepository.upsert(trx, points, clock.now().toISOString()));
      historyRows += points.length;
    }
  }
  const historySeconds = (performance.now() - h0) / 1000;
  const communesWithValues = await database.db.selectFrom('direction_indicator_values').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('indicator_id', '=', 'registry.population').where('scope', '=', 'commune').where('day', '=', today).executeTakeFirstOrThrow();

  const app = await buildApp({ database, clock, operatorToken: 'bench-token-0123456789abcdef0123', logger: false });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const officer = await signInOfficer(testIdentity(database.db, clock), clock, { role: 'leader', unit: { level: 'nation' } });
  const headers = { ...officer.headers };

  // The pages a meeting opens: the nation, every province, and communes across the country; both indicators.
  const catalog = adminUnitCatalog();
  const provinces = catalog.provinces('2025-07-01').map((p) => p.code);
  const communes = catalog.communes2025().map((c) => c.code);
  const paths: string[] = [];
  for (let i = 0; paths.length < requests; i++) {
    const indicator = i % 2 === 0 ? 'registry.population' : 'registry.permanent_residence_share';
    const kind = i % 3;
    const q = kind === 0 ? '' : kind === 1 ? `&province=${provinces[i % provinces.length] ?? '01'}` : `&commune=${communes[(i * 7919) % communes.length] ?? '00004'}`;
    paths.push(`/api/direction/dashboard?indicator=${indicator}${q}`);
  }
  const timeAll = async (list: readonly string[]): Promise<{ ms: number[]; bytes: number; failures: number }> => {
    const ms: number[] = [];
    let bytes = 0;
    let failures = 0;
    for (const p of list) {
      const s = performance.now();
      const res = await fetch(`${url}${p}`, { headers });
      const body = await res.arrayBuffer();
      ms.push(performance.now() - s);
      bytes += body.byteLength;
      if (res.status !== 200) failures += 1;
    }
    return { ms: ms.sort((a, b) => a - b), bytes, failures };
  };
  await timeAll(paths.slice(0, 30)); // warm-up: JIT and page cache
  const dashboard = await timeAll(paths);
  const health = await timeAll(paths.map(() => '/healthz'));
  // Eight leaders at once.
  const c0 = performance.now();
  const concurrent = await Promise.all(Array.from({ length: 8 }, (_, k) => timeAll(paths.filter((_, i) => i % 8 === k))));
  const concurrentSeconds = (performance.now() - c0) / 1000;
  const merged = concurrent.flatMap((c) => c.ms).sort((a, b) => a - b);
  await app.close();
  await database.close();
  rmSync(dir, { recursive: true, force: true });

  const persons = people;
  console.log(JSON.stringify({
    people: persons,
    loadSeconds: round(loadSeconds, 1),
    history: { indicators: 2, days, rows: historyRows, communesWithValuesToday: communesWithValues.n, seconds: round(historySeconds, 1) },
    dashboard: {
      requests: dashboard.ms.length, failures: dashboard.failures, meanBytes: Math.round(dashboard.bytes / dashboard.ms.length),
      p50Ms: round(quantile(dashboard.ms, 0.5)), p95Ms: round(quantile(dashboard.ms, 0.95)), p99Ms: round(quantile(dashboard.ms, 0.99)), maxMs: round(dashboard.ms.at(-1) ?? 0),
      healthzP50Ms: round(quantile(health.ms, 0.5)), healthzP95Ms: round(quantile(health.ms, 0.95)),
      eightAtOnce: { p50Ms: round(quantile(merged, 0.5)), p95Ms: round(quantile(merged, 0.95)), p99Ms: round(quantile(merged, 0.99)), perSecond: round(merged.length / concurrentSeconds, 1), failures: concurrent.reduce((s, c) => s + c.failures, 0) },
    },
    refresh: {
      allSeconds: round(refreshSeconds, 2), valuesWritten: all.valuesWritten, perIndicatorSeconds: perIndicator,
      // Linear in persons: the run scans the persons table once (shared by the place indicators); the others read small tables.
      estimateAt100MSeconds: round(refreshSeconds * (100_000_000 / persons), 0),
    },
  }, null, 2));
}

await main();
