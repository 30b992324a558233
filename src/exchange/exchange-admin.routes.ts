import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf } from '../http/api-auth.js';
import type { Exchange } from './exchange.module.js';
import { AdminActionView, AlertView, ClientParams, ClientView, ConsentBody, ConsentView, GrantBody, GrantView, JwksSchema, MemberParams, MemberView, OfficerView, OnboardBody } from './exchange.schemas.js';

export interface ExchangeAdminRoutesOptions {
  readonly exchange: Exchange;
}

/** The readonly domain values as the schemas' (mutable) static types: the serializer only reads them. */
type Plain<T> = T extends readonly (infer U)[] ? Plain<U>[] : T extends object ? { -readonly [K in keyof T]: Plain<T[K]> } : T;
const plain = <T>(value: T): Plain<T> => value as Plain<T>;

const clientIdOf = (p: { country: string; memberClass: string; member: string; subsystem: string }): string => `${p.country}/${p.memberClass}/${p.member}/${p.subsystem}`;
const memberIdOf = (p: { country: string; memberClass: string; member: string }): string => `${p.country}/${p.memberClass}/${p.member}`;

/**
 * The operators' side of the exchange (under /api/exchange, behind the operator token):
 * onboarding, keys, officers, grants, alerts, and consents. Citizens give and withdraw their
 * consents in their portal; an officer records one here only as an assisted channel (at a
 * counter), naming the law, and the citizen sees it in the portal and may withdraw it there.
 */
