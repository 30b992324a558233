/**
 * JSON schemas of the admin-units API (TypeBox), shared by validation, serialisation and the
 * OpenAPI description.
 */
import { Type, type Static } from 'typebox';

const isoDate = (description: string) =>
  // No pattern here: every malformed date is answered by the domain as DATE_INVALID, the same way.
  Type.String({ description: `${description} (YYYY-MM-DD)`, maxLength: 10, examples: ['2025-07-01'] });

const nullableDate = (description: string) =>
  Type.Union([Type.String({ description: `${description} (YYYY-MM-DD)` }), Type.Null()], { description: `${description}; null when unknown or open` });

export const EraSchema = Type.Union([Type.Literal('pre-2025'), Type.Literal('2025')], {
  description: "'pre-2025': the 63 provinces with districts in force until 2025-06-30; '2025': the 34 provinces without districts from 2025-07-01",
});

export const ProvinceSchema = Type.Object({
  code: Type.String({ description: '2-digit statistics code; reused across eras', examples: ['01'] }),
  idCode: Type.String({ description: 'the code as a personal ID number writes it', examples: ['001'] }),
  name: Type.String({ examples: ['Thành phố Hà Nội'] }),
  type: Type.Union([Type.Literal('tỉnh'), Type.Literal('thành phố trung ương')]),
  era: EraSchema,
  validFrom: nullableDate('first day in force'),
  validTo: nullableDate('last day in force'),
}, { title: 'AdminUnitProvince', description: 'A province (tỉnh) or centrally governed city at a date' });

export const CommuneSchema = Type.Object({
  code: Type.String({ description: '5-digit code (3 digits for the five commune-less island districts before 2025); reused across eras', examples: ['00004'] }),
  name: Type.String({ examples: ['Phường Ba Đình'] }),
  level: Type.Union([Type.Literal('xã'), Type.Literal('phường'), Type.Literal('thị trấn'), Type.Literal('đặc khu'), Type.Literal('huyện')]),
  era: EraSchema,
  provinceCode: Type.String({ examples: ['01'] }),
  provinceName: Type.String({ examples: ['Thành phố Hà Nội'] }),
  districtCode: Type.Union([Type.String(), Type.Null()], { description: 'the district before 2025; null from 2025-07-01' }),
  districtName: Type.Union([Type.String(), Type.Null()]),
  validFrom: nullableDate('first day in force'),
  validTo: nullableDate('last day in force (for an ended-before-reform unit, only an upper bound)'),
  caveat: Type.Union([Type.Literal('formed-after-2021-catalog'), Type.Literal('ended-before-reform'), Type.Null()], {
    description: 'what the official tables leave uncertain about an old unit',
  }),
}, { title: 'AdminUnitCommune', description: 'A commune-level unit (xã, phường, thị trấn, đặc khu) at a date' });

export const SuccessorSchema = Type.Object({
  commune: CommuneSchema,
  merge: Type.Union([Type.Literal('whole'), Type.Literal('partial')], { description: "'partial' when the old unit was split between several new ones" }),
  allPopulation: Type.Boolean({ description: 'the whole population of the recorded unit went to this one' }),
});

export const ProblemSchema = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  code: Type.String({ description: 'stable error code, e.g. DATE_INVALID, ADMIN_UNIT_EXPIRED' }),
  detail: Type.String(),
  action: Type.String({ description: 'what the caller can do about it' }),
  instance: Type.Optional(Type.String()),
  errors: Type.Optional(Type.Array(Type.Unknown())),
}, { description: 'RFC 9457 problem details (application/problem+json)' });

export const DateQuerySchema = Type.Object({
  date: Type.Optional(isoDate('the date at which units are wanted; default today in Vietnam')),
});

export const ProvinceParamsSchema = Type.Object({
  code: Type.String({ pattern: '^[0-9]{2}$', description: '2-digit province code', examples: ['01'] }),
});

const communeCode = Type.String({ pattern: '^[0-9]{3}([0-9]{2})?$', description: 'commune code (5 digits, or 3 for an island district before 2025)', examples: ['00004'] });

export const CommuneParamsSchema = Type.Object({ code: communeCode });

export const ResolveQuerySchema = Type.Object({
  commune: communeCode,
  date: isoDate('the date on which the commune code was recorded'),
});

export const ProvincesResponseSchema = Type.Object({
  date: Type.String(),
  era: EraSchema,
  provinces: Type.Array(ProvinceSchema),
});

export const ProvinceCommunesResponseSchema = Type.Object({
  date: Type.String(),
  province: ProvinceSchema,
  communes: Type.Array(CommuneSchema),
});

export const ResolveResponseSchema = Type.Object({
  recordedOn: Type.String(),
  today: Type.String(),
  recorded: CommuneSchema,
  current: Type.Array(SuccessorSchema, { description: "today's unit(s): one for a whole merge, several for a split" }),
  changed: Type.Boolean({ description: 'false when the recorded unit still stands under the same code, name and province' }),
});

export const ConversionQuerySchema = Type.Object({
  date: Type.Optional(isoDate('a day before 2025-07-01 on which the old units are taken; default 2025-06-30')),
});

export const ConversionResponseSchema = Type.Object({
  date: Type.String(),
  today: Type.String(),
  province: ProvinceSchema,
  items: Type.Array(Type.Object({
    recorded: CommuneSchema,
    current: Type.Array(SuccessorSchema, { description: "today's unit(s); empty when the official tables give none" }),
    changed: Type.Boolean(),
  })),
});

export type ProvincesResponse = Static<typeof ProvincesResponseSchema>;
export type ResolveResponse = Static<typeof ResolveResponseSchema>;
