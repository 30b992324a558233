/**
 * The exchange module's tables; `DB` in store/database.types.ts extends this interface.
 *
 * Sizes at a nation: a few thousand members and clients, tens of thousands of officers and
 * grants, tens of millions of consents (keyed by citizen and data user), alerts in the
 * thousands a year. Only consents grow with the population.
 */
export interface ExchangeTables {
  exchange_members: ExchangeMembersTable;
  exchange_clients: ExchangeClientsTable;
  exchange_officers: ExchangeOfficersTable;
  exchange_grants: ExchangeGrantsTable;
  exchange_consents: ExchangeConsentsTable;
  exchange_keys: ExchangeKeysTable;
}

/** A member: a ministry, province, bank or telecom, `VN/<class>/<code>`. */
export interface ExchangeMembersTable {
  member_id: string;
  name: string;
  /** ministry | province | bank | telecom | insurer | other */
  kind: string;
  status: 'active' | 'suspended';
  created_at: string;
  updated_at: string;
}

/** A member's subsystem: the client that calls services, `VN/<class>/<code>/<subsystem>`. */
export interface ExchangeClientsTable {
  client_id: string;
  member_id: string;
  name: string;
  /** JSON Web Key Set (public keys only) that client assertions are checked against. */
  jwks: string;
  status: 'active' | 'suspended';
  created_at: string;
  updated_at: string;
}

/** The people of a member on whose behalf its clients call. */
export interface ExchangeOfficersTable {
  member_id: string;
  officer_id: string;
  name: string;
  status: 'active' | 'suspended';
  created_at: string;
}

/** What a client may call: one service, some fields, for some purposes, under a legal basis. */
export interface ExchangeGrantsTable {
  grant_id: string;
  client_id: string;
  service: string;
  /** JSON array of field names. */
  fields: string;
  /** JSON array of `{ code, text }`. */
  purposes: string;
  /** JSON array of 2-digit province codes a `changes` grant is limited to; `[]`: every province (migration 0072). */
  provinces: string;
  legal_basis: string;
  /** Days the citizen's tracker holds back the records (police enquiries); 0: shown at once. */
  defer_days: number;
  /** 1 when each call must rest on the citizen's active consent. */
  requires_consent: number;
  valid_from: string;
  valid_until: string;
  rate_per_minute: number;
  daily_cap: number;
  status: 'active' | 'revoked';
  created_at: string;
  updated_at: string;
}

/** A DEPA-style consent artefact, signed by the exchange; re-signed on each change of status. */
export interface ExchangeConsentsTable {
  consent_id: string;
  citizen_id: string;
  /** The client that may use the data. */
  data_user: string;
  purpose_code: string;
  purpose_text: string;
  /** JSON array of field names. */
  fields: string;
  /** JSON `{ unit, value }`: how long the data user may keep what it receives. */
  data_life: string;
  /** JSON `{ unit, value }`: how often the data user may fetch. */
  frequency: string;
  start_at: string;
  expires_at: string;
  status: 'ACTIVE' | 'PAUSED' | 'REVOKED' | 'EXPIRED';
  /** The canonical JSON (RFC 8785) that was signed. */
  artefact: string;
  /** base64url Ed25519 signature over `artefact`. */
  signature: string;
  key_id: string;
  created_at: string;
  updated_at: string;
}

/** The exchange's own keys: the Ed25519 consent-signing key and the access-token MAC secret. */
export interface ExchangeKeysTable {
  key_id: string;
  /** consent-signing | token-mac */
  purpose: string;
  /** PKCS#8 PEM for Ed25519, base64url for the MAC secret. */
  secret: string;
  /** Public JWK (JSON) for signing keys; null for secrets. */
  public_jwk: string | null;
  created_at: string;
}
