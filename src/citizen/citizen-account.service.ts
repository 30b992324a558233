import { createHash, createHmac, randomInt, randomUUID, type KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import { checkPasswordStrength, type PasswordHasher } from '../identity/password.hasher.js';
import { personTiesResolver, type PersonTiesResolver } from '../identity/person-ties.js';
import { plainSealer, type SecretSealer } from '../identity/totp-secret.sealer.js';
import { acceptTotp, newTotpSecret, totpUri } from '../identity/totp.verifier.js';
import { randomToken, safeEqual, sha256Hex } from '../identity/identity.tokens.js';
import { personRepository } from '../registry/person.repository.js';
import type { PersonRecord } from '../registry/person.types.js';
import type { LifeEvent } from '../registry/life-event.types.js';
import { verifyChipData, type SignedChipData } from './card-chip.verifier.js';
import { citizenAccountRepository, toAccount, type CitizenExecutor } from './citizen-account.repository.js';
import type { CitizenAccountsTable } from './citizen.tables.js';
import type { CitizenAccount, CitizenEvent } from './citizen.types.js';
import type { OtpSender } from './otp.sender.js';

export interface CitizenAccountDeps {
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  readonly hasher: PasswordHasher;
  readonly otp: OtpSender;
  /** Public keys of the card issuer's document signers (simulated here: card-chip.verifier.ts). */
  readonly cardIssuerKeys?: readonly KeyObject[];
  readonly sealer?: SecretSealer;
  readonly onEvent?: (event: CitizenEvent) => void;
  readonly ties?: PersonTiesResolver;
}

/** The officer who attests a level 2 activation in person (from their console session). */
export interface AttestingOfficer {
  readonly officerId: string;
  /** `commune:<code>`, `province:<code>` or `nation`. */
  readonly unit: string;
}

export const otpTtlMs = 5 * 60_000;
/** Wrong codes one challenge takes before it is spent (10^6 codes: a guess succeeds at most 5 in a million). */
export const otpMaxAttempts = 5;
/** Codes sent to one person per hour and purpose (SMS cost, and bombing someone's phone). */
export const otpPerPersonPerHour = 3;
export const lockoutThreshold = 5;
export const lockoutMs = 15 * 60_000;
const sessionIdleMs = 30 * 60_000;
const sessionAbsoluteMs = 12 * 3_600_000;
/** The youngest age at which a person holds their own e-ID account (Decree 69/2024: 14). */
const minimumAge = 14;

const idNumberPattern = /^\d{12}$/;
const datePattern = /^\d{4}-\d{2}-\d{2}$/;

function invalid(code: string, message: string, action: string, field?: string): DomainError {
  return new DomainError('invalid', code, message, action, field === undefined ? undefined : { field });
}

/** Vietnamese phone numbers as +84 and 9 digits (0xx xxx xxxx, or +84 xx xxx xxxx, spaces allowed). */
export function normalisePhone(value: string): string {
  const compact = typeof value === 'string' ? value.replace(/[\s.-]/g, '') : '';
  const m = /^(?:\+84|84|0)([35789]\d{8})$/.exec(compact);
  if (m === null) throw invalid('PHONE_INVALID', 'the phone number is not a Vietnamese mobile number', 'Give a mobile number such as 0912 345 678', 'phone');
  return `+84${m[1] ?? ''}`;
}

/** Names compare without case, spacing or Unicode form differences (the card prints capitals). */
export function sameName(a: string, b: string): boolean {
  const fold = (s: string): string => s.normalize('NFC').toLocaleLowerCase('vi').replace(/\s+/g, ' ').trim();
  return fold(a) === fold(b);
}

function codeHash(challengeId: string, code: string): string {
  return createHash('sha256').update(`${challengeId}:${code}`).digest('hex');
}

function ageOn(birthDate: string, today: string): number {
  const [by, bm, bd] = birthDate.split('-').map(Number);
  const [ty, tm, td] = today.split('-').map(Number);
  if (by === undefined || ty === undefined) return 0;
  let age = ty - by;
  if (bm !== undefined && tm !== undefined && (tm < bm || (tm === bm && bd !== undefined && td !== undefined && td < bd))) age--;
  return age;
}

function signInFailed(): DomainError {
  return new DomainError('unauthorized', 'SIGN_IN_FAILED', 'the ID number, password or code is not right', 'Check them and try again; after 5 failures the account waits 15 minutes');
}

function otpInvalid(): DomainError {
  return new DomainError('unauthorized', 'OTP_INVALID', 'the one-time code is wrong, expired or used up', 'Ask for a new code');
}

function accountNotFound(): DomainError {
  return new DomainError('not_found', 'CITIZEN_ACCOUNT_NOT_FOUND', 'no e-ID account for this person', 'Activate the account first');
}

/**
 * Citizens' e-ID accounts: level 1 online (ID number, full name and birth date checked against
 * the registry, the phone confirmed by a one-time code), level 2 attested by an officer or by the
 * card chip's signed data, password (argon2id) and TOTP, lockout, recovery by the confirmed phone,
 * and the portal's sessions. The registry's death and card events lock or re-bind an account in
 * their own transaction (onRegistryEvent).
 */
export class CitizenAccountService {
  private readonly sealer: SecretSealer;
  private readonly ties: PersonTiesResolver;

  constructor(private readonly deps: CitizenAccountDeps) {
    this.sealer = deps.sealer ?? plainSealer;
    this.ties = deps.ties ?? personTiesResolver();
  }

  private now(): Date {
    return this.deps.clock.now();
  }

  private emit(event: CitizenEvent): void {
    this.deps.onEvent?.(event);
  }

  private async issueCode(personId: string, phone: string, purpose: 'activation' | 'recovery'): Promise<{ readonly challengeId: string; readonly expiresAt: string }> {
    const now = this.now();
    const since = new Date(now.getTime() - 3_600_000).toISOString();
    if ((await citizenAccountRepository.challengesSince(this.deps.db, personId, purpose, since)) >= otpPerPersonPerHour) {
      throw new DomainError('rate_limited', 'OTP_RATE_LIMITED', 'too many codes were sent for this person in the last hour', 'Wait an hour before asking again', { retryAfterSeconds: 3600 });
    }
    const challengeId = randomToken(16);
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const expiresAt = new Date(now.getTime() + otpTtlMs).toISOString();
    await citizenAccountRepository.insertChallenge(this.deps.db, {
      challenge_id: challengeId, purpose, person_id: personId, phone, code_hash: codeHash(challengeId, code), attempts: 0, expires_at: expiresAt, consumed_at: null, created_at: now.toISOString(),
    });
    await this.deps.otp.send({ phone, code, purpose, expiresAt });
    return { challengeId, expiresAt };
  }

  /** Checks a code against its challenge, spending an attempt; returns the challenge once used. */
  private async useCode(challengeId: string, code: string, purpose: 'activation' | 'recovery'): Promise<{ readonly personId: string; readonly phone: string }> {
    if (typeof challengeId !== 'string' || challengeId.length > 64 || typeof code !== 'string') throw otpInvalid();
    const now = this.now().toISOString();
    const challenge = await citizenAccountRepository.spendAttempt(this.deps.db, challengeId, otpMaxAttempts, now);
    if (challenge?.purpose !== purpose) throw otpInvalid();
    if (!/^\d{6}$/.test(code) || !safeEqual(codeHash(challengeId, code), challenge.code_hash)) {
      throw new DomainError('unauthorized', 'OTP_INVALID', 'the one-time code is wrong, expired or used up', 'Check the code or ask for a new one', { attemptsLeft: Math.max(0, otpMaxAttempts - challenge.attempts) });
    }
    if (!(await citizenAccountRepository.consumeChallenge(this.deps.db, challengeId, now))) throw otpInvalid();
    return { personId: challenge.person_id, phone: challenge.phone };
  }

  /**
   * Level 1, step 1: the details are checked against the registry and a code is sent to the phone.
   * A wrong detail, an unknown or a dead person all give ACTIVATION_DETAILS_MISMATCH.
   */
  async startActivation(input: { readonly idNumber: string; readonly fullName: string; readonly birthDate: string; readonly phone: string }): Promise<{ readonly challengeId: string; readonly expiresAt: string }> {
    if (typeof input.idNumber !== 'string' || !idNumberPattern.test(input.idNumber)) throw invalid('ID_NUMBER_MALFORMED', 'an ID number has 12 digits', 'Copy the number from the ID card', 'idNumber');
    if (typeof input.birthDate !== 'string' || !datePattern.test(input.birthDate)) throw invalid('BIRTH_DATE_INVALID', 'the birth date is YYYY-MM-DD', 'Give the birth date as on the card', 'birthDate');
    if (typeof input.fullName !== 'string' || input.fullName.trim() === '' || input.fullName.length > 200) throw invalid('FULL_NAME_INVALID', 'the full name is missing or too long', 'Give the full name as on the card', 'fullName');
    const phone = normalisePhone(input.phone);
    const person = await personRepository.findById(this.deps.db, input.idNumber);
    const at = this.now().toISOString();
    if (person?.status !== 'alive' || !sameName(person.fullName, input.fullName) || person.birthDate !== input.birthDate) {
      this.emit({ type: 'activation.refused', at, cause: 'mismatch' });
      throw new DomainError('invalid', 'ACTIVATION_DETAILS_MISMATCH', 'these details do not match the population registry', 'Check the ID number, full name and birth date against the ID card');
    }
    if (ageOn(person.birthDate, at.slice(0, 10)) < minimumAge) {
      throw new DomainError('invalid', 'ACTIVATION_TOO_YOUNG', `a person holds their own e-ID account from age ${minimumAge}`, 'A parent or guardian adds the child to their own account');
    }
    if ((await citizenAccountRepository.findByPerson(this.deps.db, person.idNumber)) !== undefined) {
      throw new DomainError('conflict', 'CITIZEN_ACCOUNT_EXISTS', 'this person already has an e-ID account', 'Sign in, or recover the account with the confirmed phone');
    }
    const issued = await this.issueCode(person.idNumber, phone, 'activation');
    this.emit({ type: 'activation.started', at });
    return issued;
  }

  /** Level 1, step 2: the code confirms the phone; the account is created with its password. */
  async confirmActivation(input: { readonly challengeId: string; readonly code: string; readonly password: string }): Promise<CitizenAccount> {
    checkPasswordStrength(typeof input.password === 'string' ? input.password : '', '');
    const passwordHash = await this.deps.hasher.hash(input.password);
    const { personId, phone } = await this.useCode(input.challengeId, input.code, 'activation');
    const at = this.now().toISOString();
    const row = await this.deps.db.transaction().execute(async (trx) => {
      const person = await personRepository.findById(trx, personId);
      if (person?.status !== 'alive') throw new DomainError('conflict', 'PERSON_NOT_ALIVE', 'the registry no longer records this person as living', 'Contact the commune police');
      if ((await citizenAccountRepository.findByPerson(trx, personId)) !== undefined) {
        throw new DomainError('conflict', 'CITIZEN_ACCOUNT_EXISTS', 'this person already has an e-ID account', 'Sign in, or recover the account with the confirmed phone');
      }
      const account: CitizenAccountsTable = {
        account_id: `cit_${randomUUID().replace(/-/g, '')}`, person_id: personId, level: 1, status: 'active', phone, password_hash: passwordHash,
        totp_secret: null, totp_last_step: null, card_number: null, province: this.provinceOf(person), failed_attempts: 0, locked_until: null,
        last_sign_in_at: null, level2_at: null, created_at: at, updated_at: at,
      };
      await citizenAccountRepository.insert(trx, account);
      return account;
    });
    this.emit({ type: 'account.activated', accountId: row.account_id, at });
    return toAccount(row);
  }

  private provinceOf(person: PersonRecord): string | null {
    const ties = this.ties.ties({ idNumber: person.idNumber, permanentCommune: person.permanentCommune, temporaryCommune: person.temporaryCommune, currentCommune: person.currentCommune, householdCommune: null });
    return ties.communes[0]?.province ?? ties.birthProvince ?? null;
  }

  /**
   * Level 2 in person: the officer has checked the face against the card and the card itself;
   * the attestation names the officer. The citizen then enrols an authenticator (beginTotp).
   */
  async attestLevel2(officer: AttestingOfficer, input: { readonly idNumber: string; readonly cardNumber: string }): Promise<CitizenAccount> {
    if (typeof input.cardNumber !== 'string' || !/^[A-Z0-9]{6,20}$/.test(input.cardNumber)) throw invalid('CARD_NUMBER_INVALID', 'the card number has 6 to 20 capital letters or digits', 'Copy the card number printed on the card', 'cardNumber');
    return this.raiseToLevel2(input.idNumber, { method: 'officer', officerId: officer.officerId, officerUnit: officer.unit, cardNumber: input.cardNumber, evidence: null });
  }

  /** Level 2 by the card's chip: its data, signed by the card issuer, must name this person. */
  async activateLevel2ByChip(accountId: string, signed: SignedChipData): Promise<CitizenAccount> {
    const { data, evidenceSha256 } = verifyChipData(signed, this.deps.cardIssuerKeys ?? []);
    const row = await citizenAccountRepository.findById(this.deps.db, accountId);
    if (row === undefined) throw accountNotFound();
    const person = await personRepository.findById(this.deps.db, row.person_id);
    if (data.idNumber !== row.person_id || person === undefined || !sameName(person.fullName, data.fullName) || person.birthDate !== data.birthDate) {
      throw new DomainError('invalid', 'CHIP_DATA_MISMATCH', 'the card read is not this account holder\'s card', 'Read your own ID card');
    }
    return this.raiseToLevel2(row.person_id, { method: 'chip', officerId: null, officerUnit: null, cardNumber: data.cardNumber, evidence: evidenceSha256 });
  }

  private async raiseToLevel2(personId: string, how: { method: 'officer' | 'chip'; officerId: string | null; officerUnit: string | null; cardNumber: string; evidence: string | null }): Promise<CitizenAccount> {
    const at = this.now().toISOString();
    const row = await this.deps.db.transaction().execute(async (trx) => {
      const current = await citizenAccountRepository.findByPerson(trx, personId);
      if (current === undefined) throw accountNotFound();
      if (current.status !== 'active') throw new DomainError('conflict', 'CITIZEN_ACCOUNT_CLOSED', 'the account is closed', 'Contact the commune police');
      // An officer who has checked the face clears any authenticator, to be set up anew (the way
      // back for a citizen who lost theirs). The chip's signed data does not: it is static (passive
      // authentication), so a copy of it proves the data, not that the card is in hand.
      const clear = how.method === 'officer' ? { totp_secret: null, totp_last_step: null } : {};
      await citizenAccountRepository.update(trx, current.account_id, { level: 2, card_number: how.cardNumber, level2_at: at, ...clear, updated_at: at });
      await citizenAccountRepository.insertAttestation(trx, {
        attestation_id: randomUUID(), account_id: current.account_id, method: how.method, officer_id: how.officerId, officer_unit: how.officerUnit, card_number: how.cardNumber, evidence_sha256: how.evidence, at,
      });
      return { ...current, level: 2, card_number: how.cardNumber, level2_at: at, ...clear };
    });
    this.emit({ type: 'account.level2', accountId: row.account_id, at });
    return toAccount(row);
  }

  /** Starts TOTP enrolment (a level 2 account's second factor): the seed and its otpauth URI. */
  async beginTotp(accountId: string): Promise<{ readonly totpSecret: string; readonly otpauthUri: string }> {
    const row = await citizenAccountRepository.findById(this.deps.db, accountId);
    if (row === undefined) throw accountNotFound();
    if (row.level !== 2) throw new DomainError('conflict', 'LEVEL2_REQUIRED', 'an authenticator is enrolled on a level 2 account', 'Raise the account to level 2 at the commune police or with the card chip');
    const secret = newTotpSecret();
    await citizenAccountRepository.update(this.deps.db, accountId, { totp_secret: this.sealer.seal(secret, accountId), totp_last_step: null, updated_at: this.now().toISOString() });
    return { totpSecret: secret, otpauthUri: totpUri(secret, 'VNeID') };
  }

  /**
   * TOTP enrolment as the portal starts it: the password is checked again first (a wrong one
   * counts towards the lockout), and an authenticator already confirmed is replaced only from a
   * session signed in with it (level 2), so a stolen password alone cannot swap the second factor.
   */
  async startTotpEnrolment(accountId: string, input: { readonly password: string; readonly sessionLevel: 1 | 2 }): Promise<{ readonly totpSecret: string; readonly otpauthUri: string }> {
    const row = await this.checkPassword(accountId, input.password);
    if (row.level !== 2) throw new DomainError('conflict', 'LEVEL2_REQUIRED', 'an authenticator is enrolled on a level 2 account', 'Raise the account to level 2 at the commune police or with the card chip');
    if (row.totp_secret !== null && row.totp_last_step !== null && input.sessionLevel !== 2) {
      throw new DomainError('forbidden', 'LEVEL2_SESSION_REQUIRED', 'an authenticator already confirmed is replaced only from a level 2 session', 'Sign in with the code of your present authenticator, then replace it');
    }
    return this.beginTotp(accountId);
  }

  /** The account's password, checked again before a sensitive change; failures count towards the lockout. */
  private async checkPassword(accountId: string, password: string): Promise<CitizenAccountsTable> {
    const now = this.now();
    const at = now.toISOString();
    const row = await citizenAccountRepository.findById(this.deps.db, accountId);
    if (row === undefined) throw accountNotFound();
    if (row.status !== 'active') throw new DomainError('conflict', 'CITIZEN_ACCOUNT_CLOSED', 'the account is closed', 'Contact the commune police');
    if (row.locked_until !== null && row.locked_until > at) {
      throw new DomainError('forbidden', 'ACCOUNT_LOCKED', 'too many failed attempts: the account waits', 'Try again later, or recover the account', { retryAt: row.locked_until });
    }
    const checked = await this.deps.hasher.verify(typeof password === 'string' ? password.slice(0, 1024) : '', row.password_hash);
    if (!checked.ok) {
      const { lockedUntil } = await citizenAccountRepository.recordFailure(this.deps.db, accountId, lockoutThreshold, new Date(now.getTime() + lockoutMs).toISOString(), at);
      this.emit({ type: 'sign_in.failed', accountId, at, cause: 'password_recheck' });
      if (lockedUntil !== null) this.emit({ type: 'account.locked', accountId, at });
      throw new DomainError('unauthorized', 'PASSWORD_INCORRECT', 'the password is not right', 'Type your e-ID password again; after 5 failures the account waits 15 minutes');
    }
    return row;
  }

  async confirmTotp(accountId: string, code: string): Promise<CitizenAccount> {
    const row = await citizenAccountRepository.findById(this.deps.db, accountId);
    const secret = row?.totp_secret === null || row === undefined ? undefined : this.sealer.open(row.totp_secret, accountId);
    if (row === undefined || secret === undefined) throw new DomainError('conflict', 'ENROLMENT_NOT_STARTED', 'no authenticator enrolment is under way', 'Start the enrolment again');
    const step = acceptTotp(secret, code, this.now(), null);
    if (step === undefined) throw new DomainError('invalid', 'TOTP_INVALID', 'the authenticator code is not right', 'Type the code the app shows now');
    await citizenAccountRepository.update(this.deps.db, accountId, { totp_last_step: step, updated_at: this.now().toISOString() });
    return toAccount({ ...row, totp_last_step: step });
  }

  /**
   * Checks a sign-in: password, and the authenticator code when given (required for level 2).
   * Returns the account and the level this sign-in reached. Every wrong part counts towards the
   * lockout, and an unknown ID number costs one hash too.
   */
  async verifySignIn(input: { readonly idNumber: string; readonly password: string; readonly code?: string | undefined; readonly level: 1 | 2 }): Promise<{ readonly account: CitizenAccount; readonly level: 1 | 2 }> {
    const now = this.now();
    const at = now.toISOString();
    const password = typeof input.password === 'string' ? input.password.slice(0, 1024) : '';
    const row = typeof input.idNumber === 'string' && idNumberPattern.test(input.idNumber) ? await citizenAccountRepository.findByPerson(this.deps.db, input.idNumber) : undefined;
    if (row === undefined) {
      await this.deps.hasher.dummyVerify(password);
      this.emit({ type: 'sign_in.failed', at, cause: 'unknown_account' });
      throw signInFailed();
    }
    if (row.locked_until !== null && row.locked_until > at) {
      this.emit({ type: 'sign_in.failed', accountId: row.account_id, at, cause: 'locked' });
      throw new DomainError('forbidden', 'ACCOUNT_LOCKED', 'too many failed sign-ins: the account waits', 'Try again later, or recover the account', { retryAt: row.locked_until });
    }
    const checked = await this.deps.hasher.verify(password, row.password_hash);
    let step: number | undefined;
    const wantsCode = input.level === 2 || (input.code !== undefined && input.code !== '');
    if (checked.ok && wantsCode) {
      const secret = row.totp_secret === null || row.totp_last_step === null ? undefined : this.sealer.open(row.totp_secret, row.account_id);
      step = secret === undefined || row.level !== 2 ? undefined : acceptTotp(secret, input.code ?? '', now, row.totp_last_step);
    }
    const fail = async (cause: string): Promise<never> => {
      const { lockedUntil } = await citizenAccountRepository.recordFailure(this.deps.db, row.account_id, lockoutThreshold, new Date(now.getTime() + lockoutMs).toISOString(), at);
      this.emit({ type: 'sign_in.failed', accountId: row.account_id, at, cause });
      if (lockedUntil !== null) this.emit({ type: 'account.locked', accountId: row.account_id, at });
      throw signInFailed();
    };
    if (!checked.ok) return fail('credentials');
    if (input.level === 2 && row.level !== 2) {
      throw new DomainError('forbidden', 'LEVEL2_REQUIRED', 'this service asks for a level 2 account', 'Raise the account to level 2 at the commune police or with the card chip');
    }
    if (wantsCode && step === undefined) return fail('second_factor');
    if (row.status !== 'active') {
      throw new DomainError('forbidden', 'CITIZEN_ACCOUNT_CLOSED', row.status === 'deceased' ? 'the registry records the account holder as deceased' : 'the account is suspended', 'Contact the commune police');
    }
    if (!(await citizenAccountRepository.recordSuccess(this.deps.db, row.account_id, at, step))) return fail('second_factor');
    if (checked.needsRehash) await citizenAccountRepository.update(this.deps.db, row.account_id, { password_hash: await this.deps.hasher.hash(password) });
    this.emit({ type: 'sign_in.succeeded', accountId: row.account_id, at });
    return { account: toAccount({ ...row, last_sign_in_at: at }), level: step === undefined ? 1 : 2 };
  }

  /**
   * Recovery, step 1: a code to the confirmed phone. A number that is not the account's gets the
   * same answer and no code (no hint whether an account or phone exists).
   */
  async startRecovery(input: { readonly idNumber: string; readonly phone: string }): Promise<{ readonly challengeId: string; readonly expiresAt: string }> {
    const phone = normalisePhone(input.phone);
    const row = typeof input.idNumber === 'string' && idNumberPattern.test(input.idNumber) ? await citizenAccountRepository.findByPerson(this.deps.db, input.idNumber) : undefined;
    if (row?.phone !== phone || row.status !== 'active') {
      return { challengeId: randomToken(16), expiresAt: new Date(this.now().getTime() + otpTtlMs).toISOString() };
    }
    return this.issueCode(row.person_id, phone, 'recovery');
  }

  /** Recovery, step 2: a new password; the lock is lifted and every session ends. */
  async completeRecovery(input: { readonly challengeId: string; readonly code: string; readonly newPassword: string }): Promise<CitizenAccount> {
    checkPasswordStrength(typeof input.newPassword === 'string' ? input.newPassword : '', '');
    const passwordHash = await this.deps.hasher.hash(input.newPassword);
    const { personId } = await this.useCode(input.challengeId, input.code, 'recovery');
    const at = this.now().toISOString();
    const row = await this.deps.db.transaction().execute(async (trx) => {
      const current = await citizenAccountRepository.findByPerson(trx, personId);
      if (current === undefined) throw accountNotFound();
      await citizenAccountRepository.update(trx, current.account_id, { password_hash: passwordHash, failed_attempts: 0, locked_until: null, updated_at: at });
      await citizenAccountRepository.revokeSessions(trx, current.account_id, 'recovery', at);
      return current;
    });
    this.emit({ type: 'account.recovered', accountId: row.account_id, at });
    return toAccount({ ...row, failed_attempts: 0, locked_until: null });
  }

  async account(accountId: string): Promise<CitizenAccount> {
    const row = await citizenAccountRepository.findById(this.deps.db, accountId);
    if (row === undefined) throw accountNotFound();
    return toAccount(row);
  }

  async accountOfPerson(personId: string): Promise<CitizenAccount | undefined> {
    const row = await citizenAccountRepository.findByPerson(this.deps.db, personId);
    return row === undefined ? undefined : toAccount(row);
  }

  async attestations(accountId: string): Promise<readonly { readonly method: string; readonly officerId: string | null; readonly at: string }[]> {
    return citizenAccountRepository.attestationsOf(this.deps.db, accountId);
  }

  /**
   * Called by the registry inside the transaction that records a life event: a death closes the
   * account and ends its sessions; a new card re-binds the account to it (the old card's chip no
   * longer counts) and ends the sessions. A throw rolls the event back. Nothing is announced
   * here: the transaction may still roll back (see afterRegistryEvent).
   */
  async onRegistryEvent(trx: CitizenExecutor, event: LifeEvent): Promise<void> {
    if (event.type !== 'death' && event.type !== 'id_issuance') return;
    const row = await citizenAccountRepository.findByPerson(trx, event.personId);
    if (row === undefined) return;
    const at = event.recordedAt;
    if (event.type === 'death') {
      await citizenAccountRepository.update(trx, row.account_id, { status: 'deceased', updated_at: at });
      await citizenAccountRepository.revokeSessions(trx, row.account_id, 'deceased', at);
      return;
    }
    await citizenAccountRepository.update(trx, row.account_id, { card_number: cardOf(event), updated_at: at });
    await citizenAccountRepository.revokeSessions(trx, row.account_id, 'new_card', at);
  }

  /**
   * Called by the registry once a life event's transaction has committed: announces the account
   * closed (account.deceased) or re-bound (account.rebound), so that the provider's sessions end
   * and relying parties are told, only for an event that was really recorded.
   */
  async afterRegistryEvent(event: LifeEvent): Promise<void> {
    if (event.type !== 'death' && event.type !== 'id_issuance') return;
    const row = await citizenAccountRepository.findByPerson(this.deps.db, event.personId);
    if (row === undefined) return;
    if (event.type === 'death' && row.status === 'deceased') this.emit({ type: 'account.deceased', accountId: row.account_id, at: event.recordedAt });
    if (event.type === 'id_issuance' && row.card_number === cardOf(event)) this.emit({ type: 'account.rebound', accountId: row.account_id, at: event.recordedAt });
  }

  // The portal's sessions (cookie id never stored; CSRF token derived from it).

  async openSession(accountId: string, level: 1 | 2, device: string): Promise<{ readonly sessionId: string; readonly sessionRef: string; readonly csrfToken: string }> {
    const now = this.now();
    const sessionId = randomToken(32);
    const sessionRef = randomToken(12);
    await citizenAccountRepository.insertSession(this.deps.db, {
      session_hash: sha256Hex(sessionId), session_ref: sessionRef, account_id: accountId, acr_level: level, device: device.slice(0, 120) || 'unknown',
      created_at: now.toISOString(), last_seen_at: now.toISOString(), absolute_expires_at: new Date(now.getTime() + sessionAbsoluteMs).toISOString(), revoked_at: null, revoked_reason: null,
    });
    return { sessionId, sessionRef, csrfToken: citizenCsrfToken(sessionId) };
  }

  /** The session's account and level; unsafe requests need the CSRF token. */
  async authenticate(sessionId: string, options: { readonly unsafe: boolean; readonly csrfToken?: string | undefined }): Promise<{ readonly account: CitizenAccount; readonly level: 1 | 2; readonly sessionRef: string }> {
    const expired = (): DomainError => new DomainError('unauthorized', 'SESSION_INVALID', 'not signed in, or the session ended', 'Sign in again');
    if (typeof sessionId !== 'string' || sessionId.length > 100) throw expired();
    const now = this.now();
    const hash = sha256Hex(sessionId);
    const session = await citizenAccountRepository.findSession(this.deps.db, hash);
    if (session === undefined || session.revoked_at !== null || session.absolute_expires_at <= now.toISOString() || Date.parse(session.last_seen_at) + sessionIdleMs <= now.getTime()) throw expired();
    if (options.unsafe && !safeEqual(options.csrfToken ?? '', citizenCsrfToken(sessionId))) {
      throw new DomainError('forbidden', 'CSRF_INVALID', 'the request lacks the session\'s CSRF token', 'Reload the page and try again');
    }
    const row = await citizenAccountRepository.findById(this.deps.db, session.account_id);
    if (row?.status !== 'active') throw expired();
    if (now.getTime() - Date.parse(session.last_seen_at) > 60_000) await citizenAccountRepository.touchSession(this.deps.db, hash, now.toISOString());
    return { account: toAccount(row), level: session.acr_level === 2 ? 2 : 1, sessionRef: session.session_ref };
  }

  async listSessions(accountId: string): Promise<readonly { readonly sessionRef: string; readonly device: string; readonly level: number; readonly createdAt: string; readonly lastSeenAt: string }[]> {
    const rows = await citizenAccountRepository.sessionsOf(this.deps.db, accountId, this.now().toISOString());
    return rows.map((r) => ({ sessionRef: r.session_ref, device: r.device, level: r.acr_level, createdAt: r.created_at, lastSeenAt: r.last_seen_at }));
  }

  async revokeSession(accountId: string, sessionRef: string): Promise<void> {
    if ((await citizenAccountRepository.revokeSessions(this.deps.db, accountId, 'revoked', this.now().toISOString(), sessionRef)) === 0) {
      throw new DomainError('not_found', 'SESSION_NOT_FOUND', 'no such open session of yours', 'List your sessions again');
    }
  }

  async signOut(sessionId: string): Promise<void> {
    const session = await citizenAccountRepository.findSession(this.deps.db, sha256Hex(sessionId));
    if (session !== undefined) await citizenAccountRepository.revokeSessions(this.deps.db, session.account_id, 'sign_out', this.now().toISOString(), session.session_ref);
  }
}

function cardOf(event: LifeEvent): string | null {
  const card = event.data.cardNumber;
  return typeof card === 'string' ? card : null;
}

/** The CSRF token of a portal session: bound to it, needs no storage. */
export function citizenCsrfToken(sessionId: string): string {
  return createHmac('sha256', sessionId).update('sachsong citizen csrf v1').digest('base64url');
}
