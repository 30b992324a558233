import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditService } from '../src/audit/audit.service.js';
import { personsSha256 } from '../src/audit/bulk-job.recorder.js';
import { generateSignerKey, parseSignerKey } from '../src/audit/checkpoint-note.js';
import { toVni } from '../src/registry/legacy-encoding.test-helper.js';
import { systemClock } from '../src/shared/clock.js';
import { openDatabase } from '../src/store/database.js';
import { serverNodeFlags } from '../src/shared/server-flags.js';

let dir: string;

function sachsong(args: readonly string[], dataDir = path.join(dir, 'data')): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    env: { ...process.env, SACHSONG_DATA_DIR: dataDir, LOG_LEVEL: 'silent', DATABASE_URL: '' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

const header = 'id_number,full_name,birth_date,sex,birth_province,nationality,current_commune';
const rows = [
  '001185000101,Nguyễn Thị Hồng Nhung,1985-04-02,F,001,VN,00004',
  '079203000102,Trần Văn Đức,2003-11-30,M,079,VN,25747',
  '048090000103,Lê Quang Vũ,1990,M,048,VN,',
];

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sachsong-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('sachsong id check', () => {
  it('explains a valid number digit by digit and exits 0', () => {
    const r = sachsong(['id', 'check', '079203012345']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Hồ Chí Minh/);
    expect(r.stdout).toMatch(/year of birth: 2003/);
    expect(r.stdout).toMatch(/male/);
  });

  it('says what is wrong with a bad number and exits 2', () => {
    const r = sachsong(['id', 'check', '07920301234']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/ID_NUMBER_MALFORMED/);
  });
});

describe('sachsong import and export', () => {
  it('converts a VNI file, imports it, and reports a broken row without stopping', () => {
    const file = path.join(dir, 'vni.csv');
    writeFileSync(file, toVni([header, ...rows, '001185000104,"broken', ''].join('\n')));
    const r = sachsong(['import', file, '--report', path.join(dir, 'report.json')]);
    expect(r.stderr).toMatch(/converted from vni/);
    // Imported rows are checked by one quality scan at the end, not one by one.
    expect(r.stderr).toMatch(/quality: one scan after the import: 3 persons/);
    const report = JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8')) as { accepted: number; rejections: { rowNumber: number; code: string }[] };
    expect(report.accepted).toBe(3);
    expect(report.rejections.map((x) => x.code)).toEqual(['CSV_ROW_MALFORMED']);
    expect(r.code).toBe(1);
  });

  it('refuses a legacy file with a message naming its encoding when conversion is off', () => {
    const file = path.join(dir, 'vni-refused.csv');
    writeFileSync(file, toVni([header, ...rows].join('\n')));
    const r = sachsong(['import', file, '--no-convert-legacy'], path.join(dir, 'other'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/FILE_ENCODING_UNSUPPORTED/);
    expect(r.stderr).toMatch(/VNI/);
  });

  it('exports CSV, NDJSON and Parquet that hold the same persons, with names intact', async () => {
    for (const format of ['csv', 'ndjson', 'parquet']) {
      const r = sachsong(['export', '--out', path.join(dir, `persons.${format}`)]);
      expect(r.stdout).toMatch(/exported 3 persons/);
    }
    expect(readFileSync(path.join(dir, 'persons.csv'), 'utf8')).toMatch(/Nguyễn Thị Hồng Nhung/);
    const ndjson = readFileSync(path.join(dir, 'persons.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { full_name: string });
    expect(ndjson.map((p) => p.full_name).sort()).toEqual(['Lê Quang Vũ', 'Nguyễn Thị Hồng Nhung', 'Trần Văn Đức']);
    const duck = await DuckDBInstance.create(':memory:');
    const connection = await duck.connect();
    const result = await connection.runAndReadAll(`select full_name, birth_date from '${path.join(dir, 'persons.parquet')}' order by id_number`);
    expect(result.getRows()).toEqual([['Nguyễn Thị Hồng Nhung', '1985-04-02'], ['Lê Quang Vũ', '1990'], ['Trần Văn Đức', '2003-11-30']]);
    connection.closeSync();
    duck.closeSync();
  });

  it("records each export once in the access log, with the hash of its sorted persons, shown in each included citizen's tracker", async () => {
    const r = sachsong(['export', '--out', path.join(dir, 'audited.csv'), '--by', 'officer-77']);
    expect(r.stdout).toMatch(/exported 3 persons/);
    const registry = openDatabase({ sqliteFile: path.join(dir, 'data', 'sachsong.db') });
    const logStore = openDatabase({ sqliteFile: path.join(dir, 'data', 'access-log.db') });
    try {
      const jobs = await registry.db.selectFrom('bulk_jobs').selectAll().where('reader_id', '=', 'officer-77').execute();
      expect(jobs).toHaveLength(1);
      expect(jobs[0]).toMatchObject({ kind: 'person.export', persons: 3, persons_sha256: personsSha256(['001185000101', '079203000102', '048090000103']) });
      const audit = new AuditService({ db: logStore.db, registryDb: registry.db, signer: parseSignerKey(generateSignerKey('test.sachsong/access-log')), clock: systemClock });
      const page = await audit.tracker('079203000102');
      expect(page.entries.find((e) => e.record.jobId === jobs[0]?.job_id)?.record).toMatchObject({ readerKind: 'job', officerId: 'officer-77', service: 'person.export', jobHash: jobs[0]?.persons_sha256 });
    } finally {
      await registry.close();
      await logStore.close();
    }
  });

  it('flags a person sensitive for the officers\' alerts, and unflags them', async () => {
    expect(sachsong(['audit', 'sensitive', 'flag', '079203000102', '--by', 'auditor-1', '--note', 'nhân chứng']).stdout).toMatch(/^flagged/);
    const registry = openDatabase({ sqliteFile: path.join(dir, 'data', 'sachsong.db') });
    try {
      expect(await registry.db.selectFrom('sensitive_persons').select(['person_id', 'flagged_by']).execute()).toEqual([{ person_id: '079203000102', flagged_by: 'auditor-1' }]);
    } finally {
      await registry.close();
    }
    expect(sachsong(['audit', 'sensitive', 'unflag', '079203000102']).stdout).toMatch(/^unflagged/);
    expect(sachsong(['audit', 'sensitive', 'flag', '7920300010', '--by', 'a', '--note', 'n']).code).toBe(2);
  });

  it('round-trips: an export imports into an empty store unchanged', () => {
    const r = sachsong(['import', path.join(dir, 'persons.csv')], path.join(dir, 'second'));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ accepted: 3, rejected: 0 });
  });

  it('refuses an unknown export format', () => {
    const r = sachsong(['export', '--out', path.join(dir, 'persons.xlsx')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown export format/);
  });
});

describe('configuration errors', () => {
  it('names every bad variable and exits 78', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'db', 'migrate'], {
      env: { ...process.env, SACHSONG_DATA_DIR: path.join(dir, 'cfg'), PORT: 'abc', DATABASE_URL: 'mysql://x' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(78);
    expect(result.stderr).toMatch(/PORT/);
    expect(result.stderr).toMatch(/DATABASE_URL/);
  });
});

/** Resolves with the output once `sachsong serve` says it serves; keeps reading its output after (closing the pipe would break the server's writes). */
function serving(command: ChildProcessByStdio<null, Readable, Readable>): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    command.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('sachsong is serving')) resolve(out);
    });
    command.once('exit', (code) => { reject(new Error(`sachsong serve exited (${code}) before serving: ${out}`)); });
  });
}

