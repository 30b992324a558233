/**
 * The quality engine's figures: detection accuracy against injected defects, full-scan time and
 * re-check time after one event.
 *
 *   npx tsx bench/quality.bench.ts --people 1000000 [--rate 0.001] [--dialect sqlite|postgres] [--seed 1] [--events 300]
 *
 * Generates a population (in a worker thread), injects every defect kind at --rate per kind,
 * loads it into a fresh store, runs one full scan, measures precision and recall per defect kind
 * and per rule, then records --events life events through the registry with the re-check hook
 * and times the re-check alone and the whole event. Prints one JSON document.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { injectDefects, newLedger } from '../src/quality/defect.injector.js';
import { measureAccuracy } from '../src/quality/detection-accuracy.js';
import { QualityService } from '../src/quality/quality.service.js';
import { adminUnitCatalog } from '../src/registry/admin-unit.catalog.js';
import { generatePopulationInWorker } from '../src/registry/population.generator.js';
import { RegistryService } from '../src/registry/registry.service.js';
import { fixedClock } from '../src/shared/clock.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrator.js';

const { values } = parseArgs({
  options: {
    people: { type: 'string', default: '1000000' },
    rate: { type: 'string', default: '0.001' },
    dialect: { type: 'string', default: 'sqlite' },
    seed: { type: 'string', default: '1' },
    events: { type: 'string', default: '300' },
    server: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' },
  },
});
const people = Number(values.people);
const rate = Number(values.rate);
const today = '2026-01-01';
const clock = fixedClock('2026-01-01T05:00:00Z');

async function openStore(): Promise<{ database: Database; cleanup: () => Promise<void> }> {
  if (values.dialect === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-quality-'));
    const database = openDatabase({ sqliteFile: path.join(dir, 'bench.db') });
    await migrateToLatest(database.db, database.dialect);
    return { database, cleanup: async () => { await database.close(); rmSync(dir, { recursive: true, force: true }); } };
  }
  const name = `sachsong_quality_bench_${String(process.pid)}`;
  const admin = async (sql: string): Promise<void> => {
    const client = new pg.Client({ connectionString: `${values.server}/postgres` });
    await client.connect();
    try { await client.query(sql); } finally { await client.end(); }
  };
  await admin(`CREATE DATABASE ${name}`);
  const database = openDatabase({ databaseUrl: `${values.server}/${name}`, poolSize: 4 });
  await migrateToLatest(database.db, database.dialect);
  return { database, cleanup: async () => { await database.close(); await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); } };
}

const { database, cleanup } = await openStore();
try {
  const ledger = newLedger();
  const t0 = performance.now();
  const units = adminUnitCatalog();
  await loadPopulation(database, injectDefects(generatePopulationInWorker({ people, seed: Number(values.seed), today }), { rate, seed: values.seed, today, units }, ledger));
  const loadSeconds = (performance.now() - t0) / 1000;

  const quality = new QualityService({ db: database.db, store: database, clock });
  const scan = await quality.fullScan();
  const found = await database.db.selectFrom('quality_findings').select(['rule_id as ruleId', 'record_id as recordId', 'related_id as relatedId']).where('status', '=', 'open').execute();
  const accuracy = measureAccuracy(ledger, found);

  // Re-check after one event: residence changes within the same commune, through the registry with the hook.
  const recheckMs: number[] = [];
  const registry = new RegistryService({
    db: database.db,
    clock,
    onPersonsChanged: async (ids, trx) => {
      const t = performance.now();
      await quality.recheck(trx, ids);
      recheckMs.push(performance.now() - t);
    },
  });
  const sample = await database.db.selectFrom('persons').select(['id_number', 'permanent_commune', 'permanent_address']).where('status', '=', 'alive').where('permanent_commune', 'is not', null)
    .orderBy('updated_at').limit(Number(values.events) * 20).execute();
  const eventMs: number[] = [];
  for (let i = 0; i < sample.length && eventMs.length < Number(values.events); i += 20) {
    const p = sample[i];
    if (p === undefined) break;
    const t = performance.now();
    try {
      await registry.recordEvent({ personId: p.id_number, type: 'residence_change', occurredOn: '2025-12-30', officerId: 'bench', reason: null, data: { currentCommune: p.permanent_commune, currentAddress: p.permanent_address } });
      eventMs.push(performance.now() - t);
    } catch {
      recheckMs.pop();
    }
  }
  const pct = (xs: number[], q: number): number => {
    const s = [...xs].sort((a, b) => a - b);
    return Math.round((s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0) * 1000) / 1000;
  };
  console.log(JSON.stringify({
    dialect: database.dialect, people, rate, loadSeconds: Math.round(loadSeconds * 10) / 10,
    scan: { seconds: scan.seconds, persons: scan.persons, findings: scan.findings },
    accuracy,
    recheck: { events: recheckMs.length, p50Ms: pct(recheckMs, 0.5), p95Ms: pct(recheckMs, 0.95), p99Ms: pct(recheckMs, 0.99), maxMs: pct(recheckMs, 1) },
    eventWithRecheck: { p50Ms: pct(eventMs, 0.5), p95Ms: pct(eventMs, 0.95) },
  }, null, 2));
} finally {
  await cleanup();
}
