// For tests and scripts only: officers signed in without the OpenID provider's pages.
import type { Kysely } from 'kysely';
import { Secret, TOTP } from 'otpauth';
import { permissions, type Actor, type Permission, type Role } from '../src/identity/authorization.policy.js';
import { createIdentityModule, type IdentityModule } from '../src/identity/identity.module.js';
import { scryptPasswordHasher } from '../src/identity/password.hasher.js';
import type { UnitInput } from '../src/identity/unit.directory.js';
import { csrfHeaderName, sessionCookieName } from '../src/http/session-cookie.js';
import type { Clock } from '../src/shared/clock.js';
import type { DB } from '../src/store/database.types.js';

/** The identity module with a cheap password hash (scrypt N=2^10): tests sign in many officers. */
export function testIdentity(db: Kysely<DB>, clock: Clock): IdentityModule {
  return createIdentityModule({ db, clock, hasher: scryptPasswordHasher({ params: { ln: 10, r: 8, p: 1 } }) });
}

/** An administrator that exists only as an actor: creates the test officers (created_by names it). */
export const testAdminActor: Actor = { kind: 'officer', id: 'test-setup', role: 'system_admin', unit: { level: 'nation' }, active: true };

export interface SignedInOfficer {
  readonly officerId: string;
  readonly username: string;
  readonly sessionId: string;
  readonly csrfToken: string;
  /** Ready to spread into `app.inject({ headers })` or fetch: the session cookie and the CSRF header. */
  readonly headers: { readonly cookie: string; readonly 'x-csrf-token': string };
}

let counter = 0;
const password = 'correct horse battery staple 2026';

function codeAt(secret: string, ms: number): string {
  return new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate({ timestamp: ms });
}

/**
 * Creates an officer with the role and unit, enrols it (password, and a TOTP code computed from
 * the seed) and signs it in through OfficerAuthService.signIn. The enrolment uses the code of
 * the clock's step, the sign-in the next step's (accepted within ±1 step, and later than the
 * last accepted one), so a frozen clock works.
 *
 * @example
 * const clerk = await signInOfficer(identity, clock, { role: 'registry_clerk', unit: { level: 'commune', code: '00004' } });
 * await app.inject({ method: 'POST', url: '/api/persons', headers: clerk.headers, payload });
 */
export async function signInOfficer(identity: IdentityModule, clock: Clock, options: { readonly role: Role; readonly unit: UnitInput; readonly username?: string }): Promise<SignedInOfficer> {
  counter += 1;
  const username = options.username ?? `test.${options.role.replaceAll('_', '-')}.${String(process.pid)}.${String(counter)}`;
  const { enrolmentToken, officer } = await identity.officers.createOfficer(testAdminActor, { username, displayName: `Cán bộ thử ${String(counter)}`, role: options.role, unit: options.unit });
  const { totpSecret } = await identity.auth.beginEnrolment(enrolmentToken);
  const now = clock.now().getTime();
  await identity.auth.completeEnrolment({ enrolmentToken, password, code: codeAt(totpSecret, now) });
  const signedIn = await identity.auth.signIn({ username, password, code: codeAt(totpSecret, now + 30_000) });
  return {
    officerId: officer.officerId,
    username,
    sessionId: signedIn.sessionId,
    csrfToken: signedIn.csrfToken,
    headers: { cookie: `${sessionCookieName}=${signedIn.sessionId}`, [csrfHeaderName]: signedIn.csrfToken },
  };
}

/** A service account with the scopes and its key as a ready-made Authorization header. */
export async function serviceAccountHeaders(identity: IdentityModule, scopes: readonly Permission[], unit: UnitInput = { level: 'nation' }, validDays = 30): Promise<{ readonly authorization: string; readonly accountId: string }> {
  counter += 1;
  const { account, apiKey } = await identity.serviceAccounts.create(testAdminActor, { name: `script ${String(counter)}`, scopes, unit, validDays });
  return { authorization: `Bearer ${apiKey}`, accountId: account.accountId };
}

/**
 * A service account holding every permission a key may hold (all but identity.admin), for the
 * nation: what the operator token used to be for tests that drive the whole API. Pass `identity`
 * to buildApp so that the app knows the key.
 *
 * @example
 * const keyed = await allScopesKey(database.db, clock);
 * app = await buildApp({ database, clock, operatorToken, logger: false, identity: keyed.identity });
 * await app.inject({ url: '/api/persons/079203012345', headers: keyed.headers });
 */
export async function allScopesKey(db: Kysely<DB>, clock: Clock): Promise<{ readonly identity: IdentityModule; readonly headers: Record<string, string> }> {
  const identity = testIdentity(db, clock);
  const { authorization } = await serviceAccountHeaders(identity, permissions.filter((p) => p !== 'identity.admin'));
  return { identity, headers: { authorization } };
}
