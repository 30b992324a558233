/**
 * Bulk reconciliation: DuckDB in-process against a registry snapshot, side by side with the same
 * work written as a PostgreSQL join with pg_trgm similarity (as an agency's DBA would).
 *
 *   npx tsx bench/reconcile.bench.ts --people 1000000 --rows 1000000 [--presets tax,telecom,bank,welfare]
 *     [--baseline telecom|none] [--seed 1] [--cache /tmp/sachsong-reconcile-bench]
 *
 * Cached under --cache so that reruns do not regenerate: the registry snapshot of the generated
 * population (Parquet), the agency files with their ground truth, and the PostgreSQL persons table.
 * Timed, end to end from the agency CSV to results.csv + summary.json + report.html: the DuckDB
 * run through ReconcileService (snapshot reused), and the PostgreSQL baseline (clean bad lines,
 * COPY, classify with similarity(), write the per-row results and the summary). Accuracy and
 * pairwise precision/recall/F1 come from the ground truth for every file, and for the baseline.
 * Prints one JSON document and writes it to bench/results/reconcile.json.
 */
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { isUtf8 } from 'node:buffer';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { generateAgencyFile } from '../src/matching/agency-file.generator.js';
import { duckDbReconcileEngine } from '../src/matching/reconcile.engine.js';
import { evaluateResults, type Evaluation } from '../src/matching/reconcile.evaluation.js';
import { isPresetName, reconcilePresets, reconcileStatuses, type PresetName, type ReconcilePreset } from '../src/matching/reconcile.presets.js';
import { ReconcileService } from '../src/matching/reconcile.service.js';
import { ensureSnapshotDatabase, readSnapshotManifest, readSnapshotPersons, snapshotFiles, sqlText, writeSnapshot, type SnapshotPerson } from '../src/matching/registry-snapshot.engine.js';
import { generatePopulationInWorker } from '../src/registry/population.generator.js';
import { fixedClock } from '../src/shared/clock.js';

const { values } = parseArgs({
  options: {
    people: { type: 'string', default: '1000000' },
    rows: { type: 'string', default: '1000000' },
    presets: { type: 'string', default: 'tax,telecom,bank,welfare' },
    baseline: { type: 'string', default: 'telecom' },
    seed: { type: 'string', default: '1' },
    cache: { type: 'string', default: '/tmp/sachsong-reconcile-bench' },
    server: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' },
  },
});
const people = Number(values.people);
const rows = Number(values.rows);
const seed = Number(values.seed);
const today = '2026-01-01';
const presets = values.presets.split(',').map((p) => p.trim()).filter((p) => p !== '');
for (const p of presets) if (!isPresetName(p)) throw new Error(`unknown preset ${p}`);
const baseline = values.baseline;
if (baseline !== 'none' && !isPresetName(baseline)) throw new Error('--baseline must be a preset or none');
const cache = path.resolve(values.cache);
mkdirSync(cache, { recursive: true });
const seconds = (since: number): number => Math.round(performance.now() - since) / 1000;

// ---- the registry snapshot of a generated population (cached) ---------------------------------
const snapshotDir = path.join(cache, `registry-${people}-${seed}`);
const fingerprint = `generated:people=${people};seed=${seed};today=${today}`;
let t = performance.now();
if (readSnapshotManifest(snapshotDir)?.fingerprint !== fingerprint) {
  console.error(`generating ${people} persons and writing the snapshot…`);
  async function* pages(): AsyncGenerator<readonly SnapshotPerson[]> {
    for await (const batch of generatePopulationInWorker({ people, seed, today })) yield batch.persons;
  }
  await writeSnapshot(snapshotDir, pages(), fingerprint);
  console.error(`snapshot written in ${seconds(t)} s`);
}
// A snapshot cached before persons.duckdb existed gets it now (untimed, as building the snapshot is).
if (await ensureSnapshotDatabase(snapshotDir)) console.error('persons.duckdb added to the cached snapshot');

