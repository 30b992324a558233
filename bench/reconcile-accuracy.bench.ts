/**
 * Reconciliation accuracy on agency files with errors the matcher was not written for
 * (messy-agency-file.generator.ts), and on the project's own generated files
 * (agency-file.generator.ts), against a generated registry: pairwise precision/recall/F1, figures
 * per kind of error, and timings. The baseline in the same run is linking on the given ID number
 * alone (a DuckDB join), scored on the same files.
 *
 *   npx tsx bench/reconcile-accuracy.bench.ts --people 200000 --rows 50000 [--preset tax] [--seed 1]
 *     [--cache /tmp/sachsong-reconcile-accuracy]
 *
 * Prints one JSON document and writes it to bench/results/reconcile-accuracy.json.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateAgencyFile } from '../src/matching/agency-file.generator.js';
import { generateMessyAgencyFile } from '../src/matching/messy-agency-file.generator.js';
import { duckDbReconcileEngine } from '../src/matching/reconcile.engine.js';
import { evaluateByErrorKind, evaluateResults } from '../src/matching/reconcile.evaluation.js';
import { isPresetName, reconcilePresets } from '../src/matching/reconcile.presets.js';
import { ensureSnapshotDatabase, readSnapshotManifest, readSnapshotPersons, snapshotFiles, sqlText, writeSnapshot, type SnapshotPerson } from '../src/matching/registry-snapshot.engine.js';
import { generatePopulationInWorker } from '../src/registry/population.generator.js';

const { values } = parseArgs({
  options: {
    people: { type: 'string', default: '200000' },
    rows: { type: 'string', default: '50000' },
    preset: { type: 'string', default: 'tax' },
    seed: { type: 'string', default: '1' },
    cache: { type: 'string', default: '/tmp/sachsong-reconcile-accuracy' },
  },
});
const people = Number(values.people);
const rows = Number(values.rows);
const seed = Number(values.seed);
const preset = values.preset;
if (!isPresetName(preset)) throw new Error(`unknown preset ${preset}`);
const today = '2026-01-01';
const cache = path.resolve(values.cache);
mkdirSync(cache, { recursive: true });
const seconds = (since: number): number => Math.round(performance.now() - since) / 1000;

const snapshotDir = path.join(cache, `registry-${people}-${seed}`);
const fingerprint = `generated:people=${people};seed=${seed};today=${today}`;
if (readSnapshotManifest(snapshotDir)?.fingerprint !== fingerprint) {
  console.error(`generating ${people} persons…`);
  async function* pages(): AsyncGenerator<readonly SnapshotPerson[]> {
    for await (const batch of generatePopulationInWorker({ people, seed, today })) yield batch.persons;
  }
  await writeSnapshot(snapshotDir, pages(), fingerprint);
}
await ensureSnapshotDatabase(snapshotDir);
const persons = await readSnapshotPersons(snapshotDir);

/** Pairwise figures of linking on the given ID alone: a row links to the person whose ID it carries. */
async function idOnly(file: string, truth: string, delimiter: string, idColumn: string): Promise<{ precision: number; recall: number; f1: number }> {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  try {
    const [row] = (await c.runAndReadAll(`
      WITH a AS (SELECT row_number() OVER () AS row_no, trim(${JSON.stringify(idColumn)}) AS id FROM read_csv(${sqlText(file)}, header = true, all_varchar = true, delim = ${sqlText(delimiter)})),
      t AS (SELECT row_no::BIGINT AS row_no, nullif(expected_person, '') AS person FROM read_csv(${sqlText(truth)}, header = true, all_varchar = true)
            WHERE expected_status NOT IN ('BAD_ROW', 'INVALID_ID', 'NOT_FOUND', 'CLERICAL_REVIEW')),
      l AS (SELECT a.row_no, p.id_number FROM a JOIN read_parquet(${sqlText(path.join(snapshotDir, snapshotFiles.persons))}) p ON p.id_number = a.id)
      SELECT (SELECT count(*) FROM l JOIN t USING (row_no) WHERE l.id_number = t.person),
             (SELECT count(*) FROM l),
             (SELECT count(*) FROM t WHERE person IS NOT NULL)`)).getRowsJS();
    const [tp, predicted, truePairs] = (row ?? []).map(Number) as [number, number, number];
    const precision = predicted === 0 ? 1 : tp / predicted;
    const recall = truePairs === 0 ? 1 : tp / truePairs;
    return { precision, recall, f1: (2 * precision * recall) / (precision + recall) };
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

/** The clerical review queue: its rows, and how many suggest the truth's person (an officer's work, and its yield). */
async function reviewQueue(results: string, truth: string): Promise<{ rows: number; rightPerson: number; wrongPerson: number }> {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  try {
    const [row] = (await c.runAndReadAll(`
      WITH r AS (SELECT row_no::BIGINT AS row_no, suggested_id FROM read_csv(${sqlText(results)}, header = true, all_varchar = true) WHERE status = 'CLERICAL_REVIEW'),
      t AS (SELECT row_no::BIGINT AS row_no, nullif(expected_person, '') AS person FROM read_csv(${sqlText(truth)}, header = true, all_varchar = true))
      SELECT count(*), count(*) FILTER (WHERE t.person = r.suggested_id) FROM r LEFT JOIN t USING (row_no)`)).getRowsJS();
    const [n, right] = (row ?? []).map(Number) as [number, number];
    return { rows: n, rightPerson: right, wrongPerson: n - right };
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

const round = (x: number): number => Math.round(x * 100_000) / 100_000;
const report: Record<string, unknown> = { people, rows, preset, seed };
for (const kind of ['messy', 'generated'] as const) {
  const file = path.join(cache, `${kind}-${preset}-${rows}-p${people}-s${seed}.csv`);
  const truth = file.replace(/\.csv$/, '.truth.csv');
  if (!existsSync(file) || !existsSync(truth)) {
    if (kind === 'messy') generateMessyAgencyFile(persons, { preset: preset, rows, seed, file, truthFile: truth });
    else generateAgencyFile(persons, { preset: preset, rows, seed, file, truthFile: truth, rates: { idTypo: 0.05, missingMarks: 0.05, nameTypo: 0.03, swappedDate: 0.02, badRow: 0 } });
  }
  const results = path.join(cache, `out-${kind}.csv`);
  rmSync(results, { force: true });
  const started = performance.now();
  const summary = await duckDbReconcileEngine.run({ input: file, preset: reconcilePresets[preset], snapshotDir, resultsPath: results, today, duckDb: { threads: 2 } });
  const took = seconds(started);
  const evaluation = await evaluateResults(results, truth);
  const baseline = await idOnly(file, truth, kind === 'messy' ? ';' : ',', kind === 'messy' ? 'Số CCCD' : (reconcilePresets[preset].columns.id ?? 'id_number'));
  report[kind] = {
    seconds: took,
    phases: summary.seconds,
    statuses: summary.statuses,
    pairwise: { precision: round(evaluation.pairwise.precision), recall: round(evaluation.pairwise.recall), f1: round(evaluation.pairwise.f1), falsePositives: evaluation.pairwise.falsePositives, falseNegatives: evaluation.pairwise.falseNegatives },
    idOnlyBaseline: { precision: round(baseline.precision), recall: round(baseline.recall), f1: round(baseline.f1) },
    reviewQueue: await reviewQueue(results, truth),
    ...(kind === 'messy' ? { perErrorKind: Object.fromEntries(Object.entries(await evaluateByErrorKind(results, truth)).map(([k, v]) => [k === '' ? '(none)' : k, { ...v, recall: round(v.recall) }])) } : {}),
  };
  console.error(`${kind}: ${took} s, F1 ${evaluation.pairwise.f1.toFixed(5)} (precision ${evaluation.pairwise.precision.toFixed(5)}), ID-only F1 ${baseline.f1.toFixed(5)}, review queue ${JSON.stringify(report[kind] === undefined ? null : (report[kind] as { reviewQueue: unknown }).reviewQueue)}`);
}
const json = JSON.stringify(report, null, 2);
mkdirSync(path.join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(path.join(import.meta.dirname, 'results', 'reconcile-accuracy.json'), `${json}\n`);
console.log(json);
