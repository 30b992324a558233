import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserOfficers, signInInBrowser } from './browser-sign-in.js';
import type { TestOfficer } from './officer-accounts.js';
import { ensureBuiltConsole, launchTestBrowser } from './test-browser.js';
import { startTestServer } from './test-server.js';

/**
 * The console as an officer meets it on a desk (1440 px) and on a phone (390 px), in Vietnamese:
 * the menu wraps by whole items, sign-out stays on screen, nothing widens the page, and axe-core
 * (injected into the page) finds no WCAG 2.1 A/AA violation.
 */

type TestServer = Awaited<ReturnType<typeof startTestServer>>;

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let server: TestServer;
let browser: Browser;
const officers = browserOfficers();
let officer: TestOfficer;

beforeAll(async () => {
  await ensureBuiltConsole();
  server = await startTestServer({ people: 2_000, seed: 7, identity: officers.bind });
  officer = await officers.create('quality_officer', { level: 'nation' }, 'Phạm Thu Hà');
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

interface Violation { readonly id: string; readonly impact: string | null; readonly nodes: readonly { readonly target: readonly string[] }[] }

/** axe-core's WCAG 2.1 A and AA rules over the page as it stands. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: Violation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return violations.map((v) => `${v.id} (${v.impact ?? ''}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

/** What overflows the viewport's width: the page itself, or an element reaching past the right edge outside a scrolling box. */
async function layoutProblems(page: Page, width: number): Promise<string[]> {
  return page.evaluate((w) => {
    const problems: string[] = [];
    if (document.documentElement.scrollWidth > w) problems.push(`the page is ${document.documentElement.scrollWidth} px wide`);
    const signOut = document.querySelector('[data-testid="sign-out"]')?.getBoundingClientRect();
    if (signOut === undefined || signOut.right > w || signOut.left < 0) problems.push('sign-out is off screen');
    for (const link of document.querySelectorAll('.topbar-actions a')) {
      const box = link.getBoundingClientRect();
      // One line of text: a menu item broken into one-word lines is taller.
      if (box.height > 32) problems.push(`menu item "${link.textContent}" wraps (${Math.round(box.height)} px high)`);
    }
    return problems;
  }, width);
}

const pages: readonly { readonly name: string; readonly hash: string; readonly ready: string; readonly open?: string }[] = [
  { name: 'tra cứu', hash: '#/', ready: 'search-name' },
  { name: 'chất lượng dữ liệu', hash: '#/quality', ready: 'quality-table' },
  { name: 'danh sách làm sạch', hash: '#/worklist?status=open', ready: 'worklist-table' },
  // A finding's action form opens in its row: within the width too.
  { name: 'danh sách làm sạch, thao tác trên một dòng', hash: '#/worklist?status=open', ready: 'worklist-table', open: 'worklist-act' },
];

describe.each([1440, 390])('the console at %i px, in Vietnamese', (width) => {
  it.each(pages)('$name: laid out within the width, sign-out on screen, no WCAG A/AA violation', async ({ hash, ready, open }) => {
    // The console's CSP refuses inline scripts: the test's own axe-core is let in (bypassCSP), nothing else changes.
    const context = await browser.newContext({ viewport: { width, height: 844 }, locale: 'vi-VN', bypassCSP: true });
    const page = await context.newPage();
    try {
      await signInInBrowser(page, server.url, officers, officer);
      await page.evaluate((h) => { window.location.hash = h; }, hash);
      await page.getByTestId(ready).waitFor({ timeout: 30_000 });
      if (open !== undefined) {
        await page.getByTestId(open).first().click();
        await page.getByTestId('worklist-row-form').waitFor();
      }
      await expect(page.getByTestId('sign-out').textContent()).resolves.toBe('Đăng xuất');
      expect(await layoutProblems(page, width)).toEqual([]);
      expect(await axeViolations(page)).toEqual([]);
      await page.screenshot({ path: `/tmp/sachsong-${width}-${ready}${open === undefined ? '' : '-open'}.png`, fullPage: true });
    } finally {
      await context.close();
    }
  }, 120_000);
});
