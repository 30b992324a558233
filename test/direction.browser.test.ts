import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoPlan } from '../src/direction/demo-plan.js';
import { PlanService } from '../src/direction/plan.service.js';
import { buildApp } from '../src/http/app.js';
import { adminUnitCatalog } from '../src/registry/admin-unit.catalog.js';
import { generatePopulation } from '../src/registry/population.generator.js';
import { fixedClock } from '../src/shared/clock.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import type { Database } from '../src/store/database.js';
import { apiSession, browserOfficers, signInInBrowser } from './browser-sign-in.js';
import type { TestOfficer } from './officer-accounts.js';
import { ensureBuiltConsole, launchTestBrowser } from './test-browser.js';
import { createTestDatabase } from './test-database.js';

/**
 * The direction dashboard and the plan page in a real browser, against a server on a generated
 * population: the figures shown are checked against counts taken straight from the store.
 */

// 15 June 2026, 09:00 in Hà Nội.
const clock = fixedClock('2026-06-15T02:00:00Z');
const officers = browserOfficers();
let database: Database;
let app: FastifyInstance;
let url: string;
let browser: Browser;
let officer: TestOfficer;
let headers: { readonly cookie: string; readonly 'x-csrf-token': string };
let planId: string;
const vi = (n: number): string => new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 2 }).format(n);

/** Living persons by commune of residence, and by province, counted here with the catalog. */
async function counts(): Promise<{ nation: number; provinces: Map<string, number>; communes: Map<string, number> }> {
  const rows = await database.db.selectFrom('persons').select([sql<string>`coalesce(current_commune, permanent_commune, temporary_commune, '')`.as('c')])
    .where('status', '=', 'alive').execute();
  const provinceOf = new Map(adminUnitCatalog().communes2025().map((c) => [c.code, c.provinceCode]));
  const provinces = new Map<string, number>();
  const communes = new Map<string, number>();
  for (const r of rows) {
    communes.set(r.c, (communes.get(r.c) ?? 0) + 1);
    const p = provinceOf.get(r.c);
    if (p !== undefined) provinces.set(p, (provinces.get(p) ?? 0) + 1);
  }
  return { nation: rows.length, provinces, communes };
}

beforeAll(async () => {
  await ensureBuiltConsole();
  database = await createTestDatabase('sqlite');
  await loadPopulation(database, generatePopulation({ people: 3_000, seed: 7, today: '2026-01-01' }));
  app = await buildApp({ database, clock, operatorToken: 'direction-browser-token-0123456789', logger: false, identity: officers.bind(database.db) });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
  officer = await officers.create('direction_officer', { level: 'nation' }, 'Lê Văn Điều Hành');
  headers = await apiSession(officers, officer);
  planId = await seedDemoPlan(new PlanService({ db: database.db, clock }), officer.officerId, 7, '2026-01-01');
  browser = await launchTestBrowser();
}, 180_000);

afterAll(async () => {
  await browser.close();
  await app.close();
  await database.close();
});

