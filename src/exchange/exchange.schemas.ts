import { Type, type Static, type TObject, type TSchema } from 'typebox';
import { memberKinds } from './exchange.types.js';

const Unit = Type.Union([Type.Literal('HOUR'), Type.Literal('DAY'), Type.Literal('MONTH'), Type.Literal('YEAR')]);
export const Span = Type.Object({ unit: Unit, value: Type.Integer({ minimum: 1, maximum: 100_000 }) });

export const JwksSchema = Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown()), { minItems: 1, maxItems: 10 }) }, { description: 'JSON Web Key Set of public keys' });

const Name = Type.String({ minLength: 1, maxLength: 200 });

export const OnboardBody = Type.Object({
  memberId: Type.String({ maxLength: 64, description: 'VN/<GOV|COM|ORG>/<CODE>', examples: ['VN/GOV/BTC'] }),
  name: Name,
  kind: Type.Union(memberKinds.map((k) => Type.Literal(k))),
  subsystems: Type.Array(Type.Object({ code: Type.String({ maxLength: 64 }), name: Type.String({ maxLength: 200 }), jwks: JwksSchema }), { maxItems: 50 }),
  officers: Type.Array(Type.Object({ officerId: Type.String({ maxLength: 64 }), name: Type.String({ maxLength: 200 }) }), { maxItems: 10_000 }),
}, { additionalProperties: false });

export const ClientView = Type.Object({
  clientId: Type.String(),
  memberId: Type.String(),
  name: Type.String(),
  jwks: JwksSchema,
  status: Type.String(),
  createdAt: Type.String(),
});

export const OfficerView = Type.Object({ memberId: Type.String(), officerId: Type.String(), name: Type.String(), status: Type.String() });

export const MemberView = Type.Object({
  memberId: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  status: Type.String(),
  createdAt: Type.String(),
  clients: Type.Array(ClientView),
  officers: Type.Array(OfficerView),
});

/** The parts of a client id as path segments: /clients/VN/GOV/BTC/tax. */
export const ClientParams = Type.Object({
  country: Type.Literal('VN'),
  memberClass: Type.String({ maxLength: 3 }),
  member: Type.String({ maxLength: 32 }),
  subsystem: Type.String({ maxLength: 64 }),
});
export const MemberParams = Type.Object({ country: Type.Literal('VN'), memberClass: Type.String({ maxLength: 3 }), member: Type.String({ maxLength: 32 }) });

export const PurposeSchema = Type.Object({ code: Type.String({ maxLength: 64 }), text: Type.String({ minLength: 1, maxLength: 500 }) });

export const GrantBody = Type.Object({
  clientId: Type.String({ maxLength: 140 }),
  service: Type.String({ maxLength: 40 }),
  fields: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 50 }),
  provinces: Type.Optional(Type.Array(Type.String({ maxLength: 8 }), { maxItems: 64, description: 'changes only: 2-digit province codes whose people\'s events it releases; absent or empty: every province' })),
  purposes: Type.Array(PurposeSchema, { minItems: 1, maxItems: 50 }),
  legalBasis: Type.String({ minLength: 1, maxLength: 500 }),
  requiresConsent: Type.Optional(Type.Boolean()),
  deferTrackerDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650 })),
  validFrom: Type.Optional(Type.String({ maxLength: 40 })),
  validUntil: Type.String({ maxLength: 40 }),
  ratePerMinute: Type.Integer({ minimum: 1 }),
  dailyCap: Type.Integer({ minimum: 1 }),
}, { additionalProperties: false });

export const GrantView = Type.Object({
  grantId: Type.String(),
  clientId: Type.String(),
  service: Type.String(),
  fields: Type.Array(Type.String()),
  provinces: Type.Array(Type.String()),
  purposes: Type.Array(PurposeSchema),
  legalBasis: Type.String(),
  requiresConsent: Type.Boolean(),
  deferTrackerDays: Type.Integer(),
  validFrom: Type.String(),
  validUntil: Type.String(),
  ratePerMinute: Type.Integer(),
  dailyCap: Type.Integer(),
  status: Type.String(),
  createdAt: Type.String(),
});

export const ConsentBody = Type.Object({
  citizen: Type.String({ maxLength: 32, description: '12-digit ID number of the citizen' }),
  dataUser: Type.String({ maxLength: 140, description: 'the client id that may use the data' }),
  purposeCode: Type.String({ maxLength: 64 }),
  purposeText: Type.String({ minLength: 1, maxLength: 500 }),
  fields: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 50 }),
  dataLife: Span,
  frequency: Span,
  start: Type.Optional(Type.String({ maxLength: 40 })),
  expiry: Type.String({ maxLength: 40 }),
  legalBasis: Type.Optional(Type.String({ maxLength: 300, description: 'the law requiring the citizen\'s consent (e.g. Nghị định 13/2023/NĐ-CP, Điều 11); required when a signed-in officer records the consent' })),
}, { additionalProperties: false });

/** One line of the administration log. */
export const AdminActionView = Type.Object({
  actionId: Type.String(),
  at: Type.String(),
  actorId: Type.String(),
  action: Type.String(),
  subject: Type.String(),
  detail: Type.Record(Type.String(), Type.String()),
});

const ConsentStatusSchema = Type.Union([Type.Literal('ACTIVE'), Type.Literal('PAUSED'), Type.Literal('REVOKED'), Type.Literal('EXPIRED')]);

export const ConsentView = Type.Object({
  status: ConsentStatusSchema,
  artefact: Type.Object({
    consentId: Type.String(),
    citizen: Type.String(),
    dataUser: Type.String(),
    purpose: Type.Object({ code: Type.String(), text: Type.String() }),
    fields: Type.Array(Type.String()),
    dataLife: Span,
    frequency: Span,
    start: Type.String(),
    expiry: Type.String(),
    status: ConsentStatusSchema,
    statusAt: Type.String(),
  }),
  signature: Type.Object({ alg: Type.Literal('EdDSA'), keyId: Type.String(), value: Type.String() }),
});

