import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertRepository } from '../src/audit/misuse-alert.repository.js';
import { officersOf, signInInBrowser } from './browser-sign-in.js';
import { exchangeAdminHeaders, startExchangeFixture, type ExchangeFixture } from './exchange.fixture.js';

/** The misuse alerts page of the console in a real browser, on a console built into its own folder. */

let fx: ExchangeFixture;
let browser: Browser;
let webRoot: string;

beforeAll(async () => {
  webRoot = mkdtempSync(path.join(tmpdir(), 'sachsong-alerts-web-'));
  const { build } = await import('vite');
  await build({ configFile: fileURLToPath(new URL('../web/vite.config.ts', import.meta.url)), logLevel: 'warn', build: { outDir: webRoot, emptyOutDir: true } });
  fx = await startExchangeFixture('sqlite', { webRoot });
  await fx.app.listen({ host: '127.0.0.1', port: 0 });
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
    const officers = officersOf(fx.identity, fx.clock);
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
});
