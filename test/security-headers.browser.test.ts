import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserOfficers, signInInBrowser } from './browser-sign-in.js';
import { ensureBuiltConsole, launchTestBrowser } from './test-browser.js';
import { startTestServer } from './test-server.js';

/**
 * The console and the API docs in a real browser (Debian's chromium) under the server's
 * Content-Security-Policy: both are sent the policy, and neither is refused anything by it.
 */


type TestServer = Awaited<ReturnType<typeof startTestServer>>;

let server: TestServer;
let browser: Browser;
const officers = browserOfficers();

beforeAll(async () => {
  await ensureBuiltConsole();
  server = await startTestServer({ people: 500, identity: officers.bind });
  browser = await launchTestBrowser();
});

afterAll(async () => {
  await browser.close();
  await server.close();
});

/** A page that records every CSP violation (the event, and the console's "Refused to …" lines). */
async function watchedPage(): Promise<{ page: Page; violations: string[]; close: () => Promise<void> }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const violations: string[] = [];
  await page.exposeFunction('reportViolation', (text: string) => { violations.push(text); });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      void (window as unknown as { reportViolation: (t: string) => Promise<void> }).reportViolation(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  page.on('console', (message) => { if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text()); });
  return { page, violations, close: () => context.close() };
}

describe('the content security policy in a browser', () => {
  it('lets the console run: search, a person, the quality page and its charts', async () => {
    const { page, violations, close } = await watchedPage();
    try {
      // The identity provider's sign-in page runs under the console's strict policy too.
      const signInPage = page.waitForResponse((r) => r.url().includes('/oidc/interaction/') && r.request().method() === 'GET');
      await signInInBrowser(page, server.url, officers, await officers.create('quality_officer'));
      const interaction = await signInPage;
      expect(interaction.headers()['content-security-policy']).toMatch(/script-src 'self'.*style-src 'self'/);
      expect(interaction.headers()['content-security-policy']).not.toMatch(/unsafe-inline/);
      const response = await page.goto(`${server.url}/`);
      expect(response?.headers()['content-security-policy']).toMatch(/script-src 'self'/);
      expect(response?.headers()['x-frame-options']).toBe('DENY');
      await page.getByTestId('search-name').waitFor();
      await page.evaluate((id) => { window.location.hash = `#/persons/${id}`; }, server.samplePerson.idNumber);
      await page.getByTestId('person-name').waitFor();
      await page.getByTestId('nav-quality').click();
      await page.getByTestId('quality-no-scan').waitFor();
      await page.getByTestId('quality-scan').click();
      await page.getByTestId('quality-national').waitFor({ timeout: 60_000 });
      await page.getByTestId('trend-chart').first().waitFor();
      expect(violations).toEqual([]);
    } finally {
      await close();
    }
  }, 120_000);

  it('lets the Swagger UI at /docs render the API', async () => {
    const { page, violations, close } = await watchedPage();
    try {
      const response = await page.goto(`${server.url}/docs/`);
      expect(response?.headers()['content-security-policy']).toMatch(/frame-ancestors 'none'/);
      await page.locator('.opblock').first().waitFor({ timeout: 30_000 });
      // The UI renders operations as they scroll into view: scroll until more than ten are on the page.
      await expect.poll(async () => {
        await page.mouse.wheel(0, 2_000);
        return page.locator('.opblock').count();
      }, { timeout: 30_000 }).toBeGreaterThan(10);
      expect(violations).toEqual([]);
    } finally {
      await close();
    }
  }, 120_000);
});
