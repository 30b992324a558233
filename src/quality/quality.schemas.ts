import { Type, type Static } from 'typebox';

const NullableString = Type.Union([Type.String(), Type.Null()]);

export const RuleView = Type.Object({
  id: Type.String(),
  kind: Type.String({ description: "'record' (checked on one record) or 'set' (across records)" }),
  dimension: Type.String(),
  group: Type.String({ description: 'correct, complete, clean or live' }),
  severity: Type.String(),
  field: Type.String(),
  description: Type.Object({ vi: Type.String(), en: Type.String() }),
});

export const FindingView = Type.Object({
  findingId: Type.String(),
  ruleId: Type.String(),
  group: Type.String(),
  severity: Type.String(),
  field: Type.String(),
  recordKind: Type.String(),
  recordId: Type.String(),
  relatedId: NullableString,
  communeCode: Type.String(),
  provinceCode: Type.String(),
  communeName: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: "the commune's name today (null for a code no unit has today)" })),
  provinceName: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: "the province's name today" })),
  detail: Type.String({ description: 'what is wrong, as stored: English with ISO dates' }),
  detailCode: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'the detail\'s stable code (null for text no rule writes)' })),
  detailText: Type.Optional(Type.Object({ vi: Type.String(), en: Type.String() }, { description: 'the detail as officers read it: Vietnamese with dates as dd/mm/yyyy, and English' })),
  detectedAt: Type.String(),
  lastSeenAt: Type.String(),
  status: Type.String(),
  closedAt: NullableString,
});

export const ActionView = Type.Object({
  actionId: Type.String(),
  findingId: Type.String(),
  action: Type.String(),
  officerId: Type.String(),
  reason: Type.String(),
  eventId: NullableString,
  actedAt: Type.String(),
});

export const ScanView = Type.Object({
  scanId: Type.String(),
  kind: Type.String(),
  startedAt: Type.String(),
  finishedAt: Type.String(),
  persons: Type.Integer(),
  findingsOpen: Type.Integer(),
  findingsNew: Type.Integer(),
  findingsFixed: Type.Integer(),
});

export const ScoreView = Type.Object({
  scanId: Type.String(),
  takenAt: Type.String(),
  scope: Type.String(),
  code: Type.String(),
  parent: Type.String(),
  group: Type.String(),
  records: Type.Integer(),
  failing: Type.Integer(),
  score: Type.Number(),
});

export const ScorecardQuery = Type.Object({
  scope: Type.Union([Type.Literal('national'), Type.Literal('province'), Type.Literal('commune'), Type.Literal('rule'), Type.Literal('field')], { default: 'province' }),
  parent: Type.Optional(Type.String({ maxLength: 8, description: 'for communes: the 2-digit province code' })),
});

export const TrendQuery = Type.Object({
  scope: Type.Union([Type.Literal('national'), Type.Literal('province'), Type.Literal('commune'), Type.Literal('rule'), Type.Literal('field')]),
  code: Type.String({ maxLength: 64, default: '' }),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 60 })),
});

export const FindingQuery = Type.Object({
  province: Type.Optional(Type.String({ maxLength: 8 })),
  commune: Type.Optional(Type.String({ maxLength: 8 })),
  rule: Type.Optional(Type.String({ maxLength: 64 })),
  group: Type.Optional(Type.Union([Type.Literal('correct'), Type.Literal('complete'), Type.Literal('clean'), Type.Literal('live')])),
  status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('no_longer_failing'), Type.Literal('corrected'), Type.Literal('dismissed'), Type.Literal('merged'), Type.Literal('not_duplicate')])),
  record: Type.Optional(Type.String({ maxLength: 64 })),
  after: Type.Optional(Type.String({ maxLength: 200 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
});

export const DecisionBody = Type.Object({
  officerId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'ignored: the action is recorded under the signed-in officer' })),
  reason: Type.String({ minLength: 3, maxLength: 500 }),
});
export type DecisionBody = Static<typeof DecisionBody>;

export const ResolveBody = Type.Object({
  officerId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'ignored: the action is recorded under the signed-in officer' })),
  reason: Type.String({ minLength: 3, maxLength: 500 }),
  personId: Type.Optional(Type.String({ maxLength: 12 })),
  data: Type.Record(Type.String(), Type.Unknown(), { description: 'the facts the correction sets, as in a correction life event' }),
});

export const ActionResultView = Type.Object({
  finding: FindingView,
  eventId: NullableString,
  stillFailing: Type.Boolean(),
});

export const FindingIdParam = Type.Object({ id: Type.String({ minLength: 3, maxLength: 200 }) });
