import { Type } from 'typebox';

const Hex32 = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256, lowercase hex' });

export const SignedCheckpointView = Type.Object({
  treeSize: Type.Integer({ minimum: 1 }),
  rootHash: Hex32,
  note: Type.String({ description: 'C2SP signed note: origin, tree size, base64 root hash, then the Ed25519 signature line' }),
  verifierKey: Type.String({ description: 'signed-note verifier key <origin>+<key hash>+<base64 key>' }),
});

export const InclusionProofView = Type.Object({
  index: Type.Integer({ minimum: 0 }),
  treeSize: Type.Integer({ minimum: 1 }),
  leafHash: Hex32,
  proof: Type.Array(Hex32, { description: 'RFC 9162 audit path, leaf side first' }),
});

export const ConsistencyProofView = Type.Object({
  first: Type.Integer({ minimum: 1 }),
  second: Type.Integer({ minimum: 1 }),
  proof: Type.Array(Hex32, { description: 'RFC 9162 consistency path' }),
});

const Visibility = Type.Union([Type.Literal('public'), Type.Object({ deferredUntil: Type.String({ format: 'date' }) })]);

export const AccessRecordView = Type.Object({
  personId: Type.String(),
  at: Type.String({ description: 'ISO 8601 instant (UTC)' }),
  clientId: Type.String({ description: 'X-Road style client VN/<class>/<member>/<subsystem>' }),
  receivingAgency: Type.Optional(Type.String()),
  officerId: Type.String(),
  service: Type.String(),
  purpose: Type.String(),
  legalBasis: Type.String(),
  consentId: Type.Optional(Type.String()),
  fields: Type.Array(Type.String()),
  visibility: Visibility,
  requestId: Type.String(),
  caseReference: Type.Optional(Type.String()),
  readerKind: Type.Optional(Type.Union([Type.Literal('officer'), Type.Literal('service_account'), Type.Literal('job')], { description: "an official's read inside the registry (absent on the exchange's releases)" })),
  readerRole: Type.Optional(Type.String({ description: "the reader's role, e.g. commune_officer" })),
  readerUnit: Type.Optional(Type.String({ description: 'nation, province:<code> or commune:<code> (2025 units)' })),
  breakGlass: Type.Optional(Type.Literal(true, { description: "a break-glass read outside the reader's unit; its written reason is kept for the auditors" })),
  breakGlassReasonSha256: Type.Optional(Hex32),
  jobId: Type.Optional(Type.String({ description: 'the bulk job (export, reconciliation) that included the person' })),
  jobHash: Type.Optional(Hex32),
});

export const TrackerEntryView = Type.Object({
  index: Type.Integer({ minimum: 0 }),
  record: AccessRecordView,
  leaf: Type.String({ description: 'the RFC 8785 canonical JSON that was hashed' }),
  leafHash: Hex32,
  proof: Type.Array(Hex32, { description: "inclusion proof against the page's checkpoint" }),
  readerUnitName: Type.Optional(Type.String({ description: "the reader's unit by name (not part of the leaf)" })),
});

export const TrackerPageView = Type.Object({
  personId: Type.String(),
  visibleOn: Type.String({ format: 'date' }),
  checkpoint: Type.Union([SignedCheckpointView, Type.Null()]),
  entries: Type.Array(TrackerEntryView),
  nextBefore: Type.Union([Type.Integer(), Type.Null()]),
});

export const TrackerQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  before: Type.Optional(Type.Integer({ minimum: 0, description: "nextBefore of the previous page" })),
});

export const BreakGlassReadsQuery = Type.Object({
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Reads recorded at or after this instant' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Reads recorded before this instant' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 300, description: 'nextCursor of the previous page' })),
});

export const BreakGlassReadsView = Type.Object({
  items: Type.Array(Type.Object({
    requestId: Type.String(),
    readerId: Type.String({ description: "The officer's or service account's id (see /api/identity/officers)" }),
    action: Type.Union([Type.String(), Type.Null()], { description: 'person.read or household.read; null for reads recorded before the action was kept' }),
    personIds: Type.Array(Type.String(), { description: 'Whose data the answer showed' }),
    reason: Type.String({ description: 'The written reason, as the reader gave it' }),
    reasonSha256: Type.String({ description: 'The SHA-256 the access records carry (breakGlassReasonSha256)' }),
    recordedAt: Type.String({ format: 'date-time' }),
  }),
  ),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
