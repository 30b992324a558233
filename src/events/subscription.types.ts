/** An agency's push subscription to change events, under its `changes` grant. */
export interface Subscription {
  readonly subscriptionId: string;
  readonly clientId: string;
  readonly grantId: string;
  /** The agency's officer on whose behalf the events are received (named in each access record). */
  readonly officerId: string;
  /** The grant's purpose the events are received for. */
  readonly purposeCode: string;
  readonly kinds: readonly string[];
  readonly fields: readonly string[];
  /** 2-digit province codes; empty: every province. */
  readonly provinces: readonly string[];
  /** Where events are POSTed, signed. */
  readonly url: string;
  readonly status: SubscriptionStatus;
  /** Events after this outbox seq are delivered. */
  readonly fromSeq: number;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** active; paused by the agency; dead_letter once an event failed every retry (a replay resumes it). */
export type SubscriptionStatus = 'active' | 'paused' | 'dead_letter';

export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

/** One event for one subscription. */
export interface Delivery {
  readonly subscriptionId: string;
  readonly seq: number;
  readonly eventId: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly recorded: boolean;
  readonly deliveredAt: string | null;
  readonly lastError: string | null;
}
