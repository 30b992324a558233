import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAccessLog } from '../src/audit/access-log.service.js';
import { AuditService } from '../src/audit/audit.service.js';
import { generateSignerKey, parseSignerKey } from '../src/audit/checkpoint-note.js';
import { personIndexDefaults } from '../src/audit/person-index.writer.js';
import { generatePopulation } from '../src/registry/population.generator.js';
import { RegistryService } from '../src/registry/registry.service.js';
import { systemClock } from '../src/shared/clock.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import { partitionHotTables } from '../src/store/partitioning.js';
import { testAccessRecord } from './access-record.fixture.js';
import { runCli } from './cli-run.js';
import { createTestDatabase } from './test-database.js';

// The hot tables hash-partitioned by person on PostgreSQL (docs/scale.md), and the main queries
// run against them: person by ID (one partition), search, history, household, the access log's
// appends, verification and the citizen's tracker through the person index.
describe('the hot tables partitioned by person (PostgreSQL)', () => {
  let store: Awaited<ReturnType<typeof createTestDatabase>>;
  let registry: RegistryService;
  let people: readonly { readonly id: string; readonly name: string; readonly household: string }[];
  let before: { person: unknown; history: unknown; search: unknown; household: unknown };

  beforeAll(async () => {
    store = await createTestDatabase('postgres');
    await loadPopulation(store, generatePopulation({ people: 400, seed: 21, today: '2026-01-01' }));
    registry = new RegistryService({ db: store.db, clock: systemClock });
    people = (await store.db.selectFrom('persons').select(['id_number', 'full_name', 'household_id']).where('household_id', 'is not', null).orderBy('id_number').limit(20).execute())
      .map((r) => ({ id: r.id_number, name: r.full_name, household: r.household_id ?? '' }));
    before = await mainReads();
  }, 120_000);
  afterAll(async () => { await store.close(); });

  const mainReads = async (): Promise<{ person: unknown; history: unknown; search: unknown; household: unknown }> => {
    const [first] = people;
    if (first === undefined) throw new Error('no people');
    return {
      person: await registry.getPersonWithHouseholdCommune(first.id),
      history: await registry.personEvents(first.id),
      search: await registry.searchPersons({ name: first.name }),
      household: await registry.household(first.household),
    };
  };

  it('partitions persons, access records and the person index, keeping every row, and leaves them as they are the second time', async () => {
    const outcomes = await partitionHotTables(store.db, store.dialect, 8);
    expect(outcomes).toEqual([
      { table: 'persons', partitioned: true, partitions: 8, rows: 400 },
      { table: 'access_records', partitioned: true, partitions: 8, rows: 0 },
      { table: 'access_person_entries', partitioned: true, partitions: 8, rows: 0 },
    ]);
    const spread = await sql<{ part: string; n: number }>`select tableoid::regclass::text as part, count(*)::int as n from persons group by 1 order by 1`.execute(store.db);
    expect(spread.rows).toHaveLength(8);
    expect(spread.rows.reduce((sum, r) => sum + r.n, 0)).toBe(400);
    expect((await partitionHotTables(store.db, store.dialect, 8)).map((o) => o.partitioned)).toEqual([false, false, false]);
  });

  it('answers the registry\'s reads as before, a person by ID from one partition', async () => {
    expect(await mainReads()).toEqual(before);
    const plan = await sql<{ 'QUERY PLAN': unknown }>`explain (format json) select * from persons where id_number = ${people[0]?.id ?? ''}`.execute(store.db);
    const relations = JSON.stringify(plan.rows).match(/"Relation Name":"persons_p\d+"/g) ?? [];
    expect(relations).toHaveLength(1);
  });

  it('keeps the access log whole: appends, verification, and the tracker through the person index', async () => {
    const log = openAccessLog(store);
    const mine = people[1]?.id ?? '';
    // More than one person-index run: the tracker then reads the partitioned index.
    const records = Array.from({ length: personIndexDefaults.runSize + 304 }, (_, i) => testAccessRecord(i, { personId: i % 10 === 0 ? mine : people[2 + (i % 18)]?.id ?? mine }));
    for (let at = 0; at < records.length; at += 500) await log.appendMany(records.slice(at, at + 500));
    await log.indexed();
    await log.close();
    const audit = new AuditService({ db: store.db, registryDb: store.db, signer: parseSignerKey(generateSignerKey('partition.test/access-log')), clock: systemClock });
    const report = await audit.verify();
    expect(report.ok).toBe(true);
    expect(report.treeSize).toBe(records.length);
    const indexed = await sql<{ n: number }>`select count(*)::int as n from access_person_entries`.execute(store.db);
    expect(indexed.rows[0]?.n).toBeGreaterThanOrEqual(personIndexDefaults.runSize);
    const page = await audit.tracker(mine, { visibleOn: '2027-01-01', limit: 500 });
    expect(page.entries).toHaveLength(records.length / 10);
  }, 120_000);
});

describe('the hot tables partitioned by person (SQLite)', () => {
  it('is refused with a clear error: the embedded store has no partitions', async () => {
    const store = await createTestDatabase('sqlite');
    try {
      await expect(partitionHotTables(store.db, store.dialect, 8)).rejects.toMatchObject({ code: 'PARTITIONING_NEEDS_POSTGRES' });
    } finally {
      await store.close();
    }
  });
});

describe('sachsong db partition', () => {
  it('partitions a PostgreSQL store, says so, and leaves it as it is the second time', async () => {
    const store = await createTestDatabase('postgres');
    const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-partition-cli-'));
    try {
      const run = (): ReturnType<typeof spawnSync> => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'db', 'partition', '--partitions', '4'], {
        env: { ...process.env, SACHSONG_DATA_DIR: dir, LOG_LEVEL: 'silent', DATABASE_URL: store.url ?? '' }, encoding: 'utf8', timeout: 120_000,
      });
      const first = run();
      expect(first.status, String(first.stderr)).toBe(0);
      expect(String(first.stdout)).toMatch(/^persons: 4 hash partitions by person, 0 rows moved\naccess_records: 4 hash partitions/);
      expect(String(run().stdout)).toMatch(/persons: already partitioned \(4 partitions\), left as it is/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await store.close();
    }
  }, 120_000);

  it('on the embedded store: PARTITIONING_NEEDS_POSTGRES, nothing changed', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-partition-cli-'));
    try {
      const r = runCli(['db', 'partition'], dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error PARTITIONING_NEEDS_POSTGRES: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
