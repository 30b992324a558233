import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAccessLog, type AppendingAccessLog } from '../src/audit/access-log.service.js';
import { AuditService } from '../src/audit/audit.service.js';
import { BulkJobRecorder, personsSha256 } from '../src/audit/bulk-job.recorder.js';
import { generateSignerKey, parseSignerKey } from '../src/audit/checkpoint-note.js';
import { officialReadRepository } from '../src/audit/official-read.repository.js';
import { generateAgencyFile } from '../src/matching/agency-file.generator.js';
import { personsInResults } from '../src/matching/reconcile-job.service.js';
import { createReconcile, reconcileFolders, registrySnapshot } from '../src/matching/reconcile.module.js';
import { readSnapshotPersons } from '../src/matching/registry-snapshot.engine.js';
import { generatePopulation } from '../src/registry/population.generator.js';
import { fixedClock } from '../src/shared/clock.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import type { Database } from '../src/store/database.js';
import { createTestDatabase, dialects } from './test-database.js';

const clock = fixedClock('2026-12-04T02:00:00Z');

describe.each(dialects)('a reconciliation job in the access log on %s', (dialect) => {
  let store: Database;
  let dir: string;
  let log: AppendingAccessLog;

  beforeAll(async () => {
    store = await createTestDatabase(dialect);
    await loadPopulation(store, generatePopulation({ people: 500, seed: 5, today: '2026-01-01' }));
    dir = mkdtempSync(path.join(tmpdir(), 'sachsong-reconcile-records-'));
    log = openAccessLog(store, { lingerMs: 1 });
  }, 120_000);
  afterAll(async () => {
    await log.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records the finished job once, with the hash of the persons its results name, before it succeeds; each named citizen sees it', async () => {
    const folders = reconcileFolders(dir);
    const snapshotDir = path.join(dir, 'seed-snapshot');
    await registrySnapshot(store, snapshotDir);
    mkdirSync(folders.inbox, { recursive: true });
    generateAgencyFile(await readSnapshotPersons(snapshotDir), { preset: 'tax', rows: 300, seed: 2, file: path.join(folders.inbox, 'tax.csv'), truthFile: path.join(dir, 'tax.truth') });
    const reconcile = createReconcile({ database: store, clock, dir, bulkJobs: new BulkJobRecorder({ accessLog: log, db: store.db, clock }) });
    const created = await reconcile.jobs.create({ preset: 'tax', file: 'tax.csv' });
    await reconcile.jobs.idle();
    const job = await reconcile.jobs.get(created.jobId);
    expect(job.state).toBe('succeeded');
    const persons = await personsInResults(await reconcile.jobs.output(created.jobId, 'results'));
    expect(persons.length).toBeGreaterThan(100);
    const row = await officialReadRepository.bulkJob(store.db, `reconcile-${created.jobId}`);
    expect(row).toMatchObject({ kind: 'reconcile', persons: persons.length, persons_sha256: personsSha256(persons) });
    const audit = new AuditService({ db: store.db, registryDb: store.db, signer: parseSignerKey(generateSignerKey('test.sachsong/access-log')), clock });
    expect(await audit.treeSize()).toBe(1);
    await log.indexed();
    const page = await audit.tracker(persons[0] ?? '');
    expect(page.entries).toHaveLength(1);
    expect(page.entries[0]?.record).toMatchObject({ service: 'reconcile', readerKind: 'job', jobHash: personsSha256(persons), purpose: expect.stringContaining('ngày 2026-12-04') as unknown });
  }, 120_000);
});