export const AlertView = Type.Object({
  alertId: Type.String(),
  subjectKind: Type.String(),
  subjectId: Type.String(),
  subjectName: Type.Optional(Type.String({ description: "an agency officer's name as its member registered it" })),
  clientId: Type.String(),
  windowStart: Type.String(),
  windowSeconds: Type.Number(),
  reads: Type.Integer(),
  baseline: Type.Number(),
  raisedAt: Type.String(),
  status: Type.String(),
  acknowledgedAt: Type.Union([Type.String(), Type.Null()]),
});

export const TokenBody = Type.Object({
  grant_type: Type.String({ maxLength: 64 }),
  client_assertion_type: Type.Optional(Type.String({ maxLength: 128 })),
  client_assertion: Type.Optional(Type.String({ maxLength: 8192 })),
  client_id: Type.Optional(Type.String({ maxLength: 140 })),
  scope: Type.Optional(Type.String({ maxLength: 500 })),
});

export const TokenReply = Type.Object({ access_token: Type.String(), token_type: Type.Literal('Bearer'), expires_in: Type.Integer() });

export const CallHeadersSchema = Type.Object({
  'x-client-id': Type.Optional(Type.String({ description: 'VN/<class>/<member>/<subsystem>; the token names the client, this must match it when sent' })),
  'x-request-id': Type.Optional(Type.String({ description: 'a fresh UUID per call; a used one is refused' })),
  'x-officer-id': Type.Optional(Type.String({ description: 'the officer the call is made for, registered with the member' })),
  'x-case-reference': Type.Optional(Type.String({ description: 'the case or file number on the agency side' })),
  'x-purpose': Type.Optional(Type.String({ description: 'a purpose code of the grant' })),
});

/**
 * The call headers as the API description states them: the four the exchange needs are required
 * (the route itself takes them optional so that the service can name every missing one at once:
 * HEADERS_MISSING), with examples a developer can copy.
 */
export const CallHeadersDoc = Type.Object({
  'x-client-id': Type.Optional(Type.String({ description: 'VN/<class>/<member>/<subsystem>; the token names the client, this must match it when sent', examples: ['VN/COM/VCB/ekyc'] })),
  'x-request-id': Type.String({ description: 'a fresh UUID per call; a used one is refused', examples: ['3f0c8a52-6c1e-4e8b-9d6a-2f4b7e1c9a01'] }),
  'x-officer-id': Type.String({ description: 'the officer the call is made for, registered with the member (sachsong agency officer)', examples: ['o-0042'] }),
  'x-case-reference': Type.String({ description: 'the case or file number on the agency side (1-128 characters)', examples: ['HS-2026-001234'] }),
  'x-purpose': Type.String({ description: 'a purpose code of the grant', examples: ['KYC'] }),
});

/** Example bodies of each service, in the API description. */
export const serviceBodyExamples: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  verify: { idNumber: '079203012345', fullName: 'Trần Văn Đức', birthDate: '2003-11-30', sex: 'M' },
  person: { idNumber: '079203012345', fields: ['fullName', 'birthDate'] },
  residence: { idNumber: '079203012345' },
  household: { idNumber: '079203012345' },
  changes: { since: 0, limit: 100 },
  'residence-document': { idNumber: '079203012345', fields: ['fullName', 'residenceProvince'] },
  'tax-code': { taxCode: '0100047516', fields: ['idNumber'] },
};

/** An example token request body (the assertion shortened). */
export const tokenBodyExample = {
  grant_type: 'client_credentials',
  client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
  client_assertion: 'eyJhbGciOiJFZERTQSIsImtpZCI6ImJ0Yy0yMDI2In0.eyJpc3MiOiJWTi9DT00vVkNCL2VreWMiLCJzdWIiOiJWTi9DT00vVkNCL2VreWMiLCJhdWQiOiJ1cm46c2FjaHNvbmc6ZXhjaGFuZ2U6dG9rZW4iLCJpYXQiOjE3OTY0MjAwMDAsImV4cCI6MTc5NjQyMDEyMCwianRpIjoiYjFlOC4uLiJ9.c2lnbmF0dXJl',
} as const;

export const PersonServiceBody = Type.Object({
  idNumber: Type.String({ maxLength: 32 }),
  fields: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 50, description: 'default: every granted field' })),
}, { additionalProperties: false });

export const TaxCodeServiceBody = Type.Object({
  taxCode: Type.String({ maxLength: 40, description: 'an old tax code: 10 digits, or 10 digits, a hyphen and a 3-digit branch number' }),
  fields: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 10, description: 'default: every granted field' })),
}, { additionalProperties: false });

export const HouseholdServiceBody = Type.Object({ idNumber: Type.String({ maxLength: 32 }) }, { additionalProperties: false });

export const ChangesServiceBody = Type.Object({
  since: Type.Integer({ minimum: 0, description: 'the cursor: the seq of the last change received (0 at first)' }),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
}, { additionalProperties: false });

/** Every service reply: the request it answers, and the result. X-Response-Hash binds them. */
export function envelope(result: TSchema): TObject {
  return Type.Object({
    requestId: Type.String(),
    requestHash: Type.String({ description: 'SHA-256 of the request body, hex' }),
    service: Type.String(),
    consentId: Type.Optional(Type.String({ description: 'the consent the release rests on' })),
    result,
  });
}

export type OnboardBody = Static<typeof OnboardBody>;
export type GrantBody = Static<typeof GrantBody>;
export type ConsentBody = Static<typeof ConsentBody>;
