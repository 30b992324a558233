import { adminActionRepository, type AdminAction } from '../audit/admin-action.repository.js';
import { randomUUID, sign, verify } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { Kysely } from 'kysely';
import { personRepository } from '../registry/person.repository.js';
import type { Clock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import { vietnamInstant } from '../shared/vietnam-time.js';
import type { DB } from '../store/database.types.js';
import { consentRepository, type ConsentTerms } from './consent.repository.js';
import type { ExchangeDirectory } from './exchange.directory.js';
import { checkClientId } from './exchange-ids.js';
import type { ExchangeKeys } from './exchange-keys.js';
import type { Consent, ConsentArtefactBody, ConsentStatus, Frequency, TimeSpan } from './exchange.types.js';

/** The officer who records or changes a consent on a citizen's behalf, logged with the action. */
export interface ConsentRecorder {
  readonly actorId: string;
  /** The law that requires the citizen's consent. */
  readonly legalBasis?: string;
  /** An officer recording a consent in the console names the law; a service account's flow may not. */
  readonly legalBasisRequired?: boolean;
  readonly reason?: string;
}

export interface ConsentInput {
  readonly citizen: string;
  readonly dataUser: string;
  readonly purposeCode: string;
  readonly purposeText: string;
  readonly fields: readonly string[];
  readonly dataLife: TimeSpan;
  readonly frequency: Frequency;
  /** ISO instant; default now. */
  readonly start?: string | undefined;
  /** ISO instant. */
  readonly expiry: string;
}

/** A consent with its status now (EXPIRED once the signed expiry has passed). */
export type ConsentView = Consent & { readonly status: ConsentStatus };

export type ConsentAction = 'pause' | 'resume' | 'revoke';

const transitions: Readonly<Record<ConsentAction, { readonly from: readonly ConsentStatus[]; readonly to: ConsentStatus }>> = {
  pause: { from: ['ACTIVE'], to: 'PAUSED' },
  resume: { from: ['PAUSED'], to: 'ACTIVE' },
  revoke: { from: ['ACTIVE', 'PAUSED'], to: 'REVOKED' },
};

const periodKey: Readonly<Record<Frequency['unit'], (iso: string) => string>> = {
  HOUR: (iso) => iso.slice(0, 13),
  DAY: (iso) => iso.slice(0, 10),
  MONTH: (iso) => iso.slice(0, 7),
  YEAR: (iso) => iso.slice(0, 4),
};

const idPattern = /^\d{12}$/;
const codePattern = /^[A-Z0-9][A-Z0-9_.-]{0,63}$/;

/** The RFC 8785 canonical JSON of an artefact: what is signed and verified. */
export function canonicalArtefact(artefact: ConsentArtefactBody): string {
  const text = canonicalize(artefact);
  if (text === undefined) throw new Error('consent artefact cannot be canonicalised');
  return text;
}

/** Consent terms held in memory at most (citizen × data user pairs, ~300 bytes each: ~30 MB; oldest dropped first). */
const termsCacheLimit = 100_000;

/**
 * Citizens' consents, DEPA style: an artefact per consent (citizen, data user, purpose, fields,
 * data life, frequency, start, expiry, status), signed with the exchange's Ed25519 key over its
 * canonical JSON and signed again at every change of status.
 *
 * The terms a call is decided on are cached per citizen and data user, write-through: every give,
 * pause, resume or revocation through this service drops its pair before it returns, and on
 * SQLite a commit by any other process (the CLI, another server on the same file) empties the
 * cache before the next call is decided (`PRAGMA data_version`, checked on every call). So a pause
 * or revocation takes effect on the very next request. On PostgreSQL, with nodes that cannot see
 * each other's writes, nothing is cached: every consented call reads the store.
 */
export class ConsentService {
  private readonly uses = new Map<string, { period: string; count: number }>();
  private readonly termsCache = new Map<string, readonly ConsentTerms[]>();
  /** The store's change mark the cache was filled under. */
  private cacheMark: number | undefined;
  /** Bumped on every write through this service: a read that started before one is not cached. */
  private writes = 0;

  constructor(private readonly deps: { readonly db: Kysely<DB>; readonly clock: Clock; readonly keys: ExchangeKeys; readonly directory: ExchangeDirectory }) {}

  /**
   * Records a citizen's consent and returns the signed artefact.
   *
   * @example
   * await consents.give({ citizen: '079203012345', dataUser: 'VN/COM/VCB/ekyc', purposeCode: 'ACCOUNT_OPENING', purposeText: 'Mở tài khoản', fields: ['fullName'], dataLife: { unit: 'YEAR', value: 5 }, frequency: { unit: 'DAY', value: 10 }, expiry: '2027-01-01T00:00:00Z' });
   */
  async give(input: ConsentInput, by?: ConsentRecorder): Promise<ConsentView> {
    const now = this.deps.clock.now().toISOString();
    const legalBasis = by?.legalBasis?.trim();
    if ((by?.legalBasisRequired === true && legalBasis === undefined) || (legalBasis !== undefined && legalBasis.length < 3)) {
      throw new DomainError('invalid', 'CONSENT_LEGAL_BASIS_MISSING', 'a consent recorded by an officer names the law that requires it', 'Give the law, decree or circular (e.g. Nghị định 13/2023/NĐ-CP, Điều 11)');
    }
    if (!idPattern.test(input.citizen)) throw new DomainError('invalid', 'ID_NUMBER_MALFORMED', 'the citizen is named by a 12-digit ID number', 'Check the number on the ID card');
    checkClientId(input.dataUser);
    if (!codePattern.test(input.purposeCode) || input.purposeText.trim() === '') {
      throw new DomainError('invalid', 'CONSENT_PURPOSE_INVALID', 'a consent needs a purpose code (capitals, digits, _ . -) and a text the citizen can read', 'Send purposeCode and purposeText');
    }
    if (input.fields.length === 0) throw new DomainError('invalid', 'CONSENT_FIELDS_EMPTY', 'a consent names at least one field', 'List the fields the citizen agrees to release');
    for (const span of [input.dataLife, input.frequency]) {
      if (!Number.isInteger(span.value) || span.value < 1) throw new DomainError('invalid', 'CONSENT_SPAN_INVALID', 'data life and frequency take a whole number of at least 1', 'Send e.g. { "unit": "DAY", "value": 1 }');
    }
    const start = input.start === undefined ? now : isoInstant(input.start, 'start');
    const expiry = isoInstant(input.expiry, 'expiry');
    if (expiry <= start || expiry <= now) throw new DomainError('invalid', 'CONSENT_EXPIRY_INVALID', 'the expiry must be after the start and in the future', 'Send an expiry later than start and now');
    if ((await this.deps.directory.get(input.dataUser)) === undefined) {
      throw new DomainError('not_found', 'CLIENT_UNKNOWN', 'no client with this id is registered', 'Name a data user onboarded on the exchange');
    }
    if (!(await personRepository.exists(this.deps.db, input.citizen))) {
      throw new DomainError('not_found', 'PERSON_NOT_FOUND', 'no person has this ID number', 'Check the number on the ID card');
    }
    const artefact: ConsentArtefactBody = {
      consentId: randomUUID(),
      citizen: input.citizen,
      dataUser: input.dataUser,
      purpose: { code: input.purposeCode, text: input.purposeText.trim() },
      fields: [...new Set(input.fields)].sort(),
      dataLife: { unit: input.dataLife.unit, value: input.dataLife.value },
      frequency: { unit: input.frequency.unit, value: input.frequency.value },
      start,
      expiry,
      status: 'ACTIVE',
      statusAt: now,
    };
    const consent = this.sign(artefact);
    this.forgetTerms(artefact.citizen, artefact.dataUser);
    await this.deps.db.transaction().execute(async (trx) => {
      await consentRepository.save(trx, consent, now);
      // Who recorded it, and under which law, in the same transaction as the consent.
      if (by !== undefined) {
        await adminActionRepository.record(trx, {
          at: now, actorId: by.actorId, action: 'consent.recorded', subject: artefact.consentId,
          detail: { ...(legalBasis === undefined ? {} : { legalBasis }), dataUser: artefact.dataUser, purposeCode: artefact.purpose.code },
        });
      }
    });
    this.forgetTerms(artefact.citizen, artefact.dataUser);
    return { ...consent, status: consent.artefact.status };
  }

  /** Pauses, resumes or revokes a consent; returns the newly signed artefact. */
  async change(consentId: string, action: ConsentAction, by?: ConsentRecorder): Promise<ConsentView> {
    const now = this.deps.clock.now().toISOString();
    const existing = await consentRepository.find(this.deps.db, consentId);
    if (existing === undefined) throw new DomainError('not_found', 'CONSENT_NOT_FOUND', 'no consent has this id', 'List the citizen’s consents to find its id');
    const status = this.effectiveStatus(existing.artefact, now);
    const rule = transitions[action];
    if (!rule.from.includes(status)) {
      throw new DomainError('conflict', 'CONSENT_STATUS_CONFLICT', `a ${status} consent cannot be ${action === 'pause' ? 'paused' : action === 'resume' ? 'resumed' : 'revoked'}`, 'Give a new consent instead');
    }
    const consent = this.sign({ ...existing.artefact, status: rule.to, statusAt: now });
    this.forgetTerms(existing.artefact.citizen, existing.artefact.dataUser);
    await this.deps.db.transaction().execute(async (trx) => {
      await consentRepository.save(trx, consent, now);
      if (by !== undefined) {
        const kind = action === 'pause' ? 'consent.paused' : action === 'resume' ? 'consent.resumed' : 'consent.withdrawn';
        await adminActionRepository.record(trx, { at: now, actorId: by.actorId, action: kind, subject: consentId, detail: by.reason === undefined ? {} : { reason: by.reason } });
      }
    });
    this.forgetTerms(existing.artefact.citizen, existing.artefact.dataUser);
    return { ...consent, status: consent.artefact.status };
  }

  /** Who recorded and changed a consent, oldest first (the administration log). */
  history(consentId: string): Promise<readonly AdminAction[]> {
    return adminActionRepository.forSubject(this.deps.db, consentId);
  }

  /** A citizen's consents, with expired ones shown as EXPIRED. */
  async forCitizen(citizen: string): Promise<readonly ConsentView[]> {
    if (!idPattern.test(citizen)) throw new DomainError('invalid', 'ID_NUMBER_MALFORMED', 'the citizen is named by a 12-digit ID number', 'Check the number on the ID card');
    const now = this.deps.clock.now().toISOString();
    return (await consentRepository.forCitizen(this.deps.db, citizen)).map((c) => this.withEffectiveStatus(c, now));
  }

  async get(consentId: string): Promise<ConsentView> {
    const c = await consentRepository.find(this.deps.db, consentId);
    if (c === undefined) throw new DomainError('not_found', 'CONSENT_NOT_FOUND', 'no consent has this id', 'List the citizen’s consents to find its id');
    return this.withEffectiveStatus(c, this.deps.clock.now().toISOString());
  }

  /** Whether the artefact's signature holds under the exchange's key that made it. */
  verifySignature(consent: Consent): boolean {
    const key = this.deps.keys.consentPublicKeys.get(consent.signature.keyId);
    if (key === undefined) return false;
    return verify(null, Buffer.from(canonicalArtefact(consent.artefact)), key, Buffer.from(consent.signature.value, 'base64url'));
  }

  /**
   * The consent a call rests on: ACTIVE, started, not expired, for this purpose, covering every
   * field, within its frequency. Counts the use and returns the consent id; throws a clear refusal otherwise.
   */
  async require(citizen: string, dataUser: string, purposeCode: string, fields: readonly string[], now: string): Promise<string> {
    const all = await this.termsFor(citizen, dataUser);
    const forPurpose = all.filter((c) => c.purposeCode === purposeCode);
    const usable = forPurpose.filter((c) => this.effectiveStatus(c, now) === 'ACTIVE' && c.start <= now);
    if (usable.length === 0) {
      const statuses = new Set(forPurpose.map((c) => this.effectiveStatus(c, now)));
      const code = statuses.has('PAUSED') ? 'CONSENT_PAUSED' : statuses.has('REVOKED') ? 'CONSENT_REVOKED' : statuses.has('EXPIRED') ? 'CONSENT_EXPIRED' : 'CONSENT_REQUIRED';
      throw new DomainError('forbidden', code, 'this service needs the citizen’s active consent for this data user and purpose', 'Ask the citizen to give (or resume) consent for this purpose');
    }
    const covering = usable.find((c) => fields.every((f) => c.fields.includes(f)));
    if (covering === undefined) {
      throw new DomainError('forbidden', 'CONSENT_FIELDS_NOT_COVERED', 'the citizen’s consent does not cover every field asked for', 'Ask only for the fields the consent names');
    }
    const f = covering.frequency;
    const period = periodKey[f.unit](now);
    const use = this.uses.get(covering.consentId);
    if (use?.period === period && use.count >= f.value) {
      throw new DomainError('forbidden', 'CONSENT_FREQUENCY_EXCEEDED', `the consent allows ${f.value} fetch(es) per ${f.unit.toLowerCase()}`, 'Wait for the next period');
    }
    if (use?.period === period) use.count += 1;
    else {
      if (this.uses.size > 1_000_000) this.uses.clear();
      this.uses.set(covering.consentId, { period, count: 1 });
    }
    return covering.consentId;
  }

  /**
   * Like {@link require}, for a person whose data may be left out rather than refuse the call
   * (the other members of a household): the id of their own usable consent covering every field
   * (its use counted), or undefined when they have none.
   */
  async find(citizen: string, dataUser: string, purposeCode: string, fields: readonly string[], now: string): Promise<string | undefined> {
    try {
      return await this.require(citizen, dataUser, purposeCode, fields, now);
    } catch (error) {
      if (error instanceof DomainError && error.kind === 'forbidden') return undefined;
      throw error;
    }
  }

  /** The terms of a citizen's consents to a data user: from the cache when it is still true. */
  private async termsFor(citizen: string, dataUser: string): Promise<readonly ConsentTerms[]> {
    const key = `${citizen}\u0000${dataUser}`;
    const writes = this.writes;
    // Not cached: read the terms in the same turn as the mark, one snapshot and one wait for both.
    const [mark, fresh] = await Promise.all([
      consentRepository.changeMark(this.deps.db),
      this.termsCache.has(key) ? undefined : consentRepository.termsFor(this.deps.db, citizen, dataUser),
    ]);
    if (mark === undefined) return fresh ?? consentRepository.termsFor(this.deps.db, citizen, dataUser);
    if (mark !== this.cacheMark) {
      this.termsCache.clear();
      this.cacheMark = mark;
    }
    const terms = fresh ?? this.termsCache.get(key) ?? (await consentRepository.termsFor(this.deps.db, citizen, dataUser));
    if (writes === this.writes && mark === this.cacheMark && !this.termsCache.has(key)) {
      if (this.termsCache.size >= termsCacheLimit) {
        const oldest = this.termsCache.keys().next();
        if (oldest.done !== true) this.termsCache.delete(oldest.value);
      }
      this.termsCache.set(key, terms);
    }
    return terms;
  }

  private forgetTerms(citizen: string, dataUser: string): void {
    this.writes += 1;
    this.termsCache.delete(`${citizen}\u0000${dataUser}`);
  }

  private effectiveStatus(a: { readonly status: ConsentStatus; readonly expiry: string }, now: string): ConsentStatus {
    return (a.status === 'ACTIVE' || a.status === 'PAUSED') && a.expiry <= now ? 'EXPIRED' : a.status;
  }

  private withEffectiveStatus(c: Consent, now: string): ConsentView {
    // The artefact stays as signed (its expiry is part of it); the status beside it says EXPIRED once it passed.
    return { ...c, status: this.effectiveStatus(c.artefact, now) };
  }

  private sign(artefact: ConsentArtefactBody): Consent {
    const value = sign(null, Buffer.from(canonicalArtefact(artefact)), this.deps.keys.consentPrivateKey).toString('base64url');
    return { artefact, signature: { alg: 'EdDSA', keyId: this.deps.keys.consentKeyId, value } };
  }
}

/** A date alone is a whole day in Vietnam time, as for grants: a start from its 00:00, an expiry through its end. */
function isoInstant(value: string, what: 'start' | 'expiry'): string {
  const at = vietnamInstant(value, { endOfDay: what === 'expiry' });
  if (at === undefined) {
    throw new DomainError('invalid', 'CONSENT_DATE_INVALID', `${what} is not an ISO 8601 date or instant`, 'Send e.g. 2027-01-01 (a whole day, Vietnam time) or 2027-01-01T00:00:00+07:00');
  }
  return at;
}
