/**
 * The CLI in Vietnamese, as it speaks by default, and in English on request (--lang en or
 * SACHSONG_LANG=en): help, one-line errors with their code, what a command did.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;

function sachsong(args: readonly string[], env: Readonly<Record<string, string>>): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    env: { ...process.env, SACHSONG_DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'silent', DATABASE_URL: '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

// Unset in the environment means Vietnamese; the test runner sets English for the other CLI tests.
const vietnamese = { SACHSONG_LANG: '' };

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sachsong-cli-language-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the CLI in Vietnamese by default', () => {
  it('helps in Vietnamese, English with --lang en', () => {
    const vi = sachsong(['--help'], vietnamese);
    expect(vi.code).toBe(0);
    expect(vi.stdout).toContain('sachsong: cơ sở dữ liệu quốc gia về dân cư và nền tảng trao đổi dữ liệu');
    expect(vi.stdout).toMatch(/serve \[options\]\s+chạy API HTTP và bảng điều khiển web/);
    expect(vi.stdout).toContain('--lang <lang>');
    const reconcile = sachsong(['reconcile', '--help'], vietnamese);
    expect(reconcile.stdout).toContain('đối soát tệp của cơ quan (CSV hoặc Parquet) với cơ sở dữ liệu');
    const en = sachsong(['--lang', 'en', '--help'], vietnamese);
    expect(en.stdout).toContain('sachsong: the national population registry and its exchange');
    expect(sachsong(['--help'], { SACHSONG_LANG: 'en' }).stdout).toMatch(/serve \[options\]\s+run the HTTP API and the web console/);
  }, 180_000);

  it('says an import file is missing in one Vietnamese line with its code and the fix; in English on request', () => {
    const vi = sachsong(['import', 'khong-co.csv'], vietnamese);
    expect(vi.code).toBe(2);
    expect(vi.stderr.trim()).toBe('lỗi FILE_NOT_FOUND: không có tệp ở đường dẫn này (There is no file at khong-co.csv); cách xử lý: kiểm tra lại đường dẫn tệp');
    const en = sachsong(['--lang', 'en', 'import', 'khong-co.csv'], vietnamese);
    expect(en.stderr.trim()).toBe('error FILE_NOT_FOUND: There is no file at khong-co.csv; what to do: Check the file path');
  }, 180_000);

  it('says what db migrate did, in Vietnamese', () => {
    const first = sachsong(['db', 'migrate'], vietnamese);
    expect(first.code).toBe(0);
    const again = sachsong(['db', 'migrate'], vietnamese);
    expect(again.stdout).toMatch(/lược đồ đã mới nhất, không có bản chuyển đổi nào cần áp dụng/);
  }, 180_000);

  it('says a bad configuration variable in Vietnamese, naming it and what it must be', () => {
    const bad = sachsong(['db', 'migrate'], { ...vietnamese, PORT: 'tám mươi', LOG_LEVEL: 'loud' });
    expect(bad.code).toBe(78);
    expect(bad.stderr.trim()).toBe('cấu hình không hợp lệ:\n  PORT: phải là số nguyên từ 0 đến 65535\n  LOG_LEVEL: phải là fatal, error, warn, info, debug, trace hoặc silent');
    const en = sachsong(['--lang', 'en', 'db', 'migrate'], { ...vietnamese, PORT: 'eighty' });
    expect(en.stderr).toMatch(/^invalid configuration:\n {2}PORT: /);
  }, 180_000);

  it('says a usage mistake in Vietnamese', () => {
    const missing = sachsong(['grant', 'add', '--client', 'VN/GOV/BTC/tax'], vietnamese);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("lỗi: chưa cho tùy chọn bắt buộc '--service <name>'");
  }, 180_000);

  it('refuses a language it does not speak, naming the setting', () => {
    const variable = sachsong(['db', 'migrate'], { SACHSONG_LANG: 'fr' });
    expect(variable.code).toBe(78);
    // A language it does not speak leaves the CLI in Vietnamese, which names the setting.
    expect(variable.stderr).toContain('SACHSONG_LANG: phải là vi (tiếng Việt) hoặc en (tiếng Anh)');
    const flag = sachsong(['--lang', 'fr', 'db', 'migrate'], vietnamese);
    expect(flag.code).not.toBe(0);
    expect(flag.stderr).toContain("'fr'");
  }, 180_000);
});
