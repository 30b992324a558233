import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/http/app.js';
import type { IdentityModule } from '../src/identity/identity.module.js';
import { RegistryService } from '../src/registry/registry.service.js';
import { citizenLan, registerCitizens } from './citizen.fixture.js';
import { adoptApp, movableClock, officerOf } from './exchange.fixture.js';
import { testIdentity } from './officer-session.js';
import { launchTestBrowser } from './test-browser.js';
import { createTestDatabase } from './test-database.js';

/**
 * The public verify page in chromium, signed out, at 1440 and 390 px: a scanned QR code (the
 * address with the presentation after #), a pasted forgery, an uploaded file; only the disclosed
 * claims shown; the strict CSP holds (no refusal); nothing wider than the screen; axe-core finds
 * no WCAG 2.1 A/AA violation.
 */

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let store: Awaited<ReturnType<typeof createTestDatabase>>;
let app: FastifyInstance;
let origin: string;
let browser: Browser;
let identity: IdentityModule;
let shown = '';
let forged = '';

beforeAll(async () => {
  store = await createTestDatabase('sqlite');
  const clock = movableClock(new Date().toISOString());
  await registerCitizens(new RegistryService({ db: store.db, clock }), [citizenLan]);
  identity = testIdentity(store.db, clock);
  app = await buildApp({ database: store, clock, operatorToken: 'verify-page-operator-token-0123456789', identity, logger: false, publicUrl: 'https://registry.example.vn', webRoot: '/nonexistent-web-root' });
  origin = await app.listen({ host: '127.0.0.1', port: 0 });
  adoptApp(app, identity, clock);
  const commune = identity.ties.ties({ idNumber: citizenLan.idNumber, permanentCommune: citizenLan.facts.permanentCommune, temporaryCommune: null, currentCommune: null, householdCommune: null }).communes[0]?.commune ?? '';
  const clerk = await officerOf(app, 'registry_clerk', { level: 'commune', code: commune });
  const res = await app.inject({ method: 'POST', url: `/api/persons/${citizenLan.idNumber}/residence-documents`, headers: { ...clerk.headers }, payload: { disclose: ['fullName', 'residenceProvince'] } });
  expect(res.statusCode, res.body).toBe(200);
  shown = res.json<{ presentation: string }>().presentation;
  const [jwt = '', ...rest] = shown.split('~');
  forged = [`${jwt.slice(0, -4)}${jwt.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`, ...rest].join('~');
  browser = await launchTestBrowser();
}, 120_000);

afterAll(async () => {
  await browser.close();
  await app.close();
  await store.close();
});

interface Violation { readonly id: string; readonly impact: string | null; readonly nodes: readonly { readonly target: readonly string[] }[] }

async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated by the browser's tools, which the page's CSP does not govern (a script tag would be refused).
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: Violation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return violations.map((v) => `${v.id} (${v.impact ?? ''}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

const wider = (page: Page, width: number): Promise<boolean> => page.evaluate((w) => document.documentElement.scrollWidth > w, width);

describe.each([1440, 390])('the verify page at %i px, signed out', (width) => {
  it('checks a scanned code, a pasted forgery and an uploaded file, showing only what was disclosed', async () => {
    const context = await browser.newContext({ viewport: { width, height: 844 }, locale: 'vi-VN' });
    const page = await context.newPage();
    const refusals: string[] = [];
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) refusals.push(m.text()); });
    try {
      // What the phone's camera opens: the page with the presentation after #.
      await page.goto(`${origin}/verify/residence#${shown}`);
      const verdict = page.getByTestId('verify-verdict');
      await expect.poll(() => verdict.textContent()).toContain('Hợp lệ');
      expect(await page.locator('[data-claim]').evaluateAll((els) => els.map((e) => e.getAttribute('data-claim')))).toEqual(['fullName', 'residenceProvince']);
      await expect(page.locator('[data-claim="fullName"]').textContent()).resolves.toBe('Nguyễn Thị Lan');
      // The presentation leaves the address bar (and the history) once read.
      expect(new URL(page.url()).hash).toBe('');
      expect(await wider(page, width)).toBe(false);
      expect(await axeViolations(page)).toEqual([]);

      await page.getByTestId('verify-input').fill(forged);
      await page.getByTestId('verify-submit').click();
      await expect.poll(() => verdict.textContent()).toContain('Giả mạo');
      expect(await page.locator('[data-claim]').count()).toBe(0);

      await page.getByTestId('verify-input').fill('');
      await page.getByTestId('verify-file').setInputFiles({ name: 'xac-nhan.txt', mimeType: 'text/plain', buffer: Buffer.from(`${shown}\n`) });
      await expect.poll(() => verdict.textContent()).toContain('Hợp lệ');
      expect(await wider(page, width)).toBe(false);
      expect(await axeViolations(page)).toEqual([]);
      expect(refusals).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
