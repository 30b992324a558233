import { hash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AccessLog, AccessRecordInput } from '../audit/access-log.types.js';
import type { Clock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import { alertRepository } from '../audit/misuse-alert.repository.js';
import type { AgencyAuthService } from './agency-auth.service.js';
import { checkActive } from './agency-auth.service.js';
import type { ConsentService } from './consent.service.js';
import type { ExchangeDirectory } from './exchange.directory.js';
import { checkOfficerId } from './exchange-ids.js';
import type { Grant, MisuseAlert } from './exchange.types.js';
import type { FairUseLimiter } from './fair-use.limiter.js';
import type { MisuseMonitor } from '../audit/misuse.monitor.js';
import type { ServiceBodies, PreparedCall } from './registry-exchange.services.js';
import type { RequestReplayGuard } from './request-replay.guard.js';
import { serviceCatalog, type ServiceName } from './service.catalog.js';

/** The headers every service call carries. */
export interface CallHeaders {
  readonly authorization: string | undefined;
  /** X-Client-Id: optional, since the token names the client; when sent it must be that client. */
  readonly clientId?: string | undefined;
  readonly requestId: string | undefined;
  readonly officerId: string | undefined;
  readonly caseReference: string | undefined;
  readonly purpose: string | undefined;
}

/** The answer to a call: the exact body to send and the hashes binding it to its request. */
export interface CallResponse {
  readonly body: string;
  readonly requestHash: string;
  readonly responseHash: string;
}

export interface ExchangeServiceDeps {
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  readonly auth: AgencyAuthService;
  readonly directory: ExchangeDirectory;
  readonly consents: ConsentService;
  readonly accessLog: AccessLog;
  readonly replay: RequestReplayGuard;
  /** Claims the request id in the durable replay ledger (every process, across restarts); throws REQUEST_REPLAYED. */
  readonly claimDurably?: (clientId: string, requestId: string, nowMs: number) => Promise<void>;
  readonly limiter: FairUseLimiter;
  readonly misuse: MisuseMonitor;
  readonly services: { readonly [S in ServiceName]: (body: ServiceBodies[S], grant: Grant) => PreparedCall };
  /** Told when an alert could not be stored (the call itself has been answered). */
  readonly onAlertError?: (error: unknown) => void;
}

const caseReferencePattern = /^[^\p{Cc}]{1,128}$/u;
const purposePattern = /^[A-Z0-9][A-Z0-9_.-]{0,63}$/;

// One-shot hashing: no hash object a call (two hashes a request).
const sha256 = (text: string): string => hash('sha256', text, 'hex');

/**
 * Binds a response to its request: SHA-256 over the request id, the SHA-256 of the request body
 * and the response body, joined by newlines (lowercase hex).
 *
 * @example
 * responseHash(requestId, sha256hex(requestBody), responseBody) === response.headers['x-response-hash']
 */
export function responseHash(requestId: string, requestHash: string, responseBody: string): string {
  return sha256(`${requestId}\n${requestHash}\n${responseBody}`);
}

/**
 * The request pipeline: token → client → request id (no replay) → officer, case, purpose →
 * grant (service, validity, purpose) → fair-use caps → fields → consent where the grant needs
 * it → the service → one durable access record per person released → misuse counting → the
 * response and its hash. Nothing leaves before the access log has committed its records.
 */
/** The headers every service call carries, as the caller writes them. */
const callHeaderNames: readonly (readonly ['requestId' | 'officerId' | 'caseReference' | 'purpose', string])[] = [
  ['requestId', 'X-Request-Id'],
  ['officerId', 'X-Officer-Id'],
  ['caseReference', 'X-Case-Reference'],
  ['purpose', 'X-Purpose'],
];

export class ExchangeService {
  private readonly pendingAlerts = new Set<Promise<void>>();

  constructor(private readonly deps: ExchangeServiceDeps) {}

  /**
   * The checks that need no body: a valid token of an active client holding a grant for the
   * service. Run before the body is read, so a caller without a grant learns nothing more.
   */
  async admit(service: ServiceName, authorization: string | undefined): Promise<void> {
    const principal = this.deps.auth.peek(authorization) ?? (await this.deps.auth.authenticate(authorization));
    const entry = this.deps.directory.peek(principal.clientId) ?? (await this.deps.directory.get(principal.clientId));
    if (entry === undefined) throw new DomainError('unauthorized', 'CLIENT_UNKNOWN', 'the client of this token is no longer registered', 'Ask the exchange operators');
    checkActive(entry);
    if ((entry.grants.get(service)?.length ?? 0) === 0) {
      throw new DomainError('forbidden', 'SERVICE_NOT_GRANTED', `this client has no grant for ${service}`, 'Ask the exchange operators for a grant');
    }
  }

  async call<S extends ServiceName>(service: S, headers: CallHeaders, body: ServiceBodies[S], rawBody: string): Promise<CallResponse> {
    const principal = this.deps.auth.peek(headers.authorization) ?? (await this.deps.auth.authenticate(headers.authorization));
    const entry = this.deps.directory.peek(principal.clientId) ?? (await this.deps.directory.get(principal.clientId));
    if (entry === undefined) throw new DomainError('unauthorized', 'CLIENT_UNKNOWN', 'the client of this token is no longer registered', 'Ask the exchange operators');
    checkActive(entry);
    if (headers.clientId !== undefined && headers.clientId !== principal.clientId) {
      throw new DomainError('forbidden', 'CLIENT_ID_MISMATCH', 'X-Client-Id is not the client of this token', 'Send your own client id, or leave X-Client-Id out');
    }
    // Several headers missing: one answer naming them all (one missing keeps its own code below).
    const missing = callHeaderNames.filter(([key]) => headers[key] === undefined || headers[key] === '').map(([, name]) => name);
    if (missing.length > 1) {
      throw new DomainError('invalid', 'HEADERS_MISSING', `the call lacks ${missing.length} headers: ${missing.join(', ')}`, 'Send every one: X-Request-Id (a fresh UUID), X-Officer-Id (a registered officer), X-Case-Reference (the case or file number), X-Purpose (a purpose code of the grant)', { missing });
    }
    const now = this.deps.clock.now();
    const nowMs = now.getTime();
    const requestId = this.deps.replay.claim(principal.clientId, headers.requestId, nowMs);
    // Started now, written with the turn's other claims, awaited before any record is appended.
    const durable = this.deps.claimDurably?.(principal.clientId, requestId, nowMs);
    durable?.catch(() => undefined);

    if (headers.officerId === undefined) throw new DomainError('invalid', 'OFFICER_ID_MISSING', 'every call names the officer it is made for', 'Send X-Officer-Id');
    const officerId = checkOfficerId(headers.officerId);
    if (!entry.officers.has(officerId)) throw new DomainError('forbidden', 'OFFICER_UNKNOWN', 'this officer is not registered for the client’s member', `Ask the exchange operators to register the officer: sachsong agency officer ${entry.member.memberId} ${officerId} --name "<full name>" (or POST /api/exchange/members/${entry.member.memberId}/officers)`);
    const caseReference = headers.caseReference;
    if (caseReference === undefined || !caseReferencePattern.test(caseReference)) {
      throw new DomainError('invalid', 'CASE_REFERENCE_MISSING', 'every call carries a case reference (1-128 characters)', 'Send X-Case-Reference with the file or case number');
    }
    const purposeCode = headers.purpose;
    if (purposeCode === undefined || !purposePattern.test(purposeCode)) {
      throw new DomainError('invalid', 'PURPOSE_MISSING', 'every call states a purpose code', 'Send X-Purpose with one of the purpose codes of your grant');
    }

    const grants = entry.grants.get(service);
    if (grants === undefined || grants.length === 0) {
      throw new DomainError('forbidden', 'SERVICE_NOT_GRANTED', `this client has no grant for ${service}`, 'Ask the exchange operators for a grant');
    }
    const iso = now.toISOString();
    const valid = grants.filter((g) => g.validFrom <= iso && iso < g.validUntil);
    if (valid.length === 0) throw new DomainError('forbidden', 'GRANT_NOT_VALID', `the grant for ${service} is not in force now`, 'Ask the exchange operators to renew the grant');
    const grant = valid.find((g) => g.purposes.some((p) => p.code === purposeCode));
    if (grant === undefined) throw new DomainError('forbidden', 'PURPOSE_NOT_GRANTED', `purpose ${purposeCode} is not granted for ${service}`, 'State one of the purposes of your grant');
    this.deps.limiter.take(grant, nowMs);

    const prepared = this.deps.services[service](body, grant);
    let consentId: string | undefined;
    if (grant.requiresConsent && prepared.subject !== undefined) {
      consentId = await this.deps.consents.require(prepared.subject, principal.clientId, purposeCode, prepared.fields, iso);
    }
    // Services that release people besides the subject (household) check each one's own consent.
    const outcome = await prepared.run(grant.requiresConsent ? (personId, fields) => this.deps.consents.find(personId, principal.clientId, purposeCode, fields, iso) : undefined);

    const purpose = grant.purposes.find((p) => p.code === purposeCode)?.text ?? purposeCode;
    const visibility = grant.deferTrackerDays > 0 ? { deferredUntil: new Date(nowMs + grant.deferTrackerDays * 86_400_000).toISOString().slice(0, 10) } : ('public' as const);
    const serviceId = serviceCatalog[service].serviceId;
    const records = outcome.releases.map((r): AccessRecordInput => ({
      personId: r.personId,
      at: iso,
      clientId: principal.clientId,
      receivingAgency: entry.member.name,
      officerId,
      service: serviceId,
      purpose,
      legalBasis: grant.legalBasis,
      // A person's record names their own consent, never the subject's.
      consentId: r.consentId ?? (r.personId === prepared.subject ? consentId : undefined),
      fields: r.fields,
      visibility,
      requestId,
      caseReference,
    }));
    // A replay seen by another process (or before a restart) gets no record and no answer.
    await durable;
    // Durable before anything leaves: a failed append fails the call.
    const first = records[0];
    if (records.length === 1 && first !== undefined) await this.deps.accessLog.append(first);
    else if (records.length > 1) await this.deps.accessLog.appendMany(records);

    for (const alert of this.deps.misuse.record(principal.clientId, officerId, records.length, nowMs)) this.store(alert);

    const requestHash = sha256(rawBody);
    const responseBody = JSON.stringify({ requestId, requestHash, service: serviceId, ...(consentId === undefined ? {} : { consentId }), result: outcome.result });
    return { body: responseBody, requestHash, responseHash: responseHash(requestId, requestHash, responseBody) };
  }

  /** Resolves once every alert raised so far is stored (for tests and shutdown). */
  async settled(): Promise<void> {
    await Promise.all(this.pendingAlerts);
  }

  /** Stores an alert raised outside a call (the token endpoint's failed assertions). */
  raise(alert: MisuseAlert): void {
    this.store(alert);
  }

  private store(alert: MisuseAlert): void {
    const p = alertRepository
      .insert(this.deps.db, alert)
      .catch((error: unknown) => this.deps.onAlertError?.(error))
      .finally(() => this.pendingAlerts.delete(p));
    this.pendingAlerts.add(p);
  }
}
