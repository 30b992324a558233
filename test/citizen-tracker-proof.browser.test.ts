import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations } from './console-checks.js';
import { CitizenAccountService } from '../src/citizen/citizen-account.service.js';
import { argon2idPasswordHasher } from '../src/citizen/citizen-password.hasher.js';
import { memoryOtpSender } from '../src/citizen/otp.sender.js';
import { personRepository } from '../src/registry/person.repository.js';
import { startExchangeFixture, type ExchangeFixture } from './exchange.fixture.js';
import { launchTestBrowser } from './test-browser.js';

/**
 * The citizen's data-use log in a real browser (Debian's chromium), on a desk and a phone: the
 * page's own script (same-origin, under the portal's CSP) checks each record's inclusion proof and
 * the checkpoint's Ed25519 signature with WebCrypto and shows "đã kiểm chứng" per record; a proof,
 * a leaf or a signature changed on the way (the proofs' JSON intercepted) shows as failed; without
 * script the page still lists the records.
 */

const password = 'Có công mài sắt, có ngày nên kim';

let fx: ExchangeFixture;
let browser: Browser;
let origin = '';
let personId = '';

beforeAll(async () => {
  fx = await startExchangeFixture('sqlite');
  const otp = memoryOtpSender();
  const accounts = new CitizenAccountService({ db: fx.database.db, clock: fx.clock, hasher: argon2idPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }), otp });
  // Two citizens: the other's reads put leaves of someone else between this one's in the tree.
  for (const id of [fx.people[7], fx.people[8]]) {
    const person = await personRepository.findById(fx.database.db, id ?? '');
    if (person === undefined) throw new Error('no person');
    const { challengeId } = await accounts.startActivation({ idNumber: person.idNumber, fullName: person.fullName, birthDate: person.birthDate, phone: '0987 333 444' });
    await accounts.confirmActivation({ challengeId, code: otp.sent.at(-1)?.code ?? '', password });
  }
  personId = fx.people[7] ?? '';
  origin = await fx.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchTestBrowser();
  // Reads of both records, interleaved: each leaves an access record in the log.
  for (let round = 0; round < 3; round++) {
    for (const id of [fx.people[8] ?? '', personId]) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await signIn(page, id);
      await context.close();
    }
  }
}, 180_000);

afterAll(async () => {
  await browser.close();
  await fx.close();
});

async function signIn(page: Page, id: string): Promise<void> {
  await page.goto(`${origin}/citizen/portal/my`);
  await page.getByTestId('portal-id-number').fill(id);
  await page.getByTestId('portal-password').fill(password);
  await page.getByTestId('portal-sign-in-submit').click();
  await page.waitForURL(`${origin}/citizen/portal/my/record`);
}

async function states(page: Page): Promise<string[]> {
  await page.waitForSelector('[data-testid="tracker-proof-summary"][data-verified]', { timeout: 20_000 }).catch(() => undefined);
  return page.locator('[data-testid="tracker-proof"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-proof-state') ?? ''));
}

async function trackerPage(context: BrowserContext): Promise<{ page: Page; refused: string[] }> {
  const page = await context.newPage();
  const refused: string[] = [];
  page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text()); });
  await signIn(page, personId);
  return { page, refused };
}

