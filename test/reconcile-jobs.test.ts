import { allScopesKey } from './officer-session.js';
import type { IdentityModule } from '../src/identity/identity.module.js';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/http/app.js';
import { generateAgencyFile } from '../src/matching/agency-file.generator.js';
import { reconcileFolders, registrySnapshot } from '../src/matching/reconcile.module.js';
import { readSnapshotPersons } from '../src/matching/registry-snapshot.engine.js';
import { generatePopulation } from '../src/registry/population.generator.js';
import { fixedClock } from '../src/shared/clock.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import type { Database } from '../src/store/database.js';
import { createTestDatabase, dialects } from './test-database.js';

const token = 'reconcile-test-token-0123456789abcdef';
const clock = fixedClock('2026-01-02T00:00:00Z');
let auth: Record<string, string> = {};
let identity: IdentityModule | undefined;

interface JobBody {
  readonly jobId: string;
  readonly state: string;
  readonly phase: string;
  readonly progress: number;
  readonly attempts: number;
  readonly rows: number | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly summary: { readonly rows: number; readonly statuses: Record<string, number> } | null;
}

async function waitFor(app: FastifyInstance, jobId: string): Promise<JobBody> {
  for (let i = 0; i < 600; i++) {
    const response = await app.inject({ method: 'GET', url: `/api/reconcile-jobs/${jobId}`, headers: auth });
    const job = response.json<JobBody>();
    if (job.state === 'succeeded' || job.state === 'failed') return job;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('job did not finish');
}

describe.each(dialects)('reconciliation jobs over HTTP on %s', (dialect) => {
  let store: Database;
  let dir: string;
  let app: FastifyInstance;
  let agencyCsv: string;

  beforeAll(async () => {
    store = await createTestDatabase(dialect);
    await loadPopulation(store, generatePopulation({ people: 2_000, seed: 21, today: '2026-01-01' }));
    dir = mkdtempSync(path.join(tmpdir(), 'sachsong-reconcile-jobs-'));
    const keyed = await allScopesKey(store.db, clock);
    auth = keyed.headers;
    identity = keyed.identity;
    app = await buildApp({ database: store, clock, operatorToken: token, identity, logger: false, reconcileDir: dir });
    await app.ready();
    // An agency file derived from this registry: the first job builds the snapshot it reads from.
    const snapshotDir = path.join(dir, 'seed-snapshot');
    await registrySnapshot(store, snapshotDir);
    const csv = path.join(dir, 'seed.csv');
    generateAgencyFile(await readSnapshotPersons(snapshotDir), { preset: 'telecom', rows: 3_000, seed: 1, file: csv, truthFile: `${csv}.truth` });
    agencyCsv = csv;
  }, 120_000);

  afterAll(async () => {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uploads a file, runs a job with progress, and serves results, summary and report', async () => {
    const upload = await app.inject({ method: 'PUT', url: '/api/reconcile-jobs/files/sims.csv', headers: { ...auth, 'content-type': 'text/csv' }, payload: readFileSync(agencyCsv) });
    expect(upload.statusCode).toBe(201);
    const created = await app.inject({ method: 'POST', url: '/api/reconcile-jobs', headers: auth, payload: { preset: 'telecom', file: 'sims.csv' } });
    expect(created.statusCode).toBe(202);
    const { jobId } = created.json<JobBody>();
    expect(created.headers.location).toBe(`/api/reconcile-jobs/${jobId}`);
    const job = await waitFor(app, jobId);
    expect(job.state).toBe('succeeded');
    expect(job.progress).toBe(1);
    expect(job.attempts).toBe(1);
    expect(job.rows).toBe(3_000);
    expect(job.summary?.statuses.MATCHED).toBeGreaterThan(2_000);

    const results = await app.inject({ method: 'GET', url: `/api/reconcile-jobs/${jobId}/results`, headers: auth });
    expect(results.statusCode).toBe(200);
    expect(results.headers['content-type']).toContain('text/csv');
    expect(parse<Record<string, string>>(results.body, { columns: true }).length).toBe(3_000);
    const summary = await app.inject({ method: 'GET', url: `/api/reconcile-jobs/${jobId}/summary`, headers: auth });
    expect(summary.json<{ rows: number }>().rows).toBe(3_000);
    const report = await app.inject({ method: 'GET', url: `/api/reconcile-jobs/${jobId}/report`, headers: auth });
    expect(report.headers['content-type']).toContain('text/html');
    expect(report.body).toContain('<svg');
    const list = await app.inject({ method: 'GET', url: '/api/reconcile-jobs', headers: auth });
    expect(list.json<{ items: JobBody[] }>().items.map((j) => j.jobId)).toContain(jobId);
  }, 120_000);

  it('records a failed job with its error code when the file cannot be reconciled', async () => {
    writeFileSync(path.join(reconcileFolders(dir).inbox, 'no-ids.csv'), 'a,b\n1,2\n');
    const created = await app.inject({ method: 'POST', url: '/api/reconcile-jobs', headers: auth, payload: { preset: 'tax', file: 'no-ids.csv' } });
    const job = await waitFor(app, created.json<JobBody>().jobId);
    expect(job.state).toBe('failed');
    expect(job.error?.code).toBe('RECONCILE_COLUMN_MISSING');
    // One header error naming the columns the preset expects, and those the file has.
    expect(job.error?.message).toBe('the file has no column "id_number" for the ID number; expected columns: tax_record_no (record), id_number (id), taxpayer_name (name), birth_date (birth); its columns are: a, b');
    const results = await app.inject({ method: 'GET', url: `/api/reconcile-jobs/${job.jobId}/results`, headers: auth });
    expect(results.statusCode).toBe(409);
    expect(results.json<{ code: string }>().code).toBe('RECONCILE_JOB_NOT_FINISHED');
  }, 60_000);

  it("maps a file's header to the preset's fields for the console, by name and by usual Vietnamese headers", async () => {
    const mapped = await app.inject({ method: 'POST', url: '/api/reconcile-jobs/column-mapping', headers: auth, payload: { preset: 'tax', header: ['STT', 'Số CCCD', 'Họ và tên', 'ns'] } });
    expect(mapped.statusCode).toBe(200);
    const items = mapped.json<{ items: { field: string; expected: string | null; column: string | null; required: boolean }[] }>().items;
    expect(items.filter((m) => m.field === 'id' || m.field === 'name' || m.field === 'birth')).toEqual([
      { field: 'id', expected: 'id_number', column: 'Số CCCD', required: true },
      { field: 'name', expected: 'taxpayer_name', column: 'Họ và tên', required: true },
      { field: 'birth', expected: 'birth_date', column: null, required: false },
    ]);
    const bad = await app.inject({ method: 'POST', url: '/api/reconcile-jobs/column-mapping', headers: auth, payload: { preset: 'lottery', header: ['a'] } });
    expect(bad.statusCode).toBe(400);
  });

  it('refuses bad requests with a problem and a code', async () => {
    const cases: readonly [string, string, unknown, number, string][] = [
      ['POST', '/api/reconcile-jobs', { preset: 'insurance', file: 'sims.csv' }, 400, 'INPUT_INVALID'],
      ['POST', '/api/reconcile-jobs', { preset: 'tax', file: '../../etc/passwd' }, 403, 'RECONCILE_PATH_OUTSIDE_INBOX'],
      ['POST', '/api/reconcile-jobs', { preset: 'tax', file: 'nothing-here.csv' }, 404, 'RECONCILE_FILE_NOT_FOUND'],
      ['POST', '/api/reconcile-jobs', { preset: 'tax', file: 'sims.csv', mapping: { shoe_size: 'x' } }, 400, 'RECONCILE_MAPPING_INVALID'],
      ['GET', '/api/reconcile-jobs/00000000-0000-4000-8000-000000000000', undefined, 404, 'RECONCILE_JOB_NOT_FOUND'],
      ['PUT', '/api/reconcile-jobs/files/..%2Fx.csv', 'a,b\n', 400, 'RECONCILE_FILE_NAME_INVALID'],
    ];
    for (const [method, url, payload, status, code] of cases) {
      const response = await app.inject({
        method: method as 'GET' | 'POST' | 'PUT',
        url,
        headers: { ...auth, ...(method === 'PUT' ? { 'content-type': 'text/csv' } : {}) },
        ...(payload === undefined ? {} : { payload: payload as string }),
      });
      expect(response.statusCode, `${method} ${url}`).toBe(status);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json<{ code: string }>().code, `${method} ${url}`).toBe(code);
    }
    const anonymous = await app.inject({ method: 'GET', url: '/api/reconcile-jobs' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('restarts a job that a killed process left running, cleanly', async () => {
    const inbox = reconcileFolders(dir).inbox;
    mkdirSync(inbox, { recursive: true });
    writeFileSync(path.join(inbox, 'again.csv'), readFileSync(agencyCsv));
    const jobId = '11111111-1111-4111-8111-111111111111';
    const outDir = path.join(reconcileFolders(dir).jobs, jobId);
    mkdirSync(outDir, { recursive: true });
    // What a process killed mid-run leaves: the row says running, a half-written partial output.
    writeFileSync(path.join(outDir, 'results.csv.partial'), 'row_no,line\n1,');
    await store.db.insertInto('reconcile_jobs').values({
      job_id: jobId, preset: 'telecom', source_name: 'again.csv', source_path: path.join(inbox, 'again.csv'), mapping: '{}', out_dir: outDir,
      state: 'running', phase: 'classifying', progress: 0.5, attempts: 1, rows: null, summary: null, error_code: null, error_message: null,
      created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:01.000Z', started_at: '2026-01-01T00:00:00.000Z', finished_at: null,
    }).execute();
    // A new server on the same store picks it up when it starts.
    const restarted = await buildApp({ database: store, clock, operatorToken: token, ...(identity === undefined ? {} : { identity }), logger: false, reconcileDir: dir });
    try {
      await restarted.ready();
      const job = await waitFor(restarted, jobId);
      expect(job.state).toBe('succeeded');
      expect(job.attempts).toBe(2);
      expect(job.rows).toBe(3_000);
      const results = await restarted.inject({ method: 'GET', url: `/api/reconcile-jobs/${jobId}/results`, headers: auth });
      expect(parse<Record<string, string>>(results.body, { columns: true }).length).toBe(3_000);
    } finally {
      await restarted.close();
    }
  }, 120_000);
});
