import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldName } from '../src/shared/vietnamese-text.js';
import { dictionaries } from '../web/src/i18n.js';
import { browserOfficers, signInInBrowser, submitSignInForm } from './browser-sign-in.js';
import type { TestOfficer } from './officer-accounts.js';
import { startTestServer } from './test-server.js';

/**
 * The operator console in a real browser (Debian's chromium) against the test server, which
 * serves the built console from dist/web and the API over a small generated population.
 */

const chromiumPath = '/usr/bin/chromium';
const builtConsole = fileURLToPath(new URL('../dist/web/index.html', import.meta.url));
const screenshotPath = '/tmp/sachsong-console-person.png';

type TestServer = Awaited<ReturnType<typeof startTestServer>>;

let server: TestServer;
let browser: Browser;
const officers = browserOfficers();
let officer: TestOfficer;

beforeAll(async () => {
  if (!existsSync(chromiumPath)) {
    throw new Error(`chromium is required at ${chromiumPath} (apt-get install -y chromium)`);
  }
  if (!existsSync(builtConsole)) {
    // `npm test` builds first; a lone run of this file builds the console itself.
    const { build } = await import('vite');
    await build({ configFile: fileURLToPath(new URL('../web/vite.config.ts', import.meta.url)), logLevel: 'warn' });
  }
  server = await startTestServer({ identity: officers.bind });
  officer = await officers.create('national_officer');
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser.close();
  await server.close();
});

/** A fresh browser context signed in as the national officer through the identity provider. */
async function openConsole(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signInInBrowser(page, server.url, officers, officer);
  return { context, page };
}

