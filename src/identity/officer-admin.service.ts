import { adminActionRepository, type AdminAction } from '../audit/admin-action.repository.js';
import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import type { DB } from '../store/database.types.js';
import { authorize, isRole, roleFitsUnit, type Actor, type Role } from './authorization.policy.js';
import { identityErrors } from './identity.errors.js';
import { newId, randomToken, sha256Hex } from './identity.tokens.js';
import type { IdentityEventSink, Officer, OfficerStatus } from './identity.types.js';
import { normaliseUsername } from './officer-auth.service.js';
import { bootstrapRepository, officerRepository } from './officer.repository.js';
import { sessionRepository } from './session.repository.js';
import { resolveUnit, type UnitDirectory, type UnitInput } from './unit.directory.js';

export interface NewOfficerInput {
  readonly username: string;
  readonly displayName: string;
  readonly role: Role;
  readonly unit: UnitInput;
}

/** A created account (or a reset second factor) and its one-time enrolment token, shown once. */
export interface Enrolment {
  readonly officer: Officer;
  /** Hand this to the officer (a link); only its hash is stored. */
  readonly enrolmentToken: string;
  readonly enrolmentExpiresAt: string;
}

export interface AdminServiceDeps {
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  readonly units: UnitDirectory;
  readonly onEvent?: IdentityEventSink;
  /** How long an enrolment token stays valid; 72 hours by default. */
  readonly enrolmentTtlMs?: number;
  /** The process's cache of authenticated sessions, emptied at once by a change made here. */
  readonly sessions?: { invalidate(): void };
}

/** A unique index refused the row (SQLite or PostgreSQL). */
function isUniqueViolation(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}

const usernamePattern = /^[a-z0-9][a-z0-9._-]{2,63}$/;
// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const controlCharacters = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * Officer accounts: the first administrator (bootstrap token, once), then creation with a
 * one-time enrolment, suspension, role and unit changes, second-factor resets and lists. Every
 * call but the bootstrap takes the acting officer and needs `identity.admin` (`identity.read`
 * for lists). Changes that alter what an officer may do end their open sessions.
 *
 * @example
 * const admin = new OfficerAdminService({ db, clock: systemClock, units: catalogUnitDirectory() });
 * const first = await admin.bootstrapFirstAdmin({ username: 'quantri', displayName: 'Quản trị hệ thống' }); // once, with the operator token
 * const { enrolmentToken } = await admin.createOfficer(actor, { username: 'nguyenvana', displayName: 'Nguyễn Văn A', role: 'commune_officer', unit: { level: 'commune', code: '00004' } });
 */
export class OfficerAdminService {
  private readonly ttlMs: number;

  constructor(private readonly deps: AdminServiceDeps) {
    this.ttlMs = deps.enrolmentTtlMs ?? 72 * 3_600_000;
  }

  private emit(event: Parameters<IdentityEventSink>[0]): void {
    try {
      this.deps.onEvent?.(event);
    } catch {
      /* the sink reports its own failures */
    }
  }

  private checkInput(input: NewOfficerInput): { readonly username: string; readonly displayName: string } {
    const username = normaliseUsername(input.username);
    if (!usernamePattern.test(username)) {
      throw identityErrors.invalid('USERNAME_INVALID', 'A user name has 3 to 64 characters: a-z, 0-9, dot, dash, underscore', 'Choose a user name such as nguyenvana or an.nguyen');
    }
    const displayName = input.displayName.normalize('NFC').trim();
    if (displayName.length === 0 || displayName.length > 200 || controlCharacters.test(displayName)) {
      throw identityErrors.invalid('DISPLAY_NAME_INVALID', 'A display name has 1 to 200 printable characters', 'Give the officer\'s full name');
    }
    if (!isRole(input.role)) throw identityErrors.invalid('ROLE_INVALID', 'There is no such role', 'Choose one of the roles listed in the console');
    return { username, displayName };
  }

  private checkRoleUnit(role: Role, unitInput: UnitInput): ReturnType<typeof resolveUnit> {
    const unit = resolveUnit(unitInput, this.deps.units);
    if (!roleFitsUnit(role, unit)) {
      throw identityErrors.invalid('ROLE_UNIT_MISMATCH', `The role ${role} cannot be given a ${unit.level} unit`, 'Clerks and commune officers belong to a commune, province officers to a province, national officers and administrators to the nation');
    }
    return unit;
  }

