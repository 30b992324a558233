/**
 * What the citizen's portal needs of other modules, as interfaces: the exchange's consents
 * (exchange/citizen-consent.service.ts) and the quality worklist's correction requests
 * (quality/correction-request.service.ts). The HTTP edge wires the implementations.
 */

export interface PortalConsentOffer {
  readonly grantId: string;
  readonly dataUser: string;
  readonly agencyName: string;
  readonly service: string;
  readonly fields: readonly string[];
  readonly purposes: readonly { readonly code: string; readonly text: string }[];
  readonly validUntil: string;
}

export interface PortalConsent {
  readonly consentId: string;
  readonly dataUser: string;
  readonly agencyName: string;
  readonly purposeCode: string;
  readonly purposeText: string;
  readonly fields: readonly string[];
  readonly status: 'ACTIVE' | 'PAUSED' | 'REVOKED' | 'EXPIRED';
  readonly start: string;
  readonly expiry: string;
  readonly statusAt: string;
}

export interface PortalConsents {
  offers(): Promise<readonly PortalConsentOffer[]>;
  ofCitizen(citizen: string): Promise<readonly PortalConsent[]>;
  give(citizen: string, input: { readonly grantId: string; readonly purposeCode: string }): Promise<PortalConsent>;
  change(citizen: string, consentId: string, action: 'pause' | 'resume' | 'revoke'): Promise<PortalConsent>;
}

export interface PortalCorrectionRequest {
  readonly requestId: string;
  readonly field: string;
  readonly explanation: string;
  readonly evidence: string | null;
  readonly submittedAt: string;
  readonly status: 'submitted' | 'corrected' | 'rejected';
  readonly decidedAt: string | null;
  readonly answer: string | null;
}

export interface PortalCorrectionRequests {
  submit(input: { readonly personId: string; readonly accountId: string; readonly field: string; readonly explanation: string; readonly evidence?: string | undefined }): Promise<PortalCorrectionRequest>;
  ofPerson(personId: string): Promise<readonly PortalCorrectionRequest[]>;
}
