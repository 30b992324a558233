import type { Kysely } from 'kysely';
import { isoInstant, type Clock } from '../shared/clock.js';
import type { DB } from '../store/database.types.js';
import { decide, type Actor } from './authorization.policy.js';
import { identityErrors } from './identity.errors.js';
import { csrfTokenFor, newId, randomToken, safeEqual, sha256Hex } from './identity.tokens.js';
import type { IdentityEventSink, Officer, SessionInfo } from './identity.types.js';
import { officerRepository } from './officer.repository.js';
import { checkPasswordStrength, type PasswordHasher } from './password.hasher.js';
import { SessionCache } from './session.cache.js';
import { sessionRepository, type SessionRow } from './session.repository.js';
import { plainSealer, type SecretSealer } from './totp-secret.sealer.js';
import { acceptTotp, newTotpSecret, totpUri } from './totp.verifier.js';

export interface AuthPolicy {
  /** Failed sign-ins in a row that lock the account. */
  readonly maxFailures: number;
  readonly lockoutMs: number;
  /** A session unused this long ends. */
  readonly idleMs: number;
  /** A session ends this long after sign-in, used or not. */
  readonly absoluteMs: number;
  /** last_seen_at is written at most this often (one write a minute per session, not one per request). */
  readonly touchEveryMs: number;
}

export const defaultAuthPolicy: AuthPolicy = {
  maxFailures: 5,
  lockoutMs: 15 * 60_000,
  idleMs: 15 * 60_000,
  absoluteMs: 12 * 3_600_000,
  touchEveryMs: 60_000,
};

export interface SignInInput {
  readonly username: string;
  readonly password: string;
  /** The 6-digit code of the authenticator app. */
  readonly code: string;
}

/** A new session. `sessionId` goes in an HttpOnly Secure SameSite cookie; `csrfToken` in the page. */
export interface SignedIn {
  readonly sessionId: string;
  readonly csrfToken: string;
  readonly session: SessionInfo;
  readonly officer: Officer;
}

/** An authenticated request: the officer, and the actor to pass to the authorization policy. */
export interface Authenticated {
  readonly officer: Officer;
  readonly actor: Actor;
  readonly session: SessionInfo;
}

export interface EnrolmentStart {
  readonly officerId: string;
  readonly username: string;
  /** Base32 seed, for typing in by hand. */
  readonly totpSecret: string;
  /** otpauth:// URI for the QR code. */
  readonly otpauthUri: string;
}

export interface AuthServiceDeps {
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  readonly hasher: PasswordHasher;
  /** Sign-in and session events for the audit trail and alerts; never carries a secret. */
  readonly onEvent?: IdentityEventSink;
  readonly policy?: Partial<AuthPolicy>;
  /** How TOTP seeds are kept at rest; production passes aesGcmSealer(key). Default: as they are. */
  readonly sealer?: SecretSealer;
  /** Authenticated sessions in memory, shared with the officer administration of the same process. */
  readonly sessions?: SessionCache<CachedSession>;
}

/** An authenticated session as the cache holds it. */
export interface CachedSession {
  readonly row: SessionRow;
  readonly authenticated: Authenticated;
}

