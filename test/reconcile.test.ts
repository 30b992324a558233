import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAgencyFile } from '../src/matching/agency-file.generator.js';
import { duckDbReconcileEngine } from '../src/matching/reconcile.engine.js';
import { evaluateResults } from '../src/matching/reconcile.evaluation.js';
import { registrySnapshot } from '../src/matching/reconcile.module.js';
import { presetNames, reconcilePresets, withMapping, type ReconcileStatus } from '../src/matching/reconcile.presets.js';
import { ReconcileService } from '../src/matching/reconcile.service.js';
import type { ReconcileEngine } from '../src/matching/reconcile.types.js';
import { readSnapshotManifest, readSnapshotPersons, writeSnapshot, type SnapshotPersonWithCard } from '../src/matching/registry-snapshot.engine.js';
import { RegistryService } from '../src/registry/registry.service.js';
import { generatePopulation } from '../src/registry/population.generator.js';
import { fixedClock } from '../src/shared/clock.js';
import { DomainError } from '../src/shared/domain-error.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrator.js';
import { createTestDatabase, dialects } from './test-database.js';

const today = '2026-01-01';
const clock = fixedClock(`${today}T12:00:00Z`);

interface ResultRow {
  readonly row_no: string;
  readonly line: string;
  readonly record: string;
  readonly status: ReconcileStatus;
  readonly reason: string;
  readonly linked_id: string;
  readonly mismatch_fields: string;
  readonly registry_id_number: string;
  readonly registry_full_name: string;
  readonly registry_birth_date: string;
  readonly action: string;
}

function readResults(file: string): ResultRow[] {
  return parse<ResultRow>(readFileSync(file), { columns: true });
}

let dir: string;
let snapshotDir: string;
let persons: SnapshotPersonWithCard[];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sachsong-reconcile-'));
  snapshotDir = path.join(dir, 'snapshot');
  function* pages(): Generator<SnapshotPersonWithCard[]> {
    for (const batch of generatePopulation({ people: 6_000, seed: 11, today })) yield batch.persons.map((p) => ({ ...p, old_card: null }));
  }
  await writeSnapshot(snapshotDir, pages(), 'test');
  persons = await readSnapshotPersons(snapshotDir);
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function service(engine: ReconcileEngine = duckDbReconcileEngine): ReconcileService {
  return new ReconcileService({
    engine,
    clock,
    snapshot: () => {
      const manifest = readSnapshotManifest(snapshotDir);
      if (manifest === undefined) throw new Error('no snapshot');
      return Promise.resolve({ dir: snapshotDir, manifest, built: false });
    },
  });
}

describe('generated agency files', () => {
  it.each(presetNames)('%s: agrees with the ground truth (accuracy and F1 ≥ 0.99, each status count within half a per cent of it)', async (name) => {
    const file = path.join(dir, `${name}.csv`);
    const truth = path.join(dir, `${name}.truth.csv`);
    const generated = generateAgencyFile(persons, { preset: name, rows: 8_000, seed: 5, file, truthFile: truth, rates: { badRow: 0.002 } });
    const { summary, files } = await service().run({ input: file, preset: reconcilePresets[name], outDir: path.join(dir, `out-${name}`) });
    expect(summary.rows).toBe(8_000);
    const evaluation = await evaluateResults(files.results, truth);
    expect(evaluation.accuracy).toBeGreaterThanOrEqual(0.99);
    expect(evaluation.pairwise.f1).toBeGreaterThanOrEqual(0.99);
    // The file holds every kind of trouble the preset can see, and the counts agree with the truth.
    for (const status of ['MATCHED', 'MISMATCH', 'NOT_FOUND', 'INVALID_ID', 'DUPLICATE_IN_SOURCE', 'DECEASED', 'BAD_ROW'] as const) {
      expect(generated.expected[status], status).toBeGreaterThan(0);
    }
    if (name === 'telecom') expect(generated.expected.OVER_LIMIT).toBeGreaterThan(0);
    for (const status of Object.keys(generated.expected) as ReconcileStatus[]) {
      expect(Math.abs(summary.statuses[status] - generated.expected[status]), status).toBeLessThanOrEqual(Math.ceil(8_000 * 0.005));
    }
    expect(readFileSync(files.report, 'utf8')).toContain('<svg');
  }, 120_000);

  it('is deterministic for a seed', () => {
    const a = path.join(dir, 'a.csv');
    const b = path.join(dir, 'b.csv');
    generateAgencyFile(persons, { preset: 'bank', rows: 500, seed: 9, file: a, truthFile: `${a}.truth` });
    generateAgencyFile(persons, { preset: 'bank', rows: 500, seed: 9, file: b, truthFile: `${b}.truth` });
    expect(readFileSync(a)).toEqual(readFileSync(b));
  });
});

