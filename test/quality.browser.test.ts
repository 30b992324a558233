import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiSession, browserOfficers, signInInBrowser } from './browser-sign-in.js';
import type { TestOfficer } from './officer-accounts.js';
import { ensureBuiltConsole, launchTestBrowser } from './test-browser.js';
import { startTestServer } from './test-server.js';

/**
 * The quality dashboard and the cleaning worklist in a real browser, and the quality API they
 * use, against the test server (a small generated population on SQLite).
 */


type TestServer = Awaited<ReturnType<typeof startTestServer>>;

let server: TestServer;
let browser: Browser;
const officers = browserOfficers();
let officer: TestOfficer;
let headers: { readonly cookie: string; readonly 'x-csrf-token': string };

beforeAll(async () => {
  await ensureBuiltConsole();
  server = await startTestServer({ people: 3_000, seed: 5, identity: officers.bind });
  officer = await officers.create('quality_officer', { level: 'nation' }, 'Phạm Thu Hà');
  headers = await apiSession(officers, officer);
  browser = await launchTestBrowser();
}, 180_000);

afterAll(async () => {
  await browser.close();
  await server.close();
});

const auth = (): Record<string, string> => ({ ...headers });

describe('quality API', () => {
  it('needs a session and answers bad input with problem+json', async () => {
    const anonymous = await fetch(`${server.url}/api/quality/findings`);
    expect(anonymous.status).toBe(401);
    const badScope = await fetch(`${server.url}/api/quality/scorecard?scope=planet`, { headers: auth() });
    expect(badScope.status).toBe(400);
    expect(badScope.headers.get('content-type')).toContain('application/problem+json');
    const missing = await fetch(`${server.url}/api/quality/findings/${encodeURIComponent('live.stale_record:000000000000')}/dismiss`, {
      method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify({ officerId: 'o1', reason: 'báo nhầm' }),
    });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe('FINDING_NOT_FOUND');
    const noReason = await fetch(`${server.url}/api/quality/findings/x%3Ay/dismiss`, {
      method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify({ officerId: 'o1' }),
    });
    expect(noReason.status).toBe(400);
  });

  it('lists the rule catalog and serves the report as HTML', async () => {
    const rules = (await (await fetch(`${server.url}/api/quality/rules`, { headers: auth() })).json()) as { items: { id: string; group: string }[] };
    expect(new Set(rules.items.map((r) => r.group))).toEqual(new Set(['correct', 'complete', 'clean', 'live']));
    const html = await fetch(`${server.url}/api/quality/report?format=html`, { headers: auth() });
    expect(html.headers.get('content-type')).toContain('text/html');
    const page = await html.text();
    expect(page).toContain('clean.duplicate_person');
    // Vietnamese by default, English on request.
    expect(page).toContain('<html lang="vi">');
    expect(page).toContain('<h1>Chất lượng dữ liệu: đúng, đủ, sạch, sống</h1>');
    const english = await (await fetch(`${server.url}/api/quality/report?format=html&lang=en`, { headers: auth() })).text();
    expect(english).toContain('<h2>Provinces</h2>');
  });
});

