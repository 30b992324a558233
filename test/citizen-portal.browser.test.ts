import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, elementsBeyond } from './console-checks.js';
import { CitizenAccountService } from '../src/citizen/citizen-account.service.js';
import { argon2idPasswordHasher } from '../src/citizen/citizen-password.hasher.js';
import { memoryOtpSender } from '../src/citizen/otp.sender.js';
import { simulatedCardIssuer } from '../src/citizen/card-chip.verifier.js';
import { totpCodeAt } from '../src/identity/totp.verifier.js';
import { personRepository } from '../src/registry/person.repository.js';
import { accessToken, callHeaders, grant, makeAgencyKeys, onboard, startExchangeFixture, type ExchangeFixture, type TestAgency } from './exchange.fixture.js';
import { launchTestBrowser } from './test-browser.js';

/**
 * The citizen's portal in a real browser (Debian's chromium) on a desk (1440 px) and a phone
 * (390 px), in Vietnamese: sign in, every page laid out within the width with no CSP refusal and
 * no WCAG 2.1 A/AA violation from axe-core; then, on the phone, consent given to an agency by the
 * citizen (the agency's call goes through and shows in the data tracker) and a correction request
 * sent and listed as being handled.
 */

const password = 'Nước chảy đá mòn, kiến tha lâu đầy tổ';

let fx: ExchangeFixture;
let browser: Browser;
let origin = '';
let personId = '';
let fullName = '';
let lender: TestAgency;
let birthDate = '';
const cardIssuer = simulatedCardIssuer();

beforeAll(async () => {
  fx = await startExchangeFixture('sqlite', { cardIssuerKeys: [cardIssuer.publicKey] });
  personId = fx.people[5] ?? '';
  const person = await personRepository.findById(fx.database.db, personId);
  if (person === undefined) throw new Error('no person');
  fullName = person.fullName;
  birthDate = person.birthDate;
  const otp = memoryOtpSender();
  const accounts = new CitizenAccountService({ db: fx.database.db, clock: fx.clock, hasher: argon2idPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }), otp });
  const { challengeId } = await accounts.startActivation({ idNumber: personId, fullName, birthDate: person.birthDate, phone: '0987 111 222' });
  await accounts.confirmActivation({ challengeId, code: otp.sent.at(-1)?.code ?? '', password });
  lender = await makeAgencyKeys('VN/COM/SHOPZ/ekyc');
  await onboard(fx.app, lender, 'bank');
  await grant(fx.app, lender.clientId, { service: 'residence', fields: ['permanentResidence'], requiresConsent: true, purposes: [{ code: 'DELIVERY', text: 'Xác minh địa chỉ giao hàng' }] });
  origin = await fx.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchTestBrowser();
}, 120_000);

afterAll(async () => {
  await browser.close();
  await fx.close();
});

const overflow = (page: Page, width: number): Promise<string[]> => elementsBeyond(page, width, 'button, input, select, textarea, .card');

async function signIn(page: Page, checkAxe: boolean): Promise<void> {
  await page.goto(`${origin}/citizen/portal/my`);
  if (checkAxe) expect(await axeViolations(page)).toEqual([]);
  await page.getByTestId('portal-id-number').fill(personId);
  await page.getByTestId('portal-password').fill(password);
  await page.getByTestId('portal-sign-in-submit').click();
  await page.waitForLoadState();
  if (!page.url().endsWith('/citizen/portal/my/record')) throw new Error(`sign-in ended at ${page.url()}: ${await page.locator('body').innerText()}`);
}

const pages = ['record', 'tracker', 'services', 'consents', 'requests', 'security'] as const;

describe.each([1440, 390])('the citizen portal at %i px, in Vietnamese', (width) => {
  it('every page: within the width, no CSP refusal, no WCAG A/AA violation', async () => {
    // axe-core is the test's own script: the page's CSP lets no script in, so it is bypassed for the check alone.
    const context = await browser.newContext({ viewport: { width, height: 844 }, locale: 'vi-VN', bypassCSP: true });
    const page = await context.newPage();
    const refused: string[] = [];
    page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text()); });
    try {
      await signIn(page, true);
      await expect(page.getByTestId('portal-level').textContent()).resolves.toContain('mức 1');
      for (const name of pages) {
        await page.goto(`${origin}/citizen/portal/my/${name}`);
        await expect(page.locator(`[data-testid="nav-${name}"][aria-current="page"]`).count()).resolves.toBe(1);
        expect(await overflow(page, width), name).toEqual([]);
        expect(await axeViolations(page), name).toEqual([]);
        await page.screenshot({ path: `/tmp/sachsong-portal-${width}-${name}.png`, fullPage: true });
      }
      expect(await page.getByTestId('record-field').count()).toBe(0); // on the requests page now
      await page.goto(`${origin}/citizen/portal/my/record`);
      expect(await page.getByTestId('record-field').count()).toBe(9);
      await expect(page.getByTestId('record-source').first().textContent()).resolves.toContain('Cơ sở dữ liệu quốc gia về dân cư');
      expect(refused).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});

