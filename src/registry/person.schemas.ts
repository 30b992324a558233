import { Type, type Static } from 'typebox';

export const IdNumberParam = Type.String({ description: '12-digit personal ID number', examples: ['079203012345'] });

export const Residence = Type.Object({
  communeCode: Type.String(),
  communeName: Type.Union([Type.String(), Type.Null()]),
  provinceName: Type.Union([Type.String(), Type.Null()]),
  address: Type.Union([Type.String(), Type.Null()]),
});

const NullableString = Type.Union([Type.String(), Type.Null()]);
const Sex = Type.Union([Type.Literal('M'), Type.Literal('F')]);
const Status = Type.Union([Type.Literal('alive'), Type.Literal('deceased')]);

export const PersonView = Type.Object({
  idNumber: Type.String(),
  fullName: Type.String(),
  birthDate: Type.String({ description: 'YYYY, YYYY-MM or YYYY-MM-DD' }),
  sex: Sex,
  ethnicity: NullableString,
  religion: NullableString,
  nationality: Type.String(),
  birthProvince: Type.Object({ code: Type.String(), name: NullableString }),
  hometown: NullableString,
  permanentResidence: Type.Union([Residence, Type.Null()]),
  temporaryResidence: Type.Union([Residence, Type.Null()]),
  currentResidence: Type.Union([Residence, Type.Null()]),
  fatherId: NullableString,
  motherId: NullableString,
  spouseId: NullableString,
  householdId: NullableString,
  relationshipToHead: NullableString,
  status: Status,
  deathDate: NullableString,
  version: Type.Integer(),
  updatedAt: Type.String(),
});
export type PersonView = Static<typeof PersonView>;

export const PersonSummary = Type.Object({
  idNumber: Type.String(),
  fullName: Type.String(),
  birthDate: Type.String(),
  sex: Sex,
  status: Status,
  currentCommune: Type.Union([Type.Object({ code: Type.String(), name: NullableString, provinceName: NullableString }), Type.Null()]),
});
export type PersonSummary = Static<typeof PersonSummary>;

export const PersonSearchQuery = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100, description: 'name or its beginning, surname first; marks optional' }),
  birth: Type.Optional(Type.String({ description: 'date of birth: YYYY, YYYY-MM or YYYY-MM-DD' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
});

export const LifeEventView = Type.Object({
  eventId: Type.String(),
  type: Type.String(),
  occurredOn: Type.String(),
  recordedAt: Type.String(),
  officerId: NullableString,
  reason: NullableString,
  data: Type.Record(Type.String(), Type.Unknown()),
});

export const HouseholdView = Type.Object({
  householdId: Type.String(),
  communeCode: Type.String(),
  communeName: NullableString,
  address: NullableString,
  headId: NullableString,
  members: Type.Array(
    Type.Object({
      idNumber: Type.String(),
      fullName: Type.String(),
      birthDate: Type.String(),
      sex: Sex,
      relationshipToHead: NullableString,
      status: Status,
    }),
  ),
});

export const LifeEventBody = Type.Object({
  type: Type.String({ description: 'id_issuance, residence_change, marriage, divorce, name_change, correction or death' }),
  occurredOn: Type.String({ description: 'YYYY-MM-DD' }),
  officerId: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
  reason: Type.Union([Type.String({ maxLength: 500 }), Type.Null()]),
  data: Type.Record(Type.String(), Type.Unknown()),
});

export const RegistrationBody = Type.Object({
  type: Type.Union([Type.Literal('birth_registration'), Type.Literal('registration')]),
  idNumber: Type.Optional(Type.String()),
  occurredOn: Type.String(),
  officerId: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
  reason: Type.Union([Type.String({ maxLength: 500 }), Type.Null()]),
  facts: Type.Record(Type.String(), Type.Unknown()),
});
