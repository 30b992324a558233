import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserOfficers, signInInBrowser, submitSignInForm } from './browser-sign-in.js';
import { totpCode } from './officer-accounts.js';
import { testAdminActor } from './officer-session.js';
import { ensureBuiltConsole, launchTestBrowser } from './test-browser.js';
import { startTestServer, type TestServer } from './test-server.js';

/**
 * An officer signs in to the console in a real browser (Debian's chromium): the console's button,
 * the identity provider's form with password and TOTP code, back to the console with a session
 * cookie; reads a person; signs out at the console and at the provider. A wrong code gets the
 * generic message; five failures lock the account. Every page is watched for CSP refusals.
 */


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

async function watched(): Promise<{ context: BrowserContext; page: Page; violations: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const violations: string[] = [];
  page.on('console', (message) => { if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text()); });
  return { context, page, violations };
}

describe('officer sign-in in a browser', () => {
  it('signs in with password and TOTP, sees the console as themselves, reads a person and signs out', async () => {
    const officer = await officers.create('national_officer', { level: 'nation' }, 'Trần Thị Bích Ngọc');
    const { context, page, violations } = await watched();
    try {
      await page.goto(`${server.url}/`);
      await page.getByTestId('sign-in-start').click();
      await page.waitForURL(/\/oidc\/interaction\/[\w-]+$/);
      await expect(page.locator('html').getAttribute('lang')).resolves.toBe('vi');
      await expect(page.locator('h1').textContent()).resolves.toBe('Đăng nhập cán bộ');
      await submitSignInForm(page, officers, officer);
      await page.getByTestId('officer-name').waitFor();
      expect(new URL(page.url()).pathname).toBe('/');
      await expect(page.getByTestId('officer-name').textContent()).resolves.toBe('Trần Thị Bích Ngọc');
      await expect(page.getByTestId('officer-role').textContent()).resolves.toBe('Cán bộ cấp quốc gia');
      await expect(page.getByTestId('officer-unit').textContent()).resolves.toBe('Toàn quốc');

      // The session is an HttpOnly cookie the page's script cannot read.
      const cookies = await context.cookies(server.url);
      const session = cookies.find((c) => c.name === 'sachsong_session');
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
      await expect(page.evaluate(() => document.cookie)).resolves.not.toContain('sachsong_session');

      await page.evaluate((id) => { window.location.hash = `#/persons/${id}`; }, server.samplePerson.idNumber);
      await expect(page.getByTestId('person-name').textContent()).resolves.toBe(server.samplePerson.fullName);

      // The provider's own pages (answered by oidc-provider itself) carry the edge's headers too.
      const logoutPage = page.waitForResponse((r) => new URL(r.url()).pathname === '/oidc/session/end');
      await page.getByTestId('sign-out').click();
      await page.waitForURL(/\/oidc\/session\/end/);
      const logoutHeaders = (await logoutPage).headers();
      expect(logoutHeaders['content-security-policy']).toMatch(/script-src 'self'/);
      expect(logoutHeaders['x-frame-options']).toBe('DENY');
      await page.getByTestId('logout-confirm').click();
      await page.waitForURL(`${server.url}/`);
      await page.getByTestId('sign-in-start').waitFor();
      // The old cookie opens nothing any more.
      const me = await fetch(`${server.url}/api/identity/me`, { headers: { cookie: `sachsong_session=${session?.value ?? ''}` } });
      expect(me.status).toBe(401);
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('enrols with the administrator\'s one-time code in the browser (QR code, password, first code), then signs in', async () => {
    const { enrolmentToken, officer } = await officers.identity().officers.createOfficer(testAdminActor, { username: 'canbo.moi', displayName: 'Đỗ Minh Khôi', role: 'national_officer', unit: { level: 'nation' } });
    const { context, page, violations } = await watched();
    try {
      await page.goto(`${server.url}/auth/enrol`);
      await page.getByTestId('enrol-token').fill('not-the-code');
      await page.getByTestId('enrol-start').click();
      await expect(page.getByTestId('enrol-error').textContent()).resolves.toContain('Mã kích hoạt không đúng');
      await page.getByTestId('enrol-token').fill(enrolmentToken);
      await page.getByTestId('enrol-start').click();
      await expect(page.getByTestId('enrol-username').textContent()).resolves.toBe('canbo.moi');
      expect(await page.locator('[data-testid="enrol-qr"] svg').count()).toBe(1);
      const seed = ((await page.getByTestId('enrol-secret').textContent()) ?? '').replaceAll(' ', '');
      expect(seed).toMatch(/^[A-Z2-7]{16,}$/);
      // A weak password is refused; the form comes back without the key (the app already holds it).
      await page.getByTestId('enrol-password').fill('123456789012');
      await page.getByTestId('enrol-code').fill(totpCode(seed, officers.clock.now()));
      await page.getByTestId('enrol-complete').click();
      await expect(page.getByTestId('enrol-error').textContent()).resolves.toContain('Mật khẩu quá yếu');
      expect(await page.getByTestId('enrol-secret').count()).toBe(0);
      const password = 'trống đồng đông sơn 1975';
      await page.getByTestId('enrol-password').fill(password);
      await page.getByTestId('enrol-code').fill(totpCode(seed, officers.clock.now()));
      await page.getByTestId('enrol-complete').click();
      await page.getByTestId('enrol-sign-in').click();
      await page.waitForURL(/\/oidc\/interaction\//);
      await submitSignInForm(page, officers, { officerId: officer.officerId, username: 'canbo.moi', displayName: 'Đỗ Minh Khôi', password, seed, role: 'national_officer', unit: { level: 'nation' } });
      await expect(page.getByTestId('officer-name').textContent()).resolves.toBe('Đỗ Minh Khôi');
      // The code is spent: it opens nothing a second time.
      await expect(officers.identity().auth.beginEnrolment(enrolmentToken)).rejects.toMatchObject({ code: 'ENROLMENT_INVALID' });
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a wrong code gets the generic message; the fifth failure locks the account', async () => {
    const officer = await officers.create('commune_officer', { level: 'commune', code: '00004' }, 'Lê Văn Cường');
    const { context, page, violations } = await watched();
    try {
      await page.goto(`${server.url}/auth/login`);
      await page.waitForURL(/\/oidc\/interaction\//);
      const wrong = (): string => totpCode(officer.seed, new Date(officers.clock.now().getTime() + 3_600_000));
      await submitSignInForm(page, officers, officer, wrong());
      await expect(page.getByTestId('sign-in-error').textContent()).resolves.toContain('Tên đăng nhập, mật khẩu hoặc mã xác thực không đúng.');
      for (let i = 2; i <= 4; i++) {
        await submitSignInForm(page, officers, officer, wrong());
        await expect(page.getByTestId('sign-in-error').textContent()).resolves.toContain('không đúng');
      }
      await submitSignInForm(page, officers, officer, wrong());
      await expect(page.getByTestId('sign-in-error').textContent()).resolves.toContain('tài khoản tạm khoá 15 phút');
      // Locked: even the right code is refused now.
      await submitSignInForm(page, officers, officer);
      await expect(page.getByTestId('sign-in-error').textContent()).resolves.toContain('tạm khoá');
      expect(await context.cookies(server.url)).not.toContainEqual(expect.objectContaining({ name: 'sachsong_session' }));
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a 401 from the API returns the console to sign-in with an explanation', async () => {
    const officer = await officers.create('national_officer');
    const { context, page } = await watched();
    try {
      await signInInBrowser(page, server.url, officers, officer);
      const session = (await context.cookies(server.url)).find((c) => c.name === 'sachsong_session');
      await officers.identity().auth.signOut(session?.value ?? '');
      await page.evaluate((id) => { window.location.hash = `#/persons/${id}`; }, server.samplePerson.idNumber);
      await expect(page.getByTestId('sign-in-notice').textContent()).resolves.toContain('Phiên làm việc đã kết thúc');
      await page.getByTestId('sign-in-start').waitFor();
    } finally {
      await context.close();
    }
  });
});