describe('direction API', () => {
  it('refuses officers without the permission and answers bad input with problem+json', async () => {
    const clerk = await officers.create('registry_clerk', { level: 'commune', code: '00004' });
    const clerkHeaders = await apiSession(officers, clerk);
    expect((await fetch(`${url}/api/direction/dashboard`, { headers: clerkHeaders })).status).toBe(403);
    const bad = await fetch(`${url}/api/direction/dashboard?province=99`, { headers });
    expect(bad.status).toBe(404);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    const badTask = await fetch(`${url}/api/direction/plans/${planId}/tasks`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ code: 'X1' }) });
    expect(badTask.status).toBe(400);
    const csv = await fetch(`${url}/api/direction/plans/${planId}/export`, { headers });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect((await csv.text()).split('\n').length).toBeGreaterThan(119);
  });

  it('lets a leader comment but not change a task; refuses a stale edit and a bad import, writing nothing', async () => {
    const leader = await officers.create('leader', { level: 'nation' }, 'Phó Thủ tướng');
    const leaderHeaders = { ...(await apiSession(officers, leader)), 'content-type': 'application/json' };
    const json = { ...headers, 'content-type': 'application/json' };
    const { items } = (await (await fetch(`${url}/api/direction/plans/${planId}/tasks`, { headers })).json()) as { items: { taskId: string; version: number; deadline: string }[] };
    const first = items[0];
    if (first === undefined) throw new Error('no task');
    const comment = await fetch(`${url}/api/direction/tasks/${first.taskId}/comments`, { method: 'POST', headers: leaderHeaders, body: JSON.stringify({ body: 'Yêu cầu hoàn thành trước hạn 15 ngày.' }) });
    expect(comment.status).toBe(201);
    expect((await fetch(`${url}/api/direction/tasks/${first.taskId}`, { method: 'PATCH', headers: leaderHeaders, body: JSON.stringify({ version: first.version, deadline: '2026-12-01' }) })).status).toBe(403);
    const edited = await fetch(`${url}/api/direction/tasks/${first.taskId}`, { method: 'PATCH', headers: json, body: JSON.stringify({ version: first.version, deadline: first.deadline === '2026-12-01' ? '2026-12-02' : '2026-12-01' }) });
    expect(edited.status).toBe(200);
    const stale = await fetch(`${url}/api/direction/tasks/${first.taskId}`, { method: 'PATCH', headers: json, body: JSON.stringify({ version: first.version, title: 'Khác' }) });
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as { code: string }).code).toBe('TASK_CHANGED');
    const detail = (await (await fetch(`${url}/api/direction/tasks/${first.taskId}`, { headers })).json()) as { changes: { action: string; changedBy: string }[]; comments: { author: string }[] };
    expect(detail.changes.slice(-2).map((c) => [c.action, c.changedBy])).toEqual([['commented', leader.officerId], ['updated', officer.officerId]]);
    expect(detail.comments.map((c) => c.author)).toEqual([leader.officerId]);

    const before = (await (await fetch(`${url}/api/direction/plans/${planId}/tasks`, { headers })).json()) as { items: unknown[] };
    const bad = await fetch(`${url}/api/direction/plans/${planId}/import`, { method: 'POST', headers: json, body: JSON.stringify({ csv: 'code,title,owner_kind,owner_agency,owner_agency_name,owner_officer,starts_on,deadline,indicator_id,indicator_scope,indicator_baseline,indicator_target,milestones\nN1,Mới,ministry,BYT,Bộ Y tế,Thứ trưởng,2026-01-01,2026-12-31,,,,,\nN2,Sai,province,BYT,Bộ Y tế,Thứ trưởng,2026-01-01,2026-12-31,,,,,\n' }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'CSV_ROW_INVALID', errors: [{ line: 3 }] });
    const after = (await (await fetch(`${url}/api/direction/plans/${planId}/tasks`, { headers })).json()) as { items: unknown[] };
    expect(after.items).toHaveLength(before.items.length);
  });
});