describe('operator console', () => {
  it('finds a person typed without diacritics, shows their page and switches to English', async () => {
    const { context, page } = await openConsole();
    try {
      // Back from the identity provider: no code, state or token left in the address bar.
      await page.getByTestId('search-name').waitFor();
      expect(new URL(page.url()).search).toBe('');
      expect(new URL(page.url()).pathname).toBe('/');
      await expect(page.locator('html').getAttribute('lang')).resolves.toBe('vi');

      const sample = server.samplePerson;
      await page.getByTestId('search-name').fill(foldName(sample.fullName));
      await page.getByTestId('search-birth').fill(sample.birthDate.slice(0, 4));
      await page.getByTestId('search-submit').click();

      const row = page.getByTestId('result-row').filter({ hasText: sample.idNumber });
      await row.waitFor();
      await expect(row.getByTestId('result-name').textContent()).resolves.toBe(sample.fullName);

      await row.getByTestId('result-name').click();
      await page.waitForURL(`**/#/persons/${sample.idNumber}`);
      await expect(page.getByTestId('person-name').textContent()).resolves.toBe(sample.fullName);
      await page.getByTestId('timeline-item').first().waitFor();
      expect(await page.getByTestId('timeline-item').count()).toBeGreaterThan(0);
      await expect(page.getByRole('heading', { name: 'Lịch sử sự kiện' }).count()).resolves.toBe(1);
      // Communes and provinces in the events by name (as on the event's day), the code beneath.
      await page.getByTestId('unit-name').first().waitFor();
      expect(await page.getByTestId('unit-name').first().textContent()).toMatch(/^\p{L}[^()]* \(\d{2,5}\)$/u);

      await page.getByTestId('language-switch').selectOption('en');
      await page.getByRole('heading', { name: 'Event timeline' }).waitFor();
      await expect(page.locator('html').getAttribute('lang')).resolves.toBe('en');
      await page.screenshot({ path: screenshotPath, fullPage: true });

      // The choice of language survives a reload; the session (an HttpOnly cookie) does too.
      await page.reload();
      await page.getByRole('heading', { name: 'Personal details' }).waitFor();
      await expect(page.getByTestId('person-name').textContent()).resolves.toBe(sample.fullName);
    } finally {
      await context.close();
    }
  });

  it('loads the record as of a date from the history view', async () => {
    const { context, page } = await openConsole();
    try {
      const sample = server.samplePerson;
      await page.evaluate((id) => {
        window.location.hash = `#/persons/${id}`;
      }, sample.idNumber);
      await page.getByTestId('person-name').waitFor();
      // Typed day first, as every date in the console, in a text box (not the browser's date picker).
      await expect(page.getByTestId('as-of-date').getAttribute('type')).resolves.toBe('text');
      await expect(page.getByTestId('as-of-date').getAttribute('placeholder')).resolves.toBe('dd/mm/yyyy');
      await page.getByTestId('as-of-date').fill('31/02/2025');
      await page.getByTestId('as-of-submit').click();
      await expect(page.getByTestId('as-of-error').textContent()).resolves.toBe('Không có ngày 31/02/2025: tháng 02/2025 chỉ có 28 ngày.');
      await page.getByTestId('as-of-date').fill('12/2025');
      await page.getByTestId('as-of-submit').click();
      await expect(page.getByTestId('as-of-error').textContent()).resolves.toBe('Nhập ngày đầy đủ dạng dd/mm/yyyy, ví dụ 31/12/2025.');
      await expect(page.getByTestId('as-of-banner').count()).resolves.toBe(0);
      await page.getByTestId('as-of-date').fill('31/12/2025');
      await page.getByTestId('as-of-submit').click();
      await page.waitForURL(`**/#/persons/${sample.idNumber}?at=2025-12-31`);
      await expect(page.getByTestId('as-of-banner').textContent()).resolves.toContain('31/12/2025');
      await expect(page.getByTestId('as-of-error').count()).resolves.toBe(0);
      // Opened from a link with the day in it, the box shows it day first.
      await page.reload();
      await page.getByTestId('as-of-banner').waitFor();
      await expect(page.getByTestId('as-of-date').inputValue()).resolves.toBe('31/12/2025');
      await expect(page.getByTestId('person-name').textContent()).resolves.toBe(sample.fullName);

      await page.getByTestId('as-of-clear').click();
      await page.waitForURL(`**/#/persons/${sample.idNumber}`);
      // The page renders today's record after the URL changes: wait for the banner to go (fails after the timeout if it stays).
      await page.getByTestId('as-of-banner').waitFor({ state: 'detached', timeout: 10_000 });
      await expect(page.getByTestId('as-of-banner').count()).resolves.toBe(0);
    } finally {
      await context.close();
    }
  });

  it('rejects malformed search input before calling the server', async () => {
    const { context, page } = await openConsole();
    try {
      await page.getByTestId('search-name').fill('nguyen');
      // Dates are typed day first; a day the month lacks is refused for that reason, not as a bad format.
      await page.getByTestId('search-birth').fill('31/02/1990');
      await page.getByTestId('search-submit').click();
      await expect(page.getByTestId('search-form-error').textContent()).resolves.toBe('Không có ngày 31/02/1990: tháng 02/1990 chỉ có 28 ngày.');
      await page.getByTestId('search-birth').fill('1985-13');
      await page.getByTestId('search-submit').click();
      await expect(page.getByTestId('search-form-error').textContent()).resolves.toContain('Không có tháng 13');
      await page.getByTestId('search-birth').fill('7 tháng 3');
      await page.getByTestId('search-submit').click();
      await expect(page.getByTestId('search-form-error').textContent()).resolves.toContain('dd/mm/yyyy');
      await page.getByTestId('search-birth').fill('14/07/1965');
      await page.getByTestId('search-submit').click();
      await page.waitForURL('**/#/search?*birth=1965-07-14*');
      await expect(page.getByTestId('search-form-error').count()).resolves.toBe(0);
      await expect(page.getByTestId('search-birth').inputValue()).resolves.toBe('14/07/1965');

      await page.getByTestId('goto-id').fill('12345');
      await page.getByTestId('goto-id-submit').click();
      await expect(page.getByTestId('goto-id-error').textContent()).resolves.toContain('12');
    } finally {
      await context.close();
    }
  });

  it("shows the server's problem detail for an ID number nobody has", async () => {
    const { context, page } = await openConsole();
    try {
      // Province 999 does not exist, so no generated person can hold this number.
      await page.getByTestId('goto-id').fill('999 099 000 001');
      await page.getByTestId('goto-id-submit').click();
      await page.waitForURL('**/#/persons/999099000001');
      const error = page.getByTestId('error');
      await error.waitFor();
      // In Vietnamese, with the server's code beneath for the operators.
      const code = (await error.locator('code').textContent()) ?? '';
      expect(['PERSON_NOT_FOUND', 'ID_PROVINCE_UNKNOWN']).toContain(code);
      await expect(page.getByTestId('error-detail').textContent()).resolves.toMatch(/^(Không có công dân nào mang số định danh này\.|Ba chữ số đầu của số định danh không phải mã tỉnh nào\.)$/);
      expect(await page.getByTestId('error-action').textContent()).toMatch(/^Kiểm tra lại số/);
    } finally {
      await context.close();
    }
  });

  it('returns to sign-in with an explanation when the session is refused, and signs in again', async () => {
    const { context, page } = await openConsole();
    try {
      const session = (await context.cookies(server.url)).find((c) => c.name === 'sachsong_session');
      await officers.identity().auth.signOut(session?.value ?? '');
      await page.getByTestId('search-name').fill(foldName(server.samplePerson.fullName));
      await page.getByTestId('search-submit').click();
      const notice = page.getByTestId('sign-in-notice');
      await notice.waitFor();
      // the officer is told why: the session ended, in the console's language
      expect(Object.values(dictionaries).map((words) => words.sessionExpired)).toContain(await notice.textContent());
      await page.getByTestId('sign-in-start').click();
      await page.waitForURL(/\/oidc\/interaction\//);
      await submitSignInForm(page, officers, officer);
      await page.getByTestId('search-name').fill(foldName(server.samplePerson.fullName));
      await page.getByTestId('search-submit').click();
      const row = page.getByTestId('result-row').first();
      await row.waitFor();
      // signed in again, the search answers with the person searched for
      expect(await page.getByTestId('sign-in-notice').count()).toBe(0);
      expect(await page.getByTestId('result-row').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining(server.samplePerson.fullName)]));
    } finally {
      await context.close();
    }
  });
});
