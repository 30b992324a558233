import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RouteOptions } from 'fastify';
import { sql, type Kysely } from 'kysely';
import { openAccessLog } from '../audit/access-log.service.js';
import type { AccessLogStore } from '../audit/access-log.store.js';
import { auditRoutes } from '../audit/audit.routes.js';
import { AuditService } from '../audit/audit.service.js';
import { generateSignerKey, parseSignerKey } from '../audit/checkpoint-note.js';
import type { AccessLog } from '../audit/access-log.types.js';
import { createEvents, type EventsDeps } from '../events/events.module.js';
import { eventsRoutes } from '../events/events.routes.js';
import { exchangeAdminRoutes } from '../exchange/exchange-admin.routes.js';
import { createExchange } from '../exchange/exchange.module.js';
import { agencyRoutes } from '../exchange/exchange.routes.js';
import { createReconcile, defaultReconcileDir } from '../matching/reconcile.module.js';
import { reconcileRoutes } from '../matching/reconcile.routes.js';
import { verifyRoutes } from '../matching/verify.routes.js';
import { VerifyService } from '../matching/verify.service.js';
import { qualityRoutes } from '../quality/quality.routes.js';
import { QualityService } from '../quality/quality.service.js';
import { adminUnitRoutes } from '../registry/admin-unit.routes.js';
import { personRoutes } from '../registry/person.routes.js';
import { createIdentityModule, type IdentityModule } from '../identity/identity.module.js';
import { identityRoutes } from '../identity/identity.routes.js';
import { registerOfficerSignIn, type OidcSessionControl } from '../identity/oidc.routes.js';
import { registerOfficerEnrolment } from '../identity/enrolment.routes.js';
import { createOfficialReads } from '../audit/official-reads.module.js';
import { createDirection } from '../direction/direction.module.js';
import { directionRoutes } from '../direction/direction.routes.js';
import { RegistryService } from '../registry/registry.service.js';
import { createCitizenModule } from '../citizen/citizen.module.js';
import { ActivationDriveService } from '../citizen/activation-drive.service.js';
import { citizenAdminRoutes, citizenPublicRoutes } from '../citizen/citizen.routes.js';
import { portalRoutes } from '../citizen/portal.routes.js';
import { portalPagesRoutes } from '../citizen/portal-pages.routes.js';
import { CitizenConsentService } from '../exchange/citizen-consent.service.js';
import { CorrectionRequestService } from '../quality/correction-request.service.js';
// signed residence documents (issue 16)
import { createDocuments } from '../services/documents.module.js';
import { documentVerifyRoutes } from '../services/document-verify.routes.js';
import { citizenDocumentRoutes, residenceDocumentRoutes } from '../services/residence-document.routes.js';
import { fileOtpSender, otpOutboxPath, type OtpSender } from '../citizen/otp.sender.js';
import { createProcedures, type ProceduresDeps } from '../services/procedures.module.js';
import { procedureCitizenRoutes, procedureOfficerRoutes } from '../services/procedure.routes.js';
import type { PasswordHasher } from '../identity/password.hasher.js';
import type { KeyObject } from 'node:crypto';
import path from 'node:path';
import { isoDay, type Clock } from '../shared/clock.js';
import type { Database } from '../store/database.js';
import type { DB } from '../store/database.types.js';
import { defaultHttpTimeouts } from '../config/config.js';
import { clientErrorHandler, edgeServerOptions, registerBodyDeadline, registerSecurityHeaders, requestIdOf, type EdgeTimeouts } from './edge.js';
import { registerErrorHandler } from './error-handler.js';
import { registerMetrics } from './metrics.js';
import { registerApiAuth } from './api-auth.js';
import type { OfficialReadSink } from './official-reads.js';
import { sessionCookieName } from './session-cookie.js';
import { lazyRequestLogger } from './request-logger.js';
import { RouteLogController } from './route-log-controller.js';

