import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAccessLogStore, type AccessLogStore } from '../src/audit/access-log.store.js';
import { buildApp } from '../src/http/app.js';
import { generatePopulation } from '../src/registry/population.generator.js';
import { systemClock } from '../src/shared/clock.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrator.js';
import { allScopesKey } from './officer-session.js';

// A full disk under the access log, for real: the access log's own file (access-log.db, written on
// its writer thread as `sachsong serve` has it) on a tmpfs of 48 MB mounted for the test, filled to
// the last byte by a filler file while officers read persons. Fail closed: no person's data leaves without
// its access record. Mounting needs root (the test machine runs the suite as root; the cluster
// tests need PostgreSQL's and HAProxy's binaries likewise).
const parent = mkdtempSync(path.join(tmpdir(), 'sachsong-disk-test-'));
const mount = path.join(parent, 'tmpfs');
const filler = path.join(mount, 'filler');

function fill(): void {
  const fd = openSync(filler, 'a');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    // The last few bytes too: the tmpfs is full.
    for (let size = 32 * 1024; size >= 1; size = Math.floor(size / 2)) {
      try { for (;;) writeSync(fd, chunk.subarray(0, size)); } catch { /* the next smaller size */ }
    }
  } finally {
    closeSync(fd);
  }
}

describe('a full disk under the access log', () => {
  let database: Database;
  let logStore: AccessLogStore;
  let app: FastifyInstance;
  let headers: Record<string, string>;
  let people: readonly string[];

  beforeAll(async () => {
    mkdirSync(mount);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', mount], { encoding: 'utf8' });
    if (mounted.status !== 0) throw new Error(`this test mounts a tmpfs and needs root: ${mounted.stderr}`);
    // The registry beside the tmpfs, the log on it: the disk under the log is what runs out.
    database = openDatabase({ sqliteFile: path.join(parent, 'sachsong.db') });
    await migrateToLatest(database.db, database.dialect);
    await loadPopulation(database, generatePopulation({ people: 200, seed: 5, today: '2026-01-01' }));
    people = (await database.db.selectFrom('persons').select('id_number').orderBy('id_number').execute()).map((r) => r.id_number);
    logStore = await openAccessLogStore(database, path.join(mount, 'access-log.db'));
    const keyed = await allScopesKey(database.db, systemClock);
    headers = keyed.headers;
    app = await buildApp({ database, accessLogStore: logStore, clock: systemClock, operatorToken: 'disk-test-operator-token-0123456789', identity: keyed.identity, logger: false, webRoot: '/nonexistent-web-root' });
    await app.ready();
  }, 120_000);

  afterAll(async () => {
    await app.close();
    await logStore.close();
    await database.close();
    spawnSync('umount', ['-l', mount]);
    rmSync(parent, { recursive: true, force: true });
  }, 60_000);

  const recorded = async (): Promise<number> => (await logStore.database.db.selectFrom('access_records').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;

  it('refuses reads while the log cannot grow (503, no data out), and serves them again, one sequence, once there is room', async () => {
    const before = await recorded();
    fill();
    // Reads until the log must take new space: the WAL and free pages absorb the first ones.
    const answers: { status: number; body: string; person: string }[] = [];
    for (let i = 0; i < 5_000; i++) {
      const person = people[i % people.length] ?? '';
      const res = await app.inject({ method: 'GET', url: `/api/persons/${person}`, headers });
      answers.push({ status: res.statusCode, body: res.body, person });
      if (res.statusCode !== 200) break;
    }
    const refused = answers.at(-1);
    expect(refused?.status).toBe(503);
    expect(refused?.body).toMatch(/ACCESS_LOG_WRITE_FAILED|ACCESS_LOG_WRITER_STOPPED/);
    // Nothing of the person: the problem names only the path the caller asked for.
    const name = (await database.db.selectFrom('persons').select('full_name').where('id_number', '=', refused?.person ?? '').executeTakeFirstOrThrow()).full_name;
    expect(refused?.body).not.toContain(name);
    expect(refused?.body).not.toMatch(/fullName|birthDate/);
    // The reads answered before the disk ran out each have their record (durable in the access
    // journal at once; in the tree once the writer thread could fold them).
    const answered = answers.filter((a) => a.status === 200).length;
    // Still full: still refused.
    expect((await app.inject({ method: 'GET', url: `/api/persons/${people[0] ?? ''}`, headers })).statusCode).toBe(503);

    rmSync(filler);
    const res = await app.inject({ method: 'GET', url: `/api/persons/${people[0] ?? ''}`, headers });
    expect(res.statusCode).toBe(200);
    await expect.poll(recorded, { timeout: 10_000 }).toBe(before + answered + 1);
    const idx = (await logStore.database.db.selectFrom('access_records').select('idx').orderBy('idx').execute()).map((r) => r.idx);
    expect(idx).toEqual(idx.map((_, i) => i));
    console.log(`[cluster-timing] full disk: ${answered} reads answered before the log could not grow`);
  }, 120_000);
});
