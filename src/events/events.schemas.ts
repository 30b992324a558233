import { Type } from 'typebox';

export const SubscriptionBody = Type.Object({
  url: Type.String({ maxLength: 2_000, description: 'https:// URL the signed events are POSTed to' }),
  kinds: Type.Array(Type.String({ maxLength: 40 }), { minItems: 1, maxItems: 20, description: 'event kinds (granted)' }),
  fields: Type.Optional(Type.Array(Type.String({ maxLength: 40 }), { maxItems: 40, description: 'person fields each event carries when it sets them (granted)' })),
  provinces: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9]{2}$' }), { maxItems: 40, description: '2-digit province codes; none: every province' })),
  purpose: Type.String({ maxLength: 64, description: 'a purpose code of the changes grant' }),
  officerId: Type.String({ maxLength: 128, description: 'the officer the events are received for' }),
  fromSeq: Type.Optional(Type.Integer({ minimum: 0, description: 'deliver events after this seq; default: new events only' })),
}, { additionalProperties: false });

export const Subscription = Type.Object({
  subscriptionId: Type.String(),
  clientId: Type.String(),
  grantId: Type.String(),
  officerId: Type.String(),
  purposeCode: Type.String(),
  kinds: Type.Array(Type.String()),
  fields: Type.Array(Type.String()),
  provinces: Type.Array(Type.String()),
  url: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('paused'), Type.Literal('dead_letter')]),
  fromSeq: Type.Integer(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  deliveries: Type.Optional(Type.Object({ pending: Type.Integer(), delivered: Type.Integer(), dead: Type.Integer() })),
});

export const SubscriptionParams = Type.Object({ subscriptionId: Type.String({ format: 'uuid' }) });

export const DeliveriesQuery = Type.Object({
  status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('dead')])),
  after: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000, default: 100 })),
});

export const Delivery = Type.Object({
  seq: Type.Integer(),
  eventId: Type.String(),
  status: Type.String(),
  attempts: Type.Integer(),
  nextAttemptAt: Type.Integer(),
  deliveredAt: Type.Union([Type.String(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
});

export const ReplayBody = Type.Object({ fromSeq: Type.Integer({ minimum: 0, description: 'the seq of the last event applied' }) }, { additionalProperties: false });
