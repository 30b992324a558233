// Citizens' e-ID accounts on PostgreSQL: N accounts loaded in bulk (COPY, in one transaction, into
// the migrated table with its primary key, unique person id and the drive's index), the load time
// and the table's size, extrapolated linearly to 40 and 100 million; then the activation drive as
// the dashboard reads it (the counts kept by triggers, migration 0073) against the aggregate over
// the accounts themselves, which must agree. With --baseline, the same rows are loaded first into
// a copy of the table with its indexes and no trigger: what the counts cost a bulk load.
//   npx tsx bench/citizen-accounts-pg.bench.ts [--accounts 2000000] [--database NAME] [--baseline]
//
// Rows are generated in 1 MiB chunks as COPY pulls them, so memory stays flat at any count (40
// million included); progress goes to stderr every 5 million rows. The database is dropped at the end.
//
// Every row carries the same argon2id hash (OWASP cost): hashing 40 million real passwords is the
// activations' cost (bench/citizen-sign-in.bench.ts), not the store's. Person ids are distinct
// 12-digit numbers; 10% of accounts are level 2 with a TOTP seed and a card; provinces are the 34
// of 2025; activation days spread over a year.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ActivationDriveService } from '../src/citizen/activation-drive.service.js';
import { argon2idPasswordHasher } from '../src/citizen/citizen-password.hasher.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrator.js';
import { postgresServerUrl, withAdminClient } from '../test/postgres-admin.js';

