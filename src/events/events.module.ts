import type { Kysely } from 'kysely';
import type { AccessLog } from '../audit/access-log.types.js';
import type { Exchange } from '../exchange/exchange.module.js';
import { grantRepository } from '../exchange/grant.repository.js';
import type { Clock } from '../shared/clock.js';
import type { DB } from '../store/database.types.js';
import { EventDispatcher } from './event.dispatcher.js';
import { JetStreamLink } from './jetstream.link.js';
import { SubscriptionService } from './subscription.service.js';
import { WebhookDeliverer, type WebhookDelivererDeps } from './webhook.deliverer.js';

export interface EventsDeps {
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  readonly accessLog: AccessLog;
  readonly exchange: Exchange;
  /** config.natsUrl: publish through JetStream; absent: deliver from the outbox directly. */
  readonly natsUrl?: string | undefined;
  /** config.natsReplicas: servers that keep the event stream; default 1. */
  readonly natsReplicas?: number;
  /** Delivery tuning (retries, backoff, batch); tests shorten it. */
  readonly delivery?: Pick<WebhookDelivererDeps, 'maxAttempts' | 'backoffMs' | 'batch' | 'timeoutMs' | 'post'>;
  readonly pollMs?: number;
  readonly onError?: (error: unknown, loop: string) => void;
}

/** Change events assembled: subscriptions for the routes, and the dispatcher started on demand. */
export interface Events {
  readonly subscriptions: SubscriptionService;
  readonly deliverer: WebhookDeliverer;
  /** Connects to NATS when configured and starts dispatching and delivering. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createEvents(deps: EventsDeps): Events {
  const subscriptions = new SubscriptionService({ db: deps.db, clock: deps.clock, client: (id) => deps.exchange.directory.get(id) });
  const deliverer = new WebhookDeliverer({
    db: deps.db,
    clock: deps.clock,
    accessLog: deps.accessLog,
    keyId: deps.exchange.keys.consentKeyId,
    privateKey: deps.exchange.keys.consentPrivateKey,
    grantOf: (grantId) => grantRepository.find(deps.db, grantId),
    agencyOf: async (clientId) => (await deps.exchange.directory.get(clientId))?.member.name,
    ...deps.delivery,
  });
  let dispatcher: EventDispatcher | undefined;
  let link: JetStreamLink | undefined;
  return {
    subscriptions,
    deliverer,
    start: async () => {
      if (dispatcher !== undefined) return;
      link = deps.natsUrl === undefined ? undefined : await JetStreamLink.open(deps.natsUrl, { replicas: deps.natsReplicas ?? 1 });
      dispatcher = new EventDispatcher({
        db: deps.db, clock: deps.clock, deliverer,
        ...(link === undefined ? {} : { link }),
        ...(deps.pollMs === undefined ? {} : { pollMs: deps.pollMs }),
        ...(deps.onError === undefined ? {} : { onError: deps.onError }),
      });
      dispatcher.start();
    },
    stop: async () => {
      await dispatcher?.stop();
      await link?.close();
      dispatcher = undefined;
      link = undefined;
    },
  };
}
