import type { KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AccessLog } from '../audit/access-log.types.js';
import type { WebhookPost } from '../events/webhook.deliverer.js';
import type { RegistryService } from '../registry/registry.service.js';
import type { Clock } from '../shared/clock.js';
import type { DB } from '../store/database.types.js';
import { ProcedureRunner } from './procedure.runner.js';
import { ProcedureService, type UnitOf } from './procedure.service.js';
import { ServiceCatalogueService } from './service-catalogue.service.js';

export interface ProceduresDeps {
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  readonly registry: RegistryService;
  readonly accessLog: AccessLog;
  readonly unitOf: UnitOf;
  readonly accountStatusOf: (personId: string) => Promise<string | undefined>;
  readonly keyId: string;
  readonly privateKey: KeyObject;
  /** Delivery tuning (tests shorten it). */
  readonly delivery?: { readonly post?: WebhookPost; readonly maxAttempts?: number; readonly backoffMs?: (failures: number) => number; readonly timeoutMs?: number; readonly leaseMs?: number };
  readonly pollMs?: number;
  readonly onError?: (error: unknown) => void;
}

/** Linked procedures assembled: the service for the routes, the runner started on demand, the catalogue. */
export interface Procedures {
  readonly service: ProcedureService;
  readonly runner: ProcedureRunner;
  readonly catalogue: ServiceCatalogueService;
}

export function createProcedures(deps: ProceduresDeps): Procedures {
  const runner = new ProcedureRunner({
    db: deps.db, clock: deps.clock, registry: deps.registry, accessLog: deps.accessLog, accountStatusOf: deps.accountStatusOf,
    keyId: deps.keyId, privateKey: deps.privateKey,
    ...deps.delivery,
    ...(deps.pollMs === undefined ? {} : { pollMs: deps.pollMs }),
    ...(deps.onError === undefined ? {} : { onError: deps.onError }),
  });
  const service = new ProcedureService({
    db: deps.db, clock: deps.clock, registry: deps.registry, accessLog: deps.accessLog, unitOf: deps.unitOf,
    onSubmitted: () => { runner.wake(); },
  });
  return { service, runner, catalogue: new ServiceCatalogueService() };
}