const { values } = parseArgs({ options: { accounts: { type: 'string', default: '2000000' }, database: { type: 'string' }, baseline: { type: 'boolean', default: false } } });
const count = Number(values.accounts);
const hash = await argon2idPasswordHasher().hash('one password for every row of the bench');
const provinces = ['01', '04', '08', '11', '12', '14', '15', '19', '20', '22', '24', '25', '31', '33', '37', '38', '40', '42', '44', '46', '48', '51', '52', '56', '66', '68', '75', '79', '80', '82', '86', '91', '92', '96'];
const name = values.database ?? `sachsong_bench_citizen_${String(process.pid)}`;
if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error('--database: lower-case letters, digits and _ only');
await withAdminClient((admin) => admin.query(`CREATE DATABASE ${name}`));
const url = `${postgresServerUrl}/${name}`;
const store = openDatabase({ databaseUrl: url, poolSize: 2 });
await migrateToLatest(store.db, store.dialect);
const client = new pg.Client({ connectionString: url });
await client.connect();
try {
  let started = performance.now();
  const yearStart = Date.parse('2025-12-01T00:00:00Z');
  function* rows(): Generator<string> {
    let chunk = '';
    for (let i = 0; i < count; i++) {
      const level2 = i % 10 === 0;
      const at = new Date(yearStart + Math.floor((i / count) * 365 * 86_400_000)).toISOString();
      const fields = [
        `cit_${i.toString(16).padStart(32, '0')}`, String(1_000_000_000 + i * 7).padStart(12, '0'), level2 ? '2' : '1', 'active',
        `+849${String(i).padStart(8, '0')}`, hash, level2 ? 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' : '\\N', level2 ? '59000000' : '\\N', level2 ? `C${String(i).padStart(8, '0')}` : '\\N',
        provinces[i % provinces.length] ?? '01', '0', '\\N', '\\N', level2 ? at : '\\N', at, at,
      ];
      chunk += `${fields.join('\t')}\n`;
      if (i > 0 && i % 5_000_000 === 0) process.stderr.write(`${String(i)} rows after ${String(Math.round((performance.now() - started) / 1000))} s\n`);
      if (chunk.length > 1 << 20) { yield chunk; chunk = ''; }
    }
    if (chunk !== '') yield chunk;
  }
  const columns = 'account_id, person_id, level, status, phone, password_hash, totp_secret, totp_last_step, card_number, province, failed_attempts, locked_until, last_sign_in_at, level2_at, created_at, updated_at';
  async function load(table: string): Promise<number> {
    started = performance.now();
    await client.query('BEGIN');
    await pipeline(Readable.from(rows()), client.query(copyFrom(`COPY ${table} (${columns}) FROM STDIN`)));
    await client.query('COMMIT');
    return (performance.now() - started) / 1000;
  }
  let baselineSeconds: number | null = null;
  if (values.baseline) {
    await client.query('CREATE TABLE citizen_accounts_untriggered (LIKE citizen_accounts INCLUDING ALL)');
    baselineSeconds = await load('citizen_accounts_untriggered');
    await client.query('DROP TABLE citizen_accounts_untriggered');
  }
  const loadSeconds = await load('citizen_accounts');
  await client.query('ANALYZE citizen_accounts');
  const size = await client.query<{ heap: string; indexes: string; total: string }>(
    "SELECT pg_relation_size('citizen_accounts') AS heap, pg_indexes_size('citizen_accounts') AS indexes, pg_total_relation_size('citizen_accounts') AS total");
  const row = size.rows[0] ?? { heap: '0', indexes: '0', total: '0' };
  const gib = (bytes: number): number => Math.round(bytes / 2 ** 30 * 100) / 100;
  const perRow = Number(row.total) / count;
  const scanStarted = performance.now();
  const scanned = await client.query<{ province: string; level: number; n: string }>('SELECT province, level, count(*) AS n FROM citizen_accounts WHERE status = $1 GROUP BY province, level', ['active']);
  const driveScanMs = Math.round(performance.now() - scanStarted);
  // the dashboard's reading: the first on a new connection, then the median of five
  const driveService = new ActivationDriveService({ db: store.db });
  let countsStarted = performance.now();
  const drive = await driveService.summary();
  const driveCountsFirstMs = Math.round((performance.now() - countsStarted) * 10) / 10;
  const timings: number[] = [];
  for (let i = 0; i < 5; i++) {
    countsStarted = performance.now();
    await driveService.summary();
    timings.push(performance.now() - countsStarted);
  }
  const driveCountsMs = Math.round((timings.sort((a, b) => a - b)[2] ?? 0) * 10) / 10;
  const fromScan = new Map(scanned.rows.map((r) => [`${r.province}/${String(r.level)}`, Number(r.n)]));
  const fromCounts = new Map<string, number>(drive.byProvince.flatMap((p): [string, number][] => [[`${p.province}/1`, p.level1], [`${p.province}/2`, p.level2]]).filter(([, n]) => n > 0));
  if (fromScan.size !== fromCounts.size || [...fromScan].some(([k, n]) => fromCounts.get(k) !== n) || drive.accounts !== count) {
    throw new Error('the drive\'s counts differ from the accounts');
  }
  process.stdout.write(`${JSON.stringify({
    accounts: count,
    loadSeconds: Math.round(loadSeconds * 10) / 10,
    rowsPerSecond: Math.round(count / loadSeconds),
    baselineLoadSeconds: baselineSeconds === null ? null : Math.round(baselineSeconds * 10) / 10,
    loadToBaseline: baselineSeconds === null ? null : Math.round(loadSeconds / baselineSeconds * 100) / 100,
    heapGiB: gib(Number(row.heap)), indexesGiB: gib(Number(row.indexes)), totalGiB: gib(Number(row.total)), bytesPerAccount: Math.round(perRow),
    extrapolated: {
      '40M': { loadMinutes: Math.round(40_000_000 / (count / loadSeconds) / 60 * 10) / 10, totalGiB: gib(perRow * 40_000_000) },
      '100M': { loadMinutes: Math.round(100_000_000 / (count / loadSeconds) / 60 * 10) / 10, totalGiB: gib(perRow * 100_000_000) },
    },
    driveScanMs,
    driveCountsFirstMs,
    driveCountsMs,
    weeks: drive.byWeek.length,
  }, null, 2)}\n`);
} finally {
  await client.end();
  await store.close();
  await withAdminClient((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}
