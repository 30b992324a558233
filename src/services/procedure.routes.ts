import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { CitizenAccountService } from '../citizen/citizen-account.service.js';
import { actorOf } from '../http/api-auth.js';
import { breakGlassReasonOf, officialRead, type OfficialReadSink } from '../http/official-reads.js';
import { authorize, type Actor } from '../identity/authorization.policy.js';
import { vietnamDay } from '../registry/partial-date.js';
import { describeCommune } from '../registry/person.view.js';
import type { RegistryService } from '../registry/registry.service.js';
import type { Clock } from '../shared/clock.js';
import type { ProcedureService } from './procedure.service.js';
import {
  BirthApplicationBody,
  CatalogueEntryView,
  DeathApplicationBody,
  ProcedureIdParam,
  ProcedureListQuery,
  ProcedureView,
  type ProcedureViewT,
} from './procedure.schemas.js';
import type { Procedure } from './procedure.types.js';
import type { ServiceCatalogueService } from './service-catalogue.service.js';

/** The fields a procedure view shows, for the access records. */
const viewFields = ['applicantId', 'applicantName', 'subjectId', 'subjectName', 'communeCode', 'procedureStatus', 'steps'];

/** Adds the names the console and the portal show (persons, commune). */
async function viewsOf(registry: RegistryService, clock: Clock, procedures: readonly Procedure[]): Promise<ProcedureViewT[]> {
  const names = new Map<string, string | null>();
  for (const p of procedures) {
    for (const id of [p.applicantId, p.subjectId]) {
      if (!names.has(id)) names.set(id, await registry.getPerson(id).then((r) => r.fullName, () => null));
    }
  }
  const on = vietnamDay(clock.now());
  return procedures.map((p) => {
    const commune = describeCommune(p.communeCode, on);
    return {
      procedureId: p.procedureId, kind: p.kind, name: p.name,
      applicantId: p.applicantId, applicantName: names.get(p.applicantId) ?? null,
      subjectId: p.subjectId, subjectName: names.get(p.subjectId) ?? null,
      communeCode: p.communeCode, communeName: commune.name, provinceName: commune.provinceName,
      status: p.status, overdue: p.overdue, submittedAt: p.submittedAt, dueAt: p.dueAt, completedAt: p.completedAt,
      steps: p.steps.map((s) => ({
        stepNo: s.stepNo, key: s.key, name: s.name, owner: s.owner, ownerName: s.ownerName, status: s.status, attempts: s.attempts,
        nextAttemptAt: s.nextAttemptAt, dueAt: s.dueAt, startedAt: s.startedAt, finishedAt: s.finishedAt, lastError: s.lastError, result: s.result,
      })),
    };
  });
}

export interface ProcedureCitizenRoutesOptions {
  readonly procedures: ProcedureService;
  readonly accounts: CitizenAccountService;
  readonly registry: RegistryService;
  readonly clock: Clock;
}

// The portal's session cookie (citizen/portal.routes.ts): these routes sit under its path.
const citizenCookie = 'sachsong_citizen';

function citizenCookieOf(request: FastifyRequest): string {
  const header = request.headers.cookie;
  if (header === undefined || header.length > 8192) return '';
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === citizenCookie) return pair.slice(eq + 1).trim();
  }
  return '';
}

/**
 * The applicant's side, under the portal's e-ID session: submit a birth or a death application
 * (one submission for the whole chain) and follow each step. Every answer that shows persons is
 * recorded in the access log first.
 */
