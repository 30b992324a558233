import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations } from './console-checks.js';
import { citizenCsrfToken } from '../src/citizen/citizen-account.service.js';
import { officersOf, signInInBrowser, type BrowserOfficers } from './browser-sign-in.js';
import { startExchangeFixture, type ExchangeFixture } from './exchange.fixture.js';
import type { TestOfficer } from './officer-accounts.js';
import { unitOf } from './procedures.harness.js';
import { launchTestBrowser } from './test-browser.js';

/**
 * The linked procedures page of the console, in Vietnamese, at 1440 and 390 px: a clerk of the
 * commune sees the applications of the unit step by step with their agencies and limits, sends a
 * failed delivery round again, and reads the catalogue; nothing widens the page and axe-core
 * finds no WCAG 2.1 A/AA violation.
 */

let fx: ExchangeFixture;
let browser: Browser;
let webRoot: string;
let baseUrl: string;
let officers: BrowserOfficers;
let clerk: TestOfficer;
let failedId = '';

beforeAll(async () => {
  webRoot = mkdtempSync(path.join(tmpdir(), 'sachsong-procedures-web-'));
  const { build } = await import('vite');
  await build({ configFile: fileURLToPath(new URL('../web/vite.config.ts', import.meta.url)), logLevel: 'warn', build: { outDir: webRoot, emptyOutDir: true } });
  fx = await startExchangeFixture('sqlite', { webRoot });
  await fx.app.listen({ host: '127.0.0.1', port: 0 });
  const address = fx.app.server.address();
  baseUrl = `http://127.0.0.1:${String(typeof address === 'object' && address !== null ? address.port : 0)}`;
  // Two applications by one parent of the population, through the portal.
  const rows = await fx.database.db.selectFrom('persons').select(['id_number', 'permanent_commune']).where('id_number', 'in', [...fx.people]).execute();
  const parent = rows.find((r) => r.permanent_commune !== null && unitOf(r.permanent_commune) !== undefined && r.id_number.slice(3, 4) <= '1');
  if (parent?.permanent_commune == null) throw new Error('no applicant');
  const at = fx.clock.now().toISOString();
  await fx.database.db.insertInto('citizen_accounts').values({
    account_id: `cit_${'7'.repeat(32)}`, person_id: parent.id_number, level: 1, status: 'active', phone: '0912777777', password_hash: 'x',
    totp_secret: null, totp_last_step: null, card_number: null, province: null, failed_attempts: 0, locked_until: null, last_sign_in_at: null, level2_at: null, created_at: at, updated_at: at,
  }).execute();
  const sessionId = `browser-session-${'y'.repeat(30)}`;
  await fx.database.db.insertInto('citizen_sessions').values({
    session_hash: createHash('sha256').update(sessionId).digest('hex'), session_ref: 'refb', account_id: `cit_${'7'.repeat(32)}`, acr_level: 1, device: 'Linux',
    created_at: at, last_seen_at: at, absolute_expires_at: new Date(Date.parse(at) + 8 * 3_600_000).toISOString(), revoked_at: null, revoked_reason: null,
  }).execute();
  const headers = { cookie: `sachsong_citizen=${sessionId}`, 'x-csrf-token': citizenCsrfToken(sessionId) };
  for (const name of ['Hoàng Bảo Ngọc', 'Hoàng Minh Khôi']) {
    const res = await fx.app.inject({ method: 'POST', url: '/citizen/portal/procedures/birth', headers, payload: { child: { fullName: name, birthDate: '2026-02-20', sex: name.includes('Ngọc') ? 'F' : 'M' } } });
    if (res.statusCode !== 201) throw new Error(res.body);
    failedId = res.json<{ procedureId: string }>().procedureId;
  }
  // The card request of the second failed every try (the agency was down): as the runner leaves it.
  await fx.database.db.updateTable('procedure_steps').set({ status: 'done' }).where('procedure_id', '=', failedId).where('step_no', '=', 2).execute();
  await fx.database.db.updateTable('procedure_steps').set({ status: 'failed', attempts: 8, last_error: 'HTTP 503' }).where('procedure_id', '=', failedId).where('step_no', '=', 3).execute();
  await fx.database.db.updateTable('procedures').set({ status: 'failed', current_step: 3 }).where('procedure_id', '=', failedId).execute();
  officers = officersOf(fx.identity, fx.clock);
  clerk = await officers.create('registry_clerk', { level: 'commune', code: unitOf(parent.permanent_commune)?.commune ?? '' }, 'Lê Thị Hồng');
  browser = await launchTestBrowser();
}, 240_000);

afterAll(async () => {
  await browser.close();
  await fx.close();
  rmSync(webRoot, { recursive: true, force: true });
});

describe.each([1440, 390])('the linked procedures page at %i px, in Vietnamese', (width) => {
  it('shows each application step by step, sends a failed step round again, lists the catalogue; no overflow, no WCAG A/AA violation', async () => {
    const context = await browser.newContext({ viewport: { width, height: 900 }, locale: 'vi-VN', bypassCSP: true });
    const page = await context.newPage();
    try {
      await signInInBrowser(page, baseUrl, officers, clerk);
      await page.getByTestId('nav-procedures').click();
      const cards = page.getByTestId('proc-card');
      await expect.poll(() => cards.count(), { timeout: 30_000 }).toBe(2).catch(async (e: unknown) => { throw new Error(`${String(e)}: ${await page.locator('main').innerText()}`); });
      const text = await page.locator('main').innerText();
      expect(text).toContain('Khai sinh – thường trú – thẻ BHYT: Hoàng Minh Khôi');
      expect(text).toContain('Bảo hiểm xã hội Việt Nam');
      expect(text).toMatch(/Lỗi gần nhất: HTTP 503/);
      expect(text).toMatch(/\d{2}\/\d{2}\/2026/);
      await page.getByTestId('catalogue-table').waitFor();
      expect(await page.getByTestId('catalogue-row').count()).toBe(53);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      expect(await axeViolations(page)).toEqual([]);
      await page.screenshot({ path: `/tmp/sachsong-${String(width)}-procedures.png`, fullPage: false });
      if (width === 1440) {
        await page.getByTestId('proc-retry').click();
        await expect.poll(() => page.getByTestId('proc-retry').count()).toBe(0);
        const step = await fx.database.db.selectFrom('procedure_steps').select(['status', 'attempts']).where('procedure_id', '=', failedId).where('step_no', '=', 3).executeTakeFirstOrThrow();
        expect(step).toEqual({ status: 'pending', attempts: 0 });
      }
    } finally {
      await context.close();
    }
  }, 120_000);
});