// ---- agency files with ground truth (cached) --------------------------------------------------
const files = new Map<PresetName, { file: string; truth: string }>();
let persons: Awaited<ReturnType<typeof readSnapshotPersons>> | undefined;
for (const name of presets as PresetName[]) {
  const file = path.join(cache, `${name}-${rows}-p${people}-s${seed}.csv`);
  const truth = file.replace(/\.csv$/, '.truth.csv');
  if (!existsSync(file) || !existsSync(truth)) {
    persons ??= await readSnapshotPersons(snapshotDir);
    t = performance.now();
    generateAgencyFile(persons, { preset: name, rows, seed, file, truthFile: truth });
    console.error(`${name}: ${rows} rows generated in ${seconds(t)} s`);
  }
  files.set(name, { file, truth });
}

// ---- DuckDB, end to end through the service ---------------------------------------------------
const service = new ReconcileService({
  engine: duckDbReconcileEngine,
  clock: fixedClock(`${today}T12:00:00Z`),
  snapshot: () => {
    const manifest = readSnapshotManifest(snapshotDir);
    if (manifest === undefined) throw new Error('snapshot vanished');
    return Promise.resolve({ dir: snapshotDir, manifest, built: false });
  },
});

interface FileResult {
  preset: PresetName;
  rows: number;
  duckdbSeconds: number;
  /** CPU seconds of this process (all DuckDB threads) during the run: what the machine's load does not inflate. */
  duckdbCpuSeconds: number;
  phases: Readonly<Record<string, number>>;
  statuses: Readonly<Record<string, number>>;
  accuracy: number;
  pairwise: Evaluation['pairwise'];
  perStatusF1: Record<string, number>;
  confusion: Evaluation['confusion'];
}
const results: FileResult[] = [];
for (const [name, { file, truth }] of files) {
  const outDir = path.join(cache, `out-${name}`);
  rmSync(outDir, { recursive: true, force: true });
  t = performance.now();
  const cpu = process.cpuUsage();
  const { summary, files: out } = await service.run({ input: file, preset: reconcilePresets[name], outDir });
  const duckdbSeconds = seconds(t);
  const used = process.cpuUsage(cpu);
  const duckdbCpuSeconds = Math.round((used.user + used.system) / 1000) / 1000;
  const evaluation = await evaluateResults(out.results, truth);
  results.push({
    preset: name,
    rows: summary.rows,
    duckdbSeconds,
    duckdbCpuSeconds,
    phases: summary.seconds,
    statuses: summary.statuses,
    accuracy: evaluation.accuracy,
    pairwise: evaluation.pairwise,
    perStatusF1: Object.fromEntries(Object.entries(evaluation.perStatus).filter(([, s]) => s.support > 0).map(([s, v]) => [s, Number(v.f1.toFixed(5))])),
    confusion: evaluation.confusion,
  });
  console.error(`${name}: DuckDB ${duckdbSeconds} s (CPU ${duckdbCpuSeconds} s), accuracy ${evaluation.accuracy.toFixed(5)}, pairwise F1 ${evaluation.pairwise.f1.toFixed(5)}`);
}

// ---- PostgreSQL + pg_trgm baseline ------------------------------------------------------------
const benchDb = `sachsong_reconcile_bench_${people}_${seed}`;

