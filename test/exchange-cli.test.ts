import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SubscriptionService } from '../src/events/subscription.service.js';
import type { ClientEntry } from '../src/exchange/exchange.directory.js';
import type { Grant } from '../src/exchange/exchange.types.js';
import { systemClock } from '../src/shared/clock.js';
import { runCli, type CliRun } from './cli-run.js';
import { createTestDatabase } from './test-database.js';

let dir: string;

const sachsong = (args: readonly string[]): CliRun => runCli(args, path.join(dir, 'data'));

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sachsong-xcli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('sachsong agency / grant', () => {
  it('onboards an agency in a few commands: keys, member with subsystem and officer, a grant', { timeout: 300_000 }, () => {
    const keys = path.join(dir, 'keys');
    const keygen = sachsong(['agency', 'keygen', '--out', keys, '--kid', 'btc-1']);
    expect(keygen.code, keygen.stderr).toBe(0);
    const jwks = JSON.parse(readFileSync(path.join(keys, 'jwks.json'), 'utf8')) as { keys: Record<string, unknown>[] };
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: 'btc-1' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
    expect(statSync(path.join(keys, 'private.jwk.json')).mode & 0o777).toBe(0o600);

    const onboard = sachsong(['agency', 'onboard', '--member', 'VN/GOV/BTC', '--name', 'Bộ Tài chính', '--kind', 'ministry', '--subsystem', 'tax:Cổng thuế', '--jwks', path.join(keys, 'jwks.json'), '--officer', 'o-1:Nguyễn Văn A']);
    expect(onboard.code, onboard.stderr).toBe(0);
    expect(JSON.parse(onboard.stdout)).toMatchObject({ member: { memberId: 'VN/GOV/BTC' }, clients: [{ clientId: 'VN/GOV/BTC/tax', name: 'Cổng thuế' }], officers: [{ officerId: 'o-1' }] });

    const add = sachsong(['grant', 'add', '--client', 'VN/GOV/BTC/tax', '--service', 'verify', '--fields', 'fullName,birthDate', '--purpose', 'TAX_ID=Đối chiếu mã số thuế', '--legal-basis', 'Thông tư 86/2024/TT-BTC', '--until', '2030-12-31', '--rate', '6000']);
    expect(add.code, add.stderr).toBe(0);
    const grantId = (JSON.parse(add.stdout) as { grantId: string }).grantId;
    // A date is a whole day in Vietnam time (UTC+7): valid until 2031-01-01T00:00+07:00, exclusive.
    expect(JSON.parse(add.stdout)).toMatchObject({ validUntil: '2030-12-31T17:00:00.000Z' });
    const ended = sachsong(['grant', 'add', '--client', 'VN/GOV/BTC/tax', '--service', 'verify', '--fields', 'fullName', '--purpose', 'TAX_ID=Đối chiếu mã số thuế', '--legal-basis', 'Thông tư 86/2024/TT-BTC', '--until', '2020-12-31']);
    expect(ended.code).toBe(2);
    expect(ended.stderr).toMatch(/GRANT_ALREADY_ENDED/);
    expect(ended.stderr).toMatch(/what to do/);
    const list = sachsong(['grant', 'list', '--client', 'VN/GOV/BTC/tax']);
    expect(list.stdout).toContain(grantId);
    expect(list.stdout).toMatch(/active\s+VN\/GOV\/BTC\/tax\s+verify\s+\[fullName,birthDate\]\s+TAX_ID/);
    expect(sachsong(['agency', 'list']).stdout).toMatch(/VN\/GOV\/BTC\/tax\s+active\s+keys: btc-1/);
    // A changes grant limited to two provinces; an unknown province code is refused.
    const scoped = sachsong(['grant', 'add', '--client', 'VN/GOV/BTC/tax', '--service', 'changes', '--fields', 'residence_change', '--provinces', '79, 01', '--purpose', 'TAX_ADDR=Cập nhật địa chỉ người nộp thuế', '--legal-basis', 'Thông tư 86/2024/TT-BTC', '--until', '2030-12-31']);
    expect(scoped.code, scoped.stderr).toBe(0);
    expect(JSON.parse(scoped.stdout)).toMatchObject({ service: 'changes', provinces: ['01', '79'] });
    expect(sachsong(['grant', 'list', '--client', 'VN/GOV/BTC/tax']).stdout).toMatch(/changes\s+\[residence_change\]\s+(provinces|tỉnh) 01,79\s+TAX_ADDR/);
    const badProvince = sachsong(['grant', 'add', '--client', 'VN/GOV/BTC/tax', '--service', 'changes', '--fields', 'residence_change', '--provinces', '01,99', '--purpose', 'TAX_ADDR=x', '--legal-basis', 'law', '--until', '2030-12-31']);
    expect(badProvince.code).toBe(2);
    expect(badProvince.stderr).toMatch(/GRANT_PROVINCE_UNKNOWN/);
    expect(sachsong(['grant', 'revoke', grantId]).code).toBe(0);
    expect(sachsong(['grant', 'list']).stdout).toMatch(/revoked/);
  });

  it('names, when a subscription\'s officer is unknown (OFFICER_UNKNOWN), a command of the CLI\'s tree that registers the officer as named', { timeout: 300_000 }, async () => {
    const onboarded = sachsong(['agency', 'onboard', '--member', 'VN/GOV/BXD', '--name', 'Bộ Xây dựng', '--kind', 'ministry']);
    expect(onboarded.code, onboarded.stderr).toBe(0);
    const database = await createTestDatabase('sqlite');
    const grant: Grant = {
      grantId: 'g-1', clientId: 'VN/GOV/BXD/permits', service: 'changes', fields: ['death'], provinces: [], purposes: [{ code: 'TAX_ADDR', text: 'Cập nhật địa chỉ người nộp thuế' }], legalBasis: 'law',
      requiresConsent: false, deferTrackerDays: 0, validFrom: '2020-01-01T00:00:00.000Z', validUntil: '2099-01-01T00:00:00.000Z', ratePerMinute: 10, dailyCap: 10, status: 'active', createdAt: '2020-01-01T00:00:00.000Z',
    };
    const entry: ClientEntry = {
      client: { clientId: 'VN/GOV/BXD/permits', memberId: 'VN/GOV/BXD', name: 'Cấp phép', jwks: { keys: [] }, status: 'active', createdAt: grant.createdAt },
      member: { memberId: 'VN/GOV/BXD', name: 'Bộ Xây dựng', kind: 'ministry', status: 'active', createdAt: grant.createdAt },
      officers: new Set(['o-1']),
      grants: new Map([['changes', [grant]]]),
    };
    const subscriptions = new SubscriptionService({ db: database.db, clock: systemClock, client: () => Promise.resolve(entry) });
    const refusal: unknown = await subscriptions.create(entry.client.clientId, { url: 'https://thue.example.vn/events', kinds: ['death'], purpose: 'TAX_ADDR', officerId: 'o-7' }).catch((e: unknown) => e);
    await database.close();
    expect(refusal).toMatchObject({ code: 'OFFICER_UNKNOWN' });
    const action = (refusal as { action: string }).action;
    const named = /sachsong (.+?)(?: \(|$)/.exec(action)?.[1] ?? '';
    const words = (named.match(/"[^"]*"|\S+/g) ?? []).map((w) => w.replace(/^"(.*)"$/, '$1'));
    expect(words.slice(0, 2)).toEqual(['agency', 'officer']);
    // Walk the CLI's command tree by its help: each command word is a command of the one before.
    const path: string[] = [];
    for (const word of words) {
      const help = sachsong([...path, '--help']);
      expect(help.code, help.stderr).toBe(0);
      const listed = help.stdout.split('\n').slice(help.stdout.split('\n').findIndex((l) => /^(Commands|Lệnh):$/.test(l)) + 1).filter((l) => l.startsWith('  ')).map((l) => l.trim().split(/\s+/)[0]);
      if (!listed.includes(word)) break;
      path.push(word);
    }
    expect(path).toEqual(['agency', 'officer']);
    const usage = sachsong([...path, '--help']).stdout.split('\n')[0] ?? '';
    const positional = words.slice(path.length).filter((w, i, all) => !w.startsWith('--') && !(all[i - 1] ?? '').startsWith('--'));
    expect((usage.match(/<[^>]+>/g) ?? []).length).toBe(positional.length);
    // Run as named (its placeholder filled in): the officer is registered.
    const run = sachsong(words.map((w) => (w === '<full name>' ? 'Trần Văn Bảy' : w)));
    expect(run.code, run.stderr).toBe(0);
    expect(sachsong(['agency', 'list']).stdout).toMatch(/o-7\s+Trần Văn Bảy/);
  });

  it('refuses bad input with a code and what to do, exit 2', { timeout: 300_000 }, () => {
    const bad = sachsong(['agency', 'onboard', '--member', 'VN/XYZ/btc', '--name', 'x', '--kind', 'ministry']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/MEMBER_ID_MALFORMED/);
    expect(bad.stderr).toMatch(/what to do/);
    const noKeys = sachsong(['agency', 'onboard', '--member', 'VN/GOV/BYT', '--name', 'Bộ Y tế', '--kind', 'ministry', '--subsystem', 'his']);
    expect(noKeys.stderr).toMatch(/JWKS_MISSING/);
    const unreadable = sachsong(['agency', 'onboard', '--member', 'VN/GOV/BYT', '--name', 'Bộ Y tế', '--kind', 'ministry', '--subsystem', 'his', '--jwks', path.join(dir, 'missing.json')]);
    expect(unreadable.stderr).toMatch(/FILE_UNREADABLE/);
    const grant = sachsong(['grant', 'add', '--client', 'VN/GOV/NONE/app', '--service', 'verify', '--fields', 'fullName', '--purpose', 'X=y', '--legal-basis', 'law', '--until', '2030-01-01']);
    expect(grant.code).toBe(2);
    expect(grant.stderr).toMatch(/CLIENT_NOT_FOUND/);
  });
});
