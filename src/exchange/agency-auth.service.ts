import { randomUUID, webcrypto } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, errors as joseErrors, jwtVerify, SignJWT, type JSONWebKeySet } from 'jose';
import type { Clock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import type { ClientEntry, ExchangeDirectory } from './exchange.directory.js';
import type { MisuseAlert } from './exchange.types.js';
import type { TokenFailureMonitor } from '../audit/misuse.monitor.js';
import type { ReplayLedger } from './replay-ledger.repository.js';

/** RFC 7523 client assertion type. */
export const jwtBearerAssertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The audience a client assertion must name, unless the exchange is configured with another. */
export const defaultTokenAudience = 'urn:sachsong:exchange:token';

/** The issuer of the exchange's access tokens (RFC 9068 `iss`). */
export const accessTokenIssuer = 'urn:sachsong:exchange';
/** The resource an access token is for (RFC 9068 `aud`): the exchange's services under /x/services. */
export const accessTokenAudience = 'urn:sachsong:exchange:services';
/** RFC 9068's media type for JWT access tokens, in the header's `typ`. */
const accessTokenType = 'at+jwt';

/** Who is calling, once their access token is checked. */
export interface AgencyPrincipal {
  readonly clientId: string;
  readonly memberId: string;
  /** Seconds since the epoch. */
  readonly expiresAt: number;
}

export interface TokenRequest {
  readonly grantType: string;
  readonly clientAssertionType: string | undefined;
  readonly clientAssertion: string | undefined;
  readonly clientId?: string | undefined;
  /** The caller's address, for counting failed assertions (never logged). */
  readonly address?: string | undefined;
}

export interface IssuedToken {
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  readonly expiresIn: number;
}

export interface AgencyAuthDeps {
  readonly clock: Clock;
  readonly directory: ExchangeDirectory;
  readonly macSecret: Buffer;
  readonly audience?: string;
  /** Access token lifetime; default 300 s. */
  readonly tokenSeconds?: number;
  /** The durable replay memory shared by every node; without it jtis are remembered by this process only. */
  readonly ledger?: ReplayLedger;
  /** Unexpired assertions remembered for one client at most; default 1,000 (a token lasts 5 minutes). */
  readonly maxAssertionsPerClient?: number;
  /** Counts failed assertions per claimed client and per address. */
  readonly failures?: TokenFailureMonitor;
  /** Told of each alert the failures raise. */
  readonly onAlert?: (alert: MisuseAlert) => void;
}

/** A client assertion may live at most this long: it bounds how long its jti must be remembered. */
const maxAssertionSeconds = 600;
/** Clock skew tolerated on assertions. */
const skewSeconds = 30;
/** The longest jti remembered: a UUID is 36 characters. */
const maxJtiLength = 128;
/** Unexpired assertions remembered across all clients: a safeguard; each client has its own, smaller bound. */
const maxAssertions = 1_000_000;

const unauthorized = (code: string, message: string, action: string): DomainError => new DomainError('unauthorized', code, message, action);

/**
 * Agency authentication: OAuth 2 client credentials with a JWT client assertion (RFC 7523)
 * signed by a key in the client's registered JWKS, exchanged for a short-lived access token.
 * The token is a JWT access token (RFC 9068: `typ` at+jwt; iss, sub, aud, client_id, iat, exp,
 * jti; plus `mem`, the client's member) signed HS256 with the exchange's secret, shared by every
 * node. A verified token is cached, so a service call costs a map lookup, not a signature check
 * (bench/access-token.bench.ts).
 */
export class AgencyAuthService {
  private readonly verified = new Map<string, AgencyPrincipal>();
  /** Per client: the assertion ids it used, with their expiry (seconds), until they expire. */
  private readonly seenAssertions = new Map<string, Map<string, number>>();
  private seenCount = 0;
  private readonly audience: string;
  private readonly tokenSeconds: number;
  private readonly maxPerClient: number;
  /** A WebCrypto key: jose verifies with it 3-4 times faster than with the raw secret or a KeyObject. */
  private readonly tokenKey: Promise<webcrypto.CryptoKey>;

  constructor(private readonly deps: AgencyAuthDeps) {
    this.tokenKey = webcrypto.subtle.importKey('raw', deps.macSecret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    this.audience = deps.audience ?? defaultTokenAudience;
    this.tokenSeconds = deps.tokenSeconds ?? 300;
    this.maxPerClient = deps.maxAssertionsPerClient ?? 1_000;
  }

  get tokenAudience(): string {
    return this.audience;
  }

  /**
   * Checks a client assertion and issues an access token.
   *
   * @example
   * const { accessToken } = await auth.issueToken({ grantType: 'client_credentials', clientAssertionType: jwtBearerAssertionType, clientAssertion: jwt });
   */
  async issueToken(request: TokenRequest): Promise<IssuedToken> {
    const caller: { registered?: string } = {};
    try {
      return await this.issue(request, caller);
    } catch (error) {
      if (error instanceof DomainError && error.kind === 'unauthorized') this.countFailure(request.address, caller.registered);
      throw error;
    }
  }

  private async issue(request: TokenRequest, caller: { registered?: string }): Promise<IssuedToken> {
    if (request.grantType !== 'client_credentials') {
      throw new DomainError('invalid', 'GRANT_TYPE_UNSUPPORTED', `grant_type "${request.grantType.slice(0, 40)}" is not supported`, 'Send grant_type=client_credentials');
    }
    if (request.clientAssertionType !== jwtBearerAssertionType || request.clientAssertion === undefined || request.clientAssertion === '') {
      throw new DomainError('invalid', 'CLIENT_ASSERTION_MISSING', 'a signed client assertion is required', `Send client_assertion_type=${jwtBearerAssertionType} and client_assertion=<JWT signed with your registered key>`);
    }
    const assertion = request.clientAssertion;
    let clientId: string | undefined;
    try {
      const claims = decodeJwt(assertion);
      clientId = typeof claims.iss === 'string' ? claims.iss : undefined;
    } catch {
      throw unauthorized('CLIENT_ASSERTION_MALFORMED', 'the client assertion is not a JWT', 'Send a compact JWS (header.payload.signature) signed with your registered key');
    }
    if (clientId === undefined) throw unauthorized('CLIENT_ASSERTION_INVALID', 'the client assertion has no iss claim', 'Set iss and sub to your client id');
    if (request.clientId !== undefined && request.clientId !== clientId) {
      throw unauthorized('CLIENT_ASSERTION_INVALID', 'client_id does not match the assertion issuer', 'Send the same client id in client_id, iss and sub');
    }
    const entry = await this.deps.directory.get(clientId);
    if (entry === undefined) throw unauthorized('CLIENT_UNKNOWN', 'no client with this id is registered', 'Onboard the agency and its subsystem first (sachsong agency onboard)');
    caller.registered = entry.client.clientId;
    checkActive(entry);

    const now = this.deps.clock.now();
    let payload;
    try {
      ({ payload } = await jwtVerify(assertion, createLocalJWKSet(entry.client.jwks as unknown as JSONWebKeySet), {
        issuer: clientId,
        subject: clientId,
        audience: this.audience,
        currentDate: now,
        clockTolerance: skewSeconds,
        requiredClaims: ['exp', 'jti', 'iss', 'sub', 'aud'],
        algorithms: ['EdDSA', 'Ed25519', 'ES256', 'ES384', 'PS256', 'RS256'],
      }));
    } catch (error) {
      throw assertionError(error, this.audience);
    }
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const exp = payload.exp ?? 0;
    if (exp > nowSeconds + maxAssertionSeconds) {
      throw unauthorized('CLIENT_ASSERTION_TOO_LONG', `a client assertion may live at most ${maxAssertionSeconds} seconds`, 'Set exp to a few minutes after now');
    }
    if (typeof payload.iat === 'number' && payload.iat > nowSeconds + skewSeconds) {
      throw unauthorized('CLIENT_ASSERTION_NOT_YET_VALID', 'the client assertion was issued in the future (iat)', 'Set iat to now; check your clock (NTP)');
    }
    const jti = payload.jti;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > maxJtiLength) {
      throw unauthorized('CLIENT_ASSERTION_JTI_INVALID', `the client assertion's jti must be 1 to ${maxJtiLength} characters`, 'Set jti to a fresh UUID for every assertion');
    }
    this.remember(clientId, jti, exp + skewSeconds, nowSeconds);
    // Authoritative across restarts and nodes: a jti any process has seen gets no second token.
    if (this.deps.ledger !== undefined && !(await this.deps.ledger.claim('assertion', clientId, jti, (exp + skewSeconds) * 1000))) throw replayedAssertion();

    const accessToken = await new SignJWT({ client_id: clientId, mem: entry.member.memberId })
      .setProtectedHeader({ alg: 'HS256', typ: accessTokenType })
      .setIssuer(accessTokenIssuer)
      .setSubject(clientId)
      .setAudience(accessTokenAudience)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + this.tokenSeconds)
      .setJti(randomUUID())
      .sign(await this.tokenKey);
    return { accessToken, tokenType: 'Bearer', expiresIn: this.tokenSeconds };
  }

  /**
   * The principal of a token verified before and not yet expired, without a promise: the service
   * call's fast path (`auth.peek(h) ?? await auth.authenticate(h)`); undefined for anything else.
   */
  peek(header: string | undefined): AgencyPrincipal | undefined {
    if (header === undefined) return undefined;
    const principal = this.verified.get(bearerToken(header));
    return principal !== undefined && principal.expiresAt * 1000 > this.deps.clock.now().getTime() ? principal : undefined;
  }

  /**
   * The principal behind an `Authorization: Bearer` header; throws for a missing, forged,
   * expired or suspended one. A token seen before is a map lookup; a new one is verified once
   * (signature, typ, iss, aud, exp) and remembered.
   */
  async authenticate(header: string | undefined): Promise<AgencyPrincipal> {
    if (header === undefined || header === '') throw unauthorized('CREDENTIALS_MISSING', 'this endpoint needs an agency access token', 'Get a token at POST /x/token and send Authorization: Bearer <token>');
    const token = bearerToken(header);
    let principal = this.verified.get(token);
    if (principal === undefined) {
      principal = await this.check(token);
      // Bounded: a flood of distinct valid tokens only costs re-verification.
      if (this.verified.size >= 50_000) this.verified.clear();
      this.verified.set(token, principal);
    }
    if (principal.expiresAt * 1000 <= this.deps.clock.now().getTime()) {
      this.verified.delete(token);
      throw tokenExpired();
    }
    return principal;
  }

  private async check(token: string): Promise<AgencyPrincipal> {
    // One spelling per signature: base64url's unused low bits in the last character would let a
    // changed token string pass as the same token.
    const signature = token.slice(token.lastIndexOf('.') + 1);
    if (Buffer.from(signature, 'base64url').toString('base64url') !== signature) throw tokenInvalid();
    let payload;
    try {
      ({ payload } = await jwtVerify(token, await this.tokenKey, {
        algorithms: ['HS256'],
        typ: accessTokenType,
        issuer: accessTokenIssuer,
        audience: accessTokenAudience,
        currentDate: this.deps.clock.now(),
        requiredClaims: ['sub', 'client_id', 'exp', 'iat', 'jti'],
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw tokenExpired();
      throw tokenInvalid();
    }
    const { sub, client_id: clientId, mem, exp } = payload as { sub: string; client_id: unknown; mem: unknown; exp: number };
    if (clientId !== sub || typeof mem !== 'string') throw tokenInvalid();
    return { clientId: sub, memberId: mem, expiresAt: exp };
  }

  /**
   * Remembers the client's jti until it expires; refuses a jti seen before. Each client has its
   * own bound, so one client signing assertions in bulk is refused alone while others go on.
   */
  private remember(clientId: string, jti: string, expiresAt: number, nowSeconds: number): void {
    let seen = this.seenAssertions.get(clientId);
    if (seen === undefined) this.seenAssertions.set(clientId, (seen = new Map<string, number>()));
    if (seen.has(jti)) throw replayedAssertion();
    if (seen.size >= this.maxPerClient) this.forgetExpired(seen, nowSeconds);
    if (seen.size >= this.maxPerClient) {
      let first = Number.POSITIVE_INFINITY;
      for (const exp of seen.values()) first = Math.min(first, exp);
      throw new DomainError('forbidden', 'CLIENT_ASSERTIONS_EXHAUSTED', `this client has ${this.maxPerClient} unexpired assertions already`, 'Reuse each access token until it expires (5 minutes) instead of asking for a new one each call', { retryAfterSeconds: Math.max(1, first - nowSeconds + 1) });
    }
    if (this.seenCount >= maxAssertions) for (const other of this.seenAssertions.values()) this.forgetExpired(other, nowSeconds);
    if (this.seenCount >= maxAssertions) throw new DomainError('unavailable', 'TOKEN_ENDPOINT_BUSY', 'too many token requests in flight', 'Reuse your access token until it expires, then retry');
    seen.set(jti, expiresAt);
    this.seenCount++;
  }

  private forgetExpired(seen: Map<string, number>, nowSeconds: number): void {
    for (const [jti, exp] of seen) {
      if (exp < nowSeconds) {
        seen.delete(jti);
        this.seenCount--;
      }
    }
  }

  /** A failed assertion counts against the client it names (when registered: made-up ids would each take memory) and the caller's address. */
  private countFailure(address: string | undefined, clientId: string | undefined): void {
    const failures = this.deps.failures;
    if (failures === undefined) return;
    const now = this.deps.clock.now().getTime();
    const alerts = [
      clientId === undefined ? undefined : failures.record('token-client', clientId, clientId, now),
      address === undefined ? undefined : failures.record('token-address', address, clientId ?? '', now),
    ];
    for (const alert of alerts) if (alert !== undefined) this.deps.onAlert?.(alert);
  }
}

const bearerToken = (header: string): string => (header.startsWith('Bearer ') || header.startsWith('bearer ') ? header.slice(7) : '');
const tokenInvalid = (): DomainError => unauthorized('TOKEN_INVALID', 'the access token is not one this exchange issued', 'Get a token at POST /x/token and send it unchanged');
const tokenExpired = (): DomainError => unauthorized('TOKEN_EXPIRED', 'the access token has expired', 'Get a new token at POST /x/token');

const replayedAssertion = (): DomainError => unauthorized('CLIENT_ASSERTION_REPLAYED', 'this client assertion (jti) was already used', 'Sign a new assertion with a fresh jti for every token request');

/** Refuses a suspended client or member. */
export function checkActive(entry: ClientEntry): void {
  if (entry.client.status !== 'active' || entry.member.status !== 'active') {
    throw new DomainError('forbidden', 'CLIENT_SUSPENDED', 'this client or its member is suspended', 'Ask the exchange operators why, and to reinstate it');
  }
}

function assertionError(error: unknown, audience: string): DomainError {
  if (error instanceof joseErrors.JWTExpired) return unauthorized('CLIENT_ASSERTION_EXPIRED', 'the client assertion has expired', 'Sign a new assertion with exp a few minutes ahead');
  if (error instanceof joseErrors.JWTClaimValidationFailed && (error.claim === 'nbf' || error.claim === 'iat')) {
    return unauthorized('CLIENT_ASSERTION_NOT_YET_VALID', `the client assertion is not valid yet (${error.claim})`, 'Set iat and nbf to now or earlier; check your clock (NTP)');
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    const action = error.claim === 'aud' ? `Set aud to "${audience}"` : 'Set iss and sub to your client id, and include exp and jti';
    return unauthorized('CLIENT_ASSERTION_INVALID', `the client assertion's ${error.claim} claim is not valid`, action);
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return unauthorized('CLIENT_ASSERTION_SIGNATURE_INVALID', 'the client assertion is not signed by a key registered for this client', 'Sign with the private key of a key in your registered JWKS (kid must match)');
  }
  return unauthorized('CLIENT_ASSERTION_MALFORMED', 'the client assertion could not be read', 'Send a compact JWS signed with EdDSA, ES256 or RS256');
}
