import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Exchange } from '../exchange/exchange.module.js';
import { DeliveriesQuery, Delivery, ReplayBody, Subscription, SubscriptionBody, SubscriptionParams } from './events.schemas.js';
import type { SubscriptionService } from './subscription.service.js';
import type { Subscription as SubscriptionRecord } from './subscription.types.js';

export interface EventsRoutesOptions {
  readonly exchange: Exchange;
  readonly subscriptions: SubscriptionService;
}

/**
 * Agencies' push subscriptions, under /x/subscriptions with an agency access token and a
 * `changes` grant. Events are POSTed signed (header X-Sachsong-Signature: a detached JWS
 * checked against /x/consent-keys); the pull feed stays at /x/services/changes.
 */
export const eventsRoutes: FastifyPluginAsyncTypebox<EventsRoutesOptions> = (app, { exchange, subscriptions }) => {
  const tags = ['exchange'];
  const security = [{ agencyToken: [] }];
  // Token and grant before anything else: a caller without them learns nothing.
  app.addHook('onRequest', async (request) => { await exchange.pipeline.admit('changes', request.headers.authorization); });
  const clientOf = async (request: FastifyRequest): Promise<string> => (exchange.auth.peek(request.headers.authorization) ?? await exchange.auth.authenticate(request.headers.authorization)).clientId;
  const view = <S extends SubscriptionRecord>(s: S): S & { kinds: string[]; fields: string[]; provinces: string[] } => ({ ...s, kinds: [...s.kinds], fields: [...s.fields], provinces: [...s.provinces] });

  app.post('', {
    schema: { tags, security, summary: 'Subscribe to change events pushed as signed webhooks', body: SubscriptionBody, response: { 201: Subscription } },
  }, async (request, reply) => reply.status(201).send(view(await subscriptions.create((await clientOf(request)), request.body))));

  app.get('', {
    schema: { tags, security, summary: 'This client\'s subscriptions', response: { 200: Type.Object({ items: Type.Array(Subscription) }) } },
  }, async (request) => ({ items: (await subscriptions.list((await clientOf(request)))).map(view) }));

  app.get('/:subscriptionId', {
    schema: { tags, security, summary: 'A subscription and its deliveries by status', params: SubscriptionParams, response: { 200: Subscription } },
  }, async (request) => view(await subscriptions.get((await clientOf(request)), request.params.subscriptionId)));

  app.get('/:subscriptionId/deliveries', {
    schema: { tags, security, summary: 'Deliveries after a seq, optionally by status (dead letters: status=dead)', params: SubscriptionParams, querystring: DeliveriesQuery, response: { 200: Type.Object({ items: Type.Array(Delivery) }) } },
  }, async (request) => ({
    items: [...await subscriptions.deliveries((await clientOf(request)), request.params.subscriptionId, request.query.status, request.query.after ?? 0, request.query.limit ?? 100)],
  }));

  app.post('/:subscriptionId/pause', {
    schema: { tags, security, summary: 'Stop pushing (events keep queueing)', params: SubscriptionParams, response: { 200: Subscription } },
  }, async (request) => view(await subscriptions.pause((await clientOf(request)), request.params.subscriptionId)));

  app.post('/:subscriptionId/replay', {
    schema: { tags, security, summary: 'Push again every event after a seq, and resume', params: SubscriptionParams, body: ReplayBody, response: { 200: Subscription } },
  }, async (request) => view(await subscriptions.replay((await clientOf(request)), request.params.subscriptionId, request.body.fromSeq)));
  return Promise.resolve();
};
