import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { IdNumberParam } from '../registry/person.schemas.js';
import { DomainError } from '../shared/domain-error.js';
import type { AuditService } from './audit.service.js';
import { BreakGlassReadsQuery, BreakGlassReadsView, ConsistencyProofView, InclusionProofView, SignedCheckpointView, TrackerPageView, TrackerQuery } from './audit.schemas.js';
import { trackerPageView } from './tracker.view.js';

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
