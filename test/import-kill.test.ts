import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/store/database.js';
import { createTestDatabase, dialects } from './test-database.js';

const rows = 10_000;
const batchSize = 100;

/** A valid person file: men born 1985 registered in Hà Nội, serials 1..rows. */
function personFile(file: string): void {
  const lines = ['id_number,full_name,birth_date,sex,birth_province,nationality,current_commune'];
  const given = ['An', 'Bình', 'Cường', 'Dũng', 'Đức', 'Hùng', 'Khoa', 'Long', 'Minh', 'Nam'];
  for (let i = 1; i <= rows; i++) {
    lines.push(`001085${String(i).padStart(6, '0')},Nguyễn Văn ${given[i % given.length] ?? 'An'},1985-0${(i % 9) + 1}-1${i % 10},M,001,VN,00004`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

function cli(args: readonly string[], env: Readonly<Record<string, string>>): ReturnType<typeof spawn> {
  // Without the quality scan after the import: not what this test is about, and on a loaded
  // machine it took most of the test's two minutes (45 s for these 10,000 persons at load 20).
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args, '--no-quality-scan'], {
    env: { ...process.env, ...env, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function counts(database: Database): Promise<{ persons: number; events: number; accepted: number; batches: number }> {
  const n = async (table: 'persons' | 'life_events' | 'import_batches'): Promise<number> =>
    (await database.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
  const accepted = await database.db.selectFrom('import_batches').select((eb) => eb.fn.sum<string | number | null>('rows_accepted').as('s')).executeTakeFirstOrThrow();
  return { persons: await n('persons'), events: await n('life_events'), accepted: Number(accepted.s ?? 0), batches: await n('import_batches') };
}

/** Which of the registry's non-unique indexes the store has (an import into an empty registry builds them at its end). */
async function deferrableIndexes(database: Database, dialect: string): Promise<string[]> {
  const names = dialect === 'sqlite'
    ? await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ('persons_name_birth_idx', 'persons_household_idx', 'life_events_person_idx')`.execute(database.db)
    : await sql<{ name: string }>`SELECT indexname AS name FROM pg_indexes WHERE indexname IN ('persons_name_birth_idx', 'persons_household_idx', 'life_events_person_idx')`.execute(database.db);
  return names.rows.map((r) => r.name).sort();
}

describe.each(dialects)('an import killed mid-way on %s', (dialect) => {
  let dir: string;
  let store: Database & { url: string | undefined };
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sachsong-kill-'));
    personFile(path.join(dir, 'persons.csv'));
    store = await createTestDatabase(dialect);
    env = { SACHSONG_DATA_DIR: dir, ...(store.url === undefined ? {} : { DATABASE_URL: store.url }) };
    if (store.url === undefined) {
      // the CLI opens <data dir>/sachsong.db: point the test's reader at the same file
      await store.close();
      store = { ...openDatabase({ sqliteFile: path.join(dir, 'sachsong.db') }), url: undefined };
    }
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves only whole batches, and the same command then finishes the job', async () => {
    const first = cli(['import', path.join(dir, 'persons.csv'), '--batch-size', String(batchSize)], env);
    // Kill it hard once a tenth of the batches are in, as a power cut or OOM kill would: the command
    // reports progress on stderr only after a batch commits, so its first report is the signal.
    const tenth = `import: ${rows / 10}/${rows}`;
    await new Promise<void>((resolve, reject) => {
      let err = '';
      first.stderr?.on('data', (b: Buffer) => {
        err += b.toString();
        if (err.includes(tenth)) resolve();
      });
      first.once('exit', (code) => { reject(new Error(`the import ended (${String(code)}) before reporting ${tenth}: ${err}`)); });
    });
    first.kill('SIGKILL');
    await once(first, 'exit');

    const after = await counts(store);
    expect(after.batches).toBeGreaterThanOrEqual(rows / 10 / batchSize);
    expect(after.persons).toBeLessThan(rows); // it really was interrupted
    expect(after.persons).toBe(after.accepted); // no row without its batch, no batch without its rows
    expect(after.persons).toBe(after.batches * batchSize);
    expect(after.events).toBe(after.persons); // every person has their registration event
    // Into an empty registry: its non-unique indexes were to be built at the end, which never came.
    expect(await deferrableIndexes(store, dialect)).toEqual([]);

    const second = cli(['import', path.join(dir, 'persons.csv'), '--batch-size', String(batchSize)], env);
    let out = '';
    second.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    const [code] = (await once(second, 'exit')) as [number];
    expect(code).toBe(0);
    const report = JSON.parse(out) as { accepted: number; rejected: number; batchesSkipped: number };
    expect(report).toMatchObject({ accepted: rows, rejected: 0 });
    expect(report.batchesSkipped).toBe(after.batches);
    const done = await counts(store);
    expect(done).toEqual({ persons: rows, events: rows, accepted: rows, batches: rows / batchSize });
    // Built again when the second command opened the store.
    expect(await deferrableIndexes(store, dialect)).toEqual(['life_events_person_idx', 'persons_household_idx', 'persons_name_birth_idx']);
  }, 120_000);
});