  /**
   * Creates the first system administrator. For the operator (bootstrap) token only, and only
   * while no system administrator exists: afterwards BOOTSTRAP_CLOSED, on any node.
   */
  async bootstrapFirstAdmin(input: { readonly username: string; readonly displayName: string }): Promise<Enrolment> {
    const checked = this.checkInput({ ...input, role: 'system_admin', unit: { level: 'nation' } });
    const now = this.deps.clock.now();
    const at = now.toISOString();
    const token = randomToken(32);
    const officerId = newId();
    const expiresAt = new Date(now.getTime() + this.ttlMs).toISOString();
    await this.deps.db.transaction().execute(async (trx) => {
      if ((await bootstrapRepository.done(trx)) || (await officerRepository.anyWithRole(trx, 'system_admin'))) throw identityErrors.bootstrapClosed();
      if (await officerRepository.usernameTaken(trx, checked.username)) throw identityErrors.usernameTaken();
      await officerRepository.insert(trx, { officerId, ...checked, role: 'system_admin', unit: { level: 'nation' }, enrolmentHash: sha256Hex(token), enrolmentExpiresAt: expiresAt, createdBy: 'bootstrap', at });
      // Two nodes racing: the second one's mark fails and its transaction (with its officer) rolls back.
      if (!(await bootstrapRepository.mark(trx, officerId, at))) throw identityErrors.bootstrapClosed();
    });
    this.emit({ type: 'officer.created', officerId, role: 'system_admin', by: 'bootstrap', at });
    return { officer: await this.mustFind(officerId), enrolmentToken: token, enrolmentExpiresAt: expiresAt };
  }

  /** Whether the bootstrap token can still be used (no system administrator yet). */
  async bootstrapOpen(): Promise<boolean> {
    return !(await bootstrapRepository.done(this.deps.db)) && !(await officerRepository.anyWithRole(this.deps.db, 'system_admin'));
  }

  /** Creates an officer; they enrol (password + authenticator) with the returned one-time token. */
  async createOfficer(actor: Actor, input: NewOfficerInput): Promise<Enrolment> {
    authorize(actor, 'identity.admin');
    const checked = this.checkInput(input);
    const unit = this.checkRoleUnit(input.role, input.unit);
    const now = this.deps.clock.now();
    const at = now.toISOString();
    const token = randomToken(32);
    const officerId = newId();
    const expiresAt = new Date(now.getTime() + this.ttlMs).toISOString();
    await this.deps.db.transaction().execute(async (trx) => {
      if (await officerRepository.usernameTaken(trx, checked.username)) throw identityErrors.usernameTaken();
      await officerRepository.insert(trx, { officerId, ...checked, role: input.role, unit, enrolmentHash: sha256Hex(token), enrolmentExpiresAt: expiresAt, createdBy: actor.id, at });
    }).catch((error: unknown) => {
      // Two admins creating one user name at once: the unique index answers.
      throw isUniqueViolation(error) ? identityErrors.usernameTaken() : error;
    });
    this.emit({ type: 'officer.created', officerId, role: input.role, by: actor.id, at });
    return { officer: await this.mustFind(officerId), enrolmentToken: token, enrolmentExpiresAt: expiresAt };
  }

  /** Suspends an officer (they can no longer sign in) and ends their sessions. */
  async suspend(actor: Actor, officerId: string): Promise<Officer> {
    return this.setStatus(actor, officerId, 'suspended');
  }

  async reactivate(actor: Actor, officerId: string): Promise<Officer> {
    return this.setStatus(actor, officerId, 'active');
  }

  private async setStatus(actor: Actor, officerId: string, status: OfficerStatus): Promise<Officer> {
    authorize(actor, 'identity.admin');
    if (actor.id === officerId) throw identityErrors.selfChange();
    const at = this.deps.clock.now().toISOString();
    await this.deps.db.transaction().execute(async (trx) => {
      const target = await officerRepository.findById(trx, officerId);
      if (target === undefined) throw identityErrors.officerNotFound();
      if (status === 'suspended' && target.role === 'system_admin') await this.keepOneAdmin(trx, officerId);
      await officerRepository.setStatus(trx, officerId, status, at);
      if (status === 'suspended') await sessionRepository.revokeAllForOfficer(trx, officerId, 'suspended', at);
      await adminActionRepository.record(trx, { at, actorId: actor.id, action: status === 'suspended' ? 'officer.suspended' : 'officer.reactivated', subject: officerId, detail: {} });
    });
    this.deps.sessions?.invalidate();
    this.emit({ type: 'officer.changed', officerId, change: status === 'suspended' ? 'suspended' : 'reactivated', by: actor.id, at });
    return this.mustFind(officerId);
  }

  private async keepOneAdmin(trx: Parameters<typeof officerRepository.list>[0], leaving: string): Promise<void> {
    const others = (await officerRepository.list(trx, { role: 'system_admin', status: 'active' })).filter((o) => o.officerId !== leaving);
    if (others.length === 0) throw identityErrors.lastAdmin();
  }

