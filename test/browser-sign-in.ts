import type { Kysely } from 'kysely';
import type { Page } from 'playwright-core';
import type { Role } from '../src/identity/authorization.policy.js';
import { createIdentityModule, type IdentityModule } from '../src/identity/identity.module.js';
import { scryptPasswordHasher } from '../src/identity/password.hasher.js';
import type { UnitInput } from '../src/identity/unit.directory.js';
import type { DB } from '../src/store/database.types.js';
import { movableClock, officerFactory, totpCode, type MovableClock, type TestOfficer } from './officer-accounts.js';

/**
 * Officers for browser tests: an identity module over the test server's store (a cheap password
 * hash, a clock that moves one TOTP step per sign-in), and the sign-in through the console's
 * button, the identity provider's form (user name, password, code from the seed) and back.
 *
 * @example
 * const officers = browserOfficers();
 * server = await startTestServer({ identity: officers.bind });
 * const reader = await officers.create('national_officer');
 * await signInInBrowser(page, server.url, officers, reader);
 */
export interface BrowserOfficers {
  /** Builds the identity module over the server's store; pass it to buildApp (or startTestServer). */
  readonly bind: (db: Kysely<DB>) => IdentityModule;
  readonly clock: MovableClock;
  identity(): IdentityModule;
  create(role: Role, unit?: UnitInput, displayName?: string): Promise<TestOfficer>;
}

let counter = 0;

export function browserOfficers(): BrowserOfficers {
  const clock = movableClock();
  let module: IdentityModule | undefined;
  let factory: ReturnType<typeof officerFactory> | undefined;
  const identity = (): IdentityModule => {
    if (module === undefined) throw new Error('browserOfficers: bind() was not called with the server\'s store');
    return module;
  };
  return {
    clock,
    bind: (db) => {
      module = createIdentityModule({ db, clock, hasher: scryptPasswordHasher({ params: { ln: 10, r: 8, p: 1 } }) });
      factory = officerFactory(module, clock);
      return module;
    },
    identity,
    async create(role, unit = { level: 'nation' }, displayName = 'Trần Thị Bích Ngọc'): Promise<TestOfficer> {
      identity();
      counter += 1;
      if (factory === undefined) throw new Error('browserOfficers: not bound');
      return factory.create({ username: `canbo.${role.replaceAll('_', '-')}.${String(counter)}`, displayName, role, unit });
    },
  };
}

/** Officers over an identity module a test already has (an app built with its own `identity`), on the clock it runs on. */
export function officersOf(identity: IdentityModule, clock: MovableClock): BrowserOfficers {
  const factory = officerFactory(identity, clock);
  return {
    clock,
    bind: () => identity,
    identity: () => identity,
    async create(role, unit = { level: 'nation' }, displayName = 'Trần Thị Bích Ngọc'): Promise<TestOfficer> {
      counter += 1;
      return factory.create({ username: `canbo.${role.replaceAll('_', '-')}.${String(counter)}`, displayName, role, unit });
    },
  };
}

/** Fills the identity provider's form (the page must be on it) and submits; `code` defaults to the next step's right code. */
export async function submitSignInForm(page: Page, officers: BrowserOfficers, officer: TestOfficer, code?: string): Promise<void> {
  await page.getByTestId('sign-in-username').fill(officer.username);
  await page.getByTestId('sign-in-password').fill(officer.password);
  officers.clock.advance(30_000);
  await page.getByTestId('sign-in-code').fill(code ?? totpCode(officer.seed, officers.clock.now()));
  await page.getByTestId('sign-in-submit').click();
}

/** Opens the console at `path` (a hash route), signs in through the identity provider and waits for the console. */
export async function signInInBrowser(page: Page, baseUrl: string, officers: BrowserOfficers, officer: TestOfficer, path = '/'): Promise<void> {
  await page.goto(`${baseUrl}${path}`);
  await page.getByTestId('sign-in-start').click();
  await page.waitForURL(/\/oidc\/interaction\//);
  await submitSignInForm(page, officers, officer);
  await page.getByTestId('officer-name').waitFor();
}

/** Headers of a console session opened through src/identity (for a test's direct API calls beside the browser). */
export async function apiSession(officers: BrowserOfficers, officer: TestOfficer): Promise<{ readonly cookie: string; readonly 'x-csrf-token': string }> {
  officers.clock.advance(30_000);
  const signedIn = await officers.identity().auth.signIn({ username: officer.username, password: officer.password, code: totpCode(officer.seed, officers.clock.now()) });
  return { cookie: `sachsong_session=${signedIn.sessionId}`, 'x-csrf-token': signedIn.csrfToken };
}
