import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileJobRepository, type ReconcileJobsTable } from '../src/matching/reconcile-job.repository.js';
import { ReconcileJobService } from '../src/matching/reconcile-job.service.js';
import type { ReconcileService } from '../src/matching/reconcile.service.js';
import { QualityService } from '../src/quality/quality.service.js';
import { fixedClock, type Clock } from '../src/shared/clock.js';
import { isDomainError } from '../src/shared/domain-error.js';
import type { Database } from '../src/store/database.js';
import { jobLeaseRepository, onOneNode } from '../src/store/job-lease.js';
import { createTestDatabase, dialects } from './test-database.js';

/**
 * Work that must run once, on one node, across nodes sharing one store (issue 21): a full quality
 * scan and a reconciliation job. Two services with two node ids on one database stand for two
 * nodes; the store decides, so the same holds for processes on different machines.
 */
const clock = fixedClock('2026-12-05T03:00:00.000Z');

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

function jobRow(jobId: string, changes: Partial<ReconcileJobsTable> = {}): ReconcileJobsTable {
  const at = clock.now().toISOString();
  return {
    job_id: jobId, preset: 'telecom', source_name: 'sims.csv', source_path: '/nowhere/sims.csv', mapping: '{}', out_dir: `/nowhere/${jobId}`,
    state: 'queued', phase: 'queued', progress: 0, attempts: 0, rows: null, summary: null, error_code: null, error_message: null,
    created_at: at, updated_at: at, started_at: null, finished_at: null, runner: null, lease_expires_at: null, ...changes,
  };
}

describe.each(dialects)('work that runs on one node (%s)', (dialect) => {
  let database: Database;
  let dir: string;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    dir = mkdtempSync(path.join(tmpdir(), 'sachsong-one-node-'));
  }, 60_000);
  afterAll(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives a lease to one of two nodes asking at once, and to the other once it is given up or has expired', async () => {
    const now = clock.now().toISOString();
    const later = new Date(clock.now().getTime() + 60_000).toISOString();
    const taken = await Promise.all([jobLeaseRepository.acquire(database.db, 'probe', 'node-a', now, later), jobLeaseRepository.acquire(database.db, 'probe', 'node-b', now, later)]);
    expect(taken.filter(Boolean)).toHaveLength(1);
    const winner = taken[0] ? 'node-a' : 'node-b';
    const loser = winner === 'node-a' ? 'node-b' : 'node-a';
    expect(await jobLeaseRepository.acquire(database.db, 'probe', loser, now, later)).toBe(false);
    // The holder renews it; after it expires another node takes it.
    expect(await jobLeaseRepository.acquire(database.db, 'probe', winner, now, later)).toBe(true);
    expect(await jobLeaseRepository.acquire(database.db, 'probe', loser, later, new Date(clock.now().getTime() + 120_000).toISOString())).toBe(true);
    expect((await jobLeaseRepository.current(database.db, 'probe', later))?.holder).toBe(loser);
    await jobLeaseRepository.release(database.db, 'probe', winner); // not the holder any more: nothing happens
    expect((await jobLeaseRepository.current(database.db, 'probe', later))?.holder).toBe(loser);
    await jobLeaseRepository.release(database.db, 'probe', loser);
    expect(await jobLeaseRepository.current(database.db, 'probe', later)).toBeUndefined();
  });

  it('refuses a full quality scan on a second node while the first runs it (JOB_RUNNING_ELSEWHERE), and runs it once the first is done', async () => {
    const nodeA = new QualityService({ db: database.db, store: database, clock, nodeId: 'node-a', recordCorrection: () => Promise.reject(new Error('unused')) });
    const nodeB = new QualityService({ db: database.db, store: database, clock, nodeId: 'node-b', recordCorrection: () => Promise.reject(new Error('unused')) });
    // Node A holds the scan's lease (as during its scan); B is refused and names the job.
    const gate = deferred();
    const held = deferred();
    const holding = onOneNode({ db: database.db, clock, nodeId: 'node-a' }, 'quality-full-scan', async () => {
      held.resolve();
      await gate.promise;
    });
    await held.promise;
    const refused = await nodeB.fullScan().then(() => undefined, (error: unknown) => error);
    expect(isDomainError(refused) && refused.code).toBe('JOB_RUNNING_ELSEWHERE');
    gate.resolve();
    await holding;
    const summary = await nodeB.fullScan();
    expect(summary.scanId).toBeTruthy();
    // And A may scan after B: the lease was given up.
    expect((await nodeA.fullScan()).scanId).not.toBe(summary.scanId);
  }, 60_000);

  it('runs a queued reconciliation job once when two nodes take up unfinished jobs at the same time', async () => {
    await reconcileJobRepository.insert(database.db, jobRow('job-once'));
    const runs: string[] = [];
    const started = deferred();
    const finish = deferred();
    const node = (nodeId: string, c: Clock = clock): ReconcileJobService => new ReconcileJobService({
      db: database.db, clock: c, nodeId, jobsDir: path.join(dir, 'jobs'), inboxDir: path.join(dir, 'inbox'),
      reconcile: { run: async () => { runs.push(nodeId); started.resolve(); await finish.promise; return { summary: { rows: 3 } }; } } as unknown as ReconcileService,
    });
    const [a, b] = [node('node-a'), node('node-b')];
    await Promise.all([a.resumeInterrupted(), b.resumeInterrupted()]);
    await started.promise;
    const running = await reconcileJobRepository.find(database.db, 'job-once');
    expect(running?.state).toBe('running');
    expect([runs[0]]).toContain(running?.runner);
    // While it runs, the other node (and a later sweep) leaves it alone.
    await Promise.all([a.resumeInterrupted(), b.resumeInterrupted()]);
    finish.resolve();
    await Promise.all([a.idle(), b.idle()]);
    expect(runs).toHaveLength(1);
    const done = await reconcileJobRepository.find(database.db, 'job-once');
    expect(done).toMatchObject({ state: 'succeeded', attempts: 1, runner: null, lease_expires_at: null });
  });

  it('takes over a job whose node stopped only once that node\'s lease has expired', async () => {
    const leaseEnds = new Date(clock.now().getTime() + 60_000).toISOString();
    await reconcileJobRepository.insert(database.db, jobRow('job-orphan', { state: 'running', runner: 'node-gone', lease_expires_at: leaseEnds, attempts: 1 }));
    const runs: string[] = [];
    const node = (c: Clock): ReconcileJobService => new ReconcileJobService({
      db: database.db, clock: c, nodeId: 'node-b', jobsDir: path.join(dir, 'jobs'), inboxDir: path.join(dir, 'inbox'),
      reconcile: { run: () => { runs.push('node-b'); return Promise.resolve({ summary: { rows: 1 } }); } } as unknown as ReconcileService,
    });
    const before = node(clock);
    await before.resumeInterrupted();
    await before.idle();
    expect(runs).toEqual([]);
    expect((await reconcileJobRepository.find(database.db, 'job-orphan'))?.runner).toBe('node-gone');
    const after = node(fixedClock(new Date(clock.now().getTime() + 61_000).toISOString()));
    await after.resumeInterrupted();
    await after.idle();
    expect(runs).toEqual(['node-b']);
    expect(await reconcileJobRepository.find(database.db, 'job-orphan')).toMatchObject({ state: 'succeeded', attempts: 2 });
  });
});