describe('direction console', () => {
  it('shows real values from the nation to a province and a commune, by name, with charts, map, CSV and PDF', async () => {
    const expected = await counts();
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true, timezoneId: 'Asia/Ho_Chi_Minh' });
    const page = await context.newPage();
    await signInInBrowser(page, url, officers, officer);
    await page.getByTestId('nav-direction').click();
    await page.getByTestId('direction-no-values').waitFor();
    await page.getByTestId('direction-refresh').click();
    await page.getByTestId('direction-current').waitFor({ timeout: 60_000 });

    // The nation: the count of living persons, on 15/06/2026 (Vietnam's day).
    expect(await page.getByTestId('direction-current').textContent()).toBe(vi(expected.nation));
    expect(await page.getByTestId('direction-day').textContent()).toBe('15/06/2026');
    // The trend chart draws its value as text; the ranking lists the 34 provinces, largest first.
    expect(await page.getByTestId('direction-trend').locator('text').allTextContents()).toContain(vi(expected.nation));
    await expect.poll(() => page.getByTestId('direction-rank-row').count()).toBe(34);
    const [topCode, topCount] = [...expected.provinces].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0] ?? ['', 0];
    expect(await page.getByTestId('direction-rank-value').first().textContent()).toBe(vi(topCount));
    expect(await page.getByTestId('direction-ranking-chart').locator('text').allTextContents()).toContain(vi(topCount));
    expect(await page.getByTestId('province-tile').count()).toBe(34);

    // CSV for the meeting: the ranking with names and values.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('direction-export-csv').click()]);
    const csv = readFileSync(await download.path(), 'utf8');
    const topName = adminUnitCatalog().province(topCode, '2025-07-01').name;
    expect(csv).toContain(`1,${topCode},${topName},${topCount}`);

    // Down to the province, by its tile on the map: its name, its value, its communes.
    await page.locator(`[data-testid="province-tile"][data-code="${topCode}"]`).click();
    await expect.poll(() => page.getByTestId('crumb-province').textContent()).toBe(topName);
    expect(await page.getByTestId('direction-current').textContent()).toBe(vi(topCount));
    const communesOfTop = adminUnitCatalog().communes2025().filter((c) => c.provinceCode === topCode);
    await expect.poll(() => page.getByTestId('direction-rank-row').count()).toBe(communesOfTop.length);
    const [topCommune, topCommuneCount] = [...expected.communes].filter(([c]) => communesOfTop.some((x) => x.code === c)).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0] ?? ['', 0];
    await page.getByTestId('direction-drill').first().click();
    await expect.poll(() => page.getByTestId('crumb-commune').textContent()).toBe(communesOfTop.find((c) => c.code === topCommune)?.name);
    expect(await page.getByTestId('direction-current').textContent()).toBe(vi(topCommuneCount));

    // Another indicator, in percent, with its target.
    await page.getByTestId('direction-indicator').selectOption('registry.permanent_residence_share');
    await expect.poll(() => page.getByTestId('direction-target').textContent()).toBe('100 %');

    // Printed (or saved as PDF) for the meeting: the controls are left out, the figures stay.
    await page.emulateMedia({ media: 'print' });
    expect(await page.getByTestId('direction-refresh').isVisible()).toBe(false);
    expect(await page.getByTestId('direction-current').isVisible()).toBe(true);
    const pdf = await page.pdf({ format: 'A4' });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    await page.emulateMedia({ media: 'screen' });
    await page.screenshot({ path: '/tmp/sachsong-direction-dashboard.png', fullPage: true });
    await context.close();
  }, 180_000);

  it('lists the plan\'s tasks and the units late and ahead for the weekly meeting', async () => {
    const meeting = (await (await fetch(`${url}/api/direction/plans/${planId}/meeting`, { headers })).json()) as { counts: { late: number }; late: { ownerAgencyName: string }[]; ahead: unknown[] };
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    await signInInBrowser(page, url, officers, officer);
    await page.getByTestId('nav-direction-plan').click();
    await page.getByTestId('plan-tasks').waitFor();
    expect(await page.getByTestId('plan-task-row').count()).toBe(119);
    expect(await page.getByTestId('count-late').textContent()).toBe(`Chậm: ${meeting.counts.late}`);
    expect(await page.getByTestId('meeting-late-unit').count()).toBe(meeting.late.length);
    expect(await page.getByTestId('meeting-ahead-unit').count()).toBe(meeting.ahead.length);
    expect(await page.getByTestId('meeting-late-unit').first().textContent()).toContain(meeting.late[0]?.ownerAgencyName);

    // A late task: its milestone marked done and a comment, both in its history under the officer.
    const tasks = (await (await fetch(`${url}/api/direction/plans/${planId}/tasks`, { headers })).json()) as { items: { taskId: string; code: string; assessment: { status: string } }[] };
    const late = tasks.items.find((t) => t.assessment.status === 'late');
    if (late === undefined) throw new Error('no late task');
    await page.locator(`a[href="#/direction/tasks/${late.taskId}"]`).click();
    await page.getByTestId('task-history').waitFor();
    const changes = await page.getByTestId('task-change').count();
    const open = await page.getByTestId('milestone-done').count();
    expect(open).toBeGreaterThan(0);
    await page.getByTestId('milestone-done').first().click();
    await expect.poll(() => page.getByTestId('milestone-done').count()).toBe(open - 1);
    await page.getByTestId('comment-body').fill('Đề nghị báo cáo tại giao ban tuần sau.');
    await page.getByTestId('comment-send').click();
    await expect.poll(() => page.getByTestId('task-comments').textContent()).toContain('Đề nghị báo cáo tại giao ban tuần sau.');
    await expect.poll(() => page.getByTestId('task-change').count()).toBe(changes + 2);
    const detail = (await (await fetch(`${url}/api/direction/tasks/${late.taskId}`, { headers })).json()) as { changes: { action: string; changedBy: string }[] };
    expect(detail.changes.slice(-2).map((c) => [c.action, c.changedBy])).toEqual([['milestone_completed', officer.officerId], ['commented', officer.officerId]]);
    // The page names who commented and who changed the task, not their ids.
    await expect.poll(async () => (await page.getByTestId('comment-author').allTextContents()).at(-1)).toBe('Lê Văn Điều Hành');
    expect((await page.getByTestId('change-by').allTextContents()).slice(-2)).toEqual(['Lê Văn Điều Hành', 'Lê Văn Điều Hành']);

    // A second plan: the page offers the choice, and shows the chosen plan's own tasks.
    const second = await fetch(`${url}/api/direction/plans`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Kế hoạch chuyển đổi số tỉnh 2027', reference: 'KH 12/2026', startsOn: '2027-01-01', endsOn: '2027-12-31' }) });
    expect(second.status).toBe(201);
    const { planId: secondId } = (await second.json()) as { planId: string };
    await page.goto(`${url}/#/`);
    await page.getByTestId('nav-direction-plan').click();
    await page.getByTestId('plan-select').selectOption(secondId);
    await expect.poll(() => page.getByTestId('plan-title').textContent()).toBe('Kế hoạch chuyển đổi số tỉnh 2027');
    await expect.poll(() => page.getByTestId('plan-task-row').count()).toBe(0);
    await page.getByTestId('plan-select').selectOption(planId);
    await expect.poll(() => page.getByTestId('plan-task-row').count()).toBe(119);
    await context.close();
  }, 120_000);
});