describe('quality console', () => {
  it('scans, drills down from the nation to a commune and its rules, and dismisses a finding from the worklist', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signInInBrowser(page, server.url, officers, officer);
    // Before any scan the worklist says so, rather than "no findings", which would read as clean data.
    await page.evaluate(() => { window.location.hash = '#/worklist?status=open'; });
    await page.getByTestId('worklist-no-scan').waitFor();
    await expect(page.getByTestId('worklist-empty').count()).resolves.toBe(0);
    await page.getByTestId('nav-quality').click();
    await page.getByTestId('quality-no-scan').waitFor();
    await page.getByTestId('quality-scan').click();
    await page.getByTestId('quality-national').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('trend-chart').count()).toBe(5);

    // Provinces sort lowest first: the first has findings. Then its weakest commune. Units go by
    // name, and the headline follows the drill-down: it shows the scores of the unit opened.
    const overallOf = async (row: ReturnType<typeof page.getByTestId>): Promise<string> => (await row.locator('td').last().textContent()) ?? '';
    const provinceRow = page.getByTestId('quality-row').first();
    // Names, once the units are loaded (a code stands in until then).
    await expect.poll(() => provinceRow.getByTestId('quality-drill').textContent()).not.toMatch(/^(Tỉnh )?\d+$/);
    const provinceName = (await provinceRow.getByTestId('quality-drill').textContent()) ?? '';
    const provinceOverall = await overallOf(provinceRow);
    await page.getByTestId('quality-drill').first().click();
    await page.getByTestId('crumb-province').waitFor();
    await expect(page.getByTestId('crumb-province').textContent()).resolves.toBe(provinceName);
    await expect.poll(() => page.getByTestId('quality-headline-scope').textContent()).toBe(provinceName);
    await expect.poll(() => overallOf(page.getByTestId('quality-headline'))).toBe(provinceOverall);
    const communeRow = page.getByTestId('quality-row').first();
    await expect.poll(() => communeRow.getByTestId('quality-drill').textContent()).toMatch(/^(Xã|Phường|Đặc khu) \D/);
    const communeName = (await communeRow.getByTestId('quality-drill').textContent()) ?? '';
    const communeOverall = await overallOf(communeRow);
    await page.getByTestId('quality-drill').first().click();
    await page.getByTestId('quality-rules').waitFor();
    await expect(page.getByTestId('crumb-commune').textContent()).resolves.toBe(communeName);
    await expect.poll(() => page.getByTestId('quality-headline-scope').textContent()).toBe(communeName);
    await expect.poll(() => overallOf(page.getByTestId('quality-headline'))).toBe(communeOverall);
    // Rules by what they check, in Vietnamese, the id beneath.
    const ruleCell = (await page.getByTestId('quality-rule-row').first().locator('td').first().textContent()) ?? '';
    expect(ruleCell).toMatch(/[àáảãạăâđèéêìíòóôơùúưỳý]/u);
    await page.getByTestId('quality-rule-records').first().click();

    await page.getByTestId('worklist-table').waitFor();
    const before = await page.getByTestId('worklist-row').count();
    expect(before).toBeGreaterThan(0);
    // In Vietnamese: the count, the status, the rule by what it checks.
    await expect(page.getByTestId('worklist-count').textContent()).resolves.toBe(`Phát hiện 1–${before} trong tổng số ${before}`);
    await expect(page.getByTestId('worklist-status-current').textContent()).resolves.toBe('Đang mở');
    expect(await page.getByTestId('worklist-rule-name').textContent()).toMatch(/[àáảãạăâđèéêìíòóôơùúưỳý]/u);
    await expect(page.getByTestId('worklist-next').count()).resolves.toBe(0);
    // Each finding's detail in Vietnamese, as the API renders it, not the stored English sentence.
    const communeCode = new URLSearchParams((await page.evaluate(() => window.location.hash)).split('?')[1] ?? '').get('commune') ?? '';
    const listed = (await (await fetch(`${server.url}/api/quality/findings?commune=${communeCode}&status=open&limit=100`, { headers: auth() })).json()) as { items: { detail: string; detailCode: string | null; detailText: { vi: string } }[] };
    expect(listed.items.every((f) => f.detailCode !== null)).toBe(true);
    await expect(page.getByTestId('worklist-detail').allTextContents()).resolves.toEqual(listed.items.map((f) => f.detailText.vi));
    expect(listed.items.some((f) => f.detailText.vi !== f.detail)).toBe(true);
    // Places by name, not code: the commune filtered on, and each row's commune and province.
    await expect.poll(() => page.getByTestId('worklist-commune-name').textContent()).toBe(`${communeName}, ${provinceName}`);
    for (const cell of await page.getByTestId('worklist-unit').allTextContents()) expect(cell).toMatch(new RegExp(`^${communeName}, ${provinceName}\\d{5}$`));
    // Each row has its own action form (one open at a time), with its own reason.
    await expect(page.getByTestId('worklist-row-form').count()).resolves.toBe(0);
    await page.getByTestId('worklist-act').first().click();
    await expect(page.getByTestId('worklist-row-form').count()).resolves.toBe(1);
    // Without a reason the console refuses (as the server would), and says why in Vietnamese.
    await page.getByTestId('worklist-dismiss').first().click();
    await page.getByTestId('error').waitFor();
    await expect(page.getByTestId('error-detail').textContent()).resolves.toBe('Thao tác này cần ghi lý do.');
    await page.getByTestId('worklist-reason').fill('Đã xác minh tại xã: hồ sơ đúng');
    await page.getByTestId('worklist-dismiss').first().click();
    await page.getByTestId('worklist-done').waitFor();
    await expect.poll(() => page.getByTestId('worklist-row').count()).toBe(before - 1);
    await page.screenshot({ path: '/tmp/sachsong-quality-worklist.png' });

    const dismissed = (await (await fetch(`${server.url}/api/quality/findings?status=dismissed`, { headers: auth() })).json()) as { items: { findingId: string }[]; total: number };
    expect(dismissed.items).toHaveLength(1);
    expect(dismissed.total).toBe(1);
    expect(dismissed.items[0]).toMatchObject({ communeName: expect.stringMatching(/^(Xã|Phường|Đặc khu) /) as unknown, provinceName: expect.any(String) as unknown });
    // The count is of every page: one finding a page still counts them all.
    const open = (await (await fetch(`${server.url}/api/quality/findings?status=open&limit=1`, { headers: auth() })).json()) as { items: unknown[]; total: number };
    expect(open.items).toHaveLength(1);
    expect(open.total).toBeGreaterThan(1);
    const detail = (await (await fetch(`${server.url}/api/quality/findings/${encodeURIComponent(dismissed.items[0]?.findingId ?? '')}`, { headers: auth() })).json()) as { actions: { officerId: string; action: string }[] };
    // Recorded under the signed-in officer, not a name typed in a form.
    expect(detail.actions).toMatchObject([{ officerId: officer.officerId, action: 'dismiss' }]);
    // A stale record's detail in Vietnamese with its date day first (stored as 'last updated YYYY-MM-DD').
    await page.evaluate(() => { window.location.hash = '#/worklist?rule=live.stale_record&status=open'; });
    await page.getByTestId('worklist-table').waitFor();
    await expect(page.getByTestId('worklist-detail').first().textContent()).resolves.toMatch(/^cập nhật lần cuối ngày \d{2}\/\d{2}\/\d{4}$/u);
    await context.close();
  }, 180_000);
  it('pages the worklist forward and back, with the count of all findings and the rows of each page', async () => {
    const scans = (await (await fetch(`${server.url}/api/quality/scans`, { headers: auth() })).json()) as { items: unknown[] };
    if (scans.items.length === 0) expect((await fetch(`${server.url}/api/quality/scans`, { method: 'POST', headers: auth() })).status).toBeLessThan(300);
    // The pages as the API cuts them, 20 findings each.
    const pages: string[][] = [];
    let after: string | null = null;
    let total: number;
    do {
      const q = new URLSearchParams({ status: 'open', limit: '20', ...(after === null ? {} : { after }) });
      const answer = (await (await fetch(`${server.url}/api/quality/findings?${q.toString()}`, { headers: auth() })).json()) as { items: { findingId: string; recordId: string }[]; total: number };
      total = answer.total;
      if (answer.items.length > 0) pages.push(answer.items.map((f) => f.recordId));
      after = answer.items.length === 20 ? answer.items[19]?.findingId ?? null : null;
    } while (after !== null);
    expect(pages.length).toBeGreaterThan(1);
    const vi = total.toLocaleString('vi-VN');

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN' });
    const page = await context.newPage();
    try {
      await signInInBrowser(page, server.url, officers, officer);
      await page.evaluate(() => { window.location.hash = '#/worklist?status=open'; });
      await page.getByTestId('worklist-table').waitFor();
      await page.getByTestId('worklist-page-size').selectOption('20');
      const records = (): Promise<string[]> => page.getByTestId('worklist-record').allTextContents();
      const showing = (n: number): string => `Phát hiện ${String(n * 20 + 1)}–${String(n * 20 + (pages[n]?.length ?? 0))} trong tổng số ${vi}`;
      await expect.poll(() => page.getByTestId('worklist-count').textContent()).toBe(showing(0));
      await expect(records()).resolves.toEqual(pages[0]);
      await expect(page.getByTestId('worklist-previous').count()).resolves.toBe(0);
      for (let n = 1; n < pages.length; n += 1) {
        await page.getByTestId('worklist-next').click();
        await expect.poll(() => page.getByTestId('worklist-count').textContent()).toBe(showing(n));
        await expect(records()).resolves.toEqual(pages[n]);
      }
      // The last page offers no next page.
      await expect(page.getByTestId('worklist-next').count()).resolves.toBe(0);
      for (let n = pages.length - 2; n >= 0; n -= 1) {
        await page.getByTestId('worklist-previous').click();
        await expect.poll(() => page.getByTestId('worklist-count').textContent()).toBe(showing(n));
        await expect(records()).resolves.toEqual(pages[n]);
      }
      await expect(page.getByTestId('worklist-previous').count()).resolves.toBe(0);
    } finally {
      await context.close();
    }
  }, 180_000);
});
