import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from './cli-run.js';

let dir: string;

const sachsong = (args: readonly string[]): CliRun => runCli(args, path.join(dir, 'data'));

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sachsong-tax-code-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('sachsong tax-code', () => {
  it('links a generated tax register into the store, writes nothing on a re-run, and records a link by hand with clear refusals', () => {
    expect(sachsong(['generate', '--people', '1500', '--seed', '4']).code).toBe(0);
    const out = path.join(dir, 'files');
    expect(sachsong(['generate-agency-files', '--out', out, '--rows', '300', '--presets', 'tax', '--tax-register']).code).toBe(0);
    const register = path.join(out, 'tax-register.csv');
    const first = sachsong(['tax-code', 'link', register, '--out', path.join(dir, 'links')]);
    expect(first.code, first.stderr).toBe(0);
    const summary = JSON.parse(first.stdout) as { outcomes: { linked: number }; written: number; unchanged: number; malformed: number; file: string };
    expect(summary.outcomes.linked).toBeGreaterThan(50);
    expect(summary).toMatchObject({ written: summary.outcomes.linked, unchanged: 0, malformed: 0 });
    expect(readFileSync(summary.file, 'utf8').split('\n')[0]).toBe('old_tax_code,id_number,outcome,details');
    const again = JSON.parse(sachsong(['tax-code', 'link', register, '--out', path.join(dir, 'links')]).stdout) as { written: number; unchanged: number };
    expect(again).toMatchObject({ written: 0, unchanged: summary.outcomes.linked });

    // By hand: an officer links a code found by matching; a mistyped code and a taken code are refused.
    const links = readFileSync(summary.file, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const linked = links.find((l) => l[2] === 'linked');
    const toUpdate = links.find((l) => l[2] === 'to_update');
    if (linked === undefined || toUpdate === undefined) throw new Error('register too small');
    const [taken = '', owner = ''] = linked;
    const [free = '', person = ''] = toUpdate;
    const mistyped = `${free.slice(0, 9)}${String((Number(free[9]) + 1) % 10)}`;
    // A register whose linked code was mistyped: that code is not stored, and is listed in a file, not on the terminal.
    const damaged = path.join(dir, 'damaged.csv');
    const mistypedTaken = `${taken.slice(0, 9)}${String((Number(taken[9]) + 1) % 10)}`;
    writeFileSync(damaged, readFileSync(register, 'utf8').replace(`\n${taken},`, `\n${mistypedTaken},`));
    const withDamage = sachsong(['tax-code', 'link', damaged, '--out', path.join(dir, 'damaged-links')]);
    expect(withDamage.code, withDamage.stderr).toBe(0);
    expect(JSON.parse(withDamage.stdout)).toMatchObject({ written: 0, malformed: 1 });
    expect(withDamage.stderr).toContain('1 TAX_CODE_CHECK_DIGIT');
    expect(withDamage.stderr).not.toContain(mistypedTaken);
    expect(readFileSync(path.join(dir, 'damaged-links', 'tax-links.malformed.csv'), 'utf8')).toContain(`"${mistypedTaken}",TAX_CODE_CHECK_DIGIT`);
    const bad = sachsong(['tax-code', 'record', mistyped, person, '--officer', 'o-1']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('TAX_CODE_CHECK_DIGIT');
    const conflict = sachsong(['tax-code', 'record', taken, person, '--officer', 'o-1']);
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toContain('TAX_LINK_CONFLICT');
    expect(owner).not.toBe(person);
    const made = sachsong(['tax-code', 'record', free, person, '--officer', 'o-1']);
    expect(made.code, made.stderr).toBe(0);
    expect(JSON.parse(made.stdout)).toMatchObject({ oldTaxCode: free, status: 'confirmed', source: 'officer:o-1' });
  }, 240_000);
});