describe('on a phone, the citizen acts', () => {
  it('gives consent, the agency\'s call shows in the tracker, withdraws it; sends a correction request', async () => {
    // Without bypassCSP: the portal's own CSP in force (only its same-origin script, on the data-use log).
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'vi-VN' });
    const page = await context.newPage();
    const refused: string[] = [];
    page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text()); });
    try {
      await signIn(page, false);
      await page.goto(`${origin}/citizen/portal/my/consents`);
      await expect(page.getByTestId('consent-offer').textContent()).resolves.toContain('Agency SHOPZ');
      await Promise.all([page.waitForURL(/done=consent-given/), page.getByTestId('consent-give').click()]);
      await expect(page.getByTestId('consent-status').textContent()).resolves.toContain('Đang có hiệu lực');
      await expect(page.getByTestId('consent-purpose').textContent()).resolves.toBe('Xác minh địa chỉ giao hàng');

      const t = await accessToken(fx.app, lender, fx.clock);
      const call = await fx.app.inject({ method: 'POST', url: '/x/services/residence', headers: callHeaders(t, lender, { 'x-purpose': 'DELIVERY' }), payload: { idNumber: personId, fields: ['permanentResidence'] } });
      expect(call.statusCode, call.body).toBe(200);
      await page.goto(`${origin}/citizen/portal/my/tracker`);
      const entry = page.locator('[data-testid="tracker-entry"][data-service$="/residence"]');
      await expect(entry.getByTestId('tracker-who').textContent()).resolves.toContain('Agency SHOPZ');
      await expect(entry.getByTestId('tracker-purpose').textContent()).resolves.toBe('Xác minh địa chỉ giao hàng');
      await expect(entry.getByTestId('tracker-fields').textContent()).resolves.toBe('Nơi thường trú');

      await page.goto(`${origin}/citizen/portal/my/consents`);
      await Promise.all([page.waitForURL(/done=consent-changed/), page.getByTestId('consent-revoke').click()]);
      await expect(page.getByTestId('consent-status').textContent()).resolves.toContain('Đã rút lại');
      const refusedCall = await fx.app.inject({ method: 'POST', url: '/x/services/residence', headers: callHeaders(t, lender, { 'x-purpose': 'DELIVERY' }), payload: { idNumber: personId, fields: ['permanentResidence'] } });
      expect(refusedCall.json()).toMatchObject({ code: 'CONSENT_REVOKED' });

      await page.goto(`${origin}/citizen/portal/my/requests`);
      await page.getByTestId('request-field').selectOption('ethnicity');
      await page.getByTestId('request-explanation').fill('Tôi là người Tày, hồ sơ ghi Kinh');
      await Promise.all([page.waitForURL(/done=request-sent/), page.getByTestId('request-submit').click()]);
      await expect(page.getByTestId('request-status').textContent()).resolves.toContain('Đang xử lý');
      // Level 2 by the card chip, then the authenticator's set-up page (QR code and key) within the phone's width.
      await page.goto(`${origin}/citizen/portal/my/security`);
      const chip = cardIssuer.sign({ idNumber: personId, fullName, birthDate, cardNumber: 'PH0000390', issuedOn: '2024-01-02' });
      await page.getByTestId('chip-data').fill(chip.data);
      await page.getByTestId('chip-signature').fill(chip.signature);
      await Promise.all([page.waitForURL(/done=level2/), page.getByTestId('chip-submit').click()]);
      await expect(page.getByTestId('security-level').getAttribute('data-level')).resolves.toBe('2');
      await page.getByTestId('totp-password').fill(password);
      await Promise.all([page.waitForLoadState(), page.getByTestId('totp-begin').click()]);
      const seed = (await page.getByTestId('totp-secret').textContent()) ?? '';
      expect(seed).toMatch(/^[A-Z2-7]{32}$/);
      expect(await overflow(page, 390)).toEqual([]);
      await page.screenshot({ path: '/tmp/sachsong-portal-390-totp.png', fullPage: true });
      await page.getByTestId('totp-code').fill(totpCodeAt(seed, fx.clock.now()));
      await Promise.all([page.waitForURL(/done=totp-enrolled/), page.getByTestId('totp-confirm').click()]);
      await expect(page.getByTestId('totp-status').getAttribute('data-enrolled')).resolves.toBe('true');

      await Promise.all([page.waitForURL(`${origin}/citizen/portal/my`), page.getByTestId('portal-sign-out').click()]);
      await expect(page.getByTestId('portal-sign-in-submit').count()).resolves.toBe(1);
      expect(refused).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});

describe('on a phone, the level 2 pages', () => {
  it('the security page with a confirmed authenticator and the set-up page with its QR code: within 390 px, no WCAG A/AA violation', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'vi-VN', bypassCSP: true });
    const page = await context.newPage();
    try {
      await signIn(page, false);
      await page.goto(`${origin}/citizen/portal/my/security`);
      await expect(page.getByTestId('totp-status').getAttribute('data-enrolled')).resolves.toBe('true');
      expect(await overflow(page, 390)).toEqual([]);
      expect(await axeViolations(page)).toEqual([]);
      await expect(page.getByTestId('totp-lost').count()).resolves.toBe(1);
      // A lost authenticator: the commune police attest again, and the set-up page shows again.
      await new CitizenAccountService({ db: fx.database.db, clock: fx.clock, hasher: argon2idPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }), otp: memoryOtpSender() })
        .attestLevel2({ officerId: 'officer-3', unit: 'nation' }, { idNumber: personId, cardNumber: 'PH0000390' });
      await page.goto(`${origin}/citizen/portal/my/security`);
      await page.getByTestId('totp-password').fill(password);
      await Promise.all([page.waitForLoadState(), page.getByTestId('totp-begin').click()]);
      await expect(page.getByTestId('totp-secret').count()).resolves.toBe(1);
      expect(await overflow(page, 390)).toEqual([]);
      expect(await axeViolations(page)).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});
