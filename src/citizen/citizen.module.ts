import { randomBytes, type KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AccessLog } from '../audit/access-log.types.js';
import type { OidcAudience } from '../identity/oidc.provider.js';
import type { AudienceInteraction } from '../identity/oidc.interaction.js';
import type { PasswordHasher } from '../identity/password.hasher.js';
import type { Clock } from '../shared/clock.js';
import type { DB } from '../store/database.types.js';
import { CitizenAccountService } from './citizen-account.service.js';
import { citizenAudience } from './citizen-oidc.audience.js';
import { argon2idPasswordHasher } from './citizen-password.hasher.js';
import { citizenInteraction } from './citizen.interaction.js';
import { StoreAttemptLimiter, type AddressLimiter } from './attempt.limiter.js';
import type { CitizenEvent } from './citizen.types.js';
import type { OtpSender } from './otp.sender.js';
import { RelyingPartyService } from './relying-party.service.js';

export interface CitizenModuleDeps {
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  readonly accessLog: AccessLog;
  readonly otp: OtpSender;
  /** Default argon2id at OWASP's cost (tests pass a cheaper one). */
  readonly hasher?: PasswordHasher;
  /** The card issuer's document-signing public keys (simulated: card-chip.verifier.ts). */
  readonly cardIssuerKeys?: readonly KeyObject[];
  readonly onEvent?: (event: CitizenEvent) => void;
}

export interface CitizenModule {
  readonly accounts: CitizenAccountService;
  readonly relyingParties: RelyingPartyService;
  readonly audience: OidcAudience;
  readonly interaction: AudienceInteraction;
  /**
   * Failures per network address, in the store (every node counts them): 20 failed sign-ins in
   * 15 minutes at the provider's form and at the portal each; 10 failures (details that do not
   * match, wrong codes) at activation and recovery.
   */
  readonly addressLimits: { readonly oidcSignIn: AddressLimiter; readonly portalSignIn: AddressLimiter; readonly codes: AddressLimiter };
}

/** The pairwise salt, made once by whichever node starts first (the provider's key table). */
export async function loadPairwiseSalt(db: Kysely<DB>, at: string): Promise<string> {
  return loadStoredSecret(db, 'citizen-pairwise-1', 'citizen-pairwise', at);
}

/** A secret of the store's, made once by whichever node starts first (the provider's key table). */
async function loadStoredSecret(db: Kysely<DB>, keyId: string, purpose: string, at: string): Promise<string> {
  await db.insertInto('oidc_keys').values({ key_id: keyId, purpose, secret: randomBytes(32).toString('base64url'), created_at: at })
    .onConflict((oc) => oc.column('key_id').doNothing()).execute();
  const row = await db.selectFrom('oidc_keys').select('secret').where('key_id', '=', keyId).executeTakeFirstOrThrow();
  return row.secret;
}

/**
 * Citizens' e-ID: accounts, relying parties, and the provider's second audience with its
 * interaction (sign-in, step-up, consent).
 *
 * @example
 * const citizen = createCitizenModule({ db, clock, accessLog, otp: fileOtpSender('/var/tmp/otp.jsonl') });
 */
export function createCitizenModule(deps: CitizenModuleDeps): CitizenModule {
  const accounts = new CitizenAccountService({
    db: deps.db, clock: deps.clock, hasher: deps.hasher ?? argon2idPasswordHasher(), otp: deps.otp,
    ...(deps.cardIssuerKeys === undefined ? {} : { cardIssuerKeys: deps.cardIssuerKeys }),
    ...(deps.onEvent === undefined ? {} : { onEvent: deps.onEvent }),
  });
  const relyingParties = new RelyingPartyService({ db: deps.db, clock: deps.clock });
  let salt: Promise<string> | undefined;
  const pairwiseSalt = (): Promise<string> => {
    salt ??= loadPairwiseSalt(deps.db, deps.clock.now().toISOString());
    salt.catch(() => { salt = undefined; });
    return salt;
  };
  const audience = citizenAudience({ db: deps.db, clock: deps.clock, accounts, relyingParties, accessLog: deps.accessLog, pairwiseSalt });
  let addressKey: Promise<string> | undefined;
  const addressSecret = (): Promise<string> => {
    addressKey ??= loadStoredSecret(deps.db, 'citizen-address-1', 'citizen-address', deps.clock.now().toISOString());
    addressKey.catch(() => { addressKey = undefined; });
    return addressKey;
  };
  const limiter = (scope: string, limit: number): AddressLimiter =>
    new StoreAttemptLimiter({ db: deps.db, scope, limit, windowMs: 15 * 60_000, secret: addressSecret, now: () => deps.clock.now().getTime() });
  const addressLimits = { oidcSignIn: limiter('oidc-sign-in', 20), portalSignIn: limiter('portal-sign-in', 20), codes: limiter('codes', 10) };
  const interaction = citizenInteraction({ db: deps.db, accounts, relyingParties, addressLimiter: addressLimits.oidcSignIn });
  return { accounts, relyingParties, audience, interaction, addressLimits };
}