export interface AppDeps {
  readonly database: Database;
  /**
   * The reads that may lag a moment (search, statistics, indicators' computations, quality
   * scorecards): a read replica's handle (store/read-replica.ts, config.readDatabaseUrl); default
   * the store's own. The caller closes it.
   */
  readonly readDb?: Kysely<DB>;
  readonly clock: Clock;
  /** Accepted only by POST /api/identity/bootstrap, to create the first system administrator. */
  readonly operatorToken: string;
  /** Officers, sessions and service accounts; default one over the registry's database (tests pass a fast password hasher). */
  readonly identity?: IdentityModule;
  /** Session cookies carry `Secure` even over plain HTTP (production behind a TLS proxy); over HTTPS they always do. */
  readonly secureCookies?: boolean;
  /** Records officials' reads of persons before the answer leaves; default an OfficialReadRecorder on the access log. */
  readonly officialReads?: OfficialReadSink;
  /** A pino logger; request lines carry the route pattern only, never the URL (it holds ID numbers). */
  readonly logger: FastifyBaseLogger | false;
  /** The edge's time limits (config.http); default defaultHttpTimeouts. */
  readonly timeouts?: EdgeTimeouts;
  /** Folder of the built console; default dist/web in the repository. */
  readonly webRoot?: string;
  /** Signed-note key that signs the access log's checkpoints (config.auditSigningKey); a throwaway key when absent (tests). */
  readonly auditSigningKey?: string;
  /**
   * The access log's store (access-log.store.ts): its own SQLite file in service, whose batches
   * are then written on a writer thread. Default: the registry's database. The caller closes it.
   */
  readonly accessLogStore?: AccessLogStore;
  /** The access log; default one opened on the access log's store here and closed with the app. */
  readonly accessLog?: AccessLog;
  /** The exchange's replay memory on NATS JetStream (config.natsUrl, config.natsReplicas); default the store's. */
  readonly natsReplay?: { readonly url: string; readonly replicas: number };
  /** Told of every route as it is added (the authorisation matrix test enumerates them). */
  readonly onRoute?: (route: RouteOptions) => void;
  /** Working folder of bulk reconciliation (snapshot, inbox, jobs); default beside the SQLite file. */
  readonly reconcileDir?: string;
  /** The address browsers reach the server at (config.publicUrl): the OpenID provider's issuer is `<publicUrl>/oidc`; default the listening address. */
  readonly publicUrl?: string;
  /** Sends citizens' one-time codes; default an outbox file in the data folder (no SMS gateway: docs/citizen.md). */
  readonly citizenOtp?: OtpSender;
  /** The OpenID provider's outgoing requests (back-channel logout); default the global fetch behind the provider's SSRF guard. Tests only. */
  readonly oidcFetch?: typeof fetch;
  /** The data folder (config.dataDir): the one-time-code outbox lives there; default the SQLite file's folder, else a private temporary folder. */
  readonly dataDir?: string;
  /** Citizens' password hasher; default argon2id at OWASP's cost (tests pass a cheaper one). */
  readonly citizenHasher?: PasswordHasher;
  /** Public keys of the card issuer's document signers, for level 2 by chip (simulated in tests). */
  readonly cardIssuerKeys?: readonly KeyObject[];
  /**
   * Change events (src/events): `dispatch` starts the dispatcher and webhook deliveries when the
   * app is ready (serve does; tests drive them by hand), through JetStream when `natsUrl` is set.
   */
  readonly events?: { readonly dispatch: boolean } & Pick<EventsDeps, 'natsUrl' | 'natsReplicas' | 'delivery' | 'pollMs'>;
  /** Signed documents: online verifications a minute from one address (default 300; benches raise it). */
  readonly documents?: { readonly verifyPerMinute?: number };
  /** Linked procedures (src/services): `run` starts the step runner when the app is ready (serve does; tests drive it by hand). */
  readonly procedures?: { readonly run: boolean } & Pick<ProceduresDeps, 'delivery' | 'pollMs'>;
}

/** Where the outbox goes without a data folder: beside the SQLite file, else a folder of this process's own (mode 0700). */
function privateDataDir(database: AppDeps['database']): string {
  if (database.dialect === 'sqlite' && database.location !== ':memory:') return path.dirname(database.location);
  return mkdtempSync(path.join(tmpdir(), 'sachsong-data-'));
}

/** The outbox file sender, its folder chosen at the first code (no temporary folder is made for a server that sends none). */
function defaultOtpSender(deps: AppDeps): OtpSender {
  let sender: OtpSender | undefined;
  return { send: (message) => (sender ??= fileOtpSender(otpOutboxPath(deps.dataDir ?? privateDataDir(deps.database)))).send(message) };
}

