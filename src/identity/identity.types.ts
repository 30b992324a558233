import type { Permission, Role, Unit } from './authorization.policy.js';

export type OfficerStatus = 'active' | 'suspended';

/** An officer as the console and the admin API see it: no secrets. */
export interface Officer {
  readonly officerId: string;
  readonly username: string;
  readonly displayName: string;
  readonly role: Role;
  readonly unit: Unit;
  readonly status: OfficerStatus;
  /** Password set and second factor confirmed: the account can sign in. */
  readonly enrolled: boolean;
  /** An enrolment token is outstanding (new account, or second factor reset). */
  readonly enrolmentPending: boolean;
  readonly lockedUntil: string | null;
  readonly lastSignInAt: string | null;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What sign-in needs besides the public fields; never leaves the identity module's services. */
export interface OfficerSecrets {
  readonly passwordHash: string | null;
  readonly totpSecret: string | null;
  readonly totpConfirmedAt: string | null;
  readonly totpLastStep: number | null;
  readonly enrolmentExpiresAt: string | null;
  readonly failedAttempts: number;
}

/** A console session as listed to its officer or an administrator (no id, no token). */
export interface SessionInfo {
  /** A non-secret handle for revoking this session from a list. */
  readonly sessionRef: string;
  readonly officerId: string;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly idleExpiresAt: string;
  readonly absoluteExpiresAt: string;
  readonly revokedAt: string | null;
}

export type ServiceAccountStatus = 'active' | 'revoked';

export interface ServiceAccount {
  readonly accountId: string;
  readonly name: string;
  readonly scopes: readonly Permission[];
  readonly unit: Unit;
  /** The public part of its key, to recognise it in lists and logs. */
  readonly keyId: string;
  readonly expiresAt: string;
  readonly status: ServiceAccountStatus;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
  readonly createdBy: string;
  readonly createdAt: string;
}

/**
 * What the identity services report for the audit trail and alerts. Never a password, a code,
 * a token or a session id; usernames only as the officer id once the account is known.
 */
export type IdentityEvent =
  | { readonly type: 'sign_in.succeeded'; readonly officerId: string; readonly sessionRef: string; readonly at: string }
  | { readonly type: 'sign_in.failed'; readonly officerId: string | null; readonly cause: 'unknown_user' | 'credentials' | 'second_factor' | 'locked' | 'suspended' | 'not_enrolled'; readonly at: string }
  | { readonly type: 'account.locked'; readonly officerId: string; readonly until: string; readonly at: string }
  | { readonly type: 'session.revoked'; readonly officerId: string; readonly sessionRef: string; readonly by: string; readonly at: string }
  | { readonly type: 'enrolment.completed'; readonly officerId: string; readonly at: string }
  | { readonly type: 'officer.created'; readonly officerId: string; readonly role: Role; readonly by: string; readonly at: string }
  | { readonly type: 'officer.changed'; readonly officerId: string; readonly change: 'suspended' | 'reactivated' | 'role' | 'unit' | 'second_factor_reset' | 'unlocked' | 'password_changed'; readonly by: string; readonly at: string }
  | { readonly type: 'service_account.created' | 'service_account.revoked'; readonly accountId: string; readonly by: string; readonly at: string };

export type IdentityEventSink = (event: IdentityEvent) => void;
