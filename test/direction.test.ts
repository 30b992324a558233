import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAccessLog } from '../src/audit/access-log.service.js';
import { demoPlan, seedDemoPlan } from '../src/direction/demo-plan.js';
import type { IndicatorDefinition } from '../src/direction/indicator.catalog.js';
import { indicatorCatalog } from '../src/direction/indicator.catalog.js';
import type { Insertable } from 'kysely';
import type { CitizenAccountsTable } from '../src/citizen/citizen.tables.js';
import type { EventDeliveriesTable, EventSubscriptionsTable } from '../src/events/events.tables.js';
import { IndicatorScheduler, IndicatorService } from '../src/direction/indicator.service.js';
import { epsilonPerTable, monthlyBudget, tableColumns } from '../src/direction/locality-statistics.js';
import { PlanService, type TaskInput } from '../src/direction/plan.service.js';
import { StatisticsService } from '../src/direction/statistics.service.js';
import { generatePopulation } from '../src/registry/population.generator.js';
import { adminUnitCatalog } from '../src/registry/admin-unit.catalog.js';
import { fixedClock } from '../src/shared/clock.js';
import { DomainError } from '../src/shared/domain-error.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import type { Database } from '../src/store/database.js';
import { createTestDatabase, dialects } from './test-database.js';

// 2026-06-15 09:00 in Hà Nội.
const clock = fixedClock('2026-06-15T02:00:00Z');

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<DomainError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(DomainError);
  expect((caught as DomainError).code).toBe(code);
  return caught as DomainError;
}

const task = (over: Partial<TaskInput> = {}): TaskInput => ({
  code: '1', title: 'Kết nối dữ liệu hộ tịch', ownerKind: 'ministry', ownerAgency: 'BTP', ownerAgencyName: 'Bộ Tư pháp', ownerOfficer: 'Thứ trưởng Nguyễn Văn B',
  startsOn: '2026-01-01', deadline: '2026-12-31', milestones: [{ title: 'Khảo sát', dueOn: '2026-03-31' }, { title: 'Kết nối', dueOn: '2026-09-30' }], ...over,
});