async function admin(query: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${values.server}/postgres` });
  await client.connect();
  try {
    await client.query(query);
  } finally {
    await client.end();
  }
}

/** The persons table a DBA would have: the registry's columns, with the same old-card mapping. Cached. */
async function preparePostgres(client: pg.Client): Promise<void> {
  await client.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
  await client.query('CREATE EXTENSION IF NOT EXISTS unaccent');
  await client.query('CREATE TABLE IF NOT EXISTS bench_meta (fingerprint text)');
  const meta = await client.query<{ fingerprint: string }>('SELECT fingerprint FROM bench_meta');
  if (meta.rows[0]?.fingerprint === fingerprint) return;
  console.error('loading the persons table into PostgreSQL…');
  const csvPersons = path.join(cache, 'pg-persons.csv');
  const csvCommunes = path.join(cache, 'pg-communes.csv');
  const instance = await DuckDBInstance.create(':memory:');
  const duck = await instance.connect();
  await duck.run(`COPY (SELECT id_number, full_name, name_folded, birth_date, sex, status, death_date, current_commune, permanent_commune, old_card FROM read_parquet(${sqlText(path.join(snapshotDir, snapshotFiles.persons))})) TO ${sqlText(csvPersons)} (FORMAT csv, HEADER false)`);
  await duck.run(`COPY (SELECT * FROM read_parquet(${sqlText(path.join(snapshotDir, snapshotFiles.communes))})) TO ${sqlText(csvCommunes)} (FORMAT csv, HEADER false)`);
  duck.closeSync();
  instance.closeSync();
  await client.query('DROP TABLE IF EXISTS persons; DROP TABLE IF EXISTS communes; DELETE FROM bench_meta');
  await client.query(`CREATE TABLE persons (id_number text PRIMARY KEY, full_name text NOT NULL, name_folded text NOT NULL, birth_date text NOT NULL,
    sex text NOT NULL, status text NOT NULL, death_date text, current_commune text, permanent_commune text, old_card text)`);
  await client.query('CREATE TABLE communes (code text, commune_2025 text, PRIMARY KEY (code, commune_2025))');
  await pipeline(createReadStream(csvPersons), client.query(copyFrom('COPY persons FROM STDIN (FORMAT csv)')));
  await pipeline(createReadStream(csvCommunes), client.query(copyFrom('COPY communes FROM STDIN (FORMAT csv)')));
  await client.query('CREATE UNIQUE INDEX ON persons (old_card) WHERE old_card IS NOT NULL');
  await client.query('ANALYZE persons; ANALYZE communes');
  await client.query('INSERT INTO bench_meta VALUES ($1)', [fingerprint]);
  rmSync(csvPersons);
  rmSync(csvCommunes);
}

/**
 * The DBA's cleaning step before COPY (PostgreSQL 15's COPY stops at the first bad row): drop
 * lines that are not UTF-8 or have the wrong number of fields, and put the line number in front.
 */
class CleanLines extends Transform {
  private rest = Buffer.alloc(0);
  private line = 0;
  bad = 0;
  constructor(private readonly fields: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const data = this.rest.length > 0 ? Buffer.concat([this.rest, chunk]) : chunk;
    let start = 0;
    const out: Buffer[] = [];
    for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
      this.handleLine(data.subarray(start, nl), out);
      start = nl + 1;
    }
    this.rest = Buffer.from(data.subarray(start));
    done(null, Buffer.concat(out));
  }
  override _flush(done: TransformCallback): void {
    const out: Buffer[] = [];
    if (this.rest.length > 0) this.handleLine(this.rest, out);
    done(null, Buffer.concat(out));
  }
  private handleLine(raw: Buffer, out: Buffer[]): void {
    this.line++;
    if (this.line === 1) return; // header
    let commas = 0;
    let quoted = false;
    for (const byte of raw) {
      if (byte === 34) quoted = !quoted;
      else if (byte === 44 && !quoted) commas++;
    }
    if (!isUtf8(raw) || commas !== this.fields - 1) {
      this.bad++;
      return;
    }
    out.push(Buffer.from(`${this.line},`), raw, Buffer.from('\n'));
  }
}

/** The classification a DBA would write: the same decisions, pg_trgm's similarity() for names. */
function postgresClassifySql(preset: ReconcilePreset, header: readonly string[]): string {
  const col = (field: 'record' | 'id' | 'name' | 'birth' | 'sex' | 'commune' | 'line'): string => {
    const c = preset.columns[field];
    return c !== undefined && header.includes(c) ? `a.${c}` : 'NULL::text';
  };
  const iso = preset.dateFormats[0] === '%Y-%m-%d';
  const y = iso ? `substr(b, 1, 4)` : `substr(b, 7, 4)`;
  const m = iso ? `substr(b, 6, 2)` : `substr(b, 4, 2)`;
  const d = iso ? `substr(b, 9, 2)` : `substr(b, 1, 2)`;
  const pattern = iso ? '^\\d{4}-\\d{2}-\\d{2}$' : '^\\d{2}/\\d{2}/\\d{4}$';
  const compares = (f: string): boolean => (preset.compare as readonly string[]).includes(f);
  const hasSex = col('sex') !== 'NULL::text' && compares('sex');
  const hasCommune = col('commune') !== 'NULL::text' && compares('commune');
  const lineKey = preset.uniqueBy === 'line' ? ', line_key' : '';
  return `
    CREATE UNLOGGED TABLE pg_results AS
    WITH s AS (
      SELECT a.line_no, ${col('record')} AS record, regexp_replace(coalesce(${col('id')}, ''), '[\\s.]', '', 'g') AS id_in,
             nullif(trim(${col('line')}), '') AS line_key,
             trim(regexp_replace(unaccent(replace(lower(${col('name')}), 'đ', 'd')), '\\s+', ' ', 'g')) AS name_fold,
             lower(trim(regexp_replace(${col('name')}, '\\s+', ' ', 'g'))) AS name_lower,
             trim(${col('birth')}) AS b,
             CASE upper(trim(${col('sex')})) WHEN 'M' THEN 'M' WHEN 'NAM' THEN 'M' WHEN 'F' THEN 'F' WHEN 'NỮ' THEN 'F' END AS sex_in,
             nullif(trim(${col('commune')}), '') AS commune_in
      FROM agency a
    ),
    k AS (
      SELECT s.*,
             CASE WHEN b ~ '${pattern}' AND ${m}::int BETWEEN 1 AND 12 AND ${d}::int BETWEEN 1 AND
                       extract(day FROM make_date(${y}::int, ${m}::int, 1) + interval '1 month - 1 day')::int
                  THEN make_date(${y}::int, ${m}::int, ${d}::int) END AS birth_d,
             CASE WHEN id_in ~ '^[0-9]{12}$' AND left(id_in, 3) IN (SELECT DISTINCT left(id_number, 3) FROM persons)
                       AND 1900 + (substr(id_in, 4, 1)::int / 2) * 100 + substr(id_in, 5, 2)::int <= ${today.slice(0, 4)} THEN 'cccd'
                  WHEN id_in ~ '^[0-9]{9}$' THEN 'cmnd' ELSE 'bad' END AS id_kind
      FROM s
    ),
    j AS (
      SELECT k.*, p.id_number AS p_id, p.full_name AS p_full_name, p.birth_date AS p_birth, p.sex AS p_sex, p.status AS p_status,
             p.${preset.communeOf} AS p_commune, similarity(k.name_fold, p.name_folded) AS name_sim
      FROM k
      LEFT JOIN persons oc ON k.id_kind = 'cmnd' AND oc.old_card = k.id_in
      LEFT JOIN persons p ON p.id_number = CASE WHEN k.id_kind = 'cccd' THEN k.id_in ELSE oc.id_number END
    ),
    c AS (
      SELECT j.*,
             coalesce(to_char(birth_d, 'YYYY-MM-DD') LIKE p_birth || '%', false) AS birth_ok,
             coalesce(extract(day FROM birth_d) <= 12 AND to_char(make_date(extract(year FROM birth_d)::int, extract(day FROM birth_d)::int, extract(month FROM birth_d)::int), 'YYYY-MM-DD') LIKE p_birth || '%', false) AS birth_swapped,
             coalesce(left(to_char(birth_d, 'YYYY-MM-DD'), 7) = left(p_birth, 7), false) AS birth_ym,
             ${hasCommune ? 'EXISTS (SELECT 1 FROM communes cm WHERE cm.code = j.commune_in AND cm.commune_2025 = j.p_commune)' : 'true'} AS commune_ok
      FROM j
    ),
    l AS (
      SELECT c.*, p_id IS NOT NULL AND ((name_sim >= 0.45 AND (birth_ok OR birth_swapped)) OR (name_sim >= 0.8 AND (birth_ym OR birth_d IS NULL))) AS linked
      FROM c
    ),
    dd AS (
      SELECT l.*, CASE WHEN linked THEN row_number() OVER (PARTITION BY linked, p_id${lineKey} ORDER BY line_no) END AS dup_rank FROM l
    ),
    r AS (
      SELECT dd.*, CASE WHEN linked AND dup_rank = 1 THEN row_number() OVER (PARTITION BY linked, dup_rank = 1, p_id ORDER BY line_no) END AS line_rank,
             concat_ws(';',
               ${compares('id_number') ? "CASE WHEN id_kind = 'cmnd' THEN 'id_number' END" : 'NULL'},
               CASE WHEN name_lower IS DISTINCT FROM lower(p_full_name) THEN 'full_name' END,
               CASE WHEN NOT birth_ok THEN 'birth_date' END,
               ${hasSex ? "CASE WHEN sex_in IS DISTINCT FROM p_sex THEN 'sex' END" : 'NULL'},
               ${hasCommune ? "CASE WHEN NOT commune_ok THEN 'commune' END" : 'NULL'}) AS mismatch_list
      FROM dd
    )
    SELECT line_no - 1 AS row_no, line_no AS line, record,
           CASE WHEN id_kind = 'bad' THEN 'INVALID_ID' WHEN NOT linked THEN 'NOT_FOUND' WHEN dup_rank > 1 THEN 'DUPLICATE_IN_SOURCE'
                WHEN p_status = 'deceased' THEN 'DECEASED'
                ${preset.maxLinesPerPerson === null ? '' : `WHEN line_rank > ${preset.maxLinesPerPerson} THEN 'OVER_LIMIT'`}
                WHEN mismatch_list <> '' THEN 'MISMATCH' ELSE 'MATCHED' END AS status,
           CASE WHEN linked THEN p_id END AS linked_id,
           nullif(mismatch_list, '') AS mismatch_fields
    FROM r`;
}

interface BaselineResult {
  preset: PresetName;
  postgresSeconds: number;
  duckdbSeconds: number;
  ratio: number;
  /** CPU seconds of the PostgreSQL backend plus this process's cleaning step; parallel workers, if any, are not counted (so the ratio is conservative). */
  postgresCpuSeconds: number;
  duckdbCpuSeconds: number;
  cpuRatio: number;
  phases: Record<string, number>;
  accuracy: number;
  pairwiseF1: number;
}
let baselineResult: BaselineResult | undefined;
const baselineFile = isPresetName(baseline) ? files.get(baseline) : undefined;
if (isPresetName(baseline) && baselineFile !== undefined) {
  const name = baseline;
  const preset = reconcilePresets[name];
  const { file, truth } = baselineFile;
  const client = await (async () => {
    const c = new pg.Client({ connectionString: `${values.server}/${benchDb}` });
    try {
      await c.connect();
      return c;
    } catch {
      await admin(`CREATE DATABASE ${benchDb}`);
      const again = new pg.Client({ connectionString: `${values.server}/${benchDb}` });
      await again.connect();
      return again;
    }
  })();
  try {
    await preparePostgres(client);
    const header = readFileSync(file, 'utf8').slice(0, 4096).split('\n')[0]?.split(',') ?? [];
    const outDir = path.join(cache, 'out-postgres');
    mkdirSync(outDir, { recursive: true });
    const phases: Record<string, number> = {};
    const started = performance.now();
    let lap = performance.now();
    const mark = (phase: string): void => {
      phases[phase] = seconds(lap);
      lap = performance.now();
    };
    const backend = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid ?? 0;
    const backendCpu = (): number => {
      // utime and stime, fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second on Linux).
      const fields = readFileSync(`/proc/${backend}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      return (Number(fields[11]) + Number(fields[12])) / 100;
    };
    const backendStart = backendCpu();
    const ownStart = process.cpuUsage();
    await client.query("SET work_mem = '256MB'");
    await client.query('DROP TABLE IF EXISTS agency; DROP TABLE IF EXISTS pg_results');
    await client.query(`CREATE UNLOGGED TABLE agency (line_no bigint, ${header.map((h) => `${h} text`).join(', ')})`);
    const cleaner = new CleanLines(header.length);
    await pipeline(createReadStream(file), cleaner, client.query(copyFrom('COPY agency FROM STDIN (FORMAT csv)')));
    await client.query('ANALYZE agency');
    mark('clean+copy');
    await client.query(postgresClassifySql(preset, header));
    mark('classify');
    const resultsFile = path.join(outDir, 'results.csv');
    const outStream = createWriteStream(resultsFile);
    await pipeline(client.query(copyTo('COPY (SELECT * FROM pg_results ORDER BY row_no) TO STDOUT (FORMAT csv, HEADER true)')), outStream);
    mark('write');
    const counts = await client.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM pg_results GROUP BY status');
    const fields = await client.query<{ f: string; n: string }>("SELECT f, count(*) AS n FROM pg_results, unnest(string_to_array(mismatch_fields, ';')) f WHERE status = 'MISMATCH' GROUP BY f");
    const statuses = Object.fromEntries(reconcileStatuses.map((s) => [s, 0]));
    for (const r of counts.rows) statuses[r.status] = Number(r.n);
    statuses.BAD_ROW = cleaner.bad;
    writeFileSync(path.join(outDir, 'summary.json'), JSON.stringify({ statuses, mismatchFields: Object.fromEntries(fields.rows.map((r) => [r.f, Number(r.n)])) }, null, 2));
    mark('summary');
    const postgresSeconds = seconds(started);
    const own = process.cpuUsage(ownStart);
    const postgresCpuSeconds = Math.round((backendCpu() - backendStart + (own.user + own.system) / 1e6) * 1000) / 1000;
    const evaluation = await evaluateResults(resultsFile, truth);
    const duck = results.find((r) => r.preset === name);
    const duckdbSeconds = duck?.duckdbSeconds ?? Number.NaN;
    baselineResult = {
      preset: name,
      postgresSeconds,
      duckdbSeconds,
      ratio: Math.round((postgresSeconds / duckdbSeconds) * 10) / 10,
      postgresCpuSeconds,
      duckdbCpuSeconds: duck?.duckdbCpuSeconds ?? Number.NaN,
      cpuRatio: Math.round((postgresCpuSeconds / (duck?.duckdbCpuSeconds ?? Number.NaN)) * 10) / 10,
      phases,
      accuracy: evaluation.accuracy,
      pairwiseF1: evaluation.pairwise.f1,
    };
    console.error(`${name}: PostgreSQL + pg_trgm ${postgresSeconds} s (${baselineResult.ratio}× DuckDB; CPU ${postgresCpuSeconds} s vs ${baselineResult.duckdbCpuSeconds} s, ${baselineResult.cpuRatio}×), accuracy ${evaluation.accuracy.toFixed(5)}, F1 ${evaluation.pairwise.f1.toFixed(5)}`);
    await client.query('DROP TABLE IF EXISTS agency; DROP TABLE IF EXISTS pg_results');
  } finally {
    await client.end();
  }
}

const report = { people, rows, seed, files: results, postgresBaseline: baselineResult };
const json = JSON.stringify(report, null, 2);
mkdirSync(path.join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(path.join(import.meta.dirname, 'results', 'reconcile.json'), `${json}\n`);
console.log(json);