describe('rows that are wrong', () => {
  it('gives every row a status and an action; broken rows are reported by line, never fatal', async () => {
    const alive = persons.filter((p) => p.status === 'alive' && p.birth_date.length === 10);
    const [p1, p2, p3, p4, p5] = alive as [SnapshotPersonWithCard, ...SnapshotPersonWithCard[]];
    const dead = persons.find((p) => p.status === 'deceased');
    if (p2 === undefined || p3 === undefined || p4 === undefined || p5 === undefined || dead === undefined) throw new Error('population too small');
    const d = (iso: string): string => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
    const lines: (string | Buffer)[] = [
      'tax_record_no,id_number,taxpayer_name,birth_date\n',
      `R1,${p1.id_number},${p1.full_name},${d(p1.birth_date)}\n`, // line 2: MATCHED
      `R2,${p2.id_number},${p2.full_name}\n`, // line 3: missing column
      `R3,${p2.id_number},${p2.full_name},${d(p2.birth_date)},extra\n`, // line 4: too many columns
      Buffer.concat([Buffer.from(`R4,${p3.id_number},Nguy`), Buffer.from([0xea, 0x6e]), Buffer.from(`,${d(p3.birth_date)}\n`)]), // line 5: Windows-1258 bytes
      `R5,${p3.id_number.slice(0, 11)},${p3.full_name},${d(p3.birth_date)}\n`, // line 6: 11 digits
      `R6,0360A1891079,${p3.full_name},${d(p3.birth_date)}\n`, // line 7: a letter
      `R7,999${p3.id_number.slice(3)},${p3.full_name},${d(p3.birth_date)}\n`, // line 8: no such province
      `R8,${p3.id_number.slice(0, 3)}299${p3.id_number.slice(6)},${p3.full_name},${d(p3.birth_date)}\n`, // line 9: born 2099
      `R9,${p4.id_number},${p4.full_name},30/02/${p4.birth_date.slice(0, 4)}\n`, // line 10: impossible date
      `R10,${p5.id_number},${p5.full_name.toUpperCase()},${d(p5.birth_date)}\n`, // line 11: upper case is not a difference
      `R11,${dead.id_number},${dead.full_name},${d(dead.birth_date.length === 10 ? dead.birth_date : `${dead.birth_date.slice(0, 4)}-01-01`)}\n`, // line 12
      `R12,${p1.id_number},${p1.full_name},${d(p1.birth_date)}\n`, // line 13: repeats line 2
      `R13,,${p1.full_name},${d(p1.birth_date)}\n`, // line 14: no ID
      `"R14","${p2.id_number}","${p2.full_name}, Jr",${d(p2.birth_date)}\n`, // line 15: quoted comma, name differs
    ];
    const file = path.join(dir, 'wrong.csv');
    writeFileSync(file, Buffer.concat(lines.map((l) => (typeof l === 'string' ? Buffer.from(l) : l))));
    const { summary, files } = await service().run({ input: file, preset: reconcilePresets.tax, outDir: path.join(dir, 'out-wrong') });
    const rows = readResults(files.results);
    expect(rows.map((r) => Number(r.line))).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    const byLine = new Map(rows.map((r) => [Number(r.line), r]));
    const status = (line: number): string => `${byLine.get(line)?.status ?? '?'}:${byLine.get(line)?.reason ?? ''}`;
    expect(status(2)).toBe('MATCHED:');
    expect(status(3)).toBe('BAD_ROW:MISSING_COLUMNS');
    expect(status(4)).toBe('BAD_ROW:TOO_MANY_COLUMNS');
    expect(status(5)).toBe('BAD_ROW:INVALID_ENCODING');
    expect(status(6)).toBe('CLERICAL_REVIEW:id_malformed');
    expect(status(7)).toBe('PROBABLE_MATCH:id_malformed');
    expect(status(8)).toBe('CLERICAL_REVIEW:id_structure_invalid');
    expect(status(9)).toBe('CLERICAL_REVIEW:id_structure_invalid');
    expect(status(10)).toBe('MISMATCH:');
    expect(byLine.get(10)?.mismatch_fields).toBe('birth_date');
    expect(byLine.get(10)?.registry_birth_date).toBe(p4.birth_date); // the tax preset may release it
    expect(status(11)).toBe('MATCHED:');
    expect(status(12)).toBe('DECEASED:');
    expect(status(13)).toBe('DUPLICATE_IN_SOURCE:');
    expect(status(14)).toBe('PROBABLE_MATCH:id_missing');
    expect(status(15)).toBe('MISMATCH:');
    expect(byLine.get(15)?.registry_full_name).toBe(p2.full_name);
    for (const r of rows) expect(r.action.length).toBeGreaterThan(5);
    expect(summary.badRows).toBe(3);
    expect(summary.badRowSamples.map((b) => b.line)).toEqual([3, 4, 5]);
    // The summary and report never carry a row's content.
    const report = readFileSync(files.report, 'utf8');
    expect(report).not.toContain(p3.full_name);
    expect(JSON.stringify(summary)).not.toContain(p3.id_number);
  }, 60_000);

  it('does not release registry values a preset may not release', async () => {
    const p = persons.find((x) => x.status === 'alive' && x.birth_date.length === 10) as SnapshotPersonWithCard;
    const file = path.join(dir, 'telecom-mismatch.csv');
    writeFileSync(file, `contract_no,subscriber_id,subscriber_name,birth_date,sex,msisdn\nC1,${p.id_number},${p.full_name}x,${p.birth_date.slice(8, 10)}/${p.birth_date.slice(5, 7)}/${p.birth_date.slice(0, 4)},${p.sex},0900000001\n`);
    const { files } = await service().run({ input: file, preset: reconcilePresets.telecom, outDir: path.join(dir, 'out-telecom-mismatch') });
    const [row] = readResults(files.results);
    expect(row?.status).toBe('MISMATCH');
    expect(row?.mismatch_fields).toBe('full_name');
    expect(row?.registry_full_name).toBe('');
  });

  it('resolves an old 9-digit card number through the snapshot mapping', async () => {
    const store = path.join(dir, 'snap-cards');
    const people = persons.slice(0, 500);
    await writeSnapshot(store, [people], 'cards');
    const withCard = (await readSnapshotPersons(store)).find((p) => p.old_card !== null && p.status === 'alive' && p.birth_date.length === 10);
    if (withCard?.old_card == null) throw new Error('no person with an old card');
    expect(withCard.old_card).toMatch(/^\d{9}$/); // an old CMND number, which the agency file quotes instead of the 12-digit one
    const file = path.join(dir, 'old-card.csv');
    writeFileSync(file, `beneficiary_no,id_number,full_name,birth_date,commune_code\nB1,${withCard.old_card},${withCard.full_name},${withCard.birth_date.slice(8, 10)}/${withCard.birth_date.slice(5, 7)}/${withCard.birth_date.slice(0, 4)},${withCard.permanent_commune ?? ''}\n`);
    const result = path.join(dir, 'old-card.results.csv');
    await duckDbReconcileEngine.run({ input: file, preset: reconcilePresets.welfare, snapshotDir: store, resultsPath: result, today });
    const [row] = readResults(result);
    expect(row?.status).toBe('MISMATCH');
    expect(row?.mismatch_fields).toBe('id_number');
    expect(row?.registry_id_number).toBe(withCard.id_number);
    expect(row?.reason).toBe('old_card_number');
  });

  it('names the missing column, and takes the agency column names through a mapping', async () => {
    const p = persons[0] as SnapshotPersonWithCard;
    const file = path.join(dir, 'renamed.csv');
    writeFileSync(file, `ma_so,so_dinh_danh,ho_ten,ngay_sinh\nT1,${p.id_number},${p.full_name},01/01/1900\n`); // an exact name links whatever the date
    const run = (preset = reconcilePresets.tax): ReturnType<ReconcileService['run']> => service().run({ input: file, preset, outDir: path.join(dir, 'out-renamed') });
    await expect(run()).rejects.toMatchObject({ code: 'RECONCILE_COLUMN_MISSING' });
    expect(existsSync(path.join(dir, 'out-renamed', 'results.csv'))).toBe(false);
    const { summary } = await run(withMapping('tax', { record: 'ma_so', id: 'so_dinh_danh', name: 'ho_ten', birth: 'ngay_sinh' }));
    expect(summary.rows).toBe(1);
    expect(summary.statuses.MATCHED + summary.statuses.MISMATCH).toBe(1);
  });

  it('refuses a missing or empty file with a clear error', async () => {
    const empty = path.join(dir, 'empty.csv');
    writeFileSync(empty, '');
    await expect(service().run({ input: path.join(dir, 'nope.csv'), preset: reconcilePresets.tax, outDir: path.join(dir, 'o1') })).rejects.toMatchObject({ code: 'RECONCILE_FILE_NOT_FOUND' });
    await expect(service().run({ input: empty, preset: reconcilePresets.tax, outDir: path.join(dir, 'o2') })).rejects.toMatchObject({ code: 'RECONCILE_FILE_EMPTY' });
  });

  it('reads Parquet agency files too', async () => {
    const csv = path.join(dir, 'pq.csv');
    const truth = path.join(dir, 'pq.truth.csv');
    generateAgencyFile(persons, { preset: 'welfare', rows: 2_000, seed: 3, file: csv, truthFile: truth, rates: { badRow: 0 } });
    const parquet = path.join(dir, 'pq.parquet');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(`COPY (SELECT * FROM read_csv('${csv}', all_varchar = true)) TO '${parquet}' (FORMAT parquet)`);
    connection.closeSync();
    instance.closeSync();
    const { files } = await service().run({ input: parquet, preset: reconcilePresets.welfare, outDir: path.join(dir, 'out-pq') });
    const evaluation = await evaluateResults(files.results, truth);
    expect(evaluation.pairwise.f1).toBeGreaterThanOrEqual(0.99);
  });
});

