import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAccessLog } from '../src/audit/access-log.service.js';
import type { AccessLog } from '../src/audit/access-log.types.js';
import { generateSignerKey } from '../src/audit/checkpoint-note.js';
import { buildApp } from '../src/http/app.js';
import { fixedClock } from '../src/shared/clock.js';
import type { Database } from '../src/store/database.js';
import { browserOfficers, signInInBrowser } from './browser-sign-in.js';
import { createTestDatabase } from './test-database.js';

/** The citizen's data tracker page in a real browser, proofs checked by the page itself. */

const chromiumPath = '/usr/bin/chromium';
const token = 'tracker-browser-token-0123456789abcdef';
const citizen = '079203012345';

let webRoot: string;
let database: Database;
let log: AccessLog;
let app: FastifyInstance;
let url: string;
let browser: Browser;
const officers = browserOfficers();

beforeAll(async () => {
  if (!existsSync(chromiumPath)) throw new Error(`chromium is required at ${chromiumPath} (apt-get install -y chromium)`);
  // A build of the current console of its own, so that a stale dist/web cannot hide the page.
  webRoot = mkdtempSync(path.join(tmpdir(), 'sachsong-tracker-web-'));
  const { build } = await import('vite');
  await build({ configFile: fileURLToPath(new URL('../web/vite.config.ts', import.meta.url)), build: { outDir: webRoot, emptyOutDir: true }, logLevel: 'warn' });

  database = await createTestDatabase('sqlite');
  log = openAccessLog(database);
  const base = { at: '2026-11-20T03:00:00Z', officerId: 'officer-7', service: 'person.read', fields: ['fullName', 'currentAddress'], visibility: 'public' as const };
  await log.appendMany([
    { ...base, personId: citizen, clientId: 'VN/GOV/BHXH/insurance-portal', receivingAgency: 'Bảo hiểm xã hội Việt Nam', purpose: 'Cấp thẻ BHYT', legalBasis: 'Luật BHYT 2008', requestId: 'r1' },
    { ...base, personId: citizen, clientId: 'VN/GOV/BCA/investigation', purpose: 'Điều tra', legalBasis: 'Bộ luật TTHS 2015', requestId: 'r2', visibility: { deferredUntil: '2027-01-01' } },
    { ...base, personId: '079203000001', clientId: 'VN/COM/VCB/kyc', purpose: 'Mở tài khoản', legalBasis: 'Đồng ý', consentId: 'c-1', requestId: 'r3' },
    // An officer's break-glass read through the registry's own API (official-read.recorder.ts).
    {
      ...base, at: '2026-11-21T03:00:00Z', personId: citizen, clientId: 'VN/GOV/sachsong/officer', officerId: 'officer-9', purpose: 'Xác minh nhân thân người bị tai nạn', legalBasis: 'Luật Căn cước 2023',
      requestId: 'r4', caseReference: 'HS-2026-9', readerKind: 'officer', readerRole: 'commune_officer', readerUnit: 'commune:00004', breakGlass: true, breakGlassReasonSha256: 'a'.repeat(64),
    },
  ]);
  app = await buildApp({ database, clock: fixedClock('2026-11-27T08:00:00Z'), operatorToken: token, identity: officers.bind(database.db), logger: false, webRoot, accessLog: log, auditSigningKey: generateSignerKey('test.sachsong/access-log') });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
}, 120_000);

afterAll(async () => {
  await browser.close();
  await app.close();
  await log.close();
  await database.close();
  rmSync(webRoot, { recursive: true, force: true });
});

describe("the citizen's data tracker page", () => {
  it('lists who used the data, hides the deferred enquiry, and verifies each proof in the browser', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    // The tracker is the auditors' until citizens sign in (issue 15).
    await signInInBrowser(page, url, officers, await officers.create('auditor', { level: 'nation' }, 'Đỗ Minh Khoa'));
    await page.getByTestId('nav-tracker').click();
    await page.getByTestId('tracker-id').fill('0792 0301 2345');
    await page.getByTestId('tracker-submit').click();
    await page.getByTestId('tracker-entries').waitFor();
    const rows = page.getByTestId('tracker-entry');
    expect(await rows.count()).toBe(2);
    // Newest first: the officer's read names the officer's role and unit, the case and the break-glass mark.
    const official = await rows.first().innerText();
    expect(await page.getByTestId('tracker-official-reader').innerText()).toMatch(/Cán bộ cấp xã thuộc Phường Ba Đình, Thành phố Hà Nội/);
    expect(official).toContain('HS-2026-9');
    expect(official).toContain('person.read');
    expect(await page.getByTestId('tracker-break-glass').count()).toBe(1);
    const text = await rows.nth(1).innerText();
    expect(text).toContain('Bảo hiểm xã hội Việt Nam');
    expect(text).toContain('Cấp thẻ BHYT');
    expect(text).not.toContain('Điều tra');
    // The fields read, by their names (fullName, currentAddress).
    await expect(rows.nth(1).getByTestId('tracker-fields').textContent()).resolves.toBe('Họ và tên, Địa chỉ nơi ở hiện tại');
    await page.getByTestId('proof-ok').first().waitFor();
    await expect.poll(() => page.getByTestId('proof-ok').count()).toBe(2);
    expect(await page.getByTestId('proof-bad').count()).toBe(0);
    await page.getByTestId('tracker-checkpoint').click();
    expect(await page.getByTestId('tracker-checkpoint').innerText()).toContain('test.sachsong/access-log');
    await page.screenshot({ path: '/tmp/sachsong-tracker.png', fullPage: true });

    await page.getByTestId('tracker-id').fill('12345');
    await page.getByTestId('tracker-submit').click();
    await page.locator('.alert').first().waitFor();
    await page.goto(`${url}/#/tracker/079203099999`);
    await page.getByTestId('tracker-empty').waitFor();
    await context.close();
  }, 60_000);
});
