import * as OTPAuth from 'otpauth';
import type { Actor, Role, Unit } from '../src/identity/authorization.policy.js';
import type { IdentityModule } from '../src/identity/identity.module.js';
import type { UnitInput } from '../src/identity/unit.directory.js';
import type { Clock } from '../src/shared/clock.js';

/** An enrolled officer as a test signs in with it: the password and the authenticator's seed. */
export interface TestOfficer {
  readonly officerId: string;
  readonly username: string;
  readonly displayName: string;
  readonly password: string;
  /** Base32 TOTP seed from the enrolment, for {@link totpCode}. */
  readonly seed: string;
  readonly role: Role;
  readonly unit: Unit;
}

export const testPassword = 'Sông Hồng chảy qua Hà Nội 2026';

/** The 6-digit code an authenticator app shows for this seed at this instant (SHA-1, 30 s). */
export function totpCode(seed: string, at: Date): string {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(seed), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: at.getTime() });
}

/** A clock that tests move forward (each sign-in needs a TOTP step later than the last one accepted). */
export interface MovableClock extends Clock {
  advance(ms: number): void;
}

export function movableClock(start: Date = new Date()): MovableClock {
  let t = start.getTime();
  return { now: () => new Date(t), advance: (ms: number) => { t += ms; } };
}

async function enrol(identity: IdentityModule, clock: MovableClock, enrolmentToken: string): Promise<string> {
  const started = await identity.auth.beginEnrolment(enrolmentToken);
  await identity.auth.completeEnrolment({ enrolmentToken, password: testPassword, code: totpCode(started.totpSecret, clock.now()) });
  // The enrolment used this step's code: the next sign-in needs a later one.
  clock.advance(30_000);
  return started.totpSecret;
}

/**
 * Makes officers through src/identity on a test server's database: the first system
 * administrator (as the bootstrap token would), then officers it creates, each enrolled with
 * {@link testPassword} and a fresh TOTP seed.
 *
 * @example
 * const officers = officerFactory(identity, clock);
 * const reader = await officers.create({ username: 'canbo.tw', displayName: 'Trần Văn Bình', role: 'national_officer', unit: { level: 'nation' } });
 */
export function officerFactory(identity: IdentityModule, clock: MovableClock): { create(input: { readonly username: string; readonly displayName: string; readonly role: Role; readonly unit: UnitInput }): Promise<TestOfficer> } {
  let admin: Promise<Actor> | undefined;
  const firstAdmin = (): Promise<Actor> => {
    admin ??= (async (): Promise<Actor> => {
      const made = await identity.officers.bootstrapFirstAdmin({ username: 'quantri.thu', displayName: 'Quản trị thử' });
      await enrol(identity, clock, made.enrolmentToken);
      return { kind: 'officer', id: made.officer.officerId, role: 'system_admin', unit: { level: 'nation' }, active: true };
    })();
    return admin;
  };
  return {
    async create(input): Promise<TestOfficer> {
      const actor = await firstAdmin();
      const made = await identity.officers.createOfficer(actor, input);
      const seed = await enrol(identity, clock, made.enrolmentToken);
      return { officerId: made.officer.officerId, username: made.officer.username, displayName: input.displayName, password: testPassword, seed, role: input.role, unit: made.officer.unit };
    },
  };
}
