import { Type, type Static } from 'typebox';

const Outcome = Type.Union([Type.Literal('exact'), Type.Literal('close'), Type.Literal('different'), Type.Literal('missing')]);

/** POST /api/verify body: the ID number, the details the agency holds, and the strategy. */
export const VerifyBody = Type.Object({
  idNumber: Type.String({ maxLength: 32, description: '12-digit personal ID number', examples: ['079203012345'] }),
  fullName: Type.Optional(Type.String({ maxLength: 200, description: 'any case, marks optional' })),
  birthDate: Type.Optional(Type.String({ maxLength: 32, description: 'YYYY-MM-DD, YYYY-MM, YYYY or DD/MM/YYYY' })),
  sex: Type.Optional(Type.Union([Type.Literal('M'), Type.Literal('F')])),
  communeCode: Type.Optional(Type.String({ maxLength: 5, description: '5-digit commune code, pre-2025 or 2025' })),
  address: Type.Optional(Type.String({ maxLength: 500 })),
  oldIdNumber: Type.Optional(Type.String({ maxLength: 32, description: '9-digit identity card (CMND) number' })),
  phone: Type.Optional(Type.String({ maxLength: 32 })),
  strategy: Type.Optional(Type.Union([Type.Literal('exact'), Type.Literal('partial')], { default: 'exact' })),
  threshold: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'partial only: match probability needed (default 0.9)' })),
}, { additionalProperties: false });
export type VerifyBody = Static<typeof VerifyBody>;

/** The answer: never a registry value. */
export const VerifyReply = Type.Object({
  match: Type.Boolean(),
  status: Type.Union([Type.Literal('MATCH'), Type.Literal('NO_MATCH'), Type.Literal('DECEASED'), Type.Literal('NOT_FOUND')]),
  fields: Type.Object({
    fullName: Type.Optional(Outcome),
    birthDate: Type.Optional(Outcome),
    sex: Type.Optional(Outcome),
    communeCode: Type.Optional(Outcome),
    address: Type.Optional(Outcome),
    oldIdNumber: Type.Optional(Outcome),
    phone: Type.Optional(Outcome),
  }, { additionalProperties: false }),
  score: Type.Optional(Type.Number({ description: 'Fellegi–Sunter match probability over the compared fields' })),
  strategy: Type.Union([Type.Literal('exact'), Type.Literal('partial')]),
});