  /** Gives an officer another role and/or unit; their sessions end (their rights changed). */
  async changeRole(actor: Actor, officerId: string, role: Role, unitInput: UnitInput): Promise<Officer> {
    authorize(actor, 'identity.admin');
    if (actor.id === officerId) throw identityErrors.selfChange();
    if (!isRole(role)) throw identityErrors.invalid('ROLE_INVALID', 'There is no such role', 'Choose one of the roles listed in the console');
    const unit = this.checkRoleUnit(role, unitInput);
    const at = this.deps.clock.now().toISOString();
    const change = await this.deps.db.transaction().execute(async (trx) => {
      const target = await officerRepository.findById(trx, officerId);
      if (target === undefined) throw identityErrors.officerNotFound();
      if (target.role === 'system_admin' && role !== 'system_admin') await this.keepOneAdmin(trx, officerId);
      await officerRepository.setRoleAndUnit(trx, officerId, role, unit, at);
      await sessionRepository.revokeAllForOfficer(trx, officerId, 'role_changed', at);
      await adminActionRepository.record(trx, {
        at, actorId: actor.id, action: 'officer.role_changed', subject: officerId,
        detail: { fromRole: target.role, role, unitLevel: unit.level, ...('code' in unit ? { unitCode: unit.code } : {}) },
      });
      return target.role === role ? 'unit' : 'role';
    });
    this.deps.sessions?.invalidate();
    this.emit({ type: 'officer.changed', officerId, change, by: actor.id, at });
    return this.mustFind(officerId);
  }

  /**
   * Resets an officer's second factor (lost phone): the authenticator is cleared, their sessions
   * end, and a new one-time enrolment token is returned; they enrol again (password and app).
   */
  async resetSecondFactor(actor: Actor, officerId: string): Promise<Enrolment> {
    authorize(actor, 'identity.admin');
    if (actor.id === officerId) throw identityErrors.selfChange();
    const now = this.deps.clock.now();
    const at = now.toISOString();
    const token = randomToken(32);
    const expiresAt = new Date(now.getTime() + this.ttlMs).toISOString();
    await this.deps.db.transaction().execute(async (trx) => {
      if (!(await officerRepository.resetEnrolment(trx, officerId, sha256Hex(token), expiresAt, at))) throw identityErrors.officerNotFound();
      await sessionRepository.revokeAllForOfficer(trx, officerId, 'second_factor_reset', at);
      await adminActionRepository.record(trx, { at, actorId: actor.id, action: 'officer.second_factor_reset', subject: officerId, detail: {} });
    });
    this.deps.sessions?.invalidate();
    this.emit({ type: 'officer.changed', officerId, change: 'second_factor_reset', by: actor.id, at });
    return { officer: await this.mustFind(officerId), enrolmentToken: token, enrolmentExpiresAt: expiresAt };
  }

  /** Ends an account's lockout before its 15 minutes (the officer called the help desk). */
  async unlock(actor: Actor, officerId: string): Promise<Officer> {
    authorize(actor, 'identity.admin');
    const at = this.deps.clock.now().toISOString();
    await this.deps.db.transaction().execute(async (trx) => {
      if (!(await officerRepository.unlock(trx, officerId, at))) throw identityErrors.officerNotFound();
      await adminActionRepository.record(trx, { at, actorId: actor.id, action: 'officer.unlocked', subject: officerId, detail: {} });
    });
    this.emit({ type: 'officer.changed', officerId, change: 'unlocked', by: actor.id, at });
    return this.mustFind(officerId);
  }

  /** Officers by user name, optionally of one role or status (`identity.read`). */
  async list(actor: Actor, filter: { readonly role?: Role; readonly status?: OfficerStatus } = {}): Promise<readonly Officer[]> {
    authorize(actor, 'identity.read');
    return officerRepository.list(this.deps.db, filter);
  }

  /**
   * Officers' display names by id, for any signed-in actor: pages that show who acted (alerts,
   * a task's history and comments) show a name, not an id. Names only: no role, unit or status.
   */
  async names(officerIds: readonly string[]): Promise<readonly { readonly officerId: string; readonly displayName: string }[]> {
    return officerRepository.displayNames(this.deps.db, [...new Set(officerIds)]);
  }

  async get(actor: Actor, officerId: string): Promise<Officer> {
    authorize(actor, 'identity.read');
    return this.mustFind(officerId);
  }

  /** What administrators did to an officer (role, second factor, status), oldest first. */
  async history(actor: Actor, officerId: string): Promise<readonly AdminAction[]> {
    authorize(actor, 'identity.read');
    await this.mustFind(officerId);
    return adminActionRepository.forSubject(this.deps.db, officerId);
  }

  private async mustFind(officerId: string): Promise<Officer> {
    const officer = await officerRepository.findById(this.deps.db, officerId);
    if (officer === undefined) throw identityErrors.officerNotFound();
    return officer;
  }
}
