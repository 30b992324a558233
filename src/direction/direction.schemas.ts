import { Type } from 'typebox';

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD (Asia/Ho_Chi_Minh)' });
const Text = (max: number): ReturnType<typeof Type.String> => Type.String({ minLength: 1, maxLength: max });

export const PlanIdParam = Type.Object({ planId: Type.String({ maxLength: 64 }) });
export const TaskIdParam = Type.Object({ taskId: Type.String({ maxLength: 64 }) });
export const MilestoneIdParam = Type.Object({ milestoneId: Type.String({ maxLength: 64 }) });
export const IndicatorIdParam = Type.Object({ indicatorId: Type.String({ maxLength: 100 }) });
export const TableParam = Type.Object({ table: Type.String({ maxLength: 40 }) });

export const Scope = Type.Union(['nation', 'province', 'commune', 'agency', 'service'].map((s) => Type.Literal(s)));

export const PlanBody = Type.Object({ title: Text(500), reference: Text(500), startsOn: Day, endsOn: Day }, { additionalProperties: false });

const IndicatorBinding = Type.Object({ id: Text(100), scope: Type.String({ maxLength: 100 }), baseline: Type.Number(), target: Type.Number() }, { additionalProperties: false });

export const TaskBody = Type.Object({
  code: Text(20),
  title: Text(500),
  ownerKind: Type.Union([Type.Literal('ministry'), Type.Literal('locality')]),
  ownerAgency: Text(64),
  ownerAgencyName: Text(500),
  ownerOfficer: Text(200),
  startsOn: Day,
  deadline: Day,
  indicator: Type.Optional(Type.Union([IndicatorBinding, Type.Null()])),
  milestones: Type.Optional(Type.Array(Type.Object({ title: Text(500), dueOn: Day }, { additionalProperties: false }), { maxItems: 100 })),
}, { additionalProperties: false });

export const TaskPatchBody = Type.Object({
  version: Type.Integer({ minimum: 1, description: 'the version read; a task changed since is refused (TASK_CHANGED)' }),
  title: Type.Optional(Text(500)),
  ownerKind: Type.Optional(Type.Union([Type.Literal('ministry'), Type.Literal('locality')])),
  ownerAgency: Type.Optional(Text(64)),
  ownerAgencyName: Type.Optional(Text(500)),
  ownerOfficer: Type.Optional(Text(200)),
  startsOn: Type.Optional(Day),
  deadline: Type.Optional(Day),
  indicator: Type.Optional(Type.Union([IndicatorBinding, Type.Null()])),
}, { additionalProperties: false });

export const MilestoneBody = Type.Object({ title: Text(500), dueOn: Day }, { additionalProperties: false });
export const CompletionBody = Type.Object({ completedOn: Type.Optional(Type.Union([Day, Type.Null()], { description: 'the day it was done; null: not done; absent: today (Asia/Ho_Chi_Minh)' })) }, { additionalProperties: false });
export const CommentBody = Type.Object({ body: Text(4_000) }, { additionalProperties: false });
export const ImportBody = Type.Object({ csv: Type.String({ minLength: 1, maxLength: 2_000_000 }) }, { additionalProperties: false });
export const RefreshBody = Type.Object({ ids: Type.Optional(Type.Array(Text(100), { maxItems: 100 })) }, { additionalProperties: false });

export const OnQuery = Type.Object({ on: Type.Optional(Day) });
export const SeriesQuery = Type.Object({ scope: Scope, code: Type.Optional(Type.String({ maxLength: 100, default: '' })), to: Type.Optional(Day), days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3660 })) });
export const LatestQuery = Type.Object({ scope: Scope, parent: Type.Optional(Type.String({ pattern: '^\\d{2}$', description: 'a province: only its communes' })), on: Type.Optional(Day) });
export const DashboardQuery = Type.Object({
  indicator: Type.Optional(Type.String({ maxLength: 100 })),
  province: Type.Optional(Type.String({ pattern: '^\\d{2}$' })),
  commune: Type.Optional(Type.String({ pattern: '^\\d{5}$' })),
  days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3660 })),
});
export const StatisticsQuery = Type.Object({ scope: Type.Optional(Type.String({ maxLength: 2, default: '' })) });
