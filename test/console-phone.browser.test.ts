import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertRepository } from '../src/audit/misuse-alert.repository.js';
import { apiSession, browserOfficers, signInInBrowser } from './browser-sign-in.js';
import { axeViolations, layoutProblems } from './console-checks.js';
import type { TestOfficer } from './officer-accounts.js';
import { ensureBuiltConsole, launchTestBrowser } from './test-browser.js';
import { startTestServer } from './test-server.js';

/**
 * The console as an officer meets it on a desk (1440 px) and on a phone (390 px), in Vietnamese:
 * the menu wraps by whole items, sign-out stays on screen, nothing widens the page, and axe-core
 * (injected into the page) finds no WCAG 2.1 A/AA violation.
 */

type TestServer = Awaited<ReturnType<typeof startTestServer>>;

let server: TestServer;
let browser: Browser;
const officers = browserOfficers();
let officer: TestOfficer;
let reader: TestOfficer;
let auditor: TestOfficer;
let director: TestOfficer;
let householdId: string;

beforeAll(async () => {
  await ensureBuiltConsole();
  server = await startTestServer({ people: 2_000, seed: 7, identity: officers.bind });
  officer = await officers.create('quality_officer', { level: 'nation' }, 'Phạm Thu Hà');
  reader = await officers.create('national_officer', { level: 'nation' }, 'Nguyễn Văn Đọc');
  auditor = await officers.create('auditor', { level: 'nation' }, 'Trương Thị Kiểm');
  director = await officers.create('direction_officer', { level: 'nation' }, 'Lê Văn Điều Hành');
  // The person read once (so that the tracker has an entry), their household found; the
  // direction's indicators computed (so that the dashboard draws its charts and map).
  const readerHeaders = await apiSession(officers, reader);
  const person = await fetch(`${server.url}/api/persons/${server.samplePerson.idNumber}`, { headers: readerHeaders });
  householdId = ((await person.json()) as { householdId: string }).householdId;
  const directorHeaders = await apiSession(officers, director);
  const refreshed = await fetch(`${server.url}/api/direction/indicators/refresh`, { method: 'POST', headers: { ...directorHeaders, 'content-type': 'application/json' }, body: '{}' });
  expect(refreshed.status).toBeLessThan(300);
  // A misuse alert on the officer who read, so that the alerts page lays out its table.
  await alertRepository.insert(server.database.db, {
    alertId: '55555555-5555-4555-8555-555555555555', subjectKind: 'official-volume', subjectId: reader.officerId, clientId: 'console',
    windowStart: '2026-01-01T08:00:00.000Z', windowSeconds: 60, reads: 640, baseline: 12.5, status: 'open', acknowledgedAt: null, raisedAt: '2026-01-01T08:00:30.000Z',
  });
  browser = await launchTestBrowser();
  // One scan, so that the quality pages and the worklist have rows to lay out.
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInInBrowser(page, server.url, officers, officer);
  await page.getByTestId('nav-quality').click();
  await page.getByTestId('quality-scan').click();
  await page.getByTestId('quality-national').waitFor({ timeout: 60_000 });
  await context.close();
}, 240_000);

afterAll(async () => {
  await browser.close();
  await server.close();
});

const pages: readonly { readonly name: string; readonly who?: () => TestOfficer; readonly hash: () => string; readonly ready: string; readonly open?: string }[] = [
  { name: 'tra cứu', hash: () => '#/', ready: 'search-name' },
  { name: 'kết quả tra cứu', who: () => reader, hash: () => '#/search?name=nguyen', ready: 'result-row' },
  { name: 'hồ sơ công dân', who: () => reader, hash: () => `#/persons/${server.samplePerson.idNumber}`, ready: 'timeline-item' },
  { name: 'hộ gia đình', who: () => reader, hash: () => `#/households/${householdId}`, ready: 'member-row' },
  { name: 'nhật ký truy cập dữ liệu', who: () => auditor, hash: () => `#/tracker/${server.samplePerson.idNumber}`, ready: 'tracker-entry' },
  { name: 'cảnh báo truy cập', who: () => auditor, hash: () => '#/alerts?status=all', ready: 'alert-row' },
  { name: 'chỉ đạo, điều hành', who: () => director, hash: () => '#/direction', ready: 'direction-map' },
  { name: 'chất lượng dữ liệu', hash: () => '#/quality', ready: 'quality-table' },
  { name: 'danh sách làm sạch', hash: () => '#/worklist?status=open', ready: 'worklist-table' },
  // A finding's action form opens in its row: within the width too.
  { name: 'danh sách làm sạch, thao tác trên một dòng', hash: () => '#/worklist?status=open', ready: 'worklist-table', open: 'worklist-act' },
];

