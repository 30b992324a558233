import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { actorOf } from '../http/api-auth.js';
import { adminUnitCatalog } from '../registry/admin-unit.catalog.js';
import { DomainError } from '../shared/domain-error.js';
import type { DashboardService } from './dashboard.service.js';
import {
  CommentBody, CompletionBody, DashboardQuery, ImportBody, IndicatorIdParam, LatestQuery, MilestoneBody, MilestoneIdParam, OnQuery, PlanBody, PlanIdParam,
  RefreshBody, SeriesQuery, StatisticsQuery, TableParam, TaskBody, TaskIdParam, TaskPatchBody,
} from './direction.schemas.js';
import type { IndicatorService } from './indicator.service.js';
import type { PlanService } from './plan.service.js';
import type { StatisticsService } from './statistics.service.js';

export interface DirectionRoutesOptions {
  readonly plans: PlanService;
  readonly indicators: IndicatorService;
  readonly dashboard: DashboardService;
  readonly statistics: StatisticsService;
}

/**
 * The direction centre's API: plans and tasks (changes recorded under the signed-in actor),
 * indicators and their series, the dashboard's data, and locality statistics. Permissions are
 * declared in src/http/route-permissions.ts; none of these routes reveals a person's data.
 */
export const directionRoutes: FastifyPluginAsyncTypebox<DirectionRoutesOptions> = (app, { plans, indicators, dashboard, statistics }) => {
  const tags = ['direction'];
  const communesOf = (province: string): string[] => adminUnitCatalog().communes2025().filter((c) => c.provinceCode === province).map((c) => c.code);

  app.get('/direction/indicators', { schema: { tags, summary: 'The registry of indicators: owner, definition, unit, target, source query' } },
    () => ({ items: indicators.definitions() }));

  app.get('/direction/indicators/:indicatorId/series', { schema: { tags, summary: 'One scope\'s daily values (default the last 365 days)', params: IndicatorIdParam, querystring: SeriesQuery } },
    async (request) => ({ items: await indicators.series(request.params.indicatorId, request.query.scope, request.query.code ?? '', { to: request.query.to, days: request.query.days }) }));

  app.get('/direction/indicators/:indicatorId/latest', { schema: { tags, summary: 'Every value of a scope level on the latest day (communes of one province with parent)', params: IndicatorIdParam, querystring: LatestQuery } },
    async (request) => {
      const { scope, parent, on } = request.query;
      if (scope === 'commune' && parent === undefined) throw new DomainError('invalid', 'PARENT_REQUIRED', 'Commune values are read one province at a time', 'Add parent=<province code>');
      return indicators.latest(request.params.indicatorId, scope, { on, codes: scope === 'commune' && parent !== undefined ? communesOf(parent) : undefined });
    });

  app.post('/direction/indicators/refresh', { schema: { tags, summary: 'Compute the indicators now (all, or those named) and store today\'s values', body: RefreshBody } },
    async (request, reply) => reply.status(201).send(await indicators.refresh('demand', request.body.ids)));

  app.get('/direction/indicator-runs', { schema: { tags, summary: 'Recent indicator refreshes, newest first' } },
    async () => ({ items: await indicators.runs() }));

  app.get('/direction/dashboard', { schema: { tags, summary: 'A dashboard: the nation, a province or a commune, by name; values, trend, ranking and the provinces\' map', querystring: DashboardQuery } },
    async (request) => dashboard.view({ indicatorId: request.query.indicator, province: request.query.province, commune: request.query.commune, days: request.query.days }));

  app.get('/direction/plans', { schema: { tags, summary: 'Plans' } }, async () => ({ items: await plans.plans() }));

  app.post('/direction/plans', { schema: { tags, summary: 'Create a plan', body: PlanBody } },
    async (request, reply) => reply.status(201).send(await plans.createPlan(actorOf(request).id, request.body)));

  app.get('/direction/plans/:planId/tasks', { schema: { tags, summary: 'The plan\'s tasks with milestones and derived status', params: PlanIdParam, querystring: OnQuery } },
    async (request) => ({ plan: await plans.plan(request.params.planId), items: await plans.tasks(request.params.planId, request.query.on) }));

  app.post('/direction/plans/:planId/tasks', { schema: { tags, summary: 'Add a task with its owner, deadline, milestones and indicator', params: PlanIdParam, body: TaskBody } },
    async (request, reply) => reply.status(201).send(await plans.addTask(actorOf(request).id, request.params.planId, request.body)));

  app.get('/direction/plans/:planId/meeting', { schema: { tags, summary: 'The weekly meeting\'s lists: units late and units ahead', params: PlanIdParam, querystring: OnQuery } },
    async (request) => plans.meeting(request.params.planId, request.query.on));

  app.get('/direction/plans/:planId/export', { schema: { tags, summary: 'The plan\'s tasks as CSV', params: PlanIdParam } },
    async (request, reply) => reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="plan-${request.params.planId.replace(/[^0-9A-Za-z-]/g, '')}.csv"`).send(await plans.exportCsv(request.params.planId)));

  app.post('/direction/plans/:planId/import', { schema: { tags, summary: 'Import tasks from CSV (the export\'s columns); all rows or none', params: PlanIdParam, body: ImportBody } },
    async (request) => plans.importCsv(actorOf(request).id, request.params.planId, request.body.csv));

  app.get('/direction/tasks/:taskId', { schema: { tags, summary: 'A task with its milestones, every change (who, when, what) and comments', params: TaskIdParam } },
    async (request) => plans.task(request.params.taskId));

  app.patch('/direction/tasks/:taskId', { schema: { tags, summary: 'Change a task (owner, deadline, indicator, …); refused when changed since `version`', params: TaskIdParam, body: TaskPatchBody } },
    async (request) => {
      const { version, ...patch } = request.body;
      return plans.updateTask(actorOf(request).id, request.params.taskId, patch, version);
    });

  app.post('/direction/tasks/:taskId/milestones', { schema: { tags, summary: 'Add a milestone', params: TaskIdParam, body: MilestoneBody } },
    async (request, reply) => reply.status(201).send(await plans.addMilestone(actorOf(request).id, request.params.taskId, request.body)));

  app.post('/direction/milestones/:milestoneId/completion', { schema: { tags, summary: 'Mark a milestone done on a day, or not done (null)', params: MilestoneIdParam, body: CompletionBody } },
    async (request) => plans.setMilestone(actorOf(request).id, request.params.milestoneId, request.body.completedOn));

  app.post('/direction/tasks/:taskId/completion', { schema: { tags, summary: 'Mark a task done on a day, or reopen it (null)', params: TaskIdParam, body: CompletionBody } },
    async (request) => plans.setDone(actorOf(request).id, request.params.taskId, request.body.completedOn));

  app.post('/direction/tasks/:taskId/comments', { schema: { tags, summary: 'Comment on a task', params: TaskIdParam, body: CommentBody } },
    async (request, reply) => reply.status(201).send(await plans.comment(actorOf(request).id, request.params.taskId, request.body.body)));

  app.get('/direction/statistics/:table', { schema: { tags, summary: 'A population table of the month (noisy counts under a privacy budget): communes of a province, or provinces', params: TableParam, querystring: StatisticsQuery } },
    async (request) => statistics.release(request.params.table, request.query.scope ?? '', actorOf(request).id));

  app.get('/direction/statistics-releases', { schema: { tags, summary: 'Tables released for a scope and the budget they spent', querystring: StatisticsQuery } },
    async (request) => ({ items: await statistics.releases(request.query.scope ?? '') }));

  return Promise.resolve();
};
