import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertRepository } from '../src/audit/misuse-alert.repository.js';
import { officersOf, signInInBrowser, type BrowserOfficers } from './browser-sign-in.js';
import { exchangeAdminHeaders, makeAgencyKeys, startExchangeFixture, type ExchangeFixture } from './exchange.fixture.js';

/** The misuse alerts page of the console in a real browser, on a console built into its own folder. */

let fx: ExchangeFixture;
let browser: Browser;
let webRoot: string;
/** One set of officers for the file: its first administrator is made once. */
let officers: BrowserOfficers;

beforeAll(async () => {
  webRoot = mkdtempSync(path.join(tmpdir(), 'sachsong-alerts-web-'));
  const { build } = await import('vite');
  await build({ configFile: fileURLToPath(new URL('../web/vite.config.ts', import.meta.url)), logLevel: 'warn', build: { outDir: webRoot, emptyOutDir: true } });
  fx = await startExchangeFixture('sqlite', { webRoot });
  await fx.app.listen({ host: '127.0.0.1', port: 0 });
  officers = officersOf(fx.identity, fx.clock);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
}, 240_000);

afterAll(async () => {
  await browser.close();
  await fx.close();
  rmSync(webRoot, { recursive: true, force: true });
});

describe('access alerts page', () => {
  it('lists open alerts and marks one reviewed', async () => {
    const base = { subjectId: 'officer-77', clientId: 'VN/GOV/CA/app', windowStart: '2026-03-01T08:00:00.000Z', windowSeconds: 60, reads: 640, baseline: 12.5, status: 'open', acknowledgedAt: null } as const;
    await alertRepository.insert(fx.database.db, { ...base, alertId: '11111111-1111-4111-8111-111111111111', subjectKind: 'officer', raisedAt: '2026-03-01T08:00:30.000Z' });
    await alertRepository.insert(fx.database.db, { ...base, alertId: '22222222-2222-4222-8222-222222222222', subjectKind: 'client', subjectId: 'VN/GOV/CA/app', raisedAt: '2026-03-01T08:00:31.000Z' });
    const address = fx.app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInInBrowser(page, `http://127.0.0.1:${String(port)}`, officers, await officers.create('exchange_admin', { level: 'nation' }, 'Vũ Thị Lan'));
    await page.getByTestId('nav-alerts').click();
    const rows = page.getByTestId('alert-row');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await page.getByTestId('alerts-table').innerText()).toMatch(/officer-77[\s\S]*640/);
    await page.getByTestId('alert-ack').first().click();
    await expect.poll(() => rows.count()).toBe(1);
    const listed = await fx.app.inject({ method: 'GET', url: '/api/exchange/alerts?status=acknowledged', headers: await exchangeAdminHeaders(fx.app) });
    expect(listed.json<{ items: { alertId: string }[] }>().items.map((a) => a.alertId)).toEqual(['22222222-2222-4222-8222-222222222222']);
    await page.getByTestId('alerts-all').click();
    await expect.poll(() => rows.count()).toBe(2);
    await context.close();
  });

  it('names the officer of an alert: an agency officer as its member registered them, a console officer by display name', async () => {
    const keys = await makeAgencyKeys('VN/GOV/CAT/app');
    const onboarded = await fx.app.inject({ method: 'POST', url: '/api/exchange/members', headers: await exchangeAdminHeaders(fx.app), payload: { memberId: 'VN/GOV/CAT', name: 'Công an tỉnh', kind: 'province', subsystems: [{ code: 'app', name: 'Ứng dụng', jwks: { keys: [keys.publicJwk] } }], officers: [{ officerId: 'officer-88', name: 'Đỗ Minh Tuấn' }] } });
    expect(onboarded.statusCode).toBe(201);
    const reader = await officers.create('province_officer', { level: 'province', code: '01' }, 'Hoàng Thị Mai');
    const base = { clientId: 'VN/GOV/CAT/app', windowStart: '2026-03-02T08:00:00.000Z', windowSeconds: 60, reads: 900, baseline: 10, status: 'open', acknowledgedAt: null } as const;
    await alertRepository.insert(fx.database.db, { ...base, alertId: '33333333-3333-4333-8333-333333333333', subjectKind: 'officer', subjectId: 'officer-88', raisedAt: '2026-03-02T08:00:30.000Z' });
    await alertRepository.insert(fx.database.db, { ...base, alertId: '44444444-4444-4444-8444-444444444444', subjectKind: 'official-volume', subjectId: reader.officerId, clientId: 'console', raisedAt: '2026-03-02T08:00:31.000Z' });
    const address = fx.app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInInBrowser(page, `http://127.0.0.1:${String(port)}`, officers, await officers.create('exchange_admin', { level: 'nation' }, 'Vũ Thị Lan'));
    await page.getByTestId('nav-alerts').click();
    await expect.poll(async () => page.getByTestId('alert-subject-name').allTextContents()).toEqual(expect.arrayContaining(['Đỗ Minh Tuấn', 'Hoàng Thị Mai']) as unknown);
    // The id stays beneath the name, for a search in the logs.
    expect(await page.getByTestId('alerts-table').innerText()).toContain(reader.officerId);
    await context.close();
  });
});