describe('a run that dies', () => {
  it('leaves no output under the final names, and the next run completes', async () => {
    const file = path.join(dir, 'dies.csv');
    generateAgencyFile(persons, { preset: 'tax', rows: 8_000, seed: 5, file, truthFile: `${file}.truth` });
    const outDir = path.join(dir, 'out-dies');
    const dying: ReconcileEngine = {
      run(request) {
        writeFileSync(request.resultsPath, 'row_no,half a file');
        return Promise.reject(new DomainError('unavailable', 'TEST_KILLED', 'killed', 'run again'));
      },
    };
    await expect(service(dying).run({ input: file, preset: reconcilePresets.tax, outDir })).rejects.toMatchObject({ code: 'TEST_KILLED' });
    expect(existsSync(path.join(outDir, 'results.csv'))).toBe(false);
    expect(existsSync(path.join(outDir, 'results.csv.partial'))).toBe(false);
    expect(existsSync(path.join(outDir, 'summary.json'))).toBe(false);
    const { summary } = await service().run({ input: file, preset: reconcilePresets.tax, outDir });
    expect(summary.rows).toBe(8_000);
  }, 60_000);

  it('killed with SIGKILL mid-run, `sachsong reconcile` run again finishes cleanly', async () => {
    const dataDir = path.join(dir, 'cli-data');
    mkdirSync(dataDir, { recursive: true });
    const store = openDatabase({ sqliteFile: path.join(dataDir, 'sachsong.db') });
    await migrateToLatest(store.db, store.dialect);
    await loadPopulation(store, generatePopulation({ people: 3_000, seed: 4, today }));
    await store.close();
    const file = path.join(dir, 'cli.csv');
    generateAgencyFile(persons, { preset: 'tax', rows: 20_000, seed: 2, file, truthFile: `${file}.truth` });
    const outDir = path.join(dir, 'out-cli');
    const env = { ...process.env, SACHSONG_DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
    const args = ['--import', 'tsx', 'src/cli/main.ts', 'reconcile', file, '--preset', 'tax', '--out', outDir];

    const first = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = once(first, 'exit');
    // Killed on the command's own report that the engine is at work (the snapshot exists, no output
    // is complete); if it ends before reporting that, the wait fails instead of passing by chance.
    await new Promise<void>((resolve, reject) => {
      let stderr = '';
      first.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('reconcile: loading')) resolve();
      });
      first.once('exit', () => { reject(new Error(`the reconcile run ended before loading: ${stderr}`)); });
    });
    first.kill('SIGKILL');
    await exited;
    expect(first.signalCode).toBe('SIGKILL');
    expect(existsSync(path.join(outDir, 'results.csv'))).toBe(false);
    expect(existsSync(path.join(outDir, 'summary.json'))).toBe(false);

    const second = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    second.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    const [code] = (await once(second, 'exit')) as [number | null];
    expect(code).toBe(0); // a complete run, bad rows or not
    const summary = JSON.parse(readFileSync(path.join(outDir, 'summary.json'), 'utf8')) as { rows: number };
    expect(summary.rows).toBe(20_000);
    expect(readResults(path.join(outDir, 'results.csv'))).toHaveLength(20_000);
    expect(out).toContain('"statuses"');
  }, 180_000);
});