export const exchangeAdminRoutes: FastifyPluginAsyncTypebox<ExchangeAdminRoutesOptions> = (app, { exchange }) => {
  const tags = ['exchange-admin'];

  app.get('/members', { schema: { tags, summary: 'Members with their clients and officers', response: { 200: Type.Object({ items: Type.Array(MemberView) }) } } }, async () => ({ items: plain(await exchange.members.list()) }));

  app.post('/members', { schema: { tags, summary: 'Onboard an agency: the member, its subsystems with public keys, its officers', body: OnboardBody } }, async (request, reply) => {
    const result = await exchange.members.onboard(request.body);
    return reply.status(201).send(result);
  });

  app.post('/members/:country/:memberClass/:member/officers', {
    schema: { tags, summary: 'Register (or update) an officer of a member', params: MemberParams, body: Type.Object({ officerId: Type.String({ maxLength: 64 }), name: Type.String({ maxLength: 200 }) }), response: { 201: OfficerView } },
  }, async (request, reply) => reply.status(201).send(await exchange.members.addOfficer(memberIdOf(request.params), request.body.officerId, request.body.name)));

  app.put('/members/:country/:memberClass/:member/officers/:officerId/status', {
    schema: { tags, summary: "Remove an officer from the member's calls (suspended) or reinstate them; holds on the next call", params: Type.Object({ ...MemberParams.properties, officerId: Type.String({ maxLength: 64 }) }), body: Type.Object({ status: Type.Union([Type.Literal('active'), Type.Literal('suspended')]) }), response: { 200: OfficerView } },
  }, async (request) => exchange.members.setOfficerStatus(memberIdOf(request.params), request.params.officerId, request.body.status));

  app.post('/members/:country/:memberClass/:member/clients', {
    schema: { tags, summary: 'Add a subsystem (client) to a member', params: MemberParams, body: Type.Object({ subsystem: Type.String({ maxLength: 64 }), name: Type.String({ maxLength: 200 }), jwks: JwksSchema }), response: { 201: ClientView } },
  }, async (request, reply) => reply.status(201).send(plain(await exchange.members.addClient(`${memberIdOf(request.params)}/${request.body.subsystem}`, request.body.name, request.body.jwks))));

  app.put('/clients/:country/:memberClass/:member/:subsystem/keys', {
    schema: { tags, summary: "Replace a client's public keys (JWKS)", params: ClientParams, body: JwksSchema, response: { 200: ClientView } },
  }, async (request) => plain(await exchange.members.setKeys(clientIdOf(request.params), request.body)));

  app.put('/clients/:country/:memberClass/:member/:subsystem/status', {
    schema: { tags, summary: 'Suspend or reinstate a client (its tokens stop working at once)', params: ClientParams, body: Type.Object({ status: Type.Union([Type.Literal('active'), Type.Literal('suspended')]) }), response: { 200: ClientView } },
  }, async (request) => plain(await exchange.members.setClientStatus(clientIdOf(request.params), request.body.status)));

  app.get('/grants', {
    schema: { tags, summary: 'Grants, optionally of one client', querystring: Type.Object({ clientId: Type.Optional(Type.String({ maxLength: 140 })) }), response: { 200: Type.Object({ items: Type.Array(GrantView) }) } },
  }, async (request) => ({ items: plain(await exchange.grants.list(request.query.clientId)) }));

  app.post('/grants', { schema: { tags, summary: 'Grant a client a service: fields, purposes, legal basis, validity, fair-use caps', body: GrantBody, response: { 201: GrantView } } }, async (request, reply) =>
    reply.status(201).send(plain(await exchange.grants.add(request.body))));

  app.post('/grants/:grantId/revoke', {
    schema: { tags, summary: 'Revoke a grant (effective on the next call)', params: Type.Object({ grantId: Type.String({ maxLength: 64 }) }), response: { 200: GrantView } },
  }, async (request) => plain(await exchange.grants.revoke(request.params.grantId)));

  app.get('/consents', {
    schema: { tags, summary: "A citizen's consents (the citizen manages them in the portal; officers see them here)", querystring: Type.Object({ citizen: Type.String({ maxLength: 32 }) }), response: { 200: Type.Object({ items: Type.Array(ConsentView) }) } },
  }, async (request) => ({ items: plain(await exchange.consents.forCitizen(request.query.citizen)) }));

  app.post('/consents', { schema: { tags, summary: 'Record a citizen’s consent: a signed artefact. Recorded by a signed-in officer, it names the law requiring it (legalBasis) and goes to the administration log', body: ConsentBody, response: { 201: ConsentView } } }, async (request, reply) => {
    const { legalBasis, ...input } = request.body;
    const actor = actorOf(request);
    // The administration log names who recorded it; an officer also names the law requiring it.
    const by = { actorId: actor.id, legalBasisRequired: actor.kind === 'officer', ...(legalBasis === undefined ? {} : { legalBasis }) };
    return reply.status(201).send(plain(await exchange.consents.give(input, by)));
  });

  app.get('/consents/:consentId/history', {
    schema: { tags, summary: 'Who recorded, paused, resumed or withdrew a consent, when, and under which law', params: Type.Object({ consentId: Type.String({ maxLength: 64 }) }), response: { 200: Type.Object({ items: Type.Array(AdminActionView) }) } },
  }, async (request) => {
    await exchange.consents.get(request.params.consentId);
    return { items: plain(await exchange.consents.history(request.params.consentId)) };
  });

  app.get('/consents/:consentId', {
    schema: { tags, summary: 'A consent artefact, its status now and whether its signature holds', params: Type.Object({ consentId: Type.String({ maxLength: 64 }) }) },
  }, async (request) => {
    const consent = await exchange.consents.get(request.params.consentId);
    return { ...consent, signatureValid: exchange.consents.verifySignature(consent) };
  });

  app.post('/consents/:consentId/:action', {
    schema: {
      tags,
      summary: 'Pause, resume or revoke a consent (effective on the next request)',
      params: Type.Object({ consentId: Type.String({ maxLength: 64 }), action: Type.Union([Type.Literal('pause'), Type.Literal('resume'), Type.Literal('revoke')]) }),
      response: { 200: ConsentView },
    },
  }, async (request) => {
    const actor = actorOf(request);
    return plain(await exchange.consents.change(request.params.consentId, request.params.action, { actorId: actor.id }));
  });

  app.get('/alerts', {
    schema: { tags, summary: 'Misuse alerts, newest first', querystring: Type.Object({ status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('acknowledged')])), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 200 })) }), response: { 200: Type.Object({ items: Type.Array(AlertView) }) } },
  }, async (request) => ({ items: plain(await exchange.alerts.list(request.query.status, request.query.limit)) }));

  app.post('/alerts/:alertId/acknowledge', {
    schema: { tags, summary: 'Acknowledge an alert', params: Type.Object({ alertId: Type.String({ maxLength: 64 }) }), response: { 200: AlertView } },
  }, async (request) => exchange.alerts.acknowledge(request.params.alertId));

  return Promise.resolve();
};
