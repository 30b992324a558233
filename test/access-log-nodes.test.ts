import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditService } from '../src/audit/audit.service.js';
import { generateSignerKey, parseSignerKey } from '../src/audit/checkpoint-note.js';
import { fixedClock } from '../src/shared/clock.js';
import type { Database } from '../src/store/database.js';
import { createTestDatabase } from './test-database.js';

// Several nodes append to one access log on the shared PostgreSQL store: each batch transaction
// locks the head row first, and reloads the frontier under the lock when another node moved it. The log must come out as one sequence: dense indexes, no index twice, every tree node right.

interface NodeRun { readonly node: string; readonly indexes: number[]; readonly contended: number }

async function runNodes(url: string, nodes: number, records: number, inFlight: number): Promise<NodeRun[]> {
  const children = Array.from({ length: nodes }, (_, n) =>
    spawn(process.execPath, ['--import', 'tsx', 'test/access-log-node.child.ts', url, `node${n + 1}`, String(records), String(inFlight)], { stdio: ['pipe', 'pipe', 'pipe'] }));
  const outputs = children.map((child) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    return once(child, 'exit').then(([code]) => {
      if (code !== 0) throw new Error(`a node failed (${String(code)}): ${err}`);
      return JSON.parse(out) as NodeRun;
    });
  });
  // Every node loads its modules first; then all start at once.
  await new Promise((r) => setTimeout(r, 4_000));
  for (const child of children) child.stdin.end('go\n');
  return Promise.all(outputs);
}

describe('an access log appended to by two nodes at once (PostgreSQL)', () => {
  let database: Database & { url: string | undefined };
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await database.close();
  });

  it('keeps one sequence: dense indexes, none given twice, and the whole log verifies', async () => {
    const runs = await runNodes(database.url ?? '', 2, 400, 16);
    const all = runs.flatMap((r) => r.indexes).sort((a, b) => a - b);
    // Appends queue on the head row's lock: none is refused for contention.
    expect(runs.map((r) => [r.indexes.length, r.contended])).toEqual([[400, 0], [400, 0]]);
    const written = 800;
    expect(all).toEqual(Array.from({ length: written }, (_, i) => i));
    // Both nodes' records are interleaved in the one sequence, not appended one node after the other.
    expect(runs.every((r) => r.indexes.length > 0)).toBe(true);
    const audit = new AuditService({ db: database.db, signer: parseSignerKey(generateSignerKey('test.sachsong/access-log')), clock: fixedClock('2026-12-04T10:00:00Z') });
    const report = await audit.verify();
    expect(report.problems).toEqual([]);
    expect(report.treeSize).toBe(written);
    const leaves = await database.db.selectFrom('access_records').select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(leaves.n)).toBe(written);
  }, 120_000);
});
