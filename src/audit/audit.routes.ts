import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { adminUnitCatalog } from '../registry/admin-unit.catalog.js';
import { IdNumberParam } from '../registry/person.schemas.js';
import { describeCommune } from '../registry/person.view.js';
import { DomainError } from '../shared/domain-error.js';
import type { AccessRecordInput } from './access-log.types.js';
import type { AuditService, TrackerPage } from './audit.service.js';
import { BreakGlassReadsQuery, BreakGlassReadsView, ConsistencyProofView, InclusionProofView, SignedCheckpointView, TrackerPageView, TrackerQuery, type AccessRecordView } from './audit.schemas.js';

export interface AuditRoutesOptions {
  readonly audit: AuditService;
}

/**
 * The access log by API: signed checkpoints, inclusion and consistency proofs, and the citizen's
 * data tracker. For now behind the operator token; citizens sign in with a later identity issue.
 */
export const auditRoutes: FastifyPluginAsyncTypebox<AuditRoutesOptions> = (app, { audit }) => {
  const tags = ['audit'];

  app.get('/audit/checkpoint', {
    schema: {
      tags,
      summary: 'The signed checkpoint of the whole committed access log (signed afresh when the log has grown)',
      response: { 200: SignedCheckpointView },
    },
  }, async () => {
    const checkpoint = await audit.checkpoint();
    if (checkpoint === undefined) throw new DomainError('not_found', 'ACCESS_LOG_EMPTY', 'The access log holds no record yet', 'Ask again once data has been released');
    return checkpoint;
  });

  app.get('/audit/proofs/inclusion', {
    schema: {
      tags,
      summary: 'RFC 9162 inclusion proof of an access record (default tree size: a checkpoint that covers it)',
      querystring: Type.Object({ index: Type.Integer({ minimum: 0 }), treeSize: Type.Optional(Type.Integer({ minimum: 1 })) }),
      response: { 200: InclusionProofView },
    },
  }, async (request) => {
    const proof = await audit.inclusion(request.query.index, request.query.treeSize);
    return { ...proof, proof: [...proof.proof] };
  });

  app.get('/audit/proofs/consistency', {
    schema: {
      tags,
      summary: 'RFC 9162 consistency proof that the log of `second` records extends the log of `first`',
      querystring: Type.Object({ first: Type.Integer({ minimum: 1 }), second: Type.Integer({ minimum: 1 }) }),
      response: { 200: ConsistencyProofView },
    },
  }, async (request) => {
    const proof = await audit.consistency(request.query.first, request.query.second);
    return { ...proof, proof: [...proof.proof] };
  });

  app.get('/audit/break-glass-reads', {
    schema: {
      tags,
      summary: 'Break-glass reads for the auditors: who read whose data outside their unit, and the written reason',
      description: 'Newest first; page with `cursor`. The reason text is kept for the auditors only: the access record (and so the citizen) sees the break-glass mark and the SHA-256 of the reason.',
      querystring: BreakGlassReadsQuery,
      response: { 200: BreakGlassReadsView },
    },
  }, async (request) => {
    const q = request.query;
    const page = await audit.breakGlassReads({
      ...(q.limit === undefined ? {} : { limit: q.limit }),
      ...(q.from === undefined ? {} : { from: q.from }),
      ...(q.to === undefined ? {} : { to: q.to }),
      ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
    });
    return { items: page.items.map((i) => ({ ...i, personIds: [...i.personIds] })), nextCursor: page.nextCursor };
  });

  app.get('/citizens/:idNumber/access-records', {
    schema: {
      tags,
      summary: "The citizen's data tracker: who used their data, when, why and under which law or consent, each with its inclusion proof",
      description: 'Entries deferred (e.g. police enquiries) appear from their date on. Newest first; page with `before`.',
      params: Type.Object({ idNumber: IdNumberParam }),
      querystring: TrackerQuery,
      response: { 200: TrackerPageView },
    },
  }, async (request) => {
    const page = await audit.tracker(request.params.idNumber, {
      ...(request.query.limit === undefined ? {} : { limit: request.query.limit }),
      ...(request.query.before === undefined ? {} : { before: request.query.before }),
    });
    return trackerPageView(page);
  });
  return Promise.resolve();
};

/** A record as JSON: absent options left out (never `undefined`), arrays copied. */
/** A tracker page as the API answers it (the officers' route and the citizen's portal). */
export function trackerPageView(page: TrackerPage): Static<typeof TrackerPageView> {
  return {
    ...page,
    checkpoint: page.checkpoint ?? null,
    entries: page.entries.map((e) => {
      const unitName = e.record.readerUnit === undefined ? undefined : unitNameOf(e.record.readerUnit, page.visibleOn);
      return { ...e, record: recordView(e.record), proof: [...e.proof], ...(unitName === undefined ? {} : { readerUnitName: unitName }) };
    }),
    nextBefore: page.nextBefore ?? null,
  };
}

function recordView(r: AccessRecordInput): Static<typeof AccessRecordView> {
  return {
    personId: r.personId,
    at: r.at,
    clientId: r.clientId,
    ...(r.receivingAgency === undefined ? {} : { receivingAgency: r.receivingAgency }),
    officerId: r.officerId,
    service: r.service,
    purpose: r.purpose,
    legalBasis: r.legalBasis,
    ...(r.consentId === undefined ? {} : { consentId: r.consentId }),
    fields: [...r.fields],
    visibility: r.visibility,
    requestId: r.requestId,
    ...(r.caseReference === undefined ? {} : { caseReference: r.caseReference }),
    ...(r.readerKind === undefined ? {} : { readerKind: r.readerKind }),
    ...(r.readerRole === undefined ? {} : { readerRole: r.readerRole }),
    ...(r.readerUnit === undefined ? {} : { readerUnit: r.readerUnit }),
    ...(r.breakGlass === true ? { breakGlass: true as const } : {}),
    ...(r.breakGlassReasonSha256 === undefined ? {} : { breakGlassReasonSha256: r.breakGlassReasonSha256 }),
    ...(r.jobId === undefined ? {} : { jobId: r.jobId }),
    ...(r.jobHash === undefined ? {} : { jobHash: r.jobHash }),
  };
}

/** A reader's unit (`nation`, `province:NN`, `commune:NNNNN`) by its name on `on`; undefined when unknown. */
export function unitNameOf(unit: string, on: string): string | undefined {
  if (unit === 'nation') return 'Toàn quốc';
  const [level, code = ''] = unit.split(':');
  if (level === 'commune') {
    const names = describeCommune(code, on);
    return names.name === null ? undefined : names.provinceName === null ? names.name : `${names.name}, ${names.provinceName}`;
  }
  try {
    return adminUnitCatalog().province(code, on).name;
  } catch {
    return undefined;
  }
}
