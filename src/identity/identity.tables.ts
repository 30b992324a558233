/**
 * The identity module's tables (migration 0010-identity). Instants are ISO-8601 UTC text written
 * by `Date.toISOString()`, so that they compare as text on both stores.
 */

/** A staff account. Passwords and tokens are stored as hashes; the TOTP seed sealed (totp-secret.sealer.ts). */
export interface IdentityOfficersTable {
  officer_id: string;
  /** Lower-case; unique. */
  username: string;
  display_name: string;
  role: string;
  unit_level: string;
  /** 5-digit commune or 2-digit province code (2025 units); null for the nation. */
  unit_code: string | null;
  /** The 2025 province of a commune unit; the province itself for a province unit; null for the nation. */
  unit_province: string | null;
  status: string;
  /** Self-describing scrypt string (password.hasher.ts); null until enrolment completes. */
  password_hash: string | null;
  /** The TOTP seed, sealed to the officer (`v1.…`), or base32 without a sealing key; set at the start of enrolment, usable once confirmed. */
  totp_secret: string | null;
  totp_confirmed_at: string | null;
  /** The last accepted 30-second step: a code of that step or an earlier one is refused (replay). */
  totp_last_step: number | null;
  /** SHA-256 (hex) of the one-time enrolment token; null when none is outstanding. */
  enrolment_hash: string | null;
  enrolment_expires_at: string | null;
  failed_attempts: number;
  locked_until: string | null;
  last_sign_in_at: string | null;
  /** An officer id, or 'bootstrap' for the first administrator. */
  created_by: string;
  created_at: string;
  updated_at: string;
}

/** A console session after a complete sign-in; the id itself is never stored. */
export interface IdentitySessionsTable {
  /** SHA-256 (hex) of the 256-bit session id. */
  session_hash: string;
  /** A non-secret handle (listing and revoking one's own sessions without the cookie). */
  session_ref: string;
  officer_id: string;
  created_at: string;
  last_seen_at: string;
  absolute_expires_at: string;
  revoked_at: string | null;
  revoked_reason: string | null;
}

/** A script's identity: scoped API key, stored hashed. */
export interface IdentityServiceAccountsTable {
  account_id: string;
  name: string;
  /** JSON array of permission names. */
  scopes: string;
  unit_level: string;
  unit_code: string | null;
  unit_province: string | null;
  /** The public lookup part of the key (`sk_<key_id>_<secret>`). */
  key_id: string;
  /** SHA-256 (hex) of the whole key. */
  key_hash: string;
  expires_at: string;
  status: string;
  revoked_at: string | null;
  last_used_at: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

/** At most one row (id 1): the operator token has made the first administrator. */
export interface IdentityBootstrapTable {
  id: number;
  officer_id: string;
  created_at: string;
}

/** What the OpenID provider keeps (migration 0011-identity-oidc): one row per (kind, id), the payload as JSON. */
export interface OidcPayloadsTable {
  /** oidc-provider's model name: Session, Interaction, AuthorizationCode, Grant, AccessToken… */
  kind: string;
  id: string;
  payload: string;
  /** ISO-8601 UTC; null for rows that never expire (none today). */
  expires_at: string | null;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  consumed_at: string | null;
}

/** The provider's signing keys (private JWK JSON) and cookie secrets. */
export interface OidcKeysTable {
  key_id: string;
  purpose: string;
  secret: string;
  created_at: string;
  /** When a rotated-out signing key leaves the JWKS (migration 0074); null: not retiring. */
  retire_at: string | null;
}

export interface IdentityTables {
  identity_officers: IdentityOfficersTable;
  identity_sessions: IdentitySessionsTable;
  identity_service_accounts: IdentityServiceAccountsTable;
  identity_bootstrap: IdentityBootstrapTable;
  oidc_payloads: OidcPayloadsTable;
  oidc_keys: OidcKeysTable;
}
