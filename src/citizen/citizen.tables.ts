/** The citizen module's tables (migration 0020-citizen). Instants are ISO-8601 UTC text. */

/** One e-ID account per person. */
export interface CitizenAccountsTable {
  /** `cit_` and 32 hex digits: the provider's account id (never the ID number). */
  account_id: string;
  /** The person's 12-digit ID number; unique. */
  person_id: string;
  /** 1 (online) or 2 (in person, or the card's chip). */
  level: number;
  /** active, deceased (locked by the registry's death record) or suspended. */
  status: string;
  /** The phone confirmed by a one-time code (digits, +84…). */
  phone: string;
  /** Argon2id PHC string. */
  password_hash: string;
  /** TOTP seed (sealed `v1.…` when a sealing key is given); level 2 second factor. */
  totp_secret: string | null;
  totp_last_step: number | null;
  /** The card whose chip or face check bound level 2; a new card re-binds it. */
  card_number: string | null;
  /** 2-digit province (2025) of the person's permanent residence at activation: the drive's figures. */
  province: string | null;
  failed_attempts: number;
  locked_until: string | null;
  last_sign_in_at: string | null;
  level2_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface CitizenOtpChallengesTable {
  challenge_id: string;
  /** activation or recovery. */
  purpose: string;
  person_id: string;
  phone: string;
  /** SHA-256 (hex) of challenge id and code. */
  code_hash: string;
  attempts: number;
  expires_at: string;
  consumed_at: string | null;
  created_at: string;
}

export interface CitizenAttestationsTable {
  attestation_id: string;
  account_id: string;
  /** officer (face and card checked in person) or chip (the card's signed data). */
  method: string;
  officer_id: string | null;
  officer_unit: string | null;
  card_number: string | null;
  /** SHA-256 of the chip's signed document (method chip). */
  evidence_sha256: string | null;
  at: string;
}

export interface CitizenSessionsTable {
  session_hash: string;
  session_ref: string;
  account_id: string;
  acr_level: number;
  /** A short device label from the browser's user agent (never the address). */
  device: string;
  created_at: string;
  last_seen_at: string;
  absolute_expires_at: string;
  revoked_at: string | null;
  revoked_reason: string | null;
}

export interface CitizenRelyingPartiesTable {
  /** The exchange client id VN/<class>/<member>/<subsystem>: the RP is an exchange member. */
  client_id: string;
  display_name: string;
  /** JSON arrays of URIs. */
  redirect_uris: string;
  post_logout_redirect_uris: string;
  /** JSON array of claim names the RP may ask for. */
  allowed_claims: string;
  backchannel_logout_uri: string | null;
  status: string;
  created_at: string;
  updated_at: string;
}

/** One failed attempt from a network address at one of the citizen's doors (migration 0022). */
export interface CitizenAddressFailuresTable {
  /** The door: `oidc-sign-in`, `portal-sign-in` or `codes` (activation and recovery). */
  scope: string;
  /** HMAC-SHA256 of the address under a per-store key: the address itself is not kept. */
  address_hash: string;
  at: string;
}

/**
 * Living accounts by day of activation (Viet Nam's day), province ('' when none) and level, kept
 * by triggers on citizen_accounts (migration 0073): what the activation drive reads.
 */
export interface CitizenActivationCountsTable {
  day: string;
  province: string;
  level: number;
  /** bigint on PostgreSQL: the driver returns it as text. */
  accounts: number | string;
}

export interface CitizenTables {
  citizen_activation_counts: CitizenActivationCountsTable;
  citizen_address_failures: CitizenAddressFailuresTable;
  citizen_accounts: CitizenAccountsTable;
  citizen_otp_challenges: CitizenOtpChallengesTable;
  citizen_attestations: CitizenAttestationsTable;
  citizen_sessions: CitizenSessionsTable;
  citizen_relying_parties: CitizenRelyingPartiesTable;
}
