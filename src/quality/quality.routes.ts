import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf } from '../http/api-auth.js';
import { authorize, unitContains, type Actor, type Permission, type Unit } from '../identity/authorization.policy.js';
import { adminUnitCatalog } from '../registry/admin-unit.catalog.js';
import { DomainError } from '../shared/domain-error.js';
import { detailTexts } from './finding-detail.js';
import { buildQualityReport, renderQualityReportHtml } from './quality-report.js';
import {
  ActionResultView, ActionView, DecisionBody, FindingIdParam, FindingQuery, FindingView, ResolveBody, RuleView, ScanView, ScorecardQuery,
  ScoreView, TrendQuery,
} from './quality.schemas.js';
import type { QualityService } from './quality.service.js';
import type { CorrectionRequestService } from './correction-request.service.js';

const CorrectionRequestView = Type.Object({
  field: Type.String(), explanation: Type.String(), evidence: Type.Union([Type.String(), Type.Null()]), submittedAt: Type.String(),
  status: Type.Union([Type.Literal('submitted'), Type.Literal('corrected'), Type.Literal('rejected')]),
});

/** A stored detail's code and its text in both languages, as the worklist shows it. */
function detailView(stored: string): { detailCode: string | null; detailText: { vi: string; en: string } } {
  const { code, vi, en } = detailTexts(stored);
  return { detailCode: code, detailText: { vi, en } };
}

export interface QualityRoutesOptions {
  readonly quality: QualityService;
  readonly now: () => string;
  /** Citizens' correction requests: a finding of theirs shows what the citizen wrote. */
  readonly requests?: CorrectionRequestService;
}

/**
 * Quality endpoints: rules, scans, scorecards and trends, the worklist and its actions, each
 * narrowed to the actor's unit (a scorecard or trend of a unit inside it; the worklist filtered to
 * it; a full scan from the nation only). Worklist actions are recorded under the signed-in officer.
 */
