// The runner killed (SIGKILL) in the middle of many procedures, with an agency failing half its
// deliveries: after a restart every procedure completes, each registry step is recorded exactly
// once (it commits with its step), and each delivery reaches the agency at least once under its
// idempotency key. Nothing is lost between the two processes: every state is in the store.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generatePopulation } from '../src/registry/population.generator.js';
import { vietnamDay } from '../src/registry/partial-date.js';
import { systemClock } from '../src/shared/clock.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import { applicants, procedureStack } from './procedures.harness.js';
import { createTestDatabase, dialects } from './test-database.js';
import { waitFor } from './webhook-receiver.js';

type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

async function child(args: readonly string[]): Promise<ChildProcess> {
  const c = spawn(process.execPath, ['--import', 'tsx', 'test/procedures.child.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  c.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  await new Promise<void>((resolve, reject) => {
    c.stdout.once('data', () => { resolve(); });
    c.once('exit', (code) => { reject(new Error(`the runner exited ${String(code)}: ${err.slice(0, 2_000)}`)); });
  });
  return c;
}

async function killHard(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  await new Promise<void>((resolve) => { c.once('exit', () => { resolve(); }); c.kill('SIGKILL'); });
}

/** Social insurance's endpoint: answers 503 to every other request; keeps the idempotency keys it accepted. */
async function agency(): Promise<{ readonly url: string; readonly accepted: string[]; readonly refused: { n: number }; close(): Promise<void> }> {
  const accepted: string[] = [];
  const refused = { n: 0 };
  let calls = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      calls += 1;
      if (calls % 2 === 0) {
        refused.n += 1;
        res.writeHead(503).end();
        return;
      }
      accepted.push(String(req.headers['idempotency-key']));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/lien-thong`,
    accepted, refused,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => { resolve(); }); }),
  };
}

for (const dialect of dialects) {
  describe(`linked procedures under faults on ${dialect}`, () => {
    let database: TestDatabase;
    let bhxh: Awaited<ReturnType<typeof agency>>;

    beforeEach(async () => {
      database = await createTestDatabase(dialect);
      await loadPopulation(database, generatePopulation({ people: 400, seed: 61, today: '2026-01-01' }));
      bhxh = await agency();
    });
    afterEach(async () => {
      await bhxh.close();
      await database.close();
    });

    it('the runner killed mid-procedure: after restart every procedure completes, registry steps once, deliveries at least once', async () => {
      const stack = procedureStack(database, systemClock);
      await stack.service.setEndpoint('bhxh', bhxh.url);
      const people = await applicants(database, 60);
      const births = people.slice(0, 40);
      const deaths = people.slice(40, 60);
      const yesterday = vietnamDay(new Date(Date.now() - 86_400_000));
      const ids: string[] = [];
      for (const [i, p] of births.entries()) {
        ids.push((await stack.service.submitBirth({ applicantId: p.idNumber, officerId: null }, { child: { fullName: `Nguyễn Văn ${['An', 'Bình', 'Cường', 'Dũng', 'Giang'][i % 5] ?? 'An'} ${String.fromCharCode(65 + (i % 26))}`.replace(/ [A-Z]$/, ''), birthDate: yesterday, sex: 'M' } })).procedureId);
      }
      for (const [i, p] of deaths.entries()) {
        const relative = births[i];
        if (relative === undefined) throw new Error('no relative');
        ids.push((await stack.service.submitDeath({ applicantId: relative.idNumber, officerId: null }, { deceasedId: p.idNumber, deathDate: yesterday })).procedureId);
      }
      await stack.close();
      const target = database.url ?? database.location;
      const doneCount = async (): Promise<number> => (await database.db.selectFrom('procedures').select('procedure_id').where('status', '=', 'done').execute()).length;

      const first = await child([target]);
      await waitFor(async () => (await doneCount()) >= 15, 'procedures done before the kill', 60_000);
      await killHard(first);
      const atKill = await doneCount();
      expect(atKill).toBeLessThan(ids.length);
      const second = await child([target]);
      try {
        await waitFor(async () => (await doneCount()) === ids.length, 'every procedure done after the restart', 90_000);
      } finally {
        await killHard(second);
      }

      // Registry steps: one residence event per child and per deceased, whatever the kill interrupted.
      const subjects = await database.db.selectFrom('procedures').select(['procedure_id', 'subject_id', 'kind']).execute();
      const moves = await database.db.selectFrom('life_events').select(['person_id']).where('event_type', '=', 'residence_change').where('reason', 'like', 'Thủ tục liên thông%').where('person_id', 'in', subjects.map((s) => s.subject_id)).execute();
      const perSubject = new Map<string, number>();
      for (const m of moves) perSubject.set(m.person_id, (perSubject.get(m.person_id) ?? 0) + 1);
      expect(subjects.filter((s) => perSubject.get(s.subject_id) !== 1)).toEqual([]);
      // Deliveries: every one reached the agency (de-duplicated by its key), after refusals were retried.
      const expected = new Set(subjects.map((s) => `${s.procedure_id}:3`));
      expect(new Set(bhxh.accepted)).toEqual(expected);
      expect(bhxh.refused.n).toBeGreaterThan(0);
      // Every step is done; the failures the agency caused are behind them.
      const steps = await database.db.selectFrom('procedure_steps').select(['status']).execute();
      expect(steps.every((s) => s.status === 'done')).toBe(true);
      // Each delivery's access record is in the log (once, or twice if the kill fell between writing it and marking it).
      const records = await database.db.selectFrom('access_records').select('leaf').execute();
      const deliveries = records.map((r) => JSON.parse(r.leaf) as { service: string; requestId: string }).filter((l) => l.service.startsWith('procedure.'));
      for (const s of subjects) expect(deliveries.some((d) => d.requestId === `${s.procedure_id}/3`), s.procedure_id).toBe(true);
    }, 240_000);
  });
}
