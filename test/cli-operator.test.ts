/**
 * The CLI as an operator meets it: every failure is one line saying what to do (never a stack
 * trace), and the commands say what they did. One test per message.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/store/database.js';

let dir: string;

interface Run { readonly code: number; readonly stdout: string; readonly stderr: string; readonly ms: number }

function sachsong(args: readonly string[], env: Readonly<Record<string, string>> = {}): Run {
  const started = Date.now();
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    env: { ...process.env, SACHSONG_DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'silent', DATABASE_URL: '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr, ms: Date.now() - started };
}

/** One line on standard error, no stack frame. */
function expectOneLine(run: Run): void {
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sachsong-cli-operator-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('a data folder that cannot be made', () => {
  it('fails at once, naming SACHSONG_DATA_DIR (under /proc, where a recursive mkdir loops forever)', () => {
    const r = sachsong(['db', 'migrate'], { SACHSONG_DATA_DIR: '/proc/sachsong-data' });
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/SACHSONG_DATA_DIR: cannot create the data folder \/proc\/sachsong-data/);
    expect(r.stderr).toMatch(/choose a folder this user may write/);
    expect(r.ms).toBeLessThan(20_000);
  });

  it('names the --data-dir flag when the folder came from it, and a file in the way', () => {
    const file = path.join(dir, 'a-file');
    writeFileSync(file, 'x');
    const r = sachsong(['serve', '--data-dir', path.join(file, 'data')]);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/SACHSONG_DATA_DIR \(--data-dir\): cannot create the data folder .*a file of that name is in the way/);
  });
});

describe('a card issuer key file that cannot be used', () => {
  it('stops serve at once naming SACHSONG_CARD_ISSUER_KEYS, the file and the fix, with no stack', () => {
    const file = path.join(dir, 'not-keys.pem');
    writeFileSync(file, 'not a key\n');
    const r = sachsong(['serve', '--port', '0'], { SACHSONG_CARD_ISSUER_KEYS: file });
    expect(r.code).toBe(78);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr).toMatch(/name a PEM file of the card issuer's Ed25519 public keys/);
    expect(r.stderr).toMatch(/SACHSONG_CARD_ISSUER_KEYS: the file holds no PEM public key \(.*not-keys\.pem\)/);
  });
});

