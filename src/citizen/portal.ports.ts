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
  /** Recorded for the citizen by an officer (assisted channel): who, when, under which law; null when the citizen gave it. */
  readonly recordedBy: { readonly officerId: string; readonly legalBasis: string | null; readonly at: string } | null;
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

/** One step of a linked procedure as the applicant follows it (services/procedure.types.ts). */
export interface PortalProcedureStep {
  readonly stepNo: number;
  readonly name: string;
  readonly ownerName: string;
  readonly limitDays: number;
  readonly status: 'pending' | 'in_progress' | 'done' | 'failed' | 'overdue';
  readonly attempts: number;
  readonly nextAttemptAt: string | null;
  readonly dueAt: string | null;
  readonly finishedAt: string | null;
  readonly lastError: string | null;
}

export interface PortalProcedure {
  readonly procedureId: string;
  readonly kind: 'birth' | 'death';
  readonly name: string;
  readonly applicantId: string;
  readonly subjectId: string;
  readonly status: 'in_progress' | 'done' | 'failed';
  readonly overdue: boolean;
  readonly submittedAt: string;
  readonly dueAt: string;
  readonly completedAt: string | null;
  readonly steps: readonly PortalProcedureStep[];
}

/** The linked procedures (services/procedure.service.ts) as the applicant uses them. */
export interface PortalProcedures {
  ofApplicant(applicantId: string): Promise<readonly PortalProcedure[]>;
  submitBirth(submitter: { readonly applicantId: string; readonly officerId: null }, application: {
    readonly child: { readonly fullName: string; readonly birthDate: string; readonly sex: 'M' | 'F' };
    readonly otherParentId?: string | undefined;
  }): Promise<PortalProcedure>;
  submitDeath(submitter: { readonly applicantId: string; readonly officerId: null }, application: { readonly deceasedId: string; readonly deathDate: string; readonly cause?: string | undefined }): Promise<PortalProcedure>;
  /** The access records of the applicant's read (the applicant and each subject shown), durable when it resolves. */
  recordApplicantRead(accountId: string, requestId: string, procedures: readonly PortalProcedure[]): Promise<void>;
}