/** User names are compared lower-case and trimmed. */
export function normaliseUsername(username: string): string {
  return username.trim().toLowerCase();
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Officers' sign-in (user name + password + TOTP → session), enrolment of the second factor,
 * and console sessions (idle and absolute timeouts, CSRF token, revocation). Sessions live in the
 * store, so any node can check a cookie another node issued.
 *
 * @example
 * const auth = new OfficerAuthService({ db, clock: systemClock, hasher: scryptPasswordHasher(), onEvent: (e) => audit.note(e) });
 * const { sessionId, csrfToken } = await auth.signIn({ username: 'nguyenvana', password, code: '492039' });
 * const { actor } = await auth.authenticate(sessionId, { csrfToken, unsafe: true });
 */
export class OfficerAuthService {
  private readonly policy: AuthPolicy;
  private readonly sealer: SecretSealer;
  private readonly sessions: SessionCache<CachedSession>;

  constructor(private readonly deps: AuthServiceDeps) {
    this.policy = { ...defaultAuthPolicy, ...deps.policy };
    this.sealer = deps.sealer ?? plainSealer;
    this.sessions = deps.sessions ?? new SessionCache<CachedSession>(deps.db);
  }

  private emit(event: Parameters<IdentityEventSink>[0]): void {
    // An audit sink that throws must not turn a sign-in into a 500 nor leak its cause.
    try {
      this.deps.onEvent?.(event);
    } catch {
      /* the sink reports its own failures */
    }
  }

  /**
   * Signs an officer in. Every failure of user name, password or code is SIGN_IN_FAILED; the
   * fifth in a row locks the account for 15 minutes (ACCOUNT_LOCKED with `retryAt`). An unknown
   * user name costs a password hash too, so the answer's time does not tell it apart.
   */
  async signIn(input: SignInInput): Promise<SignedIn> {
    const checked = await this.check(input, true);
    if (checked.session === undefined) throw identityErrors.signInFailed();
    return checked.session;
  }

  /**
   * The OpenID provider's interaction: the same checks, lockout and events as signIn (the code is
   * consumed, a success clears the failure count), but no console session: the provider keeps its
   * own, and the console's backend opens one with openSession once the provider's ID token names
   * the officer. Throws SIGN_IN_FAILED, ACCOUNT_LOCKED or ACCOUNT_SUSPENDED.
   */
  async verifySignIn(input: SignInInput): Promise<Officer> {
    return (await this.check(input, false)).officer;
  }

  /**
   * Opens a console session for an officer the OpenID provider has just authenticated (password
   * and code checked by verifySignIn in the provider's interaction). Only the console's backend
   * calls it, after verifying the provider's ID token. Throws SESSION_INVALID when the account is
   * no longer active, enrolled and unlocked.
   */
  async openSession(officerId: string): Promise<SignedIn> {
    const { db, clock } = this.deps;
    const now = clock.now();
    const at = now.toISOString();
    const officer = await officerRepository.findById(db, officerId);
    if (officer === undefined || officer.status !== 'active' || !officer.enrolled || (officer.lockedUntil !== null && officer.lockedUntil > at)) {
      throw identityErrors.sessionInvalid();
    }
    const sessionId = randomToken(32);
    const sessionRef = newId();
    const absoluteExpiresAt = iso(now.getTime() + this.policy.absoluteMs);
    await sessionRepository.insert(db, { sessionHash: sha256Hex(sessionId), sessionRef, officerId, at, absoluteExpiresAt });
    this.emit({ type: 'sign_in.succeeded', officerId, sessionRef, at });
    return {
      sessionId,
      csrfToken: csrfTokenFor(sessionId),
      officer,
      session: { sessionRef, officerId, createdAt: at, lastSeenAt: at, idleExpiresAt: this.idleEnd(at, absoluteExpiresAt), absoluteExpiresAt, revokedAt: null },
    };
  }

  private async check(input: SignInInput, open: boolean): Promise<{ readonly officer: Officer; readonly session?: SignedIn }> {
    const { db, clock, hasher } = this.deps;
    const now = clock.now();
    const at = now.toISOString();
    const found = await officerRepository.findForSignIn(db, normaliseUsername(input.username));
    if (found === undefined) {
      await hasher.dummyVerify(input.password);
      this.emit({ type: 'sign_in.failed', officerId: null, cause: 'unknown_user', at });
      throw identityErrors.signInFailed();
    }
    const { officer, secrets } = found;
    if (officer.lockedUntil !== null && officer.lockedUntil > at) {
      this.emit({ type: 'sign_in.failed', officerId: officer.officerId, cause: 'locked', at });
      throw identityErrors.accountLocked(officer.lockedUntil);
    }
    if (secrets.passwordHash === null || secrets.totpSecret === null || secrets.totpConfirmedAt === null) {
      await hasher.dummyVerify(input.password);
      return this.fail(officer.officerId, 'not_enrolled', now);
    }
    const password = await hasher.verify(input.password, secrets.passwordHash);
    if (!password.ok) return this.fail(officer.officerId, 'credentials', now);
    const seed = this.sealer.open(secrets.totpSecret, officer.officerId);
    const step = seed === undefined ? undefined : acceptTotp(seed, input.code, now, secrets.totpLastStep);
    if (step === undefined) return this.fail(officer.officerId, 'second_factor', now);
    if (officer.status !== 'active') {
      // Only someone holding every credential learns that the account is suspended.
      this.emit({ type: 'sign_in.failed', officerId: officer.officerId, cause: 'suspended', at });
      throw identityErrors.accountSuspended();
    }
    const rehash = password.needsRehash ? await hasher.hash(input.password) : null;
    const sessionId = randomToken(32);
    const sessionRef = newId();
    const absoluteExpiresAt = iso(now.getTime() + this.policy.absoluteMs);
    const accepted = await db.transaction().execute(async (trx) => {
      if (!(await officerRepository.recordSuccess(trx, officer.officerId, step, rehash, at))) return false;
      if (open) await sessionRepository.insert(trx, { sessionHash: sha256Hex(sessionId), sessionRef, officerId: officer.officerId, at, absoluteExpiresAt });
      return true;
    });
    if (!accepted) {
      // Concurrent failures locked the account while this attempt waited for its hash.
      const lockedUntil = await officerRepository.lockedUntil(db, officer.officerId);
      if (lockedUntil !== null && lockedUntil > at) {
        this.emit({ type: 'sign_in.failed', officerId: officer.officerId, cause: 'locked', at });
        throw identityErrors.accountLocked(lockedUntil);
      }
      // Otherwise another node accepted this very code first: a replay.
      return this.fail(officer.officerId, 'second_factor', now);
    }
    const signedInOfficer: Officer = { ...officer, lockedUntil: null, lastSignInAt: at };
    // Without a session (the provider's interaction) the success is reported when openSession opens one.
    if (!open) return { officer: signedInOfficer };
    this.emit({ type: 'sign_in.succeeded', officerId: officer.officerId, sessionRef, at });
    return {
      officer: signedInOfficer,
      session: {
        sessionId,
        csrfToken: csrfTokenFor(sessionId),
        officer: signedInOfficer,
        session: { sessionRef, officerId: officer.officerId, createdAt: at, lastSeenAt: at, idleExpiresAt: this.idleEnd(at, absoluteExpiresAt), absoluteExpiresAt, revokedAt: null },
      },
    };
  }

  private async fail(officerId: string, cause: 'credentials' | 'second_factor' | 'not_enrolled', now: Date): Promise<never> {
    const at = now.toISOString();
    const lockedUntil = await officerRepository.recordFailure(this.deps.db, officerId, this.policy.maxFailures, iso(now.getTime() + this.policy.lockoutMs), at);
    this.emit({ type: 'sign_in.failed', officerId, cause, at });
    if (lockedUntil !== null) {
      this.emit({ type: 'account.locked', officerId, until: lockedUntil, at });
      throw identityErrors.accountLocked(lockedUntil);
    }
    throw identityErrors.signInFailed();
  }

  private idleEnd(lastSeenAt: string, absoluteExpiresAt: string): string {
    const idle = iso(Date.parse(lastSeenAt) + this.policy.idleMs);
    return idle < absoluteExpiresAt ? idle : absoluteExpiresAt;
  }

  private info(row: SessionRow): SessionInfo {
    return {
      sessionRef: row.session_ref,
      officerId: row.officer_id,
      createdAt: row.created_at,
      lastSeenAt: row.last_seen_at,
      idleExpiresAt: this.idleEnd(row.last_seen_at, row.absolute_expires_at),
      absoluteExpiresAt: row.absolute_expires_at,
      revokedAt: row.revoked_at,
    };
  }

  /**
   * Checks a session cookie on a request. `unsafe` (POST, PUT, PATCH, DELETE) requires the
   * session's CSRF token. Throws SESSION_INVALID (unknown, ended, officer suspended),
   * SESSION_EXPIRED (idle 15 min or 12 h since sign-in) or CSRF_INVALID.
   */
  async authenticate(sessionId: string, request: { readonly unsafe: boolean; readonly csrfToken?: string | undefined }): Promise<Authenticated> {
    const { db, clock } = this.deps;
    // Keyed by the cookie's session id itself: a hit costs no hash (the store keeps only hashes).
    const cached = await this.sessions.get(sessionId);
    const now = clock.now();
    if (cached !== undefined) {
      // Used from memory only while no write is due: within touchEveryMs of the last-seen time
      // (itself well inside the idle timeout) and before the absolute end; otherwise the store decides.
      const sinceSeen = now.getTime() - Date.parse(cached.row.last_seen_at);
      if (sinceSeen >= 0 && sinceSeen < this.policy.touchEveryMs && isoInstant(now) < cached.row.absolute_expires_at) {
        this.checkCsrf(sessionId, request);
        return cached.authenticated;
      }
    }
    const generation = this.sessions.generation();
    const hash = sha256Hex(sessionId);
    const at = now.toISOString();
    const row = await sessionRepository.findByHash(db, hash);
    if (row === undefined || row.revoked_at !== null) throw identityErrors.sessionInvalid();
    if (at >= row.absolute_expires_at || now.getTime() - Date.parse(row.last_seen_at) >= this.policy.idleMs) {
      await sessionRepository.revoke(db, hash, 'expired', at);
      throw identityErrors.sessionExpired();
    }
    this.checkCsrf(sessionId, request);
    const officer = await officerRepository.findById(db, row.officer_id);
    if (officer === undefined || officer.status !== 'active' || !officer.enrolled) {
      await sessionRepository.revoke(db, hash, 'account', at);
      throw identityErrors.sessionInvalid();
    }
    let seen = row;
    if (now.getTime() - Date.parse(row.last_seen_at) >= this.policy.touchEveryMs) {
      await sessionRepository.touch(db, hash, at);
      seen = { ...row, last_seen_at: at };
    }
    const authenticated: Authenticated = { officer, actor: { kind: 'officer', id: officer.officerId, role: officer.role, unit: officer.unit, active: true }, session: this.info(seen) };
    this.sessions.set(sessionId, generation, { row: seen, authenticated });
    return authenticated;
  }

  private checkCsrf(sessionId: string, request: { readonly unsafe: boolean; readonly csrfToken?: string | undefined }): void {
    if (request.unsafe && (request.csrfToken === undefined || !safeEqual(request.csrfToken, csrfTokenFor(sessionId)))) throw identityErrors.csrfInvalid();
  }

  /**
   * Changes a signed-in officer's password: the current one is checked (a wrong one counts as a
   * failed sign-in), the new one must be strong; every other session of the officer ends.
   * Throws SIGN_IN_FAILED, ACCOUNT_LOCKED or PASSWORD_WEAK.
   */
  async changePassword(session: Authenticated, input: { readonly currentPassword: string; readonly newPassword: string }): Promise<void> {
    const { db, clock, hasher } = this.deps;
    const now = clock.now();
    const at = now.toISOString();
    const found = await officerRepository.findForSignIn(db, session.officer.username);
    if (found?.secrets.passwordHash == null) throw identityErrors.sessionInvalid();
    if (found.officer.lockedUntil !== null && found.officer.lockedUntil > at) throw identityErrors.accountLocked(found.officer.lockedUntil);
    if (!(await hasher.verify(input.currentPassword, found.secrets.passwordHash)).ok) return this.fail(found.officer.officerId, 'credentials', now);
    checkPasswordStrength(input.newPassword, found.officer.username);
    const passwordHash = await hasher.hash(input.newPassword);
    await db.transaction().execute(async (trx) => {
      await officerRepository.setPasswordHash(trx, found.officer.officerId, passwordHash, at);
      for (const other of await sessionRepository.listForOfficer(trx, found.officer.officerId)) {
        if (other.session_ref !== session.session.sessionRef && other.revoked_at === null) await sessionRepository.revoke(trx, other.session_hash, 'password_changed', at);
      }
    });
    this.sessions.invalidate();
    this.emit({ type: 'officer.changed', officerId: found.officer.officerId, change: 'password_changed', by: found.officer.officerId, at });
  }

  /** The CSRF token of a session, for a page rendered after sign-in. */
  csrfToken(sessionId: string): string {
    return csrfTokenFor(sessionId);
  }

  /** Ends the session of this cookie (sign-out). Unknown or ended sessions are ignored. */
  async signOut(sessionId: string): Promise<void> {
    const at = this.deps.clock.now().toISOString();
    const row = await sessionRepository.findByHash(this.deps.db, sha256Hex(sessionId));
    const ended = row !== undefined && (await sessionRepository.revoke(this.deps.db, row.session_hash, 'signed_out', at));
    this.sessions.invalidate();
    if (row !== undefined && ended) {
      this.emit({ type: 'session.revoked', officerId: row.officer_id, sessionRef: row.session_ref, by: row.officer_id, at });
    }
  }

  /** An officer's sessions, newest first, ended ones included (what the console's "my sessions" shows). */
  async listSessions(officerId: string): Promise<readonly SessionInfo[]> {
    return (await sessionRepository.listForOfficer(this.deps.db, officerId)).map((r) => this.info(r));
  }

  /**
   * Ends one session by its handle: the officer's own, or anyone's for an actor holding
   * identity.admin. Throws SESSION_INVALID when there is no such session of someone the actor may end.
   */
  async revokeSession(actor: Actor, sessionRef: string): Promise<void> {
    const at = this.deps.clock.now().toISOString();
    const row = await sessionRepository.findByRef(this.deps.db, sessionRef);
    const mayEnd = row !== undefined && actor.kind === 'officer' && actor.active && (actor.id === row.officer_id || decide(actor, 'identity.admin').allowed);
    if (!mayEnd) throw identityErrors.sessionInvalid();
    const ended = await sessionRepository.revoke(this.deps.db, row.session_hash, 'revoked', at);
    this.sessions.invalidate();
    if (ended) {
      this.emit({ type: 'session.revoked', officerId: row.officer_id, sessionRef, by: actor.id, at });
    }
  }

  /** Deletes sessions past their absolute end (run now and then by any node). */
  async pruneSessions(): Promise<number> {
    return sessionRepository.pruneExpired(this.deps.db, this.deps.clock.now().toISOString());
  }

  /**
   * First step of enrolment (a new account or a reset second factor): a fresh authenticator
   * seed for the one-time token an administrator handed over. Opening the link again issues a
   * new seed (the old QR code stops working). Throws ENROLMENT_INVALID.
   */
  async beginEnrolment(enrolmentToken: string): Promise<EnrolmentStart> {
    const { db, clock } = this.deps;
    const at = clock.now().toISOString();
    const found = await officerRepository.findByEnrolment(db, sha256Hex(enrolmentToken));
    if (found === undefined || found.secrets.enrolmentExpiresAt === null || found.secrets.enrolmentExpiresAt <= at || found.officer.status !== 'active') {
      throw identityErrors.enrolmentInvalid();
    }
    const secret = newTotpSecret();
    await officerRepository.setPendingTotp(db, found.officer.officerId, this.sealer.seal(secret, found.officer.officerId), at);
    return { officerId: found.officer.officerId, username: found.officer.username, totpSecret: secret, otpauthUri: totpUri(secret, found.officer.username) };
  }

  /**
   * Last step of enrolment: the officer chooses a password and proves the authenticator works
   * with a first valid code. The token is consumed; the account can then sign in.
   * Throws ENROLMENT_INVALID, ENROLMENT_NOT_STARTED, PASSWORD_WEAK or TOTP_INVALID.
   */
  async completeEnrolment(input: { readonly enrolmentToken: string; readonly password: string; readonly code: string }): Promise<Officer> {
    const { db, clock, hasher } = this.deps;
    const now = clock.now();
    const at = now.toISOString();
    const enrolmentHash = sha256Hex(input.enrolmentToken);
    const found = await officerRepository.findByEnrolment(db, enrolmentHash);
    if (found === undefined || found.secrets.enrolmentExpiresAt === null || found.secrets.enrolmentExpiresAt <= at || found.officer.status !== 'active') {
      throw identityErrors.enrolmentInvalid();
    }
    const seed = found.secrets.totpSecret === null ? undefined : this.sealer.open(found.secrets.totpSecret, found.officer.officerId);
    if (seed === undefined) throw identityErrors.enrolmentNotStarted();
    checkPasswordStrength(input.password, found.officer.username);
    const step = acceptTotp(seed, input.code, now, found.secrets.totpLastStep);
    if (step === undefined) throw identityErrors.secondFactorInvalid();
    const passwordHash = await hasher.hash(input.password);
    if (!(await officerRepository.completeEnrolment(db, found.officer.officerId, enrolmentHash, passwordHash, step, at))) throw identityErrors.enrolmentInvalid();
    this.emit({ type: 'enrolment.completed', officerId: found.officer.officerId, at });
    const officer = await officerRepository.findById(db, found.officer.officerId);
    if (officer === undefined) throw identityErrors.officerNotFound();
    return officer;
  }
}
