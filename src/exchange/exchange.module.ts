import type { Kysely } from 'kysely';
import type { AccessLog } from '../audit/access-log.types.js';
import type { RegistryService } from '../registry/registry.service.js';
import { isoDay, type Clock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import { alertRepository } from '../audit/misuse-alert.repository.js';
import { AgencyAuthService } from './agency-auth.service.js';
import { ConsentService } from './consent.service.js';
import { ExchangeDirectory } from './exchange.directory.js';
import { loadExchangeKeys, type ExchangeKeys } from './exchange-keys.js';
import { ExchangeService } from './exchange.service.js';
import type { MisuseAlert } from './exchange.types.js';
import { FairUseLimiter } from './fair-use.limiter.js';
import { GrantService } from './grant.service.js';
import { MemberService } from './member.service.js';
import { memberRepository } from './member.repository.js';
import { MisuseMonitor, TokenFailureMonitor, type MisuseOptions, type TokenFailureOptions } from '../audit/misuse.monitor.js';
import { registryExchangeServices, type RegistryExchangeDeps, type Verifier } from './registry-exchange.services.js';
import { JetStreamReplayLedger } from './replay-ledger.jetstream.js';
import { openReplayLedger, type ReplayLedger } from './replay-ledger.repository.js';
import { RequestReplayGuard, requestReplayed } from './request-replay.guard.js';

export interface ExchangeDeps {
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  readonly accessLog: AccessLog;
  readonly registry: RegistryService;
  readonly verifier: Verifier;
  readonly misuse?: MisuseOptions;
  /** How long a request id is refused after use (at least; about twice as long at most under steady calls); default 5 minutes. */
  readonly replayWindowMs?: number;
  readonly tokenAudience?: string;
  readonly onAlertError?: (error: unknown) => void;
  /** The durable replay memory; default the store's own (replay-ledger.repository.ts), or NATS's with `natsReplay`. */
  readonly replayLedger?: ReplayLedger;
  /**
   * Keep the replay memory on a NATS JetStream cluster (replay-ledger.jetstream.ts) instead of the
   * store: config.natsUrl and config.natsReplicas. Absent: the store's ledger.
   */
  readonly natsReplay?: { readonly url: string; readonly replicas: number };
  /** Unexpired client assertions remembered for one client at most; default 1,000. */
  readonly maxAssertionsPerClient?: number;
  /** When failed client assertions raise an alert. */
  readonly tokenFailures?: TokenFailureOptions;
  /** The `residence-document` service's calls (src/services), given by the app. */
  readonly residenceDocument?: RegistryExchangeDeps['residenceDocument'];
}

/** Misuse alerts for the operators' console. */
export class AlertService {
  constructor(private readonly deps: { readonly db: Kysely<DB>; readonly clock: Clock }) {}

  /** Alerts, newest first; an agency officer's alert carries the officer's name as the member registered it. */
  async list(status: 'open' | 'acknowledged' | undefined, limit = 200): Promise<readonly (MisuseAlert & { readonly subjectName?: string })[]> {
    const alerts = await alertRepository.list(this.deps.db, { status, limit });
    const officerIds = [...new Set(alerts.filter((a) => a.subjectKind === 'officer').map((a) => a.subjectId))];
    const names = await memberRepository.officerNames(this.deps.db, officerIds);
    const nameOf = new Map(names.map((n) => [`${n.memberId}|${n.officerId}`, n.name]));
    return alerts.map((a) => {
      if (a.subjectKind !== 'officer') return a;
      // The member is the client id's first three segments (VN/GOV/BTC of VN/GOV/BTC/tax).
      const name = nameOf.get(`${a.clientId.split('/').slice(0, 3).join('/')}|${a.subjectId}`);
      return name === undefined ? a : { ...a, subjectName: name };
    });
  }

  async acknowledge(alertId: string): Promise<MisuseAlert> {
    const alert = await alertRepository.acknowledge(this.deps.db, alertId, this.deps.clock.now().toISOString());
    if (alert === undefined) throw new DomainError('not_found', 'ALERT_NOT_FOUND', 'no alert has this id', 'Reload the list of alerts');
    return alert;
  }
}

/** The exchange, assembled: what the HTTP edge and the CLI use. */
export interface Exchange {
  readonly keys: ExchangeKeys;
  readonly directory: ExchangeDirectory;
  readonly auth: AgencyAuthService;
  readonly members: MemberService;
  readonly grants: GrantService;
  readonly consents: ConsentService;
  readonly alerts: AlertService;
  readonly pipeline: ExchangeService;
  /** Waits for pending alerts and closes the replay ledger. */
  close(): Promise<void>;
}

/**
 * Builds the exchange over a store: loads (or makes) its keys and wires the pipeline.
 *
 * @example
 * const exchange = await createExchange({ db, clock, accessLog: openAccessLog(database), registry, verifier: new VerifyService({ db, clock }) });
 */
export async function createExchange(deps: ExchangeDeps): Promise<Exchange> {
  const keys = await loadExchangeKeys(deps.db, deps.clock);
  const directory = new ExchangeDirectory({ db: deps.db, clock: deps.clock });
  const replayWindowMs = deps.replayWindowMs ?? 300_000;
  const ledgerOptions = { secret: keys.tokenMacSecret, now: () => deps.clock.now().getTime(), horizonMs: Math.max(660_000, replayWindowMs) };
  const ledger = deps.replayLedger ?? (deps.natsReplay === undefined ? openReplayLedger(deps.db, ledgerOptions) : new JetStreamReplayLedger({ ...ledgerOptions, ...deps.natsReplay }));
  // Alerts raised at the token endpoint are stored by the pipeline, which tracks them until settled.
  let raise: (alert: MisuseAlert) => void = () => undefined;
  const auth = new AgencyAuthService({
    clock: deps.clock,
    directory,
    macSecret: keys.tokenMacSecret,
    ledger,
    failures: new TokenFailureMonitor(deps.tokenFailures),
    onAlert: (alert) => { raise(alert); },
    ...(deps.maxAssertionsPerClient === undefined ? {} : { maxAssertionsPerClient: deps.maxAssertionsPerClient }),
    ...(deps.tokenAudience === undefined ? {} : { audience: deps.tokenAudience }),
  });
  const consents = new ConsentService({ db: deps.db, clock: deps.clock, keys, directory });
  const today = (): string => isoDay(deps.clock.now());
  const pipeline = new ExchangeService({
    db: deps.db,
    clock: deps.clock,
    auth,
    directory,
    consents,
    accessLog: deps.accessLog,
    replay: new RequestReplayGuard(replayWindowMs, deps.clock.now().getTime()),
    claimDurably: async (clientId, requestId, nowMs) => {
      if (!(await ledger.claim('request', clientId, requestId.toLowerCase(), nowMs + replayWindowMs))) throw requestReplayed();
    },
    limiter: new FairUseLimiter(),
    misuse: new MisuseMonitor(deps.misuse),
    services: registryExchangeServices({ db: deps.db, registry: deps.registry, verifier: deps.verifier, today, residenceDocument: deps.residenceDocument }),
    ...(deps.onAlertError === undefined ? {} : { onAlertError: deps.onAlertError }),
  });
  raise = (alert) => { pipeline.raise(alert); };
  return {
    keys,
    directory,
    auth,
    members: new MemberService({ db: deps.db, clock: deps.clock, directory }),
    grants: new GrantService({ db: deps.db, clock: deps.clock, directory }),
    consents,
    alerts: new AlertService({ db: deps.db, clock: deps.clock }),
    pipeline,
    close: async () => {
      await pipeline.settled();
      await ledger.close();
    },
  };
}
