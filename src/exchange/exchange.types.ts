/** The exchange's domain: members, their clients and officers, grants, consents, alerts. */

/** The member classes of the exchange, X-Road style: government, commercial, other organisations. */
export type MemberClass = 'GOV' | 'COM' | 'ORG';

export type MemberKind = 'ministry' | 'province' | 'bank' | 'telecom' | 'insurer' | 'other';
export const memberKinds: readonly MemberKind[] = ['ministry', 'province', 'bank', 'telecom', 'insurer', 'other'];

export type ActiveStatus = 'active' | 'suspended';

/** A member of the exchange: `VN/<class>/<code>`. */
export interface Member {
  readonly memberId: string;
  readonly name: string;
  readonly kind: MemberKind;
  readonly status: ActiveStatus;
  readonly createdAt: string;
}

/** A JSON Web Key Set holding the client's public keys. */
export interface Jwks {
  readonly keys: readonly Readonly<Record<string, unknown>>[];
}

/** A member's subsystem: the client that calls services, `VN/<class>/<code>/<subsystem>`. */
export interface Client {
  readonly clientId: string;
  readonly memberId: string;
  readonly name: string;
  readonly jwks: Jwks;
  readonly status: ActiveStatus;
  readonly createdAt: string;
}

export interface Officer {
  readonly memberId: string;
  readonly officerId: string;
  readonly name: string;
  readonly status: ActiveStatus;
}

export interface Purpose {
  readonly code: string;
  readonly text: string;
}

/** What a client may call. */
export interface Grant {
  readonly grantId: string;
  readonly clientId: string;
  readonly service: string;
  readonly fields: readonly string[];
  /**
   * 2-digit province codes whose people's events a `changes` grant releases (an event concerns
   * the person's province before and after it); empty: every province. Other services: empty.
   */
  readonly provinces: readonly string[];
  /** The purposes the client may state (X-Purpose carries the code); the text is what the citizen reads. */
  readonly purposes: readonly Purpose[];
  readonly legalBasis: string;
  readonly requiresConsent: boolean;
  /** Days the citizen's tracker holds back records of this grant (police enquiries); 0: shown at once. */
  readonly deferTrackerDays: number;
  /** ISO instant from which the grant holds. */
  readonly validFrom: string;
  /** ISO instant until which the grant holds. */
  readonly validUntil: string;
  /** Fair-use cap: calls a minute (a token bucket of this size refilled over a minute). */
  readonly ratePerMinute: number;
  /** Fair-use cap: calls a UTC day. */
  readonly dailyCap: number;
  readonly status: 'active' | 'revoked';
  readonly createdAt: string;
}

export type ConsentStatus = 'ACTIVE' | 'PAUSED' | 'REVOKED' | 'EXPIRED';

/** A span of time in DEPA's terms. */
export interface TimeSpan {
  readonly unit: 'HOUR' | 'DAY' | 'MONTH' | 'YEAR';
  readonly value: number;
}

/** How often the data user may fetch: `value` times per `unit`. */
export interface Frequency {
  readonly unit: 'HOUR' | 'DAY' | 'MONTH' | 'YEAR';
  readonly value: number;
}

/** The signed body of a consent: what the citizen agreed to, at a status. */
export interface ConsentArtefactBody {
  readonly consentId: string;
  readonly citizen: string;
  readonly dataUser: string;
  readonly purpose: { readonly code: string; readonly text: string };
  readonly fields: readonly string[];
  readonly dataLife: TimeSpan;
  readonly frequency: Frequency;
  readonly start: string;
  readonly expiry: string;
  readonly status: ConsentStatus;
  /** When this status was set. */
  readonly statusAt: string;
}

/** A consent with its signature (Ed25519 over the RFC 8785 canonical JSON of `artefact`). */
export interface Consent {
  readonly artefact: ConsentArtefactBody;
  readonly signature: { readonly alg: 'EdDSA'; readonly keyId: string; readonly value: string };
}

export type { MisuseAlert } from '../audit/misuse-alert.types.js';