describe.each([1440, 390])('the data-use log at %i px', (width) => {
  it('the browser verifies every record against the signed checkpoint, under the portal\'s CSP', async () => {
    const context = await browser.newContext({ viewport: { width, height: 844 }, locale: 'vi-VN' });
    try {
      const { page, refused } = await trackerPage(context);
      await page.goto(`${origin}/citizen/portal/my/tracker`);
      const found = await states(page);
      expect(found.length).toBeGreaterThanOrEqual(4);
      expect(found).toEqual(found.map(() => 'verified'));
      await expect(page.getByTestId('tracker-proof').first().textContent()).resolves.toBe('Đã kiểm chứng · verified');
      await expect(page.getByTestId('tracker-proof-summary').textContent()).resolves.toContain(`đã kiểm chứng ${String(found.length)}/${String(found.length)} bản ghi`);
      expect(await page.evaluate((w) => document.documentElement.scrollWidth <= w, width)).toBe(true);
      await page.screenshot({ path: `/tmp/sachsong-portal-${String(width)}-tracker-verified.png`, fullPage: true });
      expect(refused).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});

describe('a proof changed on the way', () => {
  it('one flipped byte of one proof: that record fails, the others verify', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'vi-VN' });
    try {
      const { page } = await trackerPage(context);
      let tampered = -1;
      await page.route('**/citizen/portal/access-records*', async (route) => {
        const response = await route.fetch();
        const json = await response.json() as { entries: { index: number; proof: string[] }[] };
        const entry = json.entries.find((e) => e.proof.length > 0);
        const first = entry?.proof[0];
        if (entry === undefined || first === undefined) throw new Error('no proof to change');
        entry.proof[0] = `${first.slice(0, 10)}${(parseInt(first.charAt(10), 16) ^ 1).toString(16)}${first.slice(11)}`;
        tampered = entry.index;
        await route.fulfill({ response, json });
      });
      await page.goto(`${origin}/citizen/portal/my/tracker`);
      const found = await states(page);
      const failed = page.locator('[data-testid="tracker-entry"]').filter({ has: page.locator('[data-proof-state="failed"]') });
      await expect(failed.count()).resolves.toBe(1);
      await expect(failed.getAttribute('data-index')).resolves.toBe(String(tampered));
      await expect(failed.getByTestId('tracker-proof').textContent()).resolves.toBe('Kiểm chứng thất bại · verification failed');
      expect(found.filter((s) => s === 'verified')).toHaveLength(found.length - 1);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('a leaf changed (another purpose): that record fails', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'vi-VN' });
    try {
      const { page } = await trackerPage(context);
      await page.route('**/citizen/portal/access-records*', async (route) => {
        const response = await route.fetch();
        const json = await response.json() as { entries: { leaf: string }[] };
        const entry = json.entries[0];
        if (entry === undefined) throw new Error('no entry');
        const record = JSON.parse(entry.leaf) as { purpose: string };
        entry.leaf = entry.leaf.replace(JSON.stringify(record.purpose), JSON.stringify(`${record.purpose}.`));
        await route.fulfill({ response, json });
      });
      await page.goto(`${origin}/citizen/portal/my/tracker`);
      const found = await states(page);
      expect(found[0]).toBe('failed');
      expect(found.slice(1)).toEqual(found.slice(1).map(() => 'verified'));
    } finally {
      await context.close();
    }
  }, 120_000);

  it('a checkpoint whose root is changed (its signature no longer holds): every record fails', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'vi-VN' });
    try {
      const { page } = await trackerPage(context);
      await page.route('**/citizen/portal/access-records*', async (route) => {
        const response = await route.fetch();
        const json = await response.json() as { checkpoint: { note: string } };
        const [originLine, size, root, ...rest] = json.checkpoint.note.split('\n');
        const bytes = Buffer.from(root ?? '', 'base64');
        bytes[0] = (bytes[0] ?? 0) ^ 1;
        json.checkpoint.note = [originLine, size, bytes.toString('base64'), ...rest].join('\n');
        await route.fulfill({ response, json });
      });
      await page.goto(`${origin}/citizen/portal/my/tracker`);
      await page.waitForSelector('[data-testid="tracker-proof"][data-proof-state="failed"]');
      const found = await page.locator('[data-testid="tracker-proof"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-proof-state') ?? ''));
      expect(found).toEqual(found.map(() => 'failed'));
      await expect(page.getByTestId('tracker-proof-summary').textContent()).resolves.toContain('Không kiểm chứng được chữ ký');
    } finally {
      await context.close();
    }
  }, 120_000);
});

describe('a browser that cannot check', () => {
  it('without Ed25519 in WebCrypto: every record says the browser cannot check, none says failed', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'vi-VN' });
    try {
      // An older browser: importKey refuses Ed25519 as such browsers do.
      await context.addInitScript(() => {
        const subtle = window.crypto.subtle;
        const original = subtle.importKey.bind(subtle);
        Object.defineProperty(subtle, 'importKey', { value: (...args: Parameters<SubtleCrypto['importKey']>) => ((args[2] as { name?: string }).name === 'Ed25519' ? Promise.reject(new DOMException('Ed25519', 'NotSupportedError')) : original(...args)) });
      });
      const { page } = await trackerPage(context);
      await page.goto(`${origin}/citizen/portal/my/tracker`);
      await page.waitForSelector('[data-testid="tracker-proof"][data-proof-state="unavailable"]');
      const found = await page.locator('[data-testid="tracker-proof"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-proof-state') ?? ''));
      expect(found).toEqual(found.map(() => 'unavailable'));
      await expect(page.getByTestId('tracker-proof-summary').textContent()).resolves.toContain('không hỗ trợ chữ ký Ed25519');
    } finally {
      await context.close();
    }
  }, 120_000);
});

describe('without script', () => {
  it('the page lists the records, each with its place in the log, and links the proofs', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'vi-VN', javaScriptEnabled: false });
    try {
      const { page } = await trackerPage(context);
      await page.goto(`${origin}/citizen/portal/my/tracker`);
      const found = await page.locator('[data-testid="tracker-proof"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-proof-state') ?? ''));
      expect(found.length).toBeGreaterThanOrEqual(4);
      expect(found).toEqual(found.map(() => 'unchecked'));
      await expect(page.getByTestId('tracker-proof').first().textContent()).resolves.toMatch(/^Bản ghi số \d+ trong sổ/);
      await expect(page.locator('[data-testid="tracker-proof-summary"] a').getAttribute('href')).resolves.toBe('/citizen/portal/access-records?limit=100');
    } finally {
      await context.close();
    }
  }, 120_000);
});

describe('accessibility once verified', () => {
  it('no WCAG 2.1 A/AA violation on the checked page at 390 px', async () => {
    // axe-core is the test's own script: the CSP is bypassed for the check alone.
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'vi-VN', bypassCSP: true });
    try {
      const { page } = await trackerPage(context);
      await page.goto(`${origin}/citizen/portal/my/tracker`);
      expect((await states(page)).every((s) => s === 'verified')).toBe(true);
      expect(await axeViolations(page)).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});