describe('the built command', () => {
  it('runs a full quality scan, whose pass runs on a worker thread from the built files', () => {
    const dataDir = path.join(dir, 'built');
    const env = { ...process.env, SACHSONG_DATA_DIR: dataDir, LOG_LEVEL: 'silent', DATABASE_URL: '' };
    const run = (args: readonly string[]): { code: number; stdout: string; stderr: string } => {
      const r = spawnSync(process.execPath, ['bin/sachsong.js', ...args], { env, encoding: 'utf8', timeout: 120_000 });
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    };
    expect(run(['generate', '--people', '2000', '--seed', '3']).code).toBe(0);
    const scan = run(['quality', 'scan']);
    expect(scan.stderr).toBe('');
    expect(scan.code).toBe(0);
    const summary = JSON.parse(scan.stdout) as { persons: number; findings: number };
    expect(summary.persons).toBe(2000);
    expect(summary.findings).toBeGreaterThan(0);
  });

  // Both ways the command can serve, whatever this machine's cores: pinned to one core it needs
  // flags of its own and serves from a child; started with those flags, it serves in its own process.
  it.each([
    ['a child', 'SIGTERM to the command alone', false],
    ['a child', 'SIGINT to its process group (as Ctrl-C and systemd send it), then again to the command', true],
    ['its own process', 'SIGTERM to the command alone', false],
  ] as const)('serves from %s with the server\'s V8 flags, and closes cleanly on %s', async (from, _case, toGroup) => {
    const serves = from === 'a child' ? 'child' : 'itself';
    const env = { ...process.env, SACHSONG_DATA_DIR: path.join(dir, `served-${serves}${toGroup ? '-group' : ''}`), LOG_LEVEL: 'silent', DATABASE_URL: '', PORT: '0' };
    const oneCoreFlags = serverNodeFlags(1);
    expect(oneCoreFlags.length).toBeGreaterThan(0);
    const command = serves === 'child'
      ? spawn('taskset', ['-c', '0', process.execPath, 'bin/sachsong.js', 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
      : spawn(process.execPath, [...oneCoreFlags, 'bin/sachsong.js', 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let err = '';
    command.stderr.on('data', (b: Buffer) => (err += b.toString()));
    expect(await serving(command)).toContain('sachsong is serving');
    const children = readFileSync(`/proc/${command.pid}/task/${command.pid}/children`, 'utf8').trim().split(' ').filter((p) => p !== '');
    expect(children).toHaveLength(serves === 'child' ? 1 : 0);
    const server = serves === 'child' ? children[0] : String(command.pid);
    const argv = readFileSync(`/proc/${server}/cmdline`, 'utf8').split('\0');
    for (const flag of oneCoreFlags) expect(argv).toContain(flag);
    const exited = once(command, 'exit');
    if (toGroup && command.pid !== undefined) {
      // The server gets the signal from the group and passed on, then once more (maybe while closing): it closes once, exit 0.
      process.kill(-command.pid, 'SIGINT');
      await new Promise((resolve) => setTimeout(resolve, 30));
      command.kill('SIGINT');
    } else {
      command.kill('SIGTERM');
    }
    const [code] = (await exited) as [number | null];
    expect(err).toBe('');
    expect(code).toBe(0);
  }, 120_000);

  it('stops the server when the command is killed outright (SIGKILL): nothing keeps the port', async () => {
    const env = { ...process.env, SACHSONG_DATA_DIR: path.join(dir, 'served-kill'), LOG_LEVEL: 'silent', DATABASE_URL: '', PORT: '0' };
    // pinned to one core, so that the server runs as a child on any machine
    const command = spawn('taskset', ['-c', '0', process.execPath, 'bin/sachsong.js', 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    await serving(command);
    const server = Number(readFileSync(`/proc/${command.pid}/task/${command.pid}/children`, 'utf8').trim().split(' ')[0]);
    expect(server).toBeGreaterThan(0);
    command.kill('SIGKILL');
    await once(command, 'exit');
    const gone = async (): Promise<boolean> => {
      for (let waited = 0; waited < 10_000; waited += 100) {
        // Gone, or a zombie waiting for whoever adopted it to reap it.
        try {
          if (readFileSync(`/proc/${server}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') === true) return true;
        } catch {
          return true;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return false;
    };
    expect(await gone()).toBe(true);
  }, 120_000);
});
