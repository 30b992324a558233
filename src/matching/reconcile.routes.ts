import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ProblemSchema } from '../registry/admin-unit.schemas.js';
import { isDomainError } from '../shared/domain-error.js';
import type { ReconcileJobService, ReconcileJobView as JobView } from './reconcile-job.service.js';
import type { ReconcileSummary } from './reconcile.types.js';
import { CreateReconcileJobBody, FileNameParam, JobIdParam, ReconcileJobView, ReconcileSummaryView } from './reconcile.schemas.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] ? U[] : T[K] };

function summaryJson(summary: ReconcileSummary): Mutable<ReconcileSummary> {
  return { ...summary, columnsMissing: [...summary.columnsMissing], badRowSamples: [...summary.badRowSamples] };
}

function jobJson(job: JobView): Omit<JobView, 'summary'> & { summary: Mutable<ReconcileSummary> | null } {
  return { ...job, summary: job.summary === null ? null : summaryJson(job.summary) };
}

export interface ReconcileRoutesOptions {
  readonly jobs: ReconcileJobService;
}

/**
 * Bulk reconciliation for operators: upload an agency file, start a job, follow its progress, and
 * fetch the per-row results, the summary and the HTML report.
 */
export const reconcileRoutes: FastifyPluginAsyncTypebox<ReconcileRoutesOptions> = (app, { jobs }) => {
  const tags = ['matching'];
  // Uploads are streamed to disk as they arrive, whatever their size.
  app.addContentTypeParser(['text/csv', 'application/octet-stream', 'application/vnd.apache.parquet'], (_request, payload, done) => {
    done(null, payload);
  });

  app.put('/reconcile-jobs/files/:name', {
    schema: { tags, summary: `Upload an agency file (CSV or Parquet) into the reconciliation inbox; at most ${jobs.maxUploadBytes} bytes (413 beyond)`, params: FileNameParam, response: { 201: Type.Object({ file: Type.String(), bytes: Type.Integer() }), 413: ProblemSchema } },
  }, async (request, reply) => {
    const length = Number(request.headers['content-length']);
    try {
      const bytes = await jobs.upload(request.params.name, request.body as Readable, Number.isSafeInteger(length) ? length : undefined);
      return await reply.status(201).send({ file: request.params.name, bytes });
    } catch (error) {
      if (!isDomainError(error) || error.code !== 'RECONCILE_UPLOAD_TOO_LARGE') throw error;
      // 413, which the shared error handler has no kind for; the same problem+json shape. The
      // connection is closed, so that the client stops sending the rest of the body.
      return reply.status(413).header('connection', 'close').type('application/problem+json').send({
        type: 'https://sachsong.dev/problems/reconcile-upload-too-large',
        title: error.code,
        status: 413,
        code: error.code,
        detail: error.message,
        action: error.action,
        instance: request.url.split('?')[0] ?? request.url,
      });
    }
  });

  app.post('/reconcile-jobs/column-mapping', {
    schema: {
      tags, summary: "How a preset reads a file with this header: each field's expected column, the header's column it takes, whether it is required (the console's column mapping, before a job starts)",
      body: Type.Object({ preset: CreateReconcileJobBody.properties.preset, header: Type.Array(Type.String({ maxLength: 200 }), { maxItems: 500 }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ items: Type.Array(Type.Object({ field: Type.String(), expected: Type.Union([Type.String(), Type.Null()]), column: Type.Union([Type.String(), Type.Null()]), required: Type.Boolean() })) }) },
    },
  }, (request) => ({ items: jobs.columnMapping(request.body.preset, request.body.header).map((m) => ({ ...m })) }));

  app.post('/reconcile-jobs', {
    schema: { tags, summary: 'Start reconciling a file from the inbox against the registry', body: CreateReconcileJobBody, response: { 202: ReconcileJobView } },
  }, async (request, reply) => {
    const job = await jobs.create({ preset: request.body.preset, file: request.body.file, ...(request.body.mapping ? { mapping: request.body.mapping } : {}) });
    return reply.status(202).header('location', `/api/reconcile-jobs/${job.jobId}`).send(jobJson(job));
  });

  app.get('/reconcile-jobs', {
    schema: { tags, summary: 'Recent reconciliation jobs', response: { 200: Type.Object({ items: Type.Array(ReconcileJobView) }) } },
  }, async () => ({ items: (await jobs.list()).map(jobJson) }));

  app.get('/reconcile-jobs/:id', {
    schema: { tags, summary: 'A reconciliation job: state, phase and progress, and its summary once done', params: JobIdParam, response: { 200: ReconcileJobView } },
  }, async (request) => jobJson(await jobs.get(request.params.id)));

  app.get('/reconcile-jobs/:id/summary', {
    schema: { tags, summary: 'The summary of a finished job', params: JobIdParam, response: { 200: ReconcileSummaryView } },
  }, async (request) => {
    await jobs.output(request.params.id, 'summary');
    const { summary } = await jobs.get(request.params.id);
    if (summary === null) throw new Error('a succeeded job has a summary');
    return summaryJson(summary);
  });

  app.get('/reconcile-jobs/:id/results', {
    schema: { tags, summary: 'The per-row results of a finished job (CSV)', params: JobIdParam },
  }, async (request, reply) => {
    const file = await jobs.output(request.params.id, 'results');
    return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="results.csv"').send(createReadStream(file));
  });

  app.get('/reconcile-jobs/:id/report', {
    schema: { tags, summary: 'The HTML report of a finished job', params: JobIdParam },
  }, async (request, reply) => {
    const file = await jobs.output(request.params.id, 'report');
    return reply.type('text/html; charset=utf-8').send(createReadStream(file));
  });
  return Promise.resolve();
};