describe.each([1440, 390])('the console at %i px, in Vietnamese', (width) => {
  it.each(pages)('$name: laid out within the width, sign-out on screen, no WCAG A/AA violation', async ({ who, hash, ready, open }) => {
    // The console's CSP refuses inline scripts: the test's own axe-core is let in (bypassCSP), nothing else changes.
    const context = await browser.newContext({ viewport: { width, height: 844 }, locale: 'vi-VN', bypassCSP: true });
    const page = await context.newPage();
    try {
      await signInInBrowser(page, server.url, officers, who === undefined ? officer : who());
      await page.evaluate((h) => { window.location.hash = h; }, hash());
      await page.getByTestId(ready).first().waitFor({ timeout: 30_000 });
      if (open !== undefined) {
        await page.getByTestId(open).first().click();
        await page.getByTestId('worklist-row-form').waitFor();
      }
      await expect(page.getByTestId('sign-out').textContent()).resolves.toBe('Đăng xuất');
      expect(await layoutProblems(page, width)).toEqual([]);
      expect(await axeViolations(page)).toEqual([]);
      await page.screenshot({ path: `/tmp/sachsong-${String(width)}-${ready}${open === undefined ? '' : '-open'}.png`, fullPage: true });
    } finally {
      await context.close();
    }
  }, 120_000);
});

describe('the worklist on a phone (390 px)', () => {
  it('shows each finding as a card, its ID numbers on one line, its place named once', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'vi-VN' });
    const page = await context.newPage();
    try {
      await signInInBrowser(page, server.url, officers, officer);
      await page.evaluate(() => { window.location.hash = '#/worklist?status=open'; });
      await page.getByTestId('worklist-record').first().waitFor({ timeout: 30_000 });
      const shapes = await page.evaluate(() => {
        const lines = (el: Element): number => {
          const box = el.getBoundingClientRect();
          return Math.round(box.height / parseFloat(getComputedStyle(el).lineHeight));
        };
        const rows = [...document.querySelectorAll('[data-testid="worklist-row"]')].slice(0, 10);
        return {
          // A card: as wide as the list, not a column of a table.
          rowWidths: rows.map((r) => Math.round(r.getBoundingClientRect().width)),
          listWidth: Math.round(document.querySelector('[data-testid="worklist-table"]')?.getBoundingClientRect().width ?? 0),
          idLines: [...document.querySelectorAll('[data-testid="worklist-record"], [data-testid="worklist-related"]')].map(lines),
          // Each cell labelled by its column's name.
          labels: [...(rows[0]?.querySelectorAll('td') ?? [])].map((td) => getComputedStyle(td, '::before').content),
        };
      });
      expect(shapes.idLines.length).toBeGreaterThan(0);
      expect(new Set(shapes.idLines)).toEqual(new Set([1]));
      for (const w of shapes.rowWidths) expect(w).toBeGreaterThanOrEqual(shapes.listWidth - 2);
      expect(shapes.labels).toEqual(['"Quy tắc"', '"Hồ sơ"', '"Chi tiết"', '"Địa bàn"', 'none']);
      await page.getByTestId('worklist-count').evaluate((el) => { el.scrollIntoView(); });
      await page.screenshot({ path: '/tmp/sachsong-390-worklist-cards.png' });

      // Filtered to a commune: "Địa bàn: Phường …", not "Xã Phường …" (the name carries its type).
      const commune = await page.getByTestId('worklist-unit').first().locator('div').textContent() ?? '';
      await page.evaluate((c) => { window.location.hash = `#/worklist?status=open&commune=${c}`; }, commune);
      const name = page.getByTestId('worklist-commune-name');
      await expect.poll(() => name.textContent()).toMatch(/^(Xã|Phường|Đặc khu) \D/);
      const line = (await name.locator('xpath=..').textContent()) ?? '';
      expect(line).toMatch(/^Địa bàn: (Xã|Phường|Đặc khu) /);
      expect(line).not.toMatch(/\b(Xã|Phường|Đặc khu) (Xã|Phường|Đặc khu) /);
    } finally {
      await context.close();
    }
  }, 120_000);
});
