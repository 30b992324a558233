import { Type, type Static } from 'typebox';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T): ReturnType<typeof Type.Union<[T, ReturnType<typeof Type.Null>]>> => Type.Union([t, Type.Null()]);

export const ProcedureStepView = Type.Object({
  stepNo: Type.Integer(),
  key: Type.String(),
  name: Type.String({ description: 'the step in Vietnamese' }),
  owner: Type.String({ description: 'the code of the agency that owns the step' }),
  ownerName: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('in_progress'), Type.Literal('done'), Type.Literal('failed'), Type.Literal('overdue')]),
  attempts: Type.Integer(),
  nextAttemptAt: Nullable(Type.String({ description: 'when a failed delivery is tried again' })),
  dueAt: Nullable(Type.String({ description: 'the step\'s time limit (working days from when it became current)' })),
  startedAt: Nullable(Type.String()),
  finishedAt: Nullable(Type.String()),
  lastError: Nullable(Type.String({ description: 'why the last try failed (a code and words, never personal data)' })),
  result: Nullable(Type.Record(Type.String(), Type.Unknown())),
});

export const ProcedureView = Type.Object({
  procedureId: Type.String(),
  kind: Type.Union([Type.Literal('birth'), Type.Literal('death')]),
  name: Type.String(),
  applicantId: Type.String(),
  applicantName: Nullable(Type.String()),
  subjectId: Type.String({ description: 'the child (once registered) or the person who died' }),
  subjectName: Nullable(Type.String()),
  communeCode: Type.String(),
  communeName: Nullable(Type.String()),
  provinceName: Nullable(Type.String()),
  status: Type.Union([Type.Literal('in_progress'), Type.Literal('done'), Type.Literal('failed')]),
  overdue: Type.Boolean(),
  submittedAt: Type.String(),
  dueAt: Type.String(),
  completedAt: Nullable(Type.String()),
  steps: Type.Array(ProcedureStepView),
});
export type ProcedureViewT = Static<typeof ProcedureView>;

const IdNumber = Type.String({ pattern: '^\\d{12}$', description: '12-digit personal ID number' });
const FullDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' });

export const BirthApplicationBody = Type.Object({
  child: Type.Object({
    fullName: Type.String({ minLength: 1, maxLength: 100 }),
    birthDate: FullDate,
    sex: Type.Union([Type.Literal('M'), Type.Literal('F')]),
    ethnicity: Type.Optional(Type.String({ maxLength: 50 })),
  }, { additionalProperties: false }),
  otherParentId: Type.Optional(IdNumber),
}, { additionalProperties: false });

export const DeathApplicationBody = Type.Object({
  deceasedId: IdNumber,
  deathDate: FullDate,
  cause: Type.Optional(Type.String({ maxLength: 200 })),
}, { additionalProperties: false });

export const ProcedureIdParam = Type.Object({ procedureId: Type.String({ format: 'uuid' }) });

export const ProcedureListQuery = Type.Object({
  status: Type.Optional(Type.Union([Type.Literal('in_progress'), Type.Literal('done'), Type.Literal('failed')])),
  kind: Type.Optional(Type.Union([Type.Literal('birth'), Type.Literal('death')])),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  v: Type.Optional(Type.Integer({ minimum: 0, description: 'ignored: the console changes it to load the list again' })),
}, { additionalProperties: false });

export const CatalogueEntryView = Type.Object({
  code: Type.String(),
  name: Type.String(),
  nameEn: Type.String(),
  agency: Type.String(),
  agencyEn: Type.String(),
  reads: Type.Array(Type.String()),
  paperReplaced: Type.String(),
  linkedProcedure: Nullable(Type.Union([Type.Literal('birth'), Type.Literal('death')])),
  listed: Type.Union([Type.Literal('checked'), Type.Literal('recalled'), Type.Literal('approximate')]),
});
