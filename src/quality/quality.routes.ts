import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { buildQualityReport, renderQualityReportHtml } from './quality-report.js';
import {
  ActionResultView, ActionView, DecisionBody, FindingIdParam, FindingQuery, FindingView, ResolveBody, RuleView, ScanView, ScorecardQuery,
  ScoreView, TrendQuery,
} from './quality.schemas.js';
import type { QualityService } from './quality.service.js';

export interface QualityRoutesOptions {
  readonly quality: QualityService;
  readonly now: () => string;
}

/** Quality endpoints for operators: rules, scans, scorecards and trends, the worklist and its actions. */
export const qualityRoutes: FastifyPluginAsyncTypebox<QualityRoutesOptions> = (app, { quality, now }) => {
  const tags = ['quality'];

  app.get('/quality/rules', {
    schema: { tags, summary: 'The rule catalog', response: { 200: Type.Object({ items: Type.Array(RuleView) }) } },
  }, () => ({ items: quality.rules().map((r) => ({ id: r.id, kind: r.kind, dimension: r.dimension, group: r.group, severity: r.severity, field: r.field, description: r.description })) }));

  app.post('/quality/scans', {
    schema: { tags, summary: 'Run a full scan now (minutes at national scale: prefer `sachsong quality scan`)', response: { 201: Type.Object({ scanId: Type.String(), persons: Type.Integer(), findings: Type.Integer(), open: Type.Integer(), new: Type.Integer(), fixed: Type.Integer(), byRule: Type.Record(Type.String(), Type.Integer()) }) } },
  }, async (_request, reply) => {
    const s = await quality.fullScan();
    return reply.status(201).send({ scanId: s.scanId, persons: s.persons, findings: s.findings, open: s.open, new: s.new, fixed: s.fixed, byRule: s.byRule });
  });

  app.get('/quality/scans', {
    schema: { tags, summary: 'Recent scans, newest first', response: { 200: Type.Object({ items: Type.Array(ScanView) }) } },
  }, async () => ({ items: [...(await quality.scans())] }));

  app.get('/quality/scorecard', {
    schema: { tags, summary: 'The latest scores of a scope (national, province, commune of a province, rule, field)', querystring: ScorecardQuery, response: { 200: Type.Object({ scan: Type.Union([ScanView, Type.Null()]), items: Type.Array(ScoreView) }) } },
  }, async (request) => {
    const { scan, rows } = await quality.scorecard(request.query.scope, request.query.parent);
    return { scan, items: [...rows] };
  });

  app.get('/quality/trend', {
    schema: { tags, summary: 'A scope\'s scores over time, one point per full scan', querystring: TrendQuery, response: { 200: Type.Object({ items: Type.Array(ScoreView) }) } },
  }, async (request) => ({ items: [...(await quality.trend(request.query.scope, request.query.code, request.query.limit))] }));

  app.get('/quality/findings', {
    schema: { tags, summary: 'The worklist: findings by province, commune, rule, group, status or record', querystring: FindingQuery, response: { 200: Type.Object({ items: Type.Array(FindingView) }) } },
  }, async (request) => {
    const q = request.query;
    return { items: [...(await quality.worklist({ provinceCode: q.province, communeCode: q.commune, ruleId: q.rule, group: q.group, status: q.status, recordId: q.record, after: q.after, limit: q.limit ?? 50 }))] };
  });

  app.get('/quality/findings/:id', {
    schema: { tags, summary: 'A finding and every action taken on it', params: FindingIdParam, response: { 200: Type.Object({ finding: FindingView, actions: Type.Array(ActionView) }) } },
  }, async (request) => {
    const { finding, actions } = await quality.finding(request.params.id);
    return { finding, actions: [...actions] };
  });

  app.post('/quality/findings/:id/resolve', {
    schema: { tags, summary: 'Resolve a finding with a correction life event (with a reason)', params: FindingIdParam, body: ResolveBody, response: { 200: ActionResultView } },
  }, async (request) => quality.resolve(request.params.id, request.body));

  const decide = (path: string, summary: string, act: (id: string, body: DecisionBody) => ReturnType<QualityService['dismiss']>): void => {
    app.post(`/quality/findings/:id/${path}`, {
      schema: { tags, summary, params: FindingIdParam, body: DecisionBody, response: { 200: ActionResultView } },
    }, async (request) => act(request.params.id, request.body));
  };
  decide('dismiss', 'Dismiss a finding as a false positive (with a reason)', (id, body) => quality.dismiss(id, body));
  decide('merge', 'Merge a duplicate into the record it duplicates (with a reason)', (id, body) => quality.merge(id, body));
  decide('distinct', 'Mark a suspected duplicate as two distinct persons (with a reason)', (id, body) => quality.markDistinct(id, body));

  app.get('/quality/report', {
    schema: { tags, summary: 'The quality report, as JSON or a self-contained HTML page', querystring: Type.Object({ format: Type.Union([Type.Literal('json'), Type.Literal('html')], { default: 'json' }) }) },
  }, async (request, reply) => {
    const report = await buildQualityReport(quality, now());
    if (request.query.format === 'html') return reply.type('text/html; charset=utf-8').send(renderQualityReportHtml(report));
    return report;
  });
  return Promise.resolve();
};
