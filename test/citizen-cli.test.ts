import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from './cli-run.js';

let dir: string;

const sachsong = (args: readonly string[]): CliRun => runCli(args, path.join(dir, 'data'));

beforeAll(() => { dir = mkdtempSync(path.join(tmpdir(), 'sachsong-rpcli-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

describe('sachsong relying-party', () => {
  it('onboards an exchange client as a relying party, lists, suspends it; refuses bad input with exit 2', { timeout: 300_000 }, () => {
    const keys = path.join(dir, 'keys');
    expect(sachsong(['agency', 'keygen', '--out', keys, '--kid', 'vcb-1']).code).toBe(0);
    const member = sachsong(['agency', 'onboard', '--member', 'VN/COM/VCB', '--name', 'Vietcombank', '--kind', 'bank', '--subsystem', 'login:Đăng nhập', '--jwks', path.join(keys, 'jwks.json')]);
    expect(member.code, member.stderr).toBe(0);
    const unknown = sachsong(['relying-party', 'onboard', '--client', 'VN/COM/ACB/login', '--name', 'ACB', '--redirect', 'https://acb.example/cb', '--claims', 'name']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/CLIENT_NOT_FOUND/);
    const twoHosts = sachsong(['relying-party', 'onboard', '--client', 'VN/COM/VCB/login', '--name', 'Vietcombank', '--redirect', 'https://vcb.example/cb,https://other.example/cb', '--claims', 'name']);
    expect(twoHosts.stderr).toMatch(/REDIRECT_URI_INVALID/);
    const badClaim = sachsong(['relying-party', 'onboard', '--client', 'VN/COM/VCB/login', '--name', 'Vietcombank', '--redirect', 'https://vcb.example/cb', '--claims', 'name,religion']);
    expect(badClaim.stderr).toMatch(/CLAIMS_INVALID/);
    const ok = sachsong(['relying-party', 'onboard', '--client', 'VN/COM/VCB/login', '--name', 'Vietcombank', '--redirect', 'https://vcb.example/cb', '--claims', 'vn_tax_code,name']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ clientId: 'VN/COM/VCB/login', allowedClaims: ['name', 'vn_tax_code'], status: 'active' });
    expect(sachsong(['relying-party', 'list']).stdout).toMatch(/VN\/COM\/VCB\/login\s+active\s+Vietcombank\s+\[name,vn_tax_code\]/);
    expect(JSON.parse(sachsong(['relying-party', 'suspend', 'VN/COM/VCB/login']).stdout)).toMatchObject({ status: 'suspended' });
    expect(sachsong(['relying-party', 'list']).stdout).toMatch(/suspended/);
  });
});

describe('sachsong oidc rotate-keys', () => {
  it('adds a signing key, keeps the older one published with its retirement time; refuses a bad overlap with exit 2', { timeout: 300_000 }, () => {
    const first = sachsong(['--lang', 'vi', 'oidc', 'rotate-keys']);
    expect(first.code, first.stderr).toBe(0);
    const one = JSON.parse(first.stdout) as { kid: string; published: { kid: string; retireAt: string | null }[]; retired: string[] };
    expect(one.published).toEqual([{ kid: one.kid, retireAt: null }]);
    expect(first.stderr).toContain(`oidc: khoá ký mới ${one.kid}`);
    const second = sachsong(['oidc', 'rotate-keys', '--overlap-hours', '48']);
    expect(second.code, second.stderr).toBe(0);
    const two = JSON.parse(second.stdout) as typeof one;
    expect(two.published.map((k) => k.kid)).toEqual([two.kid, one.kid]);
    expect(Date.parse(two.published[1]?.retireAt ?? '') - Date.now()).toBeGreaterThan(47 * 3_600_000);
    const bad = sachsong(['--lang', 'vi', 'oidc', 'rotate-keys', '--overlap-hours', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('lỗi OVERLAP_INVALID: thời gian chồng lấn phải là số giờ');
  });
});
