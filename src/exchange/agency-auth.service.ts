import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JSONWebKeySet } from 'jose';
import type { Clock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import type { ClientEntry, ExchangeDirectory } from './exchange.directory.js';

/** RFC 7523 client assertion type. */
export const jwtBearerAssertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The audience a client assertion must name, unless the exchange is configured with another. */
export const defaultTokenAudience = 'urn:sachsong:exchange:token';

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
}

/** A client assertion may live at most this long: it bounds how long its jti must be remembered. */
const maxAssertionSeconds = 600;
/** Clock skew tolerated on assertions. */
const skewSeconds = 30;

const unauthorized = (code: string, message: string, action: string): DomainError => new DomainError('unauthorized', code, message, action);

/**
 * Agency authentication: OAuth 2 client credentials with a JWT client assertion (RFC 7523)
 * signed by a key in the client's registered JWKS, exchanged for a short-lived access token.
 * The token is `sx1.<claims>.<HMAC-SHA256>` under the exchange's secret (shared by every node);
 * a verified token is cached, so a service call costs a map lookup, not a signature check.
 */
export class AgencyAuthService {
  private readonly verified = new Map<string, AgencyPrincipal>();
  /** Assertion ids seen, with their expiry (seconds), until they expire. */
  private readonly seenAssertions = new Map<string, number>();
  private readonly audience: string;
  private readonly tokenSeconds: number;

  constructor(private readonly deps: AgencyAuthDeps) {
    this.audience = deps.audience ?? defaultTokenAudience;
    this.tokenSeconds = deps.tokenSeconds ?? 300;
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
    const jtiKey = `${clientId}\u0000${String(payload.jti)}`;
    this.forgetExpiredAssertions(nowSeconds);
    if (this.seenAssertions.has(jtiKey)) throw unauthorized('CLIENT_ASSERTION_REPLAYED', 'this client assertion (jti) was already used', 'Sign a new assertion with a fresh jti for every token request');
    this.seenAssertions.set(jtiKey, exp + skewSeconds);

    const expiresAt = nowSeconds + this.tokenSeconds;
    const body = Buffer.from(JSON.stringify({ sub: clientId, mem: entry.member.memberId, exp: expiresAt, jti: randomUUID() })).toString('base64url');
    const accessToken = `sx1.${body}.${this.mac(body)}`;
    return { accessToken, tokenType: 'Bearer', expiresIn: this.tokenSeconds };
  }

  /**
   * The principal behind an `Authorization: Bearer` header; throws for a missing, forged,
   * expired or suspended one. Synchronous: a token seen before is a map lookup.
   */
  authenticate(header: string | undefined): AgencyPrincipal {
    if (header === undefined || header === '') throw unauthorized('CREDENTIALS_MISSING', 'this endpoint needs an agency access token', 'Get a token at POST /x/token and send Authorization: Bearer <token>');
    const token = header.startsWith('Bearer ') ? header.slice(7) : header.startsWith('bearer ') ? header.slice(7) : '';
    let principal = this.verified.get(token);
    if (principal === undefined) {
      principal = this.check(token);
      // Bounded: a flood of distinct valid tokens only costs re-verification.
      if (this.verified.size >= 50_000) this.verified.clear();
      this.verified.set(token, principal);
    }
    if (principal.expiresAt * 1000 <= this.deps.clock.now().getTime()) {
      this.verified.delete(token);
      throw unauthorized('TOKEN_EXPIRED', 'the access token has expired', 'Get a new token at POST /x/token');
    }
    return principal;
  }

  private check(token: string): AgencyPrincipal {
    const parts = token.split('.');
    const forged = unauthorized('TOKEN_INVALID', 'the access token is not one this exchange issued', 'Get a token at POST /x/token and send it unchanged');
    if (parts.length !== 3 || parts[0] !== 'sx1' || parts[1] === undefined || parts[2] === undefined) throw forged;
    const expected = Buffer.from(this.mac(parts[1]));
    const given = Buffer.from(parts[2]);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw forged;
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { sub: string; mem: string; exp: number };
    return { clientId: claims.sub, memberId: claims.mem, expiresAt: claims.exp };
  }

  private mac(body: string): string {
    return createHmac('sha256', this.deps.macSecret).update(body).digest('base64url');
  }

  private forgetExpiredAssertions(nowSeconds: number): void {
    if (this.seenAssertions.size < 1_000) return;
    for (const [key, exp] of this.seenAssertions) if (exp < nowSeconds) this.seenAssertions.delete(key);
    if (this.seenAssertions.size > 1_000_000) throw new DomainError('unavailable', 'TOKEN_ENDPOINT_BUSY', 'too many token requests in flight', 'Reuse your access token until it expires, then retry');
  }
}

/** Refuses a suspended client or member. */
export function checkActive(entry: ClientEntry): void {
  if (entry.client.status !== 'active' || entry.member.status !== 'active') {
    throw new DomainError('forbidden', 'CLIENT_SUSPENDED', 'this client or its member is suspended', 'Ask the exchange operators why, and to reinstate it');
  }
}

function assertionError(error: unknown, audience: string): DomainError {
  if (error instanceof joseErrors.JWTExpired) return unauthorized('CLIENT_ASSERTION_EXPIRED', 'the client assertion has expired', 'Sign a new assertion with exp a few minutes ahead');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    const action = error.claim === 'aud' ? `Set aud to "${audience}"` : 'Set iss and sub to your client id, and include exp and jti';
    return unauthorized('CLIENT_ASSERTION_INVALID', `the client assertion's ${error.claim} claim is not valid`, action);
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return unauthorized('CLIENT_ASSERTION_SIGNATURE_INVALID', 'the client assertion is not signed by a key registered for this client', 'Sign with the private key of a key in your registered JWKS (kid must match)');
  }
  return unauthorized('CLIENT_ASSERTION_MALFORMED', 'the client assertion could not be read', 'Send a compact JWS signed with EdDSA, ES256 or RS256');
}
