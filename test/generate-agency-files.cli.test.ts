import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from './cli-run.js';

let dir: string;

const sachsong = (args: readonly string[]): CliRun => runCli(args, path.join(dir, 'data'));

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sachsong-agency-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('sachsong generate-agency-files', () => {
  it('also writes messy files and a tax register, each with its truth', () => {
    expect(sachsong(['generate', '--people', '1500', '--seed', '4']).code).toBe(0);
    const out = path.join(dir, 'files');
    const run = sachsong(['generate-agency-files', '--out', out, '--rows', '300', '--presets', 'tax', '--messy', '--tax-register']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = (file: string): string[] => readFileSync(path.join(out, file), 'utf8').trim().split('\n');
    expect(lines('tax.csv')).toHaveLength(301);
    expect(lines('tax.messy.csv')[0]).toBe('STT;Số CCCD;Họ và tên;Ngày sinh');
    expect(lines('tax.messy.csv')).toHaveLength(301);
    expect(lines('tax.messy.truth.csv')[0]).toBe('row_no,expected_status,expected_person,errors');
    expect(lines('tax-register.csv')[0]).toBe('tax_record_no,id_number,taxpayer_name,birth_date');
    expect(lines('tax-register.truth.csv')[0]).toBe('old_tax_code,expected_outcome,expected_person');
    expect(lines('tax-register.truth.csv').length).toBeGreaterThan(250);
  }, 240_000);
});