export const procedureCitizenRoutes: FastifyPluginAsyncTypebox<ProcedureCitizenRoutesOptions> = (app, { procedures, accounts, registry, clock }) => {
  const tags = ['citizen portal', 'linked procedures'];
  const signedIn = async (request: FastifyRequest): Promise<{ readonly accountId: string; readonly personId: string }> => {
    const csrf = request.headers['x-csrf-token'];
    const { account } = await accounts.authenticate(citizenCookieOf(request), { unsafe: request.method !== 'GET', csrfToken: typeof csrf === 'string' ? csrf : undefined });
    return { accountId: account.accountId, personId: account.personId };
  };
  const answer = async (request: FastifyRequest, accountId: string, list: readonly Procedure[]): Promise<ProcedureViewT[]> => {
    const views = await viewsOf(registry, clock, list);
    await procedures.recordApplicantRead(accountId, request.id, list);
    return views;
  };
  const answerOne = async (request: FastifyRequest, accountId: string, procedure: Procedure): Promise<ProcedureViewT> => {
    const [view] = await answer(request, accountId, [procedure]);
    if (view === undefined) throw new Error('a procedure without its view');
    return view;
  };

  app.post('/citizen/portal/procedures/birth', {
    schema: { tags, summary: 'Apply, as a parent, for the birth registration, permanent residence and health insurance card of a newborn in one submission', security: [],
      body: BirthApplicationBody, response: { 201: ProcedureView } },
  }, async (request, reply) => {
    const { accountId, personId } = await signedIn(request);
    const body = request.body;
    const procedure = await procedures.submitBirth({ applicantId: personId, officerId: null }, {
      child: { fullName: body.child.fullName, birthDate: body.child.birthDate, sex: body.child.sex, ...(body.child.ethnicity === undefined ? {} : { ethnicity: body.child.ethnicity }) },
      ...(body.otherParentId === undefined ? {} : { otherParentId: body.otherParentId }),
    });
    return reply.code(201).send(await answerOne(request, accountId, procedure));
  });

  app.post('/citizen/portal/procedures/death', {
    schema: { tags, summary: 'Declare, as a relative, a death: registration, residence removed, pension stop notified and e-ID account locked in one submission', security: [],
      body: DeathApplicationBody, response: { 201: ProcedureView } },
  }, async (request, reply) => {
    const { accountId, personId } = await signedIn(request);
    const body = request.body;
    const procedure = await procedures.submitDeath({ applicantId: personId, officerId: null }, {
      deceasedId: body.deceasedId, deathDate: body.deathDate, ...(body.cause === undefined ? {} : { cause: body.cause }),
    });
    return reply.code(201).send(await answerOne(request, accountId, procedure));
  });

  app.get('/citizen/portal/procedures', {
    schema: { tags, summary: 'My applications and the status of each step', security: [], response: { 200: Type.Object({ items: Type.Array(ProcedureView) }) } },
  }, async (request) => {
    const { accountId, personId } = await signedIn(request);
    return { items: await answer(request, accountId, await procedures.ofApplicant(personId)) };
  });

  app.get('/citizen/portal/procedures/:procedureId', {
    schema: { tags, summary: 'One of my applications, step by step', security: [], params: ProcedureIdParam, response: { 200: ProcedureView } },
  }, async (request) => {
    const { accountId, personId } = await signedIn(request);
    return answerOne(request, accountId, await procedures.getForApplicant(personId, request.params.procedureId));
  });
  return Promise.resolve();
};

export interface ProcedureOfficerRoutesOptions {
  readonly procedures: ProcedureService;
  readonly catalogue: ServiceCatalogueService;
  readonly registry: RegistryService;
  readonly clock: Clock;
  readonly reads: OfficialReadSink;
  /** The 2025 commune and province of a procedure's commune code (its jurisdiction). */
  readonly unitOf: (communeCode: string) => { readonly commune: string; readonly province: string } | undefined;
}

/**
 * The officers' side under /api: the procedures of their unit (a commune officer their commune,
 * a province officer their province, national officers all), one procedure by jurisdiction with
 * break-glass as for a person, the retry of a failed step by a clerk of the unit, the agencies'
 * delivery addresses, and the catalogue of essential services.
 */
