import { Type, type Static } from 'typebox';
import { canonicalFields, comparedFields, presetNames, reconcileStatuses } from './reconcile.presets.js';

const NullableString = Type.Union([Type.String(), Type.Null()]);

export const CreateReconcileJobBody = Type.Object({
  preset: Type.Union([Type.Literal('tax'), Type.Literal('telecom'), Type.Literal('bank'), Type.Literal('welfare')], { description: `which kind of agency file: ${presetNames.join(', ')}` }),
  file: Type.String({ minLength: 1, maxLength: 200, description: 'name of a file in the reconciliation inbox (upload it with PUT /api/reconcile-jobs/files/{name})' }),
  mapping: Type.Optional(Type.Record(Type.String({ maxLength: 20 }), Type.String({ minLength: 1, maxLength: 100 }), {
    description: `the agency's column names where they differ from the preset's, by field (${canonicalFields.join(', ')}), e.g. { "name": "ho_ten" }`,
  })),
}, { additionalProperties: false });
export type CreateReconcileJobBody = Static<typeof CreateReconcileJobBody>;

export const ReconcileSummaryView = Type.Object({
  preset: Type.String(),
  presetTitle: Type.String(),
  input: Type.String(),
  inputFormat: Type.String(),
  snapshot: Type.Object({ fingerprint: Type.String(), persons: Type.Integer() }),
  rows: Type.Integer(),
  statuses: Type.Record(Type.String(), Type.Integer(), { description: `rows per status: ${reconcileStatuses.join(', ')}` }),
  mismatchFields: Type.Record(Type.String(), Type.Integer(), { description: `MISMATCH rows per field: ${comparedFields.join(', ')}` }),
  reasons: Type.Record(Type.String(), Type.Integer()),
  columnsMissing: Type.Array(Type.String()),
  badRows: Type.Integer(),
  badRowSamples: Type.Array(Type.Object({ line: Type.Integer(), code: Type.String(), reason: Type.String() })),
  seconds: Type.Record(Type.String(), Type.Number()),
  finishedAt: Type.String(),
});

export const ReconcileJobView = Type.Object({
  jobId: Type.String(),
  preset: Type.String(),
  source: Type.String(),
  state: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed')]),
  phase: Type.String(),
  progress: Type.Number({ minimum: 0, maximum: 1 }),
  attempts: Type.Integer(),
  rows: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
  createdAt: Type.String(),
  startedAt: NullableString,
  finishedAt: NullableString,
  summary: Type.Union([ReconcileSummaryView, Type.Null()]),
});

export const JobIdParam = Type.Object({ id: Type.String({ format: 'uuid' }) });
export const FileNameParam = Type.Object({ name: Type.String({ minLength: 1, maxLength: 104 }) });
