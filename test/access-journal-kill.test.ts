import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAccessLog } from '../src/audit/access-log.service.js';
import { AuditService } from '../src/audit/audit.service.js';
import { generateSignerKey, parseSignerKey } from '../src/audit/checkpoint-note.js';
import { fixedClock } from '../src/shared/clock.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { migrateAccessLogStore } from '../src/store/migrator.js';

/** Runs the appending child until it has acknowledged `acks` records, then kills it with SIGKILL. */
async function appendThenKill(file: string, from: number, acks: number): Promise<Set<string>> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/access-journal-kill.child.ts', file, String(from)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acknowledged = new Set<string>();
  let partial = '';
  let errors = '';
  child.stderr.on('data', (b: Buffer) => (errors += b.toString()));
  child.stdout.on('data', (b: Buffer) => {
    const lines = (partial + b.toString()).split('\n');
    partial = lines.pop() ?? ''; // a line cut by the kill was never fully acknowledged
    for (const line of lines) acknowledged.add(line);
  });
  const deadline = Date.now() + 60_000;
  while (acknowledged.size < acks) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the appending child stopped early: ${errors}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill('SIGKILL');
  await once(child, 'exit');
  return acknowledged;
}

describe('an access journal whose process is killed mid-stream', () => {
  let dir: string;
  let store: Database;
  let file: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sachsong-journal-kill-'));
    file = path.join(dir, 'access-log.db');
    store = openDatabase({ sqliteFile: file, pageSize: 4_096 });
    await migrateAccessLogStore(store.db, 'sqlite');
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses no acknowledged record and folds none twice, over two kills and a restart', async () => {
    const acknowledged = new Set([...(await appendThenKill(file, 0, 4_000)), ...(await appendThenKill(file, 1_000_000, 4_000))]);
    // The next start folds what the killed processes journaled.
    const log = openAccessLog(store, { writerThread: true });
    await log.settled();
    await log.close();
    const leaves = (await store.db.selectFrom('access_records').select('leaf').orderBy('idx').execute()).map((r) => (JSON.parse(r.leaf) as { requestId: string }).requestId);
    const stored = new Set(leaves);
    expect(stored.size).toBe(leaves.length); // none twice
    for (const id of acknowledged) expect(stored.has(id), id).toBe(true);
    expect(readdirSync(`${file}.journal.d`)).toEqual([]);
    const report = await new AuditService({ db: store.db, signer: parseSignerKey(generateSignerKey('test.sachsong/access-log')), clock: fixedClock('2026-11-27T10:00:00Z') }).verify();
    expect(report.problems).toEqual([]);
    expect(report.treeSize).toBe(leaves.length);
    console.log(`[journal-kill] ${acknowledged.size} acknowledged, ${leaves.length} in the log after two kills`);
  }, 180_000);
});
