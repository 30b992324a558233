import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, elementsBeyond } from './console-checks.js';
import { CitizenAccountService } from '../src/citizen/citizen-account.service.js';
import { argon2idPasswordHasher } from '../src/citizen/citizen-password.hasher.js';
import { memoryOtpSender } from '../src/citizen/otp.sender.js';
import { personRepository } from '../src/registry/person.repository.js';
import type { PersonRecord } from '../src/registry/person.types.js';
import { startExchangeFixture, type ExchangeFixture } from './exchange.fixture.js';
import { unitOf } from './procedures.harness.js';
import { launchTestBrowser } from './test-browser.js';

/**
 * The applicant's linked procedures in the citizen portal, in a real browser (Debian's chromium),
 * in Vietnamese: on a phone (390 px) with the portal's CSP in force and no script, a parent
 * applies for a newborn and declares the death of a household member, then reads each step's
 * agency, status and time limit; at 1440 and 390 px the page stays within the width and axe-core
 * finds no WCAG 2.1 A/AA violation.
 */

const password = 'Lá lành đùm lá rách, một con ngựa đau cả tàu bỏ cỏ';

let fx: ExchangeFixture;
let browser: Browser;
let origin = '';
let applicant: PersonRecord;
let member: PersonRecord;
let found = false;

beforeAll(async () => {
  fx = await startExchangeFixture('sqlite');
  for (const id of fx.people) {
    const p = await personRepository.findById(fx.database.db, id);
    if (p?.householdId == null || p.permanentCommune === null || unitOf(p.permanentCommune) === undefined) continue;
    const other = (await personRepository.householdMembers(fx.database.db, p.householdId)).find((m) => m.idNumber !== p.idNumber && m.status === 'alive');
    if (other !== undefined) {
      applicant = p;
      member = other;
      found = true;
      break;
    }
  }
  if (!found) throw new Error('no household of two');
  const otp = memoryOtpSender();
  const accounts = new CitizenAccountService({ db: fx.database.db, clock: fx.clock, hasher: argon2idPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }), otp });
  const { challengeId } = await accounts.startActivation({ idNumber: applicant.idNumber, fullName: applicant.fullName, birthDate: applicant.birthDate, phone: '0987 654 321' });
  await accounts.confirmActivation({ challengeId, code: otp.sent.at(-1)?.code ?? '', password });
  origin = await fx.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchTestBrowser();
}, 120_000);

afterAll(async () => {
  await browser.close();
  await fx.close();
});

async function signIn(page: Page): Promise<void> {
  await page.goto(`${origin}/citizen/portal/my`);
  await page.getByTestId('portal-id-number').fill(applicant.idNumber);
  await page.getByTestId('portal-password').fill(password);
  await Promise.all([page.waitForURL(/\/citizen\/portal\/my\/record$/), page.getByTestId('portal-sign-in-submit').click()]);
}

const overflow = (page: Page, width: number): Promise<string[]> => elementsBeyond(page, width, 'button, input, select, textarea, .card, fieldset, li');

describe('on a phone, the applicant', () => {
  it('applies for a newborn and declares a death in the household; follows each step', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'vi-VN' });
    const page = await context.newPage();
    const refused: string[] = [];
    page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text()); });
    try {
      await signIn(page);
      await page.getByTestId('nav-procedures').click();
      await expect(page.getByTestId('procedures-empty').count()).resolves.toBe(1);

      await page.getByTestId('birth-child-name').fill('Trần Minh An');
      await page.getByTestId('birth-child-date').fill('2026-02-18');
      await page.getByTestId('birth-child-sex').selectOption('M');
      await Promise.all([page.waitForURL(/done=procedure-submitted/), page.getByTestId('birth-submit').click()]);
      const birth = page.locator('[data-testid="procedure"][data-kind="birth"]');
      await expect(birth.locator('h3').textContent()).resolves.toBe('Khai sinh – thường trú – thẻ BHYT: Trần Minh An');
      await expect(birth.getByTestId('procedure-step').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')))).resolves.toEqual(['done', 'pending', 'pending']);
      await expect(birth.getByTestId('step-due').nth(1).textContent()).resolves.toMatch(/^\d{2}\/\d{2}\/2026 \d{2}:\d{2} \(2 ngày làm việc/);
      await expect(birth.textContent()).resolves.toContain('Bảo hiểm xã hội Việt Nam');

      // A wrong form names its problem on the page and keeps the applicant there.
      await page.getByTestId('death-member').selectOption(member.idNumber);
      await page.getByTestId('death-date').fill('2026-03-01');
      await page.getByTestId('death-cause').fill('x'.repeat(200));
      await page.getByTestId('death-date').evaluate((e) => { (e as HTMLInputElement).removeAttribute('max'); });
      await page.getByTestId('death-date').fill('2026-03-09');
      await page.getByTestId('death-submit').click();
      await expect(page.getByTestId('portal-error').textContent()).resolves.toContain('Ngày mất không thể đúng');

      await page.getByTestId('death-member').selectOption(member.idNumber);
      await page.getByTestId('death-date').fill('2026-02-28');
      await Promise.all([page.waitForURL(/done=procedure-submitted/), page.getByTestId('death-submit').click()]);
      const death = page.locator('[data-testid="procedure"][data-kind="death"]');
      await expect(death.locator('h3').textContent()).resolves.toContain(member.fullName);
      await expect(death.getByTestId('procedure-step').count()).resolves.toBe(4);
      await expect(death.textContent()).resolves.toContain('Khóa tài khoản định danh điện tử');
      expect(await overflow(page, 390)).toEqual([]);
      expect(refused).toEqual([]);
      await page.screenshot({ path: '/tmp/sachsong-portal-390-procedures-filled.png', fullPage: true });
    } finally {
      await context.close();
    }
  }, 120_000);
});

describe.each([1440, 390])('the linked procedures page at %i px, in Vietnamese', (width) => {
  it('within the width, no WCAG A/AA violation', async () => {
    // axe-core is the test's own script: the page's CSP lets no script in, so it is bypassed for the check alone.
    const context = await browser.newContext({ viewport: { width, height: 844 }, locale: 'vi-VN', bypassCSP: true });
    const page = await context.newPage();
    try {
      await signIn(page);
      await page.goto(`${origin}/citizen/portal/my/procedures`);
      await expect(page.locator('[data-testid="nav-procedures"][aria-current="page"]').count()).resolves.toBe(1);
      await expect(page.getByTestId('procedure').count()).resolves.toBe(2);
      expect(await overflow(page, width)).toEqual([]);
      expect(await axeViolations(page)).toEqual([]);
      await page.screenshot({ path: `/tmp/sachsong-portal-${String(width)}-procedures.png`, fullPage: true });
    } finally {
      await context.close();
    }
  }, 120_000);
});
