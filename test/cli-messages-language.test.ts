/**
 * What the CLI says of refused rows and of errors, in Vietnamese by default and in English with
 * --lang en or SACHSONG_LANG=en (the test runner sets English: Vietnamese is asked for by unsetting it).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
