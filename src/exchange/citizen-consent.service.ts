import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import { adminActionRepository } from '../audit/admin-action.repository.js';
import { DomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import type { ConsentAction, ConsentService, ConsentView } from './consent.service.js';
import { grantRepository } from './grant.repository.js';
import { memberRepository } from './member.repository.js';
import type { Grant } from './exchange.types.js';

/** A consent-bound grant a citizen may consent to: who asks, for what, why, under which grant. */
export interface ConsentOffer {
  readonly grantId: string;
  readonly dataUser: string;
  readonly agencyName: string;
  readonly service: string;
  readonly fields: readonly string[];
  readonly purposes: readonly { readonly code: string; readonly text: string }[];
  readonly validUntil: string;
}

/** One of the citizen's consents as the portal shows it. */
export interface CitizenConsent {
  readonly consentId: string;
  readonly dataUser: string;
  readonly agencyName: string;
  readonly purposeCode: string;
  readonly purposeText: string;
  readonly fields: readonly string[];
  readonly status: ConsentView['status'];
  readonly start: string;
  readonly expiry: string;
  /** When the consent took its present status (given, paused, resumed or withdrawn). */
  readonly statusAt: string;
  /**
   * Set when an officer recorded the consent for the citizen (the assisted channel at a counter,
   * `POST /api/exchange/consents`): who, when and under which law. Null: the citizen gave it.
   */
  readonly recordedBy: { readonly officerId: string; readonly legalBasis: string | null; readonly at: string } | null;
}

/** What a consent given in the portal allows: a year at most (less when the grant ends first), 10 fetches a day. */
const consentYearMs = 365 * 86_400_000;
const portalFrequency = { unit: 'DAY', value: 10 } as const;
const portalDataLife = { unit: 'YEAR', value: 1 } as const;
/** The administration log's actor for a citizen acting on their own consent. */
const citizenActorPrefix = 'citizen:';

/**
 * The citizen's side of the exchange's consents: the consent-bound grants they may consent to,
 * and their own consents, given, paused, resumed and withdrawn by themselves (no longer by an
 * operator on their behalf). Each is the exchange's signed artefact (ConsentService): its time
 * and purpose are signed with it, and a pause or withdrawal holds on the next exchange call.
 * A citizen acts on their own consents only: another's is answered as not found.
 */
export class CitizenConsentService {
  constructor(private readonly deps: { readonly db: Kysely<DB>; readonly clock: Clock; readonly consents: ConsentService }) {}

  private async agencyName(clientId: string): Promise<string> {
    const client = await memberRepository.findClient(this.deps.db, clientId);
    const member = client === undefined ? undefined : await memberRepository.findMember(this.deps.db, client.memberId);
    return member?.name ?? clientId;
  }

  private usable(g: Grant, now: string): boolean {
    return g.requiresConsent && g.status === 'active' && g.validFrom <= now && now < g.validUntil;
  }

  /** Consent-bound grants in force now, with the agency's name. */
  async offers(): Promise<readonly ConsentOffer[]> {
    const now = this.deps.clock.now().toISOString();
    const out: ConsentOffer[] = [];
    for (const g of await grantRepository.list(this.deps.db)) {
      if (!this.usable(g, now)) continue;
      out.push({ grantId: g.grantId, dataUser: g.clientId, agencyName: await this.agencyName(g.clientId), service: g.service, fields: g.fields, purposes: g.purposes, validUntil: g.validUntil });
    }
    return out;
  }

  async ofCitizen(citizen: string): Promise<readonly CitizenConsent[]> {
    const out: CitizenConsent[] = [];
    for (const c of await this.deps.consents.forCitizen(citizen)) {
      const a = c.artefact;
      out.push({
        consentId: a.consentId, dataUser: a.dataUser, agencyName: await this.agencyName(a.dataUser), purposeCode: a.purpose.code, purposeText: a.purpose.text, fields: a.fields,
        status: c.status, start: a.start, expiry: a.expiry, statusAt: a.statusAt, recordedBy: await this.recordedBy(a.consentId),
      });
    }
    return out.reverse();
  }

  /** The officer who recorded a consent for the citizen, from the administration log (the citizen's own leave no entry there). */
  private async recordedBy(consentId: string): Promise<CitizenConsent['recordedBy']> {
    const recorded = (await adminActionRepository.forSubject(this.deps.db, consentId, 20)).find((x) => x.action === 'consent.recorded' && !x.actorId.startsWith(citizenActorPrefix));
    return recorded === undefined ? null : { officerId: recorded.actorId, legalBasis: recorded.detail.legalBasis ?? null, at: recorded.at };
  }

  /** The citizen consents to one purpose of a consent-bound grant: the grant's fields, for a year at most. */
  async give(citizen: string, input: { readonly grantId: string; readonly purposeCode: string }): Promise<CitizenConsent> {
    const now = this.deps.clock.now();
    const grant = typeof input.grantId === 'string' && input.grantId.length <= 64 ? await grantRepository.find(this.deps.db, input.grantId) : undefined;
    if (grant === undefined || !this.usable(grant, now.toISOString())) {
      throw new DomainError('not_found', 'CONSENT_OFFER_NOT_FOUND', 'no grant in force asks for this consent', 'Reload the list of services that ask for your consent');
    }
    const purpose = grant.purposes.find((p) => p.code === input.purposeCode);
    if (purpose === undefined) throw new DomainError('invalid', 'CONSENT_PURPOSE_INVALID', 'the grant has no such purpose', 'Choose one of the purposes listed', { field: 'purposeCode' });
    const yearOn = new Date(now.getTime() + consentYearMs).toISOString();
    const given = await this.deps.consents.give({
      citizen, dataUser: grant.clientId, purposeCode: purpose.code, purposeText: purpose.text, fields: grant.fields,
      dataLife: portalDataLife, frequency: portalFrequency, expiry: grant.validUntil < yearOn ? grant.validUntil : yearOn,
    });
    return this.one(citizen, given.artefact.consentId);
  }

  /** Pauses, resumes or withdraws one of the citizen's own consents. */
  async change(citizen: string, consentId: string, action: ConsentAction): Promise<CitizenConsent> {
    const notFound = (): DomainError => new DomainError('not_found', 'CONSENT_NOT_FOUND', 'no consent of yours has this id', 'Reload your consents');
    if (typeof consentId !== 'string' || consentId.length > 64) throw notFound();
    let existing: ConsentView;
    try {
      existing = await this.deps.consents.get(consentId);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'CONSENT_NOT_FOUND') throw notFound();
      throw error;
    }
    if (existing.artefact.citizen !== citizen) throw notFound();
    // The administration log keeps the citizen's own change beside an officer's recording.
    await this.deps.consents.change(consentId, action, { actorId: `${citizenActorPrefix}${citizen}` });
    return this.one(citizen, consentId);
  }

  private async one(citizen: string, consentId: string): Promise<CitizenConsent> {
    const found = (await this.ofCitizen(citizen)).find((c) => c.consentId === consentId);
    if (found === undefined) throw new Error('consent not found after writing it');
    return found;
  }
}