describe.each(dialects)('the registry snapshot on %s', (dialect) => {
  it('is built once, reused while the registry is unchanged, and rebuilt after a change', async () => {
    const store = await createTestDatabase(dialect);
    try {
      await loadPopulation(store, generatePopulation({ people: 1_000, seed: 8, today }));
      const snapDir = path.join(dir, `snap-${dialect}`);
      const first = await registrySnapshot(store, snapDir);
      expect(first.built).toBe(true);
      expect(first.manifest.persons).toBe(1_000);
      const again = await registrySnapshot(store, snapDir);
      expect(again.built).toBe(false);
      const someone = await store.db.selectFrom('persons').select('id_number').where('status', '=', 'alive').orderBy('id_number').executeTakeFirstOrThrow();
      const registry = new RegistryService({ db: store.db, clock });
      await registry.recordEvent({ type: 'death', personId: someone.id_number, occurredOn: '2025-12-01', officerId: null, reason: null, data: { deathDate: '2025-12-01' } });
      const after = await registrySnapshot(store, snapDir);
      expect(after.built).toBe(true);
      const dead = (await readSnapshotPersons(snapDir)).find((p) => p.id_number === someone.id_number);
      expect(dead?.status).toBe('deceased');
    } finally {
      await store.close();
    }
  }, 120_000);
});