// Resolves to <repo>/dist/web from both src/http (tests) and dist/http (built).
const defaultWebRoot = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/**
 * Assembles the HTTP server: the operator API under /api, health and metrics, the OpenAPI
 * description and its docs page, and the web console.
 *
 * @example
 * const app = await buildApp({ database, clock: systemClock, operatorToken, logger: false });
 * await app.listen({ port: 8080 });
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger === false ? {} : { loggerInstance: deps.logger }),
    logController: new RouteLogController(),
    childLoggerFactory: lazyRequestLogger,
    // The log's request id is the caller's X-Request-Id only when it is a UUID (edge.ts).
    requestIdHeader: false,
    genReqId: requestIdOf,
    clientErrorHandler,
    ...edgeServerOptions(deps.timeouts ?? defaultHttpTimeouts),
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  if (deps.onRoute !== undefined) app.addHook('onRoute', deps.onRoute);

  registerErrorHandler(app);
  registerMetrics(app);
  registerBodyDeadline(app, (deps.timeouts ?? defaultHttpTimeouts).bodyMs);
  await registerSecurityHeaders(app);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'sachsong', version: '0.1.0', description: 'National population registry and data exchange' },
      components: { securitySchemes: {
        sessionCookie: { type: 'apiKey', in: 'cookie', name: sessionCookieName, description: 'an officer\'s console session; unsafe methods also need its CSRF token in X-CSRF-Token (GET /api/identity/me)' },
        serviceAccountKey: { type: 'http', scheme: 'bearer', description: 'a service account key sk_… (POST /api/identity/service-accounts)' },
        operatorToken: { type: 'http', scheme: 'bearer', description: 'POST /api/identity/bootstrap only' },
        agencyToken: { type: 'http', scheme: 'bearer', description: 'an access token from POST /x/token' } } },
      security: [{ sessionCookie: [] }, { serviceAccountKey: [] }],
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());

  app.get('/healthz', { schema: { tags: ['operations'], summary: 'Liveness and store reachability', security: [] } }, async () => {
    await sql`select 1`.execute(deps.database.db);
    return { status: 'ok', store: deps.database.dialect };
  });

  const today = (): string => isoDay(deps.clock.now());
  // A recorded event re-checks the person's quality in its own transaction; the worklist corrects records through the registry.
  // A death or a new card locks or re-binds the citizen's e-ID account in the event's own transaction.
  const reads = deps.readDb === undefined ? {} : { readDb: deps.readDb };
  const registry: RegistryService = new RegistryService({
    db: deps.database.db, clock: deps.clock, ...reads,
    onPersonsChanged: async (ids, trx) => { await quality.recheck(trx, ids); },
    onEventRecorded: async (event, trx) => {
      await citizen.accounts.onRegistryEvent(trx, event);
      // A move, a death, a new name or a correction revokes the person's residence documents in the same transaction.
      await documents.onRegistryEvent(trx, event);
    },
    // Once committed: the closed or re-bound account's provider sessions end and relying parties are told (onEvent below).
    onEventCommitted: (event) => {
      citizen.accounts.afterRegistryEvent(event).catch((error: unknown) => { app.log.warn({ err: { type: (error as Error).name } }, 'e-ID account event after a life event not announced'); });
    },
  });
  const quality = new QualityService({
    db: deps.database.db, ...reads,
    store: deps.database,
    clock: deps.clock,
    recordCorrection: async (c) => ({ eventId: (await registry.recordEvent({ ...c, type: 'correction', occurredOn: today() })).event.eventId }),
  });
  const logStore = deps.accessLogStore?.database ?? deps.database;
  const accessLog = deps.accessLog ?? openAccessLog(logStore, {
    writerThread: deps.accessLogStore?.separate ?? false,
    onIndexError: (error) => { app.log.warn({ err: { type: (error as Error).name } }, 'access log person index slice failed; retried after the next append'); },
  });
  if (deps.accessLog === undefined) app.addHook('onClose', () => accessLog.close());
  const audit = new AuditService({
    db: logStore.db, registryDb: deps.database.db, signer: parseSignerKey(deps.auditSigningKey ?? generateSignerKey('sachsong.local/access-log')), clock: deps.clock,
    ...(isSettling(accessLog) ? { settled: () => accessLog.settled() } : {}),
  });
  const documents = await createDocuments({ db: deps.database.db, clock: deps.clock, accessLog, publicUrl: deps.publicUrl });
  // One verifier for the exchange's verify service and the officers' /api/verify.
  const verifier = new VerifyService({ db: deps.database.db, clock: deps.clock });
  const exchange = await createExchange({
    db: deps.database.db,
    clock: deps.clock,
    accessLog,
    registry,
    verifier,
    residenceDocument: (body, grant) => documents.exchangeService(body, grant),
    ...(deps.natsReplay === undefined ? {} : { natsReplay: deps.natsReplay }),
    onAlertError: (error) => { app.log.error({ err: { type: (error as Error).name } }, 'misuse alert not stored'); },
  });
  app.addHook('onClose', () => exchange.close());
  const events = createEvents({
    db: deps.database.db, clock: deps.clock, accessLog, exchange,
    natsUrl: deps.events?.natsUrl,
    ...(deps.events?.natsReplicas === undefined ? {} : { natsReplicas: deps.events.natsReplicas }),
    ...(deps.events?.delivery === undefined ? {} : { delivery: deps.events.delivery }),
    ...(deps.events?.pollMs === undefined ? {} : { pollMs: deps.events.pollMs }),
    onError: (error, loop) => { app.log.warn({ err: { type: (error as Error).name }, loop }, 'change events: a pass failed; retried'); },
  });
  if (deps.events?.dispatch === true) app.addHook('onReady', () => events.start());
  // Stopped before the access log closes (hooks run in reverse).
  app.addHook('onClose', () => events.stop());
  // Officials' reads: break-glass reasons, sensitive persons, officers' alerts and bulk jobs live in the registry's store.
  const official = createOfficialReads({
    accessLog, db: deps.database.db, clock: deps.clock,
    monitor: { onError: (error) => { app.log.error({ err: { type: (error as Error).name } }, 'officer misuse alert not stored'); } },
  });
  const reconcile = createReconcile({
    bulkJobs: official.bulkJobs,
    database: deps.database,
    clock: deps.clock,
    dir: deps.reconcileDir ?? defaultReconcileDir(deps.database, tmpdir()),
    onError: (error) => { app.log.error({ err: { type: (error as Error).name } }, 'reconciliation job failed'); },
  });
  // Jobs left queued, or running on a node that stopped, start again (cleanly: outputs are renamed
  // only when complete), each on the one node that claims it; every 30 s a node looks for more.
  let stopSweep: () => void = () => undefined;
  app.addHook('onReady', async () => {
    await reconcile.jobs.resumeInterrupted();
    stopSweep = reconcile.jobs.startSweep(30_000);
  });
  app.addHook('onClose', async () => {
    stopSweep();
    await reconcile.jobs.idle();
  });
  const identity = deps.identity ?? createIdentityModule({ db: deps.database.db, clock: deps.clock });
  // The direction centre: indicators refreshed once a Vietnamese day (the timer checks hourly) and on demand.
  const direction = createDirection({
    db: deps.database.db, dialect: deps.database.dialect, ...reads, logDb: logStore.db, logDialect: logStore.dialect, clock: deps.clock,
    onError: (error) => { app.log.error({ err: { type: (error as Error).name } }, 'indicator refresh failed'); },
  });
  app.addHook('onReady', () => { direction.scheduler.start(); return Promise.resolve(); });
  app.addHook('onClose', () => { direction.scheduler.stop(); return Promise.resolve(); });
  const citizen = createCitizenModule({
    db: deps.database.db, clock: deps.clock, accessLog,
    otp: deps.citizenOtp ?? defaultOtpSender(deps),
    ...(deps.citizenHasher === undefined ? {} : { hasher: deps.citizenHasher }),
    ...(deps.cardIssuerKeys === undefined ? {} : { cardIssuerKeys: deps.cardIssuerKeys }),
    // An account locked, closed by a death, re-bound to a new card or recovered: its sessions at the
    // provider end, and relying parties with a back-channel logout URI are told (after the event's
    // transaction: the store's one SQLite connection is free only then).
    onEvent: (event) => {
      if (event.type !== 'account.locked' && event.type !== 'account.deceased' && event.type !== 'account.rebound' && event.type !== 'account.recovered') return;
      const { accountId } = event;
      setImmediate(() => {
        providerSessions.control?.endAccountSessions(accountId).catch((error: unknown) => { app.log.warn({ err: { type: (error as Error).name } }, 'provider sessions of a locked account not ended'); });
      });
    },
  });
  // Set once the provider's routes are registered, below.
  const providerSessions: { control?: OidcSessionControl } = {};
  // Linked procedures: their registry steps go through the registry (and its death hook locks the e-ID account).
  const procedureUnitOf = (code: string): { readonly commune: string; readonly province: string } | undefined =>
    identity.ties.ties({ idNumber: '', permanentCommune: code, temporaryCommune: null, currentCommune: null, householdCommune: null }).communes[0];
  const procedures = createProcedures({
    db: deps.database.db, clock: deps.clock, registry, accessLog, unitOf: procedureUnitOf,
    accountStatusOf: async (personId) => (await citizen.accounts.accountOfPerson(personId))?.status,
    keyId: exchange.keys.consentKeyId, privateKey: exchange.keys.consentPrivateKey,
    ...(deps.procedures?.delivery === undefined ? {} : { delivery: deps.procedures.delivery }),
    ...(deps.procedures?.pollMs === undefined ? {} : { pollMs: deps.procedures.pollMs }),
    onError: (error) => { app.log.warn({ err: { type: (error as Error).name } }, 'linked procedures: a pass failed; retried'); },
  });
  if (deps.procedures?.run === true) app.addHook('onReady', () => { procedures.runner.start(); return Promise.resolve(); });
  app.addHook('onClose', () => procedures.runner.stop());
  const officialReads: OfficialReadSink = deps.officialReads ?? official.recorder;
  // The citizen's own consents and correction requests (the portal's pages), on the exchange's and the worklist's services.
  const correctionRequests = new CorrectionRequestService({ db: deps.database.db, clock: deps.clock });
  const citizenConsents = new CitizenConsentService({ db: deps.database.db, clock: deps.clock, consents: exchange.consents });
  await app.register(
    async (api) => {
      registerApiAuth(api, { identity, operatorToken: deps.operatorToken });
      // Cookies are Secure when configured, or when browsers reach the server over HTTPS (config.publicUrl).
      await api.register(identityRoutes, { identity, secureCookies: deps.secureCookies ?? deps.publicUrl?.startsWith('https:') ?? false });
      await api.register(personRoutes, { registry, today, ties: identity.ties, reads: officialReads });
      await api.register(adminUnitRoutes, { clock: deps.clock });
      await api.register(qualityRoutes, { quality, now: () => deps.clock.now().toISOString(), requests: correctionRequests });
      await api.register(verifyRoutes, { verify: verifier });
      await api.register(reconcileRoutes, { jobs: reconcile.jobs });
      await api.register(exchangeAdminRoutes, { exchange, prefix: '/exchange' });
      await api.register(auditRoutes, { audit });
      await api.register(directionRoutes, direction);
      await api.register(residenceDocumentRoutes, { documents, registry, ties: identity.ties, reads: officialReads });
      await api.register(citizenAdminRoutes, { citizen, drive: new ActivationDriveService({ db: deps.database.db }), db: deps.database.db, ties: identity.ties });
      await api.register(procedureOfficerRoutes, { procedures: procedures.service, catalogue: procedures.catalogue, registry, clock: deps.clock, reads: officialReads, unitOf: procedureUnitOf });
    },
    { prefix: '/api' },
  );
  await app.register(agencyRoutes, { exchange, prefix: '/x' });
  await app.register(eventsRoutes, { exchange, subscriptions: events.subscriptions, prefix: '/x/subscriptions' });
  // Officers sign in through the OpenID provider (/oidc) and the console's backend-for-frontend (/auth).
  await app.register(citizenPublicRoutes, { citizen });
  await app.register(procedureCitizenRoutes, { procedures: procedures.service, accounts: citizen.accounts, registry, clock: deps.clock });
  await app.register(portalRoutes, { citizen, registry, audit, db: deps.database.db, secureCookies: deps.secureCookies ?? deps.publicUrl?.startsWith('https:') ?? false, accessLog, clock: deps.clock });
  await app.register(portalPagesRoutes, {
    citizen, audit, accessLog, db: deps.database.db, clock: deps.clock, consents: citizenConsents, requests: correctionRequests, procedures: procedures.service,
    secureCookies: deps.secureCookies ?? deps.publicUrl?.startsWith('https:') ?? false,
  });
  // One provider, two audiences: officers to the console, citizens to the relying parties (src/citizen).
  providerSessions.control = await registerOfficerSignIn(app, {
    db: deps.database.db, auth: identity.auth, clock: deps.clock, secureCookies: deps.secureCookies ?? false,
    audience: citizen.audience, audienceInteraction: citizen.interaction,
    ...(deps.oidcFetch === undefined ? {} : { providerFetch: deps.oidcFetch }),
    ...(deps.publicUrl === undefined ? {} : { publicUrl: deps.publicUrl }),
  });
  await registerOfficerEnrolment(app, { auth: identity.auth });
  // Signed documents: the public keys, status lists and verify page (no sign-in), and the citizen's own.
  await app.register(documentVerifyRoutes, { documents, ...(deps.documents?.verifyPerMinute === undefined ? {} : { verifyPerMinute: deps.documents.verifyPerMinute }) });
  await app.register(citizenDocumentRoutes, { documents, citizen });

  const webRoot = deps.webRoot ?? defaultWebRoot;
  if (existsSync(webRoot)) {
    await app.register(fastifyStatic, { root: webRoot, prefix: '/', index: ['index.html'], wildcard: false });
  }
  return app;
}

/** An access log that can say when what it acknowledged is in the tree (openAccessLog's). */
function isSettling(log: AccessLog): log is AccessLog & { settled(): Promise<void> } {
  return typeof (log as { settled?: unknown }).settled === 'function';
}
