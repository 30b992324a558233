/**
 * The signed documents' tables (migration 0031); `DB` in store/database.types.ts extends this interface.
 *
 * Sizes at a nation: a few million residence documents a year (one row each, ~200 bytes, no
 * claim values); verifications by how often documents are shown (rows of ~120 bytes, no
 * personal data); holders one row per person who ever held a document.
 */
import type { Generated } from 'kysely';

export interface DocumentsTables {
  document_signing_keys: DocumentSigningKeysTable;
  residence_documents: ResidenceDocumentsTable;
  document_holders: DocumentHoldersTable;
  document_verifications: DocumentVerificationsTable;
}

/** The registry's document-signing keys (ES256). The newest unretired one signs; all verify. */
export interface DocumentSigningKeysTable {
  key_id: string;
  alg: string;
  /** PKCS#8 PEM. Never logged; a production deployment keeps it in an HSM or KMS instead. */
  private_pem: string;
  /** The public JWK (JSON), as published at /.well-known/jwt-vc-issuer. */
  public_jwk: string;
  created_at: string;
  retired_at: string | null;
}

/** One issued document. Its seq is its place in the status lists (list seq / size, index seq % size). */
export interface ResidenceDocumentsTable {
  seq: Generated<number>;
  /** The credential's jti. */
  document_id: string;
  person_id: string;
  /** citizen | officer | agency */
  issued_to: string;
  /** The citizen's account, the officer's id, or the agency's client id. */
  issued_by: string;
  /** JSON array of the claim names signed (never their values). */
  claims: string;
  key_id: string;
  issued_at: string;
  expires_at: string;
  /** valid | revoked */
  status: string;
  revoked_at: string | null;
  /** residence_change | death | name_change | correction | officer | not_delivered */
  revoked_reason: string | null;
}

/** A lock row per holder: issuance and a revoking life event take it in turn (see the repository). */
export interface DocumentHoldersTable {
  person_id: string;
  touched_at: string;
}

/** One online verification: the result and which claims were shown, never their values. */
export interface DocumentVerificationsTable {
  verification_id: string;
  /** The document's jti when its signature held; null for a forged or unreadable one. */
  document_id: string | null;
  /** valid | revoked | expired | forged | malformed */
  result: string;
  /** JSON array of the disclosed claim names. */
  disclosed: string;
  /** page | api */
  channel: string;
  verified_at: string;
}