export const procedureOfficerRoutes: FastifyPluginAsyncTypebox<ProcedureOfficerRoutesOptions> = (app, { procedures, catalogue, registry, clock, reads, unitOf }) => {
  const tags = ['linked procedures'];
  const ties = (p: Procedure): { readonly communes: readonly { readonly commune: string; readonly province: string }[] } => {
    const unit = unitOf(p.communeCode);
    return { communes: unit === undefined ? [] : [unit] };
  };
  const readHeaders = Type.Object({
    'x-purpose': Type.Optional(Type.String()),
    'x-case-reference': Type.Optional(Type.String()),
    'x-break-glass-reason': Type.Optional(Type.String()),
  });
  const personsOf = (list: readonly Procedure[]): string[] => [...new Set(list.flatMap((p) => [p.applicantId, p.subjectId]))];

  app.get('/procedures', {
    schema: { tags, summary: 'The linked procedures of my unit, newest first (each listed person is recorded)', querystring: ProcedureListQuery, headers: readHeaders,
      response: { 200: Type.Object({ items: Type.Array(ProcedureView) }) } },
  }, async (request) => {
    const actor: Actor = actorOf(request);
    const unit = actor.unit.level === 'nation' ? {} : actor.unit.level === 'province' ? { provinceCode: actor.unit.code } : { provinceCode: actor.unit.province, communeCode: actor.unit.code };
    const list = await procedures.ofUnit(unit, { status: request.query.status, kind: request.query.kind }, request.query.limit ?? 100);
    const items = await viewsOf(registry, clock, list);
    await reads.record(officialRead(request, actor, 'procedure.read', personsOf(list), viewFields, undefined));
    return { items };
  });

  app.get('/procedures/:procedureId', {
    schema: { tags, summary: 'One linked procedure, step by step (by jurisdiction; recorded in the access log)', params: ProcedureIdParam, headers: readHeaders, response: { 200: ProcedureView } },
  }, async (request) => {
    const actor = actorOf(request);
    const procedure = await procedures.get(request.params.procedureId);
    const decision = authorize(actor, 'person.read', { kind: 'person', ties: ties(procedure) }, { breakGlassReason: breakGlassReasonOf(request) });
    const [view] = await viewsOf(registry, clock, [procedure]);
    await reads.record(officialRead(request, actor, 'procedure.read', personsOf([procedure]), viewFields, decision));
    return view;
  });

  app.post('/procedures/:procedureId/steps/:stepNo/retry', {
    schema: { tags, summary: 'Send a failed step round again (a clerk of the procedure\'s commune)', params: Type.Object({ procedureId: Type.String({ format: 'uuid' }), stepNo: Type.Integer({ minimum: 1, maximum: 10 }) }),
      response: { 200: Type.Object({ procedureId: Type.String(), status: Type.String(), stepStatus: Type.String() }) } },
  }, async (request) => {
    const actor = actorOf(request);
    const procedure = await procedures.get(request.params.procedureId);
    authorize(actor, 'person.write', { kind: 'person', ties: ties(procedure) });
    const after = await procedures.retryStep(procedure.procedureId, request.params.stepNo);
    // No person's data in the answer: only the states.
    return { procedureId: after.procedureId, status: after.status, stepStatus: after.steps[request.params.stepNo - 1]?.status ?? 'pending' };
  });

  const EndpointView = Type.Object({ agency: Type.String(), url: Type.String(), updatedAt: Type.String() });
  app.get('/procedure-endpoints', {
    schema: { tags, summary: 'Where each agency receives its procedure deliveries', response: { 200: Type.Object({ items: Type.Array(EndpointView) }) } },
  }, async () => ({ items: [...await procedures.endpoints()] }));

  app.put('/procedure-endpoints/:agency', {
    schema: { tags, summary: 'Set where an agency receives its procedure deliveries (https)', params: Type.Object({ agency: Type.String({ maxLength: 40 }) }),
      body: Type.Object({ url: Type.String({ maxLength: 2000 }) }, { additionalProperties: false }), response: { 204: Type.Null() } },
  }, async (request, reply) => {
    await procedures.setEndpoint(request.params.agency, request.body.url);
    return reply.code(204).send(null);
  });

  app.get('/service-catalogue', {
    schema: { tags: ['service catalogue'], summary: 'The 53 essential public services: agency, and the registry data each reads instead of paper',
      querystring: Type.Object({ q: Type.Optional(Type.String({ maxLength: 100 })), linked: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
      response: { 200: Type.Object({ total: Type.Integer(), items: Type.Array(CatalogueEntryView), fieldUse: Type.Record(Type.String(), Type.Integer()) }) } },
  }, (request) => {
    const items = catalogue.list({ q: request.query.q, linkedOnly: request.query.linked });
    return Promise.resolve({ total: items.length, items: items.map((e) => ({ ...e, reads: [...e.reads] })), fieldUse: catalogue.fieldUse() });
  });
  return Promise.resolve();
};