export const qualityRoutes: FastifyPluginAsyncTypebox<QualityRoutesOptions> = (app, { quality, now, requests }) => {
  const tags = ['quality'];
  const provinceOfCommune = new Map(adminUnitCatalog().communes2025().map((c) => [c.code, c.provinceCode]));
  const communeUnit = (code: string, province?: string): Unit => ({ level: 'commune', code, province: province ?? provinceOfCommune.get(code) ?? '' });
  const nation: Unit = { level: 'nation' };
  const onUnit = (actor: Actor, permission: Permission, unit: Unit): void => {
    authorize(actor, permission, { kind: 'unit', unit });
  };
  const scopeUnit = (scope: string, code: string | undefined): Unit =>
    code === undefined || code === '' ? nation : scope === 'province' ? { level: 'province', code } : scope === 'commune' ? communeUnit(code) : nation;
  /** The finding's place; a finding outside the actor's unit is answered as not found (its existence is not told). */
  const findingInUnit = async (actor: Actor, findingId: string): Promise<void> => {
    const { finding } = await quality.finding(findingId);
    const unit: Unit = finding.communeCode !== '' ? communeUnit(finding.communeCode, finding.provinceCode) : finding.provinceCode !== '' ? { level: 'province', code: finding.provinceCode } : nation;
    if (!unitContains(actor.unit, unit)) {
      throw new DomainError('forbidden', 'OUTSIDE_JURISDICTION', 'The person or unit is outside your jurisdiction', 'Ask an officer of that unit, or a higher level', { permission: 'quality.worklist' });
    }
  };

  app.get('/quality/rules', {
    schema: { tags, summary: 'The rule catalog', response: { 200: Type.Object({ items: Type.Array(RuleView) }) } },
  }, () => ({ items: quality.rules().map((r) => ({ id: r.id, kind: r.kind, dimension: r.dimension, group: r.group, severity: r.severity, field: r.field, description: r.description })) }));

  app.post('/quality/scans', {
    schema: { tags, summary: 'Run a full scan now (minutes at national scale: prefer `sachsong quality scan`)', response: { 201: Type.Object({ scanId: Type.String(), persons: Type.Integer(), findings: Type.Integer(), open: Type.Integer(), new: Type.Integer(), fixed: Type.Integer(), byRule: Type.Record(Type.String(), Type.Integer()) }) } },
  }, async (request, reply) => {
    onUnit(actorOf(request), 'quality.scan', nation);
    const s = await quality.fullScan();
    return reply.status(201).send({ scanId: s.scanId, persons: s.persons, findings: s.findings, open: s.open, new: s.new, fixed: s.fixed, byRule: s.byRule });
  });

  app.get('/quality/scans', {
    schema: { tags, summary: 'Recent scans, newest first', response: { 200: Type.Object({ items: Type.Array(ScanView) }) } },
  }, async () => ({ items: [...(await quality.scans())] }));

  app.get('/quality/scorecard', {
    schema: { tags, summary: 'The latest scores of a scope (national, province, commune of a province, rule, field)', querystring: ScorecardQuery, response: { 200: Type.Object({ scan: Type.Union([ScanView, Type.Null()]), items: Type.Array(ScoreView) }) } },
  }, async (request) => {
    // National, province, rule and field scorecards list the whole nation; communes those of one province.
    onUnit(actorOf(request), 'quality.report', request.query.scope === 'commune' ? scopeUnit('province', request.query.parent) : nation);
    const { scan, rows } = await quality.scorecard(request.query.scope, request.query.parent);
    return { scan, items: [...rows] };
  });

  app.get('/quality/trend', {
    schema: { tags, summary: 'A scope\'s scores over time, one point per full scan', querystring: TrendQuery, response: { 200: Type.Object({ items: Type.Array(ScoreView) }) } },
  }, async (request) => {
    onUnit(actorOf(request), 'quality.report', scopeUnit(request.query.scope, request.query.code));
    return { items: [...(await quality.trend(request.query.scope, request.query.code, request.query.limit))] };
  });

  app.get('/quality/findings', {
    schema: { tags, summary: 'The worklist: findings by province, commune, rule, group, status or record', querystring: FindingQuery, response: { 200: Type.Object({ items: Type.Array(FindingView), total: Type.Integer({ description: 'findings matching the filters over all pages' }) }) } },
  }, async (request) => {
    const actor = actorOf(request);
    const q = request.query;
    // The worklist of the actor's unit: a filter outside it is refused, none means the whole unit.
    if (q.commune !== undefined) onUnit(actor, 'quality.worklist', communeUnit(q.commune));
    if (q.province !== undefined) onUnit(actor, 'quality.worklist', { level: 'province', code: q.province });
    const u = actor.unit;
    const communeCode = q.commune ?? (u.level === 'commune' ? u.code : undefined);
    const provinceCode = q.province ?? (u.level === 'province' ? u.code : u.level === 'commune' ? u.province : undefined);
    const filter = { provinceCode, communeCode, ruleId: q.rule, group: q.group, status: q.status, recordId: q.record };
    const [items, total] = await Promise.all([quality.worklist({ ...filter, after: q.after, limit: q.limit ?? 50 }), quality.worklistCount(filter)]);
    // Officers read places by name: today's names, as the scorecard shows them.
    const today = now().slice(0, 10);
    const catalog = adminUnitCatalog();
    const provinceNames = new Map(catalog.provinces(today).map((p) => [p.code, p.name]));
    return {
      items: items.map((f) => ({
        ...f,
        ...detailView(f.detail),
        communeName: f.communeCode === '' ? null : catalog.findCommune(f.communeCode, today)?.name ?? null,
        provinceName: provinceNames.get(f.provinceCode) ?? null,
      })),
      total,
    };
  });

  app.get('/quality/findings/:id', {
    schema: { tags, summary: 'A finding and every action taken on it (a citizen\'s correction request with what they wrote)', params: FindingIdParam,
      response: { 200: Type.Object({ finding: FindingView, actions: Type.Array(ActionView), request: Type.Optional(CorrectionRequestView) }) } },
  }, async (request) => {
    await findingInUnit(actorOf(request), request.params.id);
    const { finding, actions } = await quality.finding(request.params.id);
    const asked = await requests?.ofFinding(request.params.id);
    return { finding: { ...finding, ...detailView(finding.detail) }, actions: [...actions], ...(asked === undefined ? {} : { request: { field: asked.field, explanation: asked.explanation, evidence: asked.evidence, submittedAt: asked.submittedAt, status: asked.status } }) };
  });

  app.post('/quality/findings/:id/resolve', {
    schema: { tags, summary: 'Resolve a finding with a correction life event (with a reason)', params: FindingIdParam, body: ResolveBody, response: { 200: ActionResultView } },
  }, async (request) => {
    const actor = actorOf(request);
    await findingInUnit(actor, request.params.id);
    return quality.resolve(request.params.id, { ...request.body, officerId: actor.id });
  });

  const decide = (path: string, summary: string, act: (id: string, body: DecisionBody & { readonly officerId: string }) => ReturnType<QualityService['dismiss']>): void => {
    app.post(`/quality/findings/:id/${path}`, {
      schema: { tags, summary, params: FindingIdParam, body: DecisionBody, response: { 200: ActionResultView } },
    }, async (request) => {
      const actor = actorOf(request);
      await findingInUnit(actor, request.params.id);
      return act(request.params.id, { ...request.body, officerId: actor.id });
    });
  };
  decide('dismiss', 'Dismiss a finding as a false positive (with a reason)', (id, body) => quality.dismiss(id, body));
  decide('merge', 'Merge a duplicate into the record it duplicates (with a reason)', (id, body) => quality.merge(id, body));
  decide('distinct', 'Mark a suspected duplicate as two distinct persons (with a reason)', (id, body) => quality.markDistinct(id, body));

  app.get('/quality/report', {
    schema: { tags, summary: 'The quality report, as JSON or a self-contained HTML page', querystring: Type.Object({ format: Type.Union([Type.Literal('json'), Type.Literal('html')], { default: 'json' }), lang: Type.Union([Type.Literal('vi'), Type.Literal('en')], { default: 'vi', description: 'the HTML page\'s language' }) }) },
  }, async (request, reply) => {
    onUnit(actorOf(request), 'quality.report', nation);
    const report = await buildQualityReport(quality, now());
    if (request.query.format === 'html') return reply.type('text/html; charset=utf-8').send(renderQualityReportHtml(report, request.query.lang));
    return report;
  });
  return Promise.resolve();
};
