import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import { authorize, isPermission, type Actor, type Permission } from './authorization.policy.js';
import { identityErrors } from './identity.errors.js';
import { newId, randomToken, safeEqual, sha256Hex } from './identity.tokens.js';
import type { IdentityEventSink, ServiceAccount } from './identity.types.js';
import { serviceAccountRepository } from './service-account.repository.js';
import { resolveUnit, type UnitDirectory, type UnitInput } from './unit.directory.js';

/** Scopes a script may never hold: administering identities stays with people. */
export const forbiddenServiceScopes: readonly Permission[] = ['identity.admin'];
export const maxServiceAccountDays = 366;

export interface NewServiceAccountInput {
  readonly name: string;
  readonly scopes: readonly string[];
  readonly unit: UnitInput;
  /** Days until the key expires: 1 to 366. */
  readonly validDays: number;
}

export interface ServiceAccountDeps {
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  readonly units: UnitDirectory;
  readonly onEvent?: IdentityEventSink;
}

// sk_<16 hex key id>_<43 base64url characters of secret>
const keyPattern = /^sk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/**
 * Service accounts for scripts: an API key with scopes (a subset of the permissions, never
 * identity.admin), a unit (their jurisdiction) and an expiry. The key is returned once; only its
 * SHA-256 is stored (a 256-bit random key needs no slow hash).
 *
 * @example
 * const accounts = new ServiceAccountService({ db, clock: systemClock, units: catalogUnitDirectory() });
 * const { apiKey } = await accounts.create(admin, { name: 'nightly export', scopes: ['person.export'], unit: { level: 'province', code: '01' }, validDays: 90 });
 * const { actor } = await accounts.authenticate(apiKey); // then decide(actor, 'person.export', target)
 */
export class ServiceAccountService {
  constructor(private readonly deps: ServiceAccountDeps) {}

  private emit(event: Parameters<IdentityEventSink>[0]): void {
    try {
      this.deps.onEvent?.(event);
    } catch {
      /* the sink reports its own failures */
    }
  }

  /** Creates an account and its key (`sk_…`), shown only in this answer. Needs identity.admin. */
  async create(actor: Actor, input: NewServiceAccountInput): Promise<{ readonly account: ServiceAccount; readonly apiKey: string }> {
    authorize(actor, 'identity.admin');
    const name = input.name.normalize('NFC').trim();
    if (name.length === 0 || name.length > 200 || /\p{Cc}/u.test(name)) {
      throw identityErrors.invalid('NAME_INVALID', 'A service account\'s name has 1 to 200 printable characters', 'Name the script and its owner');
    }
    const scopes = [...new Set(input.scopes)];
    if (scopes.length === 0) throw identityErrors.invalid('SCOPES_INVALID', 'A service account needs at least one scope', 'List the permissions the script needs');
    for (const scope of scopes) {
      if (!isPermission(scope) || forbiddenServiceScopes.includes(scope)) {
        throw identityErrors.invalid('SCOPES_INVALID', `"${scope.slice(0, 40)}" is not a permission a service account may hold`, 'Use permission names such as person.read or reconcile.run; identity.admin is for officers only');
      }
    }
    if (!Number.isInteger(input.validDays) || input.validDays < 1 || input.validDays > maxServiceAccountDays) {
      throw identityErrors.invalid('VALIDITY_INVALID', `A key is valid for 1 to ${maxServiceAccountDays} days`, 'Give the number of days; renew with a new account before it ends');
    }
    const unit = resolveUnit(input.unit, this.deps.units);
    const now = this.deps.clock.now();
    const at = now.toISOString();
    const keyId = randomBytes(8).toString('hex');
    const apiKey = `sk_${keyId}_${randomToken(32)}`;
    const account: ServiceAccount = {
      accountId: newId(), name, scopes: scopes as Permission[], unit, keyId,
      expiresAt: new Date(now.getTime() + input.validDays * 86_400_000).toISOString(),
      status: 'active', revokedAt: null, lastUsedAt: null, createdBy: actor.id, createdAt: at,
    };
    await serviceAccountRepository.insert(this.deps.db, account, sha256Hex(apiKey));
    this.emit({ type: 'service_account.created', accountId: account.accountId, by: actor.id, at });
    return { account, apiKey };
  }

  /**
   * The account of an API key, as an actor for the policy. Throws API_KEY_INVALID for an unknown
   * or wrong key, API_KEY_EXPIRED for a revoked or expired one (only a holder of the key learns that).
   */
  async authenticate(apiKey: string): Promise<{ readonly account: ServiceAccount; readonly actor: Actor }> {
    const m = keyPattern.exec(apiKey);
    if (m === null) throw identityErrors.apiKeyInvalid();
    const found = await serviceAccountRepository.findByKeyId(this.deps.db, m[1] ?? '');
    if (found === undefined || !safeEqual(found.keyHash, sha256Hex(apiKey))) throw identityErrors.apiKeyInvalid();
    const now = this.deps.clock.now();
    const at = now.toISOString();
    const { account } = found;
    if (account.status !== 'active' || account.expiresAt <= at) throw identityErrors.apiKeyExpired();
    // One write a minute per account at most, not one per call.
    if (account.lastUsedAt === null || now.getTime() - Date.parse(account.lastUsedAt) >= 60_000) await serviceAccountRepository.touch(this.deps.db, account.accountId, at);
    return { account, actor: { kind: 'service_account', id: account.accountId, scopes: account.scopes, unit: account.unit, active: true } };
  }

  async revoke(actor: Actor, accountId: string): Promise<ServiceAccount> {
    authorize(actor, 'identity.admin');
    const at = this.deps.clock.now().toISOString();
    await serviceAccountRepository.revoke(this.deps.db, accountId, at);
    const account = await serviceAccountRepository.findById(this.deps.db, accountId);
    if (account === undefined) throw new DomainError('not_found', 'SERVICE_ACCOUNT_NOT_FOUND', 'There is no such service account', 'Check the id in the list of service accounts');
    this.emit({ type: 'service_account.revoked', accountId, by: actor.id, at });
    return account;
  }

  async list(actor: Actor): Promise<readonly ServiceAccount[]> {
    authorize(actor, 'identity.read');
    return serviceAccountRepository.list(this.deps.db);
  }
}
