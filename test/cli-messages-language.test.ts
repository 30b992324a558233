/**
 * What the CLI says of refused rows and of errors, in Vietnamese by default and in English with
 * --lang en or SACHSONG_LANG=en (the test runner sets English: Vietnamese is asked for by unsetting it).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;

function sachsong(args: readonly string[], env: Readonly<Record<string, string>>, dataDir = path.join(dir, 'data')): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    env: { ...process.env, SACHSONG_DATA_DIR: dataDir, LOG_LEVEL: 'silent', DATABASE_URL: '', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

const vietnamese = { SACHSONG_LANG: '' };
const english = { SACHSONG_LANG: 'en' };

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sachsong-cli-messages-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Printed { readonly rejections: readonly { readonly rowNumber: number; readonly code: string; readonly message: string }[] }

describe('import rejections in the CLI\'s language', () => {
  const file = (): string => {
    const csv = path.join(dir, 'people.csv');
    writeFileSync(csv, [
      'id_number,full_name,birth_date,sex,birth_province,nationality,current_commune',
      '001185000101,Nguyễn Thị Hồng Nhung,1985-04-02,X,001,VN,00004',
      '079203000102,,2003-11-30,M,079,VN,25747',
      '048090000103,Lê Quang Vũ,1990,M,048',
      '',
    ].join('\n'));
    return csv;
  };

  it('prints why each row was refused in Vietnamese, the code kept', () => {
    const r = sachsong(['import', file(), '--no-quality-scan'], vietnamese, path.join(dir, 'vi'));
    expect(r.code).toBe(1);
    const printed = JSON.parse(r.stdout) as Printed;
    expect(printed.rejections).toEqual([
      { rowNumber: 1, code: 'SEX_INVALID', field: 'sex', message: 'giới tính phải là M (nam) hoặc F (nữ)' },
      { rowNumber: 2, code: 'FIELD_MISSING', message: 'một cột bắt buộc để đăng ký bị trống: cần họ tên, ngày sinh, giới tính và tỉnh nơi đăng ký khai sinh' },
      { rowNumber: 3, code: 'CSV_ROW_MALFORMED', message: 'dòng có 5 trường nhưng dòng tên cột có 7 (dòng 4 của tệp)' },
    ]);
  }, 180_000);

  it('prints them in English with --lang en', () => {
    const r = sachsong(['--lang', 'en', 'import', file(), '--no-quality-scan'], vietnamese, path.join(dir, 'en'));
    const printed = JSON.parse(r.stdout) as Printed;
    expect(printed.rejections.map((x) => x.message)).toEqual([
      'sex must be M or F',
      'a column a registration needs is empty: full name, date of birth, sex and birth province are required',
      'the row has 5 fields but the header has 7 (line 4)',
    ]);
  }, 180_000);
});

describe('errors the CLI has no words of its own for', () => {
  it('says a malformed member id in Vietnamese, with the server\'s detail in brackets; in English with SACHSONG_LANG=en', () => {
    const args = ['agency', 'onboard', '--member', 'bo tai chinh', '--name', 'Bộ Tài chính', '--kind', 'GOV'];
    const vi = sachsong(args, vietnamese);
    expect(vi.code).toBe(2);
    expect(vi.stderr.trim()).toBe('lỗi MEMBER_ID_MALFORMED: mã thành viên không đúng dạng ("bo tai chinh" is not a member id); cách xử lý: dùng dạng VN/<GOV|COM|ORG>/<MÃ>, ví dụ VN/GOV/BTC');
    const en = sachsong(args, english);
    expect(en.stderr.trim()).toMatch(/^error MEMBER_ID_MALFORMED: "bo tai chinh" is not a member id; what to do: Use VN\/<GOV\|COM\|ORG>\/<CODE>/);
  }, 180_000);

  it('says an unknown alert in Vietnamese', () => {
    const vi = sachsong(['alerts', 'ack', '0190a0b0-0000-7000-8000-000000000000'], vietnamese);
    expect(vi.code).toBe(2);
    expect(vi.stderr.trim()).toMatch(/^lỗi ALERT_NOT_FOUND: không có cảnh báo này \(.*\); cách xử lý: tải lại danh sách cảnh báo$/);
  }, 180_000);

  it('explains an ID number in Vietnamese, and a bad one with its code', () => {
    const ok = sachsong(['id', 'check', '079203012345'], vietnamese);
    expect(ok.stdout).toContain('079203012345: số định danh cá nhân đúng cấu trúc');
    expect(ok.stdout).toMatch(/năm sinh: 2003/);
    expect(ok.stdout).toMatch(/thế kỷ và giới tính: sinh trong thế kỷ 21, nam/);
    const bad = sachsong(['id', 'check', '07920301234'], vietnamese);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toMatch(/^07920301234: không hợp lệ \(ID_NUMBER_MALFORMED\)\n {2}lỗi ID_NUMBER_MALFORMED: số định danh cá nhân phải gồm đúng 12 chữ số/);
  }, 180_000);
});

describe('reconcile in the CLI\'s language', () => {
  it('reports progress and unreadable rows in Vietnamese, in English with --lang en', () => {
    const dataDir = path.join(dir, 'reconcile');
    expect(sachsong(['generate', '--people', '200'], english, dataDir).code).toBe(0);
    const file = path.join(dir, 'tax.csv');
    writeFileSync(file, 'tax_record_no,id_number,taxpayer_name,birth_date\nR1,001185000101,Nguyễn Văn A,02/04/1985\nR2,079203000102\nR3,079203000103,Trần Văn B,30/11/2003,extra\n');
    const vi = sachsong(['reconcile', file, '--preset', 'tax', '--out', path.join(dir, 'vi-out')], vietnamese, dataDir);
    expect(vi.code).toBe(0);
    expect(vi.stderr).toMatch(/^đối soát: chụp cơ sở dữ liệu 0%$/m);
    expect(vi.stderr).toMatch(/^đối soát: xong 100%$/m);
    expect(vi.stderr).toContain('đối soát: 2 trong 3 dòng không đọc được (dòng 3: dòng có ít cột hơn dòng tên cột; dòng 4: dòng có nhiều cột hơn dòng tên cột)');
    expect(vi.stderr).not.toMatch(/snapshot|loading|classifying|the row has/);
    expect(readFileSync(path.join(dir, 'vi-out', 'report.html'), 'utf8')).toContain('dòng có ít cột hơn dòng tên cột');
    const en = sachsong(['--lang', 'en', 'reconcile', file, '--preset', 'tax', '--out', path.join(dir, 'en-out')], vietnamese, dataDir);
    expect(en.stderr).toMatch(/^reconcile: done 100%$/m);
    expect(en.stderr).toContain('(line 3: the row has fewer columns than the header; line 4: the row has more columns than the header)');
  }, 240_000);
});

describe('bin/start.js and bin/sachsong.js', () => {
  it('speak Vietnamese, English with SACHSONG_LANG=en or --lang en', () => {
    // A copy with nothing to build from and nothing built: both scripts say so.
    const root = path.join(dir, 'unbuilt');
    mkdirSync(path.join(root, 'bin'), { recursive: true });
    mkdirSync(path.join(root, 'dist'), { recursive: true });
    for (const file of ['start.js', 'sachsong.js']) copyFileSync(path.join('bin', file), path.join(root, 'bin', file));
    // Built after every input: nothing to build.
    const stamp = path.join(root, 'dist', '.build-stamp');
    writeFileSync(stamp, 'test\n');
    utimesSync(stamp, new Date(Date.now() + 60_000), new Date(Date.now() + 60_000));
    const run = (file: string, args: readonly string[], env: Readonly<Record<string, string>>): string =>
      spawnSync(process.execPath, [path.join(root, 'bin', file), ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 }).stderr;
    expect(run('start.js', [], vietnamese)).toBe('sachsong: không có gì thay đổi từ lần dựng trước: khởi động không dựng lại\nsachsong chưa được dựng: chạy `npm run build` (hoặc `npm start`) trước\n');
    expect(run('start.js', [], english)).toBe('sachsong: nothing changed since the last build: starting without building\nsachsong is not built yet: run `npm run build` (or `npm start`) first\n');
    expect(run('sachsong.js', ['--lang', 'en', 'serve'], vietnamese)).toBe('sachsong is not built yet: run `npm run build` (or `npm start`) first\n');
  }, 60_000);
});