describe('a port in use', () => {
  let taken: Server;
  let port: number;
  beforeAll(async () => {
    taken = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const address = taken.address();
    port = typeof address === 'object' && address !== null ? address.port : 0;
  });
  afterAll(() => {
    taken.close();
  });

  it('says which port is taken and how to choose another (PORT or --port)', () => {
    const r = sachsong(['serve', '--port', String(port)], { SACHSONG_DATA_DIR: path.join(dir, 'port') });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error EADDRINUSE: port ${port} is already in use (127.0.0.1:${port})`);
    expect(r.stderr).toMatch(/--port or PORT/);
    expectOneLine(r);
    // The server that could not listen closed its access log: no journal segment is left behind.
    expect(readdirSync(path.join(dir, 'port', 'access-log.db.journal.d'))).toEqual([]);
  });

  it('takes PORT from the environment when there is no flag', () => {
    const r = sachsong(['serve'], { SACHSONG_DATA_DIR: path.join(dir, 'port'), PORT: String(port) });
    expect(r.stderr).toContain(`port ${port} is already in use`);
  });

  it('refuses a --port that is not a number, naming the flag', () => {
    const r = sachsong(['serve', '--port', 'eighty'], { SACHSONG_DATA_DIR: path.join(dir, 'port') });
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/PORT \(--port\)/);
  });
});

describe('an address that is not this machine\'s', () => {
  // 203.0.113.0/24 is TEST-NET-3 (RFC 5737): never an address of this machine, so listening there fails with EADDRNOTAVAIL.
  it('says which host cannot be listened on and how to choose another (--host or HOST)', () => {
    const r = sachsong(['serve', '--host', '203.0.113.1', '--port', '0'], { SACHSONG_DATA_DIR: path.join(dir, 'host'), SACHSONG_LANG: 'en' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error EADDRNOTAVAIL: 203\.0\.113\.1 is not an address of this machine; what to do: choose another with --host or HOST \(e\.g\. 127\.0\.0\.1 or 0\.0\.0\.0\)$/m);
    expectOneLine(r);
  });

  it('takes HOST from the environment when there is no flag, and says it in Vietnamese', () => {
    const r = sachsong(['serve', '--port', '0'], { SACHSONG_DATA_DIR: path.join(dir, 'host'), HOST: '203.0.113.1', SACHSONG_LANG: 'vi' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/EADDRNOTAVAIL: 203\.0\.113\.1 .*--host hoặc HOST/);
    expectOneLine(r);
  });
});

describe('the store', () => {
  it('PostgreSQL that cannot be reached: where (without the password) and what to do', () => {
    const r = sachsong(['db', 'migrate'], { DATABASE_URL: 'postgres://postgres:s3cret@127.0.0.1:1/sachsong' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error STORE_UNREACHABLE: PostgreSQL at 127\.0\.0\.1:1\/sachsong cannot be reached \(ECONNREFUSED\); what to do: Start PostgreSQL/);
    expect(r.stderr).not.toContain('s3cret');
    expectOneLine(r);
  });

  it('a PostgreSQL database that does not exist: how to create it', () => {
    const r = sachsong(['db', 'migrate'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/sachsong_no_such_database' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error STORE_MISSING: the database "sachsong_no_such_database" does not exist .*createdb sachsong_no_such_database/);
    expectOneLine(r);
  });

  it('a SQLite file that is not a store', () => {
    mkdirSync(path.join(dir, 'notadb'));
    writeFileSync(path.join(dir, 'notadb', 'sachsong.db'), 'this is not a database, it is a text file that happens to be long enough'.repeat(20));
    const r = sachsong(['db', 'migrate'], { SACHSONG_DATA_DIR: path.join(dir, 'notadb') });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error STORE_NOT_A_DATABASE: .*sachsong\.db is not a sachsong store/);
    expectOneLine(r);
  });

  it('db migrate lists the migrations it applied, then says there is nothing to apply', () => {
    const env = { SACHSONG_DATA_DIR: path.join(dir, 'migrate') };
    const first = sachsong(['db', 'migrate'], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/sachsong\.db: applied \d+ migrations:\n {2}0001-registry\n/);
    const second = sachsong(['db', 'migrate'], env);
    expect(second.stdout).toMatch(/the schema is up to date, no migration to apply/);
    expect(second.stdout).not.toMatch(/0001-registry/);
  });
});

describe('import', () => {
  it('a file that does not exist: FILE_NOT_FOUND and the path, nothing else', () => {
    const r = sachsong(['import', path.join(dir, 'missing.csv')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error FILE_NOT_FOUND: There is no file at .*missing\.csv; what to do: Check the file path/);
    expectOneLine(r);
  });

  it('a header of unknown columns: one error listing the expected columns, no row written', async () => {
    const file = path.join(dir, 'wrong-header.csv');
    writeFileSync(file, 'so_cccd,ho_ten,ngay_sinh\n001185000101,Nguyễn Thị Hồng Nhung,02/04/1985\n079203000102,Trần Văn Đức,30/11/2003\n');
    const dataDir = path.join(dir, 'header');
    const r = sachsong(['import', file], { SACHSONG_DATA_DIR: dataDir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error FILE_COLUMNS_UNKNOWN: the header row has 3 columns sachsong does not know: so_cccd, ho_ten, ngay_sinh; what to do: .*id_number, full_name, birth_date/);
    expect(r.stderr).not.toContain('Nguyễn'); // the rows are personal data
    expectOneLine(r);
    expect(r.stdout).toBe('');
    const store = openDatabase({ sqliteFile: path.join(dataDir, 'sachsong.db') });
    try {
      expect(await store.db.selectFrom('persons').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).toEqual({ n: 0 });
    } finally {
      await store.close();
    }
  });

  it('a header without id_number', () => {
    const file = path.join(dir, 'no-id.csv');
    writeFileSync(file, 'full_name,birth_date\nNguyễn Văn A,1985-04-02\n');
    const r = sachsong(['import', file], { SACHSONG_DATA_DIR: path.join(dir, 'no-id') });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error FILE_ID_COLUMN_MISSING: the header row has no id_number column/);
  });
});

describe('version, help and output', () => {
  it('the LICENSE file is the licence package.json names (Apache-2.0, full text)', () => {
    const { license } = JSON.parse(readFileSync('package.json', 'utf8')) as { license: string };
    const text = readFileSync('LICENSE', 'utf8');
    expect(license).toBe('Apache-2.0');
    expect(text).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
    expect(text).toMatch(/TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION/);
    expect(text).toMatch(/END OF TERMS AND CONDITIONS/);
  });

  it('--version prints the package version', () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const r = sachsong(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('every command and subcommand has a description in the help (alerts list and ack included)', () => {
    const undescribed: string[] = [];
    const visit = (group: readonly string[]): void => {
      // The built command: the same program, without compiling it again for each of the ~25 helps.
      const help = spawnSync(process.execPath, ['dist/cli/main.js', ...group, '--help'], { encoding: 'utf8' }).stdout;
      const commands = help.split('Commands:\n')[1] ?? '';
      for (const line of commands.split('\n')) {
        const m = /^ {2}(\S+)(?: \[options\])?(?: <[^>]+>| \[[^\]]+\])*(?: {2,}(.*))?$/.exec(line);
        if (m === null || m[1] === 'help') continue;
        const name = m[1] ?? '';
        if ((m[2] ?? '').trim() === '') undescribed.push([...group, name].join(' '));
        // A group's subcommands are listed in its own help.
        if (!line.includes('<') && !line.includes('[options]') && group.length < 2) visit([...group, name]);
      }
    };
    visit([]);
    expect(undescribed).toEqual([]);
    const alerts = sachsong(['alerts', '--help']).stdout;
    expect(alerts).toMatch(/list \[options\]\s+alerts, newest first/);
    expect(alerts).toMatch(/ack <alertId>\s+acknowledge an alert/);
  }, 120_000);

  it('logs go to standard error, the command\'s output alone to standard output', () => {
    const env = { SACHSONG_DATA_DIR: path.join(dir, 'logs'), LOG_LEVEL: 'info' };
    expect(sachsong(['generate', '--people', '60'], env).stderr).toMatch(/"msg":"population generated"/);
    const scan = sachsong(['quality', 'scan'], env);
    expect(scan.code).toBe(0);
    expect(scan.stdout).not.toMatch(/"level":/);
    expect((JSON.parse(scan.stdout) as { persons: number }).persons).toBe(60);
  });

  it('alerts list refuses a status that does not exist instead of listing everything', () => {
    const r = sachsong(['alerts', 'list', '--status', 'closed']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error ALERT_STATUS_UNKNOWN: .*--status open or --status acknowledged/);
  });
});

describe('reconcile', () => {
  it('exits 0 after a complete run with unreadable rows, and says how many and where they are listed', () => {
    const env = { SACHSONG_DATA_DIR: path.join(dir, 'reconcile') };
    expect(sachsong(['generate', '--people', '200'], env).code).toBe(0);
    const file = path.join(dir, 'tax.csv');
    writeFileSync(file, 'tax_record_no,id_number,taxpayer_name,birth_date\nR1,001185000101,Nguyễn Văn A,02/04/1985\nR2,079203000102\nR3,079203000103,Trần Văn B,30/11/2003,extra\n');
    const r = sachsong(['reconcile', file, '--preset', 'tax', '--out', path.join(dir, 'tax-out')], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/reconcile: 2 of 3 rows could not be read \(line 3: .*; line 4: .*\); every one is listed with its line in .*report\.html/);
    expect((JSON.parse(r.stdout) as { badRows: number }).badRows).toBe(2);
    expect(existsSync(path.join(dir, 'tax-out', 'report.html'))).toBe(true);
  }, 120_000);
});

/** The demo server's banner, once it serves; rejects if the process ends first. */
function banner(child: ReturnType<typeof spawn>): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('API docs')) resolve(out);
    });
    child.once('exit', (code) => { reject(new Error(`ended (${String(code)}) before serving: ${out}`)); });
  });
}

async function refused(port: number): Promise<boolean> {
  for (let waited = 0; waited < 15_000; waited += 250) {
    const ok = await fetch(`http://127.0.0.1:${port}/`).then(() => false, () => true);
    if (ok) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

describe('the built command (needs npm run build)', () => {
  it('npm start does not build again when nothing changed since the last build', async () => {
    // The last build is marked as just now: no source is newer.
    const stamp = path.join('dist', '.build-stamp');
    writeFileSync(stamp, 'test\n');
    utimesSync(stamp, new Date(), new Date());
    const child = spawn(process.execPath, ['bin/start.js', '--demo-people', '50', '--port', '0', '--data-dir', path.join(dir, 'start')], { env: { ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const out = await banner(child);
    expect(err).toMatch(/nothing changed since the last build: starting without building/);
    expect(err).not.toMatch(/vite|tsc/);
    expect(out).toMatch(/sachsong is serving the sqlite store/);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect((await exited)[0]).toBe(0);
  }, 120_000);

  it('the demo population carries a realistic share of defects, of every kind the rules find', async () => {
    const dataDir = path.join(dir, 'demo');
    const env = { ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: '' };
    const child = spawn(process.execPath, ['bin/sachsong.js', 'serve', '--demo', '--demo-people', '2000', '--port', '0', '--data-dir', dataDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    await banner(child);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
    const scan = spawnSync(process.execPath, ['dist/cli/main.js', 'quality', 'scan'], { env: { ...env, SACHSONG_DATA_DIR: dataDir }, encoding: 'utf8', timeout: 120_000 });
    expect(scan.status).toBe(0);
    const summary = JSON.parse(scan.stdout) as { persons: number; open: number; byRule: Record<string, number> };
    // About 4% of the persons spoiled (0.2% for each of 21 kinds), not a wall of 100.00.
    expect(summary.open / summary.persons).toBeGreaterThan(0.03);
    expect(summary.open / summary.persons).toBeLessThan(0.15);
    expect(Object.keys(summary.byRule).length).toBeGreaterThanOrEqual(15);
  }, 180_000);

  it('npx sachsong serve stops on a signal to npx: the server does not stay behind', async () => {
    const child = spawn('npx', ['sachsong', 'serve', '--port', '0', '--data-dir', path.join(dir, 'npx')], { env: { ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = await banner(child);
    const port = Number(/127\.0\.0\.1:(\d+)\//.exec(out)?.[1]);
    expect(port).toBeGreaterThan(0);
    expect(await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0)).not.toBe(0);
    child.kill('SIGTERM');
    expect(await refused(port)).toBe(true);
  }, 120_000);
});