for (const dialect of dialects) {
  describe(`direction centre on ${dialect}`, () => {
    let database: Database & { readonly url: string | undefined };
    let plans: PlanService;
    let indicators: IndicatorService;

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      await loadPopulation(database, generatePopulation({ people: 3_000, seed: 17, today: '2026-01-01' }));
      plans = new PlanService({ db: database.db, clock });
      indicators = new IndicatorService({ db: database.db, dialect: database.dialect, clock });
    }, 120_000);
    afterAll(async () => { await database.close(); });

    it('keeps tasks with owners, milestones and derived status, and every change with who made it', async () => {
      const plan = await plans.createPlan('officer-a', { title: 'Kế hoạch thử', reference: 'QĐ 1/2026', startsOn: '2026-01-01', endsOn: '2026-12-31' });
      const added = await plans.addTask('officer-a', plan.planId, task());
      // The first milestone (31 March) is overdue on 15 June.
      expect(added.assessment).toMatchObject({ status: 'late', overdueMilestones: 1 });
      const first = added.milestones[0];
      if (first === undefined) throw new Error('no milestone');
      const afterMilestone = await plans.setMilestone('officer-b', first.milestoneId, '2026-04-02');
      expect(afterMilestone.assessment.status).toBe('on_track');
      const edited = await plans.updateTask('officer-c', added.taskId, { deadline: '2026-10-31', ownerOfficer: 'Thứ trưởng Trần Thị C' }, afterMilestone.version);
      expect(edited.deadline).toBe('2026-10-31');
      await plans.comment('leader-1', added.taskId, 'Đề nghị Bộ Tư pháp báo cáo tiến độ tại phiên họp tới.');
      const detail = await plans.task(added.taskId);
      expect(detail.changes.map((c) => [c.action, c.changedBy])).toEqual([
        ['created', 'officer-a'], ['milestone_completed', 'officer-b'], ['updated', 'officer-c'], ['commented', 'leader-1'],
      ]);
      expect(detail.changes[2]?.detail).toEqual({ deadline: ['2026-12-31', '2026-10-31'], ownerOfficer: ['Thứ trưởng Nguyễn Văn B', 'Thứ trưởng Trần Thị C'] });
      expect(detail.comments.map((c) => c.author)).toEqual(['leader-1']);
      // An edit made on an old version is refused, and changes nothing.
      await rejectsWith(plans.updateTask('officer-d', added.taskId, { title: 'Khác' }, afterMilestone.version), 'TASK_CHANGED');
      expect((await plans.task(added.taskId)).title).toBe('Kết nối dữ liệu hộ tịch');
    });

    it('refuses bad tasks with a clear code and writes nothing', async () => {
      const plan = await plans.createPlan('officer-a', { title: 'Kế hoạch lỗi', reference: 'QĐ 2/2026', startsOn: '2026-01-01', endsOn: '2026-12-31' });
      await rejectsWith(plans.addTask('officer-a', plan.planId, task({ deadline: '2025-12-31' })), 'DIRECTION_DATES_ORDER');
      await rejectsWith(plans.addTask('officer-a', plan.planId, task({ milestones: [{ title: 'Sau hạn', dueOn: '2027-02-01' }] })), 'MILESTONE_OUTSIDE_TASK');
      await rejectsWith(plans.addTask('officer-a', plan.planId, task({ indicator: { id: 'no.such', scope: '', baseline: 0, target: 1 } })), 'INDICATOR_UNKNOWN');
      await rejectsWith(plans.addTask('officer-a', plan.planId, task({ indicator: { id: 'reconcile.matched_share', scope: '01', baseline: 0, target: 1 } })), 'INDICATOR_SCOPE_INVALID');
      await rejectsWith(plans.addTask('officer-a', plan.planId, task({ startsOn: '2026-02-30' })), 'DIRECTION_DATE_INVALID');
      await rejectsWith(plans.addTask('officer-a', 'no-such-plan', task()), 'PLAN_NOT_FOUND');
      expect(await plans.tasks(plan.planId)).toEqual([]);
      await plans.addTask('officer-a', plan.planId, task());
      await rejectsWith(plans.addTask('officer-a', plan.planId, task()), 'TASK_CODE_TAKEN');
      expect(await plans.tasks(plan.planId)).toHaveLength(1);
    });

    it('seeds the demo plan (101 ministry tasks, 18 local) and names units late and ahead for the meeting', async () => {
      const planId = await seedDemoPlan(plans, 'demo', 1, '2026-01-01');
      const tasks = await plans.tasks(planId);
      expect(tasks.filter((t) => t.ownerKind === 'ministry')).toHaveLength(101);
      expect(tasks.filter((t) => t.ownerKind === 'locality')).toHaveLength(18);
      expect(new Set(tasks.filter((t) => t.ownerKind === 'locality').map((t) => t.ownerAgency)).size).toBe(18);
      // The same seed gives the same plan.
      expect(demoPlan(1, '2026-01-01', '2026-06-15')).toEqual(demoPlan(1, '2026-01-01', '2026-06-15'));
      const meeting = await plans.meeting(planId);
      const statusCount = (s: string): number => tasks.filter((t) => t.assessment.status === s).length;
      expect(meeting.counts.late).toBe(statusCount('late'));
      expect(meeting.late.length).toBeGreaterThan(0);
      expect(meeting.ahead.length).toBeGreaterThan(0);
      // Every late unit's listed tasks are late and its own; no unit is both late and ahead.
      for (const unit of meeting.late) {
        for (const t of unit.tasks) expect(tasks.find((x) => x.taskId === t.taskId)).toMatchObject({ ownerAgency: unit.ownerAgency, assessment: { status: 'late' } });
      }
      const lateUnits = new Set(meeting.late.map((u) => u.ownerAgency));
      expect(meeting.ahead.some((u) => lateUnits.has(u.ownerAgency))).toBe(false);
      expect(meeting.late.map((u) => u.tasks.length)).toEqual([...meeting.late.map((u) => u.tasks.length)].sort((a, b) => b - a));
    });

    it('exports a plan as CSV and imports it back into another plan unchanged; a bad row refuses the whole file', async () => {
      const source = (await plans.plans()).find((p) => p.reference === 'Demo 06/QĐ-TTg');
      if (source === undefined) throw new Error('no demo plan');
      const csv = await plans.exportCsv(source.planId);
      const target = await plans.createPlan('officer-a', { title: 'Bản sao', reference: 'copy', startsOn: '2026-01-01', endsOn: '2026-12-31' });
      const lines = csv.trim().split('\n');
      const badLine = lines.map((l, i) => (i === 5 ? l.replace(/,2026-\d\d-\d\d,/, ',2026-13-45,') : l)).join('\n');
      const error = await rejectsWith(plans.importCsv('officer-a', target.planId, badLine), 'CSV_ROW_INVALID');
      expect(error.details?.line).toBe(6);
      expect(await plans.tasks(target.planId)).toEqual([]);
      await rejectsWith(plans.importCsv('officer-a', target.planId, 'code,title\n1,x'), 'CSV_COLUMNS_MISSING');
      await rejectsWith(plans.importCsv('officer-a', target.planId, 'code,title\n"1,x'), 'CSV_MALFORMED');

      expect(await plans.importCsv('officer-i', target.planId, csv)).toEqual({ added: 119, updated: 0 });
      const strip = (t: Awaited<ReturnType<PlanService['tasks']>>[number]): unknown => ({
        ...t, taskId: '', planId: '', version: 0, updatedAt: '', milestones: t.milestones.map((m) => ({ title: m.title, dueOn: m.dueOn, completedOn: m.completedOn })),
      });
      expect((await plans.tasks(target.planId)).map(strip)).toEqual((await plans.tasks(source.planId)).map(strip));
      // Imported again: every task is updated in place, and the history names the importer.
      expect(await plans.importCsv('officer-j', target.planId, csv)).toEqual({ added: 0, updated: 119 });
      const one = (await plans.tasks(target.planId))[0];
      expect((await plans.task(one?.taskId ?? '')).changes.map((c) => [c.action, c.changedBy])).toEqual([['imported', 'officer-i'], ['imported', 'officer-j']]);
    });

    it('computes indicators from the platform, keeps them as a daily series, and binds a task to one', async () => {
      const run = await indicators.refresh('demand');
      expect(run.failures).toEqual({});
      expect(run.day).toBe('2026-06-15');
      const alive = await database.db.selectFrom('persons').select((eb) => eb.fn.countAll<number | string>().as('n')).where('status', '=', 'alive').executeTakeFirstOrThrow();
      const nation = await indicators.series('registry.population', 'nation', '');
      expect(nation).toEqual([expect.objectContaining({ day: '2026-06-15', value: Number(alive.n) })]);
      const provinces = await indicators.latest('registry.population', 'province');
      const communes = adminUnitCatalog().communes2025();
      const firstProvince = provinces.items[0];
      if (firstProvince === undefined) throw new Error('no province values');
      const ofProvince = await indicators.latest('registry.population', 'commune', { codes: communes.filter((c) => c.provinceCode === firstProvince.code).map((c) => c.code) });
      // Communes add up to their province, and provinces to (at most) the nation.
      expect(ofProvince.items.reduce((s, p) => s + p.value, 0)).toBe(firstProvince.value);
      expect(provinces.items.reduce((s, p) => s + p.value, 0)).toBeLessThanOrEqual(Number(alive.n));
      const share = await indicators.latest('registry.permanent_residence_share', 'province');
      expect(share.items.every((p) => p.value >= 0 && p.value <= 100 && p.denominator !== null)).toBe(true);

      const plan = await plans.createPlan('officer-a', { title: 'Chỉ tiêu', reference: 'QĐ 3/2026', startsOn: '2026-01-01', endsOn: '2026-12-31' });
      const target = firstProvince.value + 100;
      const bound = await plans.addTask('officer-a', plan.planId, task({ code: 'P1', milestones: [], indicator: { id: 'registry.population', scope: firstProvince.code, baseline: firstProvince.value - 100, target } }));
      expect(bound.indicatorLatest).toBe(firstProvince.value);
      expect(bound.assessment.progress).toBeCloseTo(0.5, 5);
    });

    it('counts exchange calls of the Vietnamese day by agency and service from the access log', async () => {
      const log = openAccessLog(database);
      const person = await database.db.selectFrom('persons').select('id_number').limit(1).executeTakeFirstOrThrow();
      const record = (at: string, clientId: string, service: string): Parameters<typeof log.append>[0] => ({
        personId: person.id_number, at, clientId, officerId: 'agency-officer-1', service, purpose: 'Xác minh nhân thân', legalBasis: 'Luật Căn cước 2023', fields: ['fullName'], visibility: 'public', requestId: crypto.randomUUID(),
      });
      // 15 June in Hà Nội runs from 14 June 17:00 UTC to 15 June 17:00 UTC.
      await log.appendMany([
        record('2026-06-14T16:59:59.000Z', 'VN/GOV/BTC/tax', 'person.verify'),
        record('2026-06-14T17:00:00.000Z', 'VN/GOV/BTC/tax', 'person.verify'),
        record('2026-06-15T02:00:00.000Z', 'VN/GOV/BTC/tax', 'person.verify'),
        record('2026-06-15T03:00:00.000Z', 'VN/GOV/BTC/portal', 'person.read'),
        record('2026-06-15T16:59:59.000Z', 'VN/COM/MOMO/wallet', 'person.verify'),
        record('2026-06-15T17:00:00.000Z', 'VN/COM/MOMO/wallet', 'person.verify'),
      ]);
      await log.close();
      const run = await indicators.refresh('demand', ['exchange.calls']);
      expect(run.failures).toEqual({});
      const value = async (scope: 'nation' | 'agency' | 'service', code: string): Promise<number | undefined> => (await indicators.series('exchange.calls', scope, code, { days: 1 }))[0]?.value;
      expect(await value('nation', '')).toBe(4);
      expect(await value('agency', 'VN/GOV/BTC')).toBe(3);
      expect(await value('agency', 'VN/COM/MOMO')).toBe(1);
      expect(await value('service', 'person.verify')).toBe(3);
      expect(await value('service', 'person.read')).toBe(1);
    });

    it('counts active e-ID accounts by province against 40 million, and the day\'s delivered change events by agency', async () => {
      const persons = (await database.db.selectFrom('persons').select('id_number').orderBy('id_number').limit(5).execute()).map((r) => r.id_number);
      const account = (i: number, level: number, status: string, province: string | null): Insertable<CitizenAccountsTable> => ({
        account_id: `cit_${String(i).padStart(32, '0')}`, person_id: persons[i] ?? '', level, status, phone: '+84900000000', password_hash: 'x', totp_secret: null, totp_last_step: null,
        card_number: null, province, failed_attempts: 0, locked_until: null, last_sign_in_at: null, level2_at: null, created_at: '2026-06-01T00:00:00.000Z', updated_at: '2026-06-01T00:00:00.000Z',
      });
      await database.db.insertInto('citizen_accounts').values([account(0, 1, 'active', '01'), account(1, 1, 'active', '01'), account(2, 2, 'active', '79'), account(3, 2, 'deceased', '79'), account(4, 1, 'suspended', '01')]).execute();
      const subscription = (id: string, clientId: string): Insertable<EventSubscriptionsTable> => ({
        subscription_id: id, client_id: clientId, grant_id: 'g', officer_id: 'o', purpose_code: 'p', kinds: '[]', fields: '[]', provinces: '[]', url: 'https://bhxh.example/hook',
        status: 'active', from_seq: 0, last_error: null, created_at: '2026-06-01T00:00:00.000Z', updated_at: '2026-06-01T00:00:00.000Z',
      });
      await database.db.insertInto('event_subscriptions').values([subscription('s1', 'VN/GOV/BHXH/pension'), subscription('s2', 'VN/GOV/BHXH/health'), subscription('s3', 'VN/GOV/BYT/hospital')]).execute();
      const delivery = (subscriptionId: string, seq: number, status: string, deliveredAt: string | null): Insertable<EventDeliveriesTable> => ({
        subscription_id: subscriptionId, seq, event_id: `e${String(seq)}`, status, attempts: 1, next_attempt_at: 0, recorded: 1, delivered_at: deliveredAt, last_error: null,
      });
      // 15 June in Hà Nội: from 14 June 17:00 UTC; one delivered the day before, one still pending, one dead.
      await database.db.insertInto('event_deliveries').values([
        delivery('s1', 1, 'delivered', '2026-06-14T16:59:00.000Z'), delivery('s1', 2, 'delivered', '2026-06-14T17:00:00.000Z'), delivery('s2', 3, 'delivered', '2026-06-15T09:00:00.000Z'),
        delivery('s3', 4, 'delivered', '2026-06-15T10:00:00.000Z'), delivery('s3', 5, 'pending', null), delivery('s3', 6, 'dead', null),
      ]).execute();
      const run = await indicators.refresh('demand', ['eid.accounts', 'eid.accounts_level2', 'events.delivered']);
      expect(run.failures).toEqual({});
      const value = async (id: string, scope: 'nation' | 'province' | 'agency', code: string): Promise<number | undefined> => (await indicators.series(id, scope, code, { days: 1 }))[0]?.value;
      expect(await value('eid.accounts', 'nation', '')).toBe(3);
      expect(await value('eid.accounts', 'province', '01')).toBe(2);
      expect(await value('eid.accounts', 'province', '79')).toBe(1);
      expect(await value('eid.accounts_level2', 'nation', '')).toBe(1);
      expect(indicatorCatalog.find((d) => d.id === 'eid.accounts')?.target).toBe(40_000_000);
      expect(await value('events.delivered', 'nation', '')).toBe(3);
      expect(await value('events.delivered', 'agency', 'VN/GOV/BHXH')).toBe(2);
      expect(await value('events.delivered', 'agency', 'VN/GOV/BYT')).toBe(1);
    });

    it('refreshes on schedule once a Vietnamese day', async () => {
      let now = new Date('2026-06-15T16:59:00Z'); // 23:59 in Hà Nội
      const movable = { now: () => new Date(now) };
      const service = new IndicatorService({ db: database.db, dialect: database.dialect, clock: movable, catalog: indicatorCatalog.slice(0, 1) });
      const errors: unknown[] = [];
      const scheduler = new IndicatorScheduler(service, movable, 60_000, (e) => { errors.push(e); });
      expect(await scheduler.tick()).toBe(true);
      expect(await scheduler.tick()).toBe(false);
      // Another node sharing the store finds the day's scheduled run stored and does not run it again.
      const otherNode = new IndicatorScheduler(new IndicatorService({ db: database.db, dialect: database.dialect, clock: movable, catalog: indicatorCatalog.slice(0, 1), nodeId: 'node-b' }), movable, 60_000, (e) => { errors.push(e); });
      expect(await otherNode.tick()).toBe(false);
      now = new Date('2026-06-15T17:00:00Z'); // midnight: 16 June in Hà Nội, still 15 June in UTC
      expect(await scheduler.tick()).toBe(true);
      expect(await scheduler.tick()).toBe(false);
      expect((await service.runs(2)).map((r) => [r.trigger, r.day])).toEqual([['schedule', '2026-06-16'], ['schedule', '2026-06-15']]);
      expect((await service.series('registry.population', 'nation', '', { to: '2026-06-16', days: 2 })).map((p) => p.day)).toEqual(['2026-06-15', '2026-06-16']);
      expect(errors).toEqual([]);
    });

    it('records a failing indicator in the run and still computes the others', async () => {
      const broken: IndicatorDefinition = { ...indicatorCatalog[0] as IndicatorDefinition, id: 'test.broken', compute: () => Promise.reject(new DomainError('unavailable', 'SOURCE_DOWN', 'down', 'retry')) };
      const service = new IndicatorService({ db: database.db, dialect: database.dialect, clock, catalog: [broken, ...indicatorCatalog.slice(0, 1)] });
      const run = await service.refresh('schedule');
      expect(run.failures).toEqual({ 'test.broken': 'SOURCE_DOWN' });
      expect(run.valuesWritten).toBeGreaterThan(0);
      expect((await service.runs(10)).find((r) => r.runId === run.runId)).toMatchObject({ trigger: 'schedule', failures: { 'test.broken': 'SOURCE_DOWN' } });
    });

    it('releases locality tables with noise under a monthly privacy budget, the same table once a month', async () => {
      const statistics = new StatisticsService({ db: database.db, clock });
      const first = await statistics.release('age_sex', '', 'leader-1');
      expect(first.body.rows).toHaveLength(34);
      expect(first.body.columns).toEqual(tableColumns('age_sex'));
      expect(first.epsilon).toBe(epsilonPerTable);
      // Asked again in the month: the stored release, no new budget spent.
      const again = await statistics.release('age_sex', '', 'leader-2');
      expect(again.releaseId).toBe(first.releaseId);
      expect(again.body).toEqual(first.body);
      // Totals are the sums of the released cells.
      for (const [i, row] of first.body.cells.entries()) expect(first.body.rowTotals[i]).toBe(row.reduce<number>((s, n) => s + (n ?? 0), 0));
      await statistics.release('ethnicity', '', 'leader-1');
      await statistics.release('residence', '', 'leader-1');
      const spent = (await statistics.release('residence', '', 'leader-1')).budgetSpent;
      expect(spent).toBeCloseTo(3 * epsilonPerTable, 9);
      expect(spent).toBeLessThanOrEqual(monthlyBudget);
      await rejectsWith(statistics.release('religion', '', 'x'), 'STATISTICS_TABLE_UNKNOWN');
      await rejectsWith(statistics.release('age_sex', '1', 'x'), 'STATISTICS_SCOPE_INVALID');
      // A province's communes: its own budget.
      const hanoi = await statistics.release('residence', '01', 'leader-1');
      expect(hanoi.body.rows.length).toBe(adminUnitCatalog().communes2025().filter((c) => c.provinceCode === '01').length);
      expect(hanoi.budgetSpent).toBe(epsilonPerTable);
      // A scope whose month's budget is spent gets no new table, and nothing is stored.
      await database.db.insertInto('direction_statistics_releases').values({ release_id: 'spent-1', table_name: 'age_sex', scope_code: '79', period: '2026-06', epsilon: monthlyBudget - 0.1, body: '{}', released_by: 'x', released_at: '2026-06-01T00:00:00Z' }).execute();
      await rejectsWith(statistics.release('ethnicity', '79', 'leader-1'), 'PRIVACY_BUDGET_SPENT');
      expect((await statistics.releases('79')).map((r) => r.table)).toEqual(['age_sex']);
    });
  });
}
