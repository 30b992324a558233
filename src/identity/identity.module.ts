import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import type { DB } from '../store/database.types.js';
import type { IdentityEventSink } from './identity.types.js';
import { OfficerAdminService } from './officer-admin.service.js';
import { OfficerAuthService, type AuthPolicy, type CachedSession } from './officer-auth.service.js';
import { scryptPasswordHasher, type PasswordHasher } from './password.hasher.js';
import { personTiesResolver, type PersonTiesResolver } from './person-ties.js';
import { SessionCache } from './session.cache.js';
import { ServiceAccountService } from './service-account.service.js';
import { aesGcmSealer, plainSealer, type SecretSealer } from './totp-secret.sealer.js';
import { catalogUnitDirectory, type UnitDirectory } from './unit.directory.js';

export interface IdentityDeps {
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  /** Receives sign-in, session and administration events (audit trail, alerts). */
  readonly onEvent?: IdentityEventSink;
  /** 32 bytes that seal TOTP seeds at rest; without it seeds are stored as they are (development). */
  readonly totpSealingKey?: Uint8Array;
  readonly hasher?: PasswordHasher;
  readonly units?: UnitDirectory;
  readonly policy?: Partial<AuthPolicy>;
}

export interface IdentityModule {
  readonly auth: OfficerAuthService;
  readonly officers: OfficerAdminService;
  readonly serviceAccounts: ServiceAccountService;
  /** A person's ties to 2025 units, the jurisdiction target of authorization.policy's decide(). */
  readonly ties: PersonTiesResolver;
}

/**
 * The identity module's services over one store, for the HTTP edge, the CLI and the OpenID
 * provider's account adapter to share.
 *
 * @example
 * const identity = createIdentityModule({ db, clock: systemClock, onEvent: (e) => logger.info({ identity: e }), totpSealingKey });
 * const signedIn = await identity.auth.signIn({ username, password, code });
 */
export function createIdentityModule(deps: IdentityDeps): IdentityModule {
  const units = deps.units ?? catalogUnitDirectory();
  const sealer: SecretSealer = deps.totpSealingKey === undefined ? plainSealer : aesGcmSealer(deps.totpSealingKey);
  const common = { db: deps.db, clock: deps.clock, ...(deps.onEvent === undefined ? {} : { onEvent: deps.onEvent }) };
  const sessions = new SessionCache<CachedSession>(deps.db);
  return {
    auth: new OfficerAuthService({ ...common, hasher: deps.hasher ?? scryptPasswordHasher(), sealer, sessions, ...(deps.policy === undefined ? {} : { policy: deps.policy }) }),
    officers: new OfficerAdminService({ ...common, units, sessions }),
    serviceAccounts: new ServiceAccountService({ ...common, units }),
    ties: personTiesResolver(),
  };
}
