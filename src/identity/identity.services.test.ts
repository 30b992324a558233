import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects } from '../../test/test-database.js';
import type { Clock } from '../shared/clock.js';
import { isDomainError } from '../shared/domain-error.js';
import type { Database } from '../store/database.js';
import type { Actor } from './authorization.policy.js';
import type { IdentityEvent } from './identity.types.js';
import { OfficerAdminService } from './officer-admin.service.js';
import { OfficerAuthService } from './officer-auth.service.js';
import { scryptPasswordHasher, type PasswordHasher } from './password.hasher.js';
import { ServiceAccountService } from './service-account.service.js';
import { aesGcmSealer } from './totp-secret.sealer.js';
import { totpCodeAt } from './totp.verifier.js';
import type { UnitDirectory } from './unit.directory.js';

const minute = 60_000;
const units: UnitDirectory = {
  provinceOfCommune: (code) => ({ '00004': '01', '00008': '01', '26737': '79' } as Record<string, string | undefined>)[code],
  provinceExists: (code) => ['01', '79'].includes(code),
};
const password = 'Sông Hồng chảy qua Hà Nội';

/** A clock the test moves. */
function movableClock(start: string): Clock & { advance(ms: number): void; set(iso: string): void } {
  let t = Date.parse(start);
  return { now: () => new Date(t), advance: (ms) => { t += ms; }, set: (iso) => { t = Date.parse(iso); } };
}

/** The error a call throws (its code), or 'no error'. */
async function codeOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
    return 'no error';
  } catch (error) {
    return isDomainError(error) ? error.code : `not a domain error: ${String(error)}`;
  }
}

/** Counts hashes and dummy verifications around a cheap real hasher. */
function countingHasher(inner: PasswordHasher): PasswordHasher & { readonly counts: { hash: number; verify: number; dummy: number } } {
  const counts = { hash: 0, verify: 0, dummy: 0 };
  return {
    counts,
    hash: (p) => { counts.hash++; return inner.hash(p); },
    verify: (p, s) => { counts.verify++; return inner.verify(p, s); },
    dummyVerify: (p) => { counts.dummy++; return inner.dummyVerify(p); },
  };
}

for (const dialect of dialects) {
  describe(`identity services on ${dialect}`, () => {
    let store: Database;
    const clock = movableClock('2026-12-04T08:00:05Z');
    const events: IdentityEvent[] = [];
    const sealer = aesGcmSealer(randomBytes(32));
    const hasher = countingHasher(scryptPasswordHasher({ params: { ln: 10, r: 8, p: 1 } }));
    let auth: OfficerAuthService;
    let admin: OfficerAdminService;
    let accounts: ServiceAccountService;
    let root: Actor;

    /** Enrols an officer with a token; returns their TOTP seed. The clock moves a step after, so the next code is fresh. */
    async function enrol(token: string, pass = password): Promise<string> {
      const start = await auth.beginEnrolment(token);
      await auth.completeEnrolment({ enrolmentToken: token, password: pass, code: totpCodeAt(start.totpSecret, clock.now()) });
      clock.advance(30_000);
      return start.totpSecret;
    }

    async function signIn(username: string, secret: string): Promise<Awaited<ReturnType<OfficerAuthService['signIn']>>> {
      const result = await auth.signIn({ username, password, code: totpCodeAt(secret, clock.now()) });
      clock.advance(30_000); // the next sign-in needs the next step's code
      return result;
    }

    async function newOfficer(username: string, role: Parameters<OfficerAdminService['createOfficer']>[1]['role'], unit: Parameters<OfficerAdminService['createOfficer']>[1]['unit']): Promise<{ officerId: string; secret: string }> {
      const created = await admin.createOfficer(root, { username, displayName: `Cán bộ ${username}`, role, unit });
      return { officerId: created.officer.officerId, secret: await enrol(created.enrolmentToken) };
    }

    beforeAll(async () => {
      store = await createTestDatabase(dialect);
      const deps = { db: store.db, clock, onEvent: (e: IdentityEvent) => events.push(e) };
      auth = new OfficerAuthService({ ...deps, hasher, sealer });
      admin = new OfficerAdminService({ ...deps, units });
      accounts = new ServiceAccountService({ ...deps, units });
    });
    afterAll(async () => {
      await store.close();
    });

    it('bootstraps the first system administrator once, then refuses', async () => {
      expect(await admin.bootstrapOpen()).toBe(true);
      const first = await admin.bootstrapFirstAdmin({ username: 'QuanTri', displayName: 'Quản trị' });
      expect(first.officer).toMatchObject({ username: 'quantri', role: 'system_admin', unit: { level: 'nation' }, createdBy: 'bootstrap', enrolled: false, enrolmentPending: true });
      expect(first.enrolmentToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await admin.bootstrapOpen()).toBe(false);
      expect(await codeOf(admin.bootstrapFirstAdmin({ username: 'quantri2', displayName: 'Quản trị 2' }))).toBe('BOOTSTRAP_CLOSED');
      // Concurrent attempts: all refused, no second administrator.
      const racing = await Promise.all([1, 2, 3].map((n) => codeOf(admin.bootstrapFirstAdmin({ username: `race${n}`, displayName: 'x' }))));
      expect(racing).toEqual(['BOOTSTRAP_CLOSED', 'BOOTSTRAP_CLOSED', 'BOOTSTRAP_CLOSED']);
      const secret = await enrol(first.enrolmentToken);
      const signedIn = await signIn('quantri', secret);
      root = (await auth.authenticate(signedIn.sessionId, { unsafe: false })).actor;
      expect(root).toMatchObject({ kind: 'officer', role: 'system_admin', active: true });
    });

    it('creates an officer whose account signs in only after enrolment (password + first valid code)', async () => {
      const created = await admin.createOfficer(root, { username: 'nguyenvana', displayName: 'Nguyễn Văn A', role: 'commune_officer', unit: { level: 'commune', code: '00004' } });
      expect(created.officer).toMatchObject({ unit: { level: 'commune', code: '00004', province: '01' }, enrolled: false, createdBy: root.id });
      expect(await codeOf(auth.signIn({ username: 'nguyenvana', password, code: '000000' }))).toBe('SIGN_IN_FAILED');
      expect(await codeOf(auth.completeEnrolment({ enrolmentToken: created.enrolmentToken, password, code: '123456' }))).toBe('ENROLMENT_NOT_STARTED');
      const start = await auth.beginEnrolment(created.enrolmentToken);
      expect(start.otpauthUri).toContain('nguyenvana');
      expect(await codeOf(auth.completeEnrolment({ enrolmentToken: created.enrolmentToken, password: '123456789012', code: totpCodeAt(start.totpSecret, clock.now()) }))).toBe('PASSWORD_WEAK');
      const wrong = totpCodeAt(start.totpSecret, new Date(clock.now().getTime() + 10 * minute));
      expect(await codeOf(auth.completeEnrolment({ enrolmentToken: created.enrolmentToken, password, code: wrong }))).toBe('TOTP_INVALID');
      const officer = await auth.completeEnrolment({ enrolmentToken: created.enrolmentToken, password, code: totpCodeAt(start.totpSecret, clock.now()) });
      expect(officer).toMatchObject({ enrolled: true, enrolmentPending: false });
      // The token is used up.
      expect(await codeOf(auth.beginEnrolment(created.enrolmentToken))).toBe('ENROLMENT_INVALID');
      // The code that confirmed enrolment cannot sign in (same step); the next step's can.
      expect(await codeOf(auth.signIn({ username: 'nguyenvana', password, code: totpCodeAt(start.totpSecret, clock.now()) }))).toBe('SIGN_IN_FAILED');
      clock.advance(30_000);
      const signedIn = await signIn('NguyenVanA ', start.totpSecret);
      expect(signedIn.officer.officerId).toBe(created.officer.officerId);
      expect(signedIn.sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(events.at(-1)).toMatchObject({ type: 'sign_in.succeeded', officerId: created.officer.officerId });
    });

    it('refuses an enrolment token after it expires (72 h)', async () => {
      const created = await admin.createOfficer(root, { username: 'tremuon', displayName: 'Trễ Muộn', role: 'auditor', unit: { level: 'nation' } });
      clock.advance(72 * 60 * minute);
      expect(await codeOf(auth.beginEnrolment(created.enrolmentToken))).toBe('ENROLMENT_INVALID');
    });

    it('says SIGN_IN_FAILED for every wrong part, and hashes even for unknown users', async () => {
      const { secret } = await newOfficer('tranthib', 'province_officer', { level: 'province', code: '01' });
      const good = (): string => totpCodeAt(secret, clock.now());
      const before = { ...hasher.counts };
      expect(await codeOf(auth.signIn({ username: 'khongcoai', password, code: good() }))).toBe('SIGN_IN_FAILED');
      expect(hasher.counts.dummy).toBe(before.dummy + 1);
      expect(await codeOf(auth.signIn({ username: 'tranthib', password: `${password}!`, code: good() }))).toBe('SIGN_IN_FAILED');
      expect(await codeOf(auth.signIn({ username: 'tranthib', password, code: totpCodeAt(secret, new Date(clock.now().getTime() - 5 * minute)) }))).toBe('SIGN_IN_FAILED');
      expect(await codeOf(auth.signIn({ username: 'tranthib', password, code: 'abcdef' }))).toBe('SIGN_IN_FAILED');
      // Events name the cause for auditors but never carry the password or the code.
      const failed = events.flatMap((e) => (e.type === 'sign_in.failed' ? [e.cause] : [])).slice(-4);
      expect(failed).toEqual(['unknown_user', 'credentials', 'second_factor', 'second_factor']);
      expect(JSON.stringify(events)).not.toContain(password);
      expect(JSON.stringify(events)).not.toContain('khongcoai');
      // Three failures so far: a success clears the count.
      await signIn('tranthib', secret);
    });

    it('locks an account for 15 minutes after 5 failures in a row, then lets it in again', async () => {
      const { officerId, secret } = await newOfficer('lethic', 'national_officer', { level: 'nation' });
      for (let i = 0; i < 4; i++) expect(await codeOf(auth.signIn({ username: 'lethic', password: 'not the password', code: '000000' }))).toBe('SIGN_IN_FAILED');
      expect(await codeOf(auth.signIn({ username: 'lethic', password: 'not the password', code: '000000' }))).toBe('ACCOUNT_LOCKED');
      expect(events.some((e) => e.type === 'account.locked' && e.officerId === officerId)).toBe(true);
      // Even the right credentials are refused while locked, with the time to retry.
      const locked = await auth.signIn({ username: 'lethic', password, code: totpCodeAt(secret, clock.now()) }).catch((e: unknown) => e);
      expect(isDomainError(locked) && locked.code === 'ACCOUNT_LOCKED' && locked.details?.retryAt === new Date(clock.now().getTime() + 15 * minute).toISOString()).toBe(true);
      clock.advance(14 * minute);
      expect(await codeOf(auth.signIn({ username: 'lethic', password, code: totpCodeAt(secret, clock.now()) }))).toBe('ACCOUNT_LOCKED');
      clock.advance(minute + 1000);
      await signIn('lethic', secret);
      // The count started again: four more failures do not lock.
      for (let i = 0; i < 4; i++) expect(await codeOf(auth.signIn({ username: 'lethic', password: 'not the password', code: '000000' }))).toBe('SIGN_IN_FAILED');
      await signIn('lethic', secret);
    });

    it('refuses a right guess that was waiting for its hash while concurrent failures locked the account', async () => {
      const { secret } = await newOfficer('songsong', 'auditor', { level: 'nation' });
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => { release = resolve; });
      let first = true;
      const slow: PasswordHasher = {
        hash: (p) => hasher.hash(p),
        dummyVerify: (p) => hasher.dummyVerify(p),
        verify: async (p, stored) => {
          // Only the right guess waits (on PostgreSQL a failure's lookup may come back before it).
          if (first && p === password) {
            first = false;
            await gate; // the right guess waits in the hash queue
          }
          return hasher.verify(p, stored);
        },
      };
      const racing = new OfficerAuthService({ db: store.db, clock, hasher: slow, sealer });
      const right = codeOf(racing.signIn({ username: 'songsong', password, code: totpCodeAt(secret, clock.now()) }));
      for (let i = 0; i < 5; i++) await codeOf(racing.signIn({ username: 'songsong', password: 'wrong password!', code: '000000' }));
      release();
      expect(await right).toBe('ACCOUNT_LOCKED');
      clock.advance(16 * minute);
    });

    it('lets an administrator unlock an account before its 15 minutes', async () => {
      const { officerId, secret } = await newOfficer('mokhoa', 'auditor', { level: 'nation' });
      for (let i = 0; i < 5; i++) await codeOf(auth.signIn({ username: 'mokhoa', password: 'wrong password!', code: '000000' }));
      expect(await codeOf(auth.signIn({ username: 'mokhoa', password, code: totpCodeAt(secret, clock.now()) }))).toBe('ACCOUNT_LOCKED');
      expect((await admin.unlock(root, officerId)).lockedUntil).toBeNull();
      await signIn('mokhoa', secret);
    });

    it('changes a password with the current one, ending the officer\'s other sessions', async () => {
      const { secret } = await newOfficer('doimk', 'auditor', { level: 'nation' });
      const here = await signIn('doimk', secret);
      const elsewhere = await signIn('doimk', secret);
      const session = await auth.authenticate(here.sessionId, { unsafe: true, csrfToken: here.csrfToken });
      expect(await codeOf(auth.changePassword(session, { currentPassword: 'not the password', newPassword: 'Một mật khẩu mới dài' }))).toBe('SIGN_IN_FAILED');
      expect(await codeOf(auth.changePassword(session, { currentPassword: password, newPassword: 'matkhau123456' }))).toBe('PASSWORD_WEAK');
      await auth.changePassword(session, { currentPassword: password, newPassword: 'Một mật khẩu mới dài' });
      expect(await codeOf(auth.authenticate(here.sessionId, { unsafe: false }))).toBe('no error');
      expect(await codeOf(auth.authenticate(elsewhere.sessionId, { unsafe: false }))).toBe('SESSION_INVALID');
      expect(await codeOf(auth.signIn({ username: 'doimk', password, code: totpCodeAt(secret, clock.now()) }))).toBe('SIGN_IN_FAILED');
      clock.advance(30_000);
      await auth.signIn({ username: 'doimk', password: 'Một mật khẩu mới dài', code: totpCodeAt(secret, clock.now()) });
      clock.advance(30_000);
    });

    it('counts failures per account: another officer is not locked', async () => {
      const a = await newOfficer('phamd', 'commune_officer', { level: 'commune', code: '00008' });
      const b = await newOfficer('phame', 'commune_officer', { level: 'commune', code: '00008' });
      for (let i = 0; i < 5; i++) await codeOf(auth.signIn({ username: 'phamd', password: 'wrong password!', code: '000000' }));
      expect(await codeOf(auth.signIn({ username: 'phamd', password, code: totpCodeAt(a.secret, clock.now()) }))).toBe('ACCOUNT_LOCKED');
      await signIn('phame', b.secret);
    });

    it('refuses a TOTP code used once already (replay), even within its window', async () => {
      const { secret } = await newOfficer('vuf', 'auditor', { level: 'nation' });
      const code = totpCodeAt(secret, clock.now());
      await auth.signIn({ username: 'vuf', password, code });
      clock.advance(5_000);
      expect(await codeOf(auth.signIn({ username: 'vuf', password, code }))).toBe('SIGN_IN_FAILED');
      // Two nodes racing with one code: exactly one session.
      clock.advance(30_000);
      const fresh = totpCodeAt(secret, clock.now());
      const results = await Promise.all([1, 2, 3].map(() => codeOf(auth.signIn({ username: 'vuf', password, code: fresh }))));
      expect(results.filter((r) => r === 'no error')).toHaveLength(1);
      clock.advance(30_000);
    });

    it('ends a session after 15 idle minutes, keeps it alive with use, and ends it at 12 hours whatever the use', async () => {
      const { secret } = await newOfficer('dangg', 'province_officer', { level: 'province', code: '79' });
      const s = await signIn('dangg', secret);
      const check = (): Promise<string> => codeOf(auth.authenticate(s.sessionId, { unsafe: false }));
      clock.advance(14 * minute);
      expect(await check()).toBe('no error');
      clock.advance(14 * minute);
      expect(await check()).toBe('no error');
      clock.advance(15 * minute);
      expect(await check()).toBe('SESSION_EXPIRED');
      expect(await check()).toBe('SESSION_INVALID'); // it was ended for good

      const t = await signIn('dangg', secret);
      const started = Date.parse(t.session.createdAt);
      expect(t.session.absoluteExpiresAt).toBe(new Date(started + 12 * 60 * minute).toISOString());
      while (clock.now().getTime() < started + 12 * 60 * minute - 10 * minute) {
        expect(await codeOf(auth.authenticate(t.sessionId, { unsafe: false }))).toBe('no error');
        clock.advance(10 * minute);
      }
      clock.set(new Date(started + 12 * 60 * minute).toISOString());
      expect(await codeOf(auth.authenticate(t.sessionId, { unsafe: false }))).toBe('SESSION_EXPIRED');
    });

    it('requires the session\'s CSRF token on unsafe requests', async () => {
      const { secret } = await newOfficer('buih', 'commune_officer', { level: 'commune', code: '00004' });
      const s = await signIn('buih', secret);
      const other = await signIn('buih', secret);
      expect(s.csrfToken).not.toBe(other.csrfToken);
      expect(auth.csrfToken(s.sessionId)).toBe(s.csrfToken);
      expect(await codeOf(auth.authenticate(s.sessionId, { unsafe: true }))).toBe('CSRF_INVALID');
      expect(await codeOf(auth.authenticate(s.sessionId, { unsafe: true, csrfToken: other.csrfToken }))).toBe('CSRF_INVALID');
      expect(await codeOf(auth.authenticate(s.sessionId, { unsafe: true, csrfToken: s.csrfToken }))).toBe('no error');
      expect(await codeOf(auth.authenticate(s.sessionId, { unsafe: false }))).toBe('no error');
      expect(await codeOf(auth.authenticate('not-a-session', { unsafe: false }))).toBe('SESSION_INVALID');
    });

    it('lists an officer\'s sessions and revokes them: sign-out, own revocation, admin revocation, others refused', async () => {
      const h = await newOfficer('hoi', 'commune_officer', { level: 'commune', code: '00004' });
      const k = await newOfficer('hok', 'commune_officer', { level: 'commune', code: '00004' });
      const a = await signIn('hoi', h.secret);
      const b = await signIn('hoi', h.secret);
      const c = await signIn('hoi', h.secret);
      const ka = await signIn('hok', k.secret);
      const listed = await auth.listSessions(h.officerId);
      expect(listed.map((s) => s.sessionRef).sort()).toEqual([a, b, c].map((s) => s.session.sessionRef).sort());
      expect(JSON.stringify(listed)).not.toContain(a.sessionId);
      await auth.signOut(a.sessionId);
      expect(await codeOf(auth.authenticate(a.sessionId, { unsafe: false }))).toBe('SESSION_INVALID');
      const me = (await auth.authenticate(b.sessionId, { unsafe: false })).actor;
      const stranger = (await auth.authenticate(ka.sessionId, { unsafe: false })).actor;
      expect(await codeOf(auth.revokeSession(stranger, c.session.sessionRef))).toBe('SESSION_INVALID');
      await auth.revokeSession(me, b.session.sessionRef);
      expect(await codeOf(auth.authenticate(b.sessionId, { unsafe: false }))).toBe('SESSION_INVALID');
      await auth.revokeSession(root, c.session.sessionRef);
      expect(await codeOf(auth.authenticate(c.sessionId, { unsafe: false }))).toBe('SESSION_INVALID');
      expect((await auth.listSessions(h.officerId)).every((s) => s.revokedAt !== null)).toBe(true);
    });

    it('suspension ends sessions and sign-in; reactivation restores sign-in', async () => {
      const m = await newOfficer('maim', 'quality_officer', { level: 'province', code: '01' });
      const s = await signIn('maim', m.secret);
      await admin.suspend(root, m.officerId);
      expect(await codeOf(auth.authenticate(s.sessionId, { unsafe: false }))).toBe('SESSION_INVALID');
      expect(await codeOf(auth.signIn({ username: 'maim', password, code: totpCodeAt(m.secret, clock.now()) }))).toBe('ACCOUNT_SUSPENDED');
      clock.advance(30_000);
      // Without the right password a suspended account looks like any failure.
      expect(await codeOf(auth.signIn({ username: 'maim', password: 'wrong password!', code: totpCodeAt(m.secret, clock.now()) }))).toBe('SIGN_IN_FAILED');
      await admin.reactivate(root, m.officerId);
      await signIn('maim', m.secret);
    });

    it('changes role and unit (ending sessions), refusing units that do not fit the role', async () => {
      const n = await newOfficer('ngon', 'commune_officer', { level: 'commune', code: '00004' });
      const s = await signIn('ngon', n.secret);
      expect(await codeOf(admin.changeRole(root, n.officerId, 'province_officer', { level: 'commune', code: '00004' }))).toBe('ROLE_UNIT_MISMATCH');
      expect(await codeOf(admin.changeRole(root, n.officerId, 'province_officer', { level: 'province', code: '02' }))).toBe('UNIT_INVALID');
      const changed = await admin.changeRole(root, n.officerId, 'province_officer', { level: 'province', code: '79' });
      expect(changed).toMatchObject({ role: 'province_officer', unit: { level: 'province', code: '79' } });
      expect(await codeOf(auth.authenticate(s.sessionId, { unsafe: false }))).toBe('SESSION_INVALID');
      const again = await signIn('ngon', n.secret);
      expect((await auth.authenticate(again.sessionId, { unsafe: false })).actor).toMatchObject({ role: 'province_officer', unit: { level: 'province', code: '79' } });
    });

    it('resets a second factor: sessions end, the old app stops working, the officer enrols again', async () => {
      const p = await newOfficer('phanp', 'national_officer', { level: 'nation' });
      const s = await signIn('phanp', p.secret);
      const reset = await admin.resetSecondFactor(root, p.officerId);
      expect(reset.officer).toMatchObject({ enrolled: false, enrolmentPending: true });
      expect(await codeOf(auth.authenticate(s.sessionId, { unsafe: false }))).toBe('SESSION_INVALID');
      expect(await codeOf(auth.signIn({ username: 'phanp', password, code: totpCodeAt(p.secret, clock.now()) }))).toBe('SIGN_IN_FAILED');
      const secret = await enrol(reset.enrolmentToken);
      expect(secret).not.toBe(p.secret);
      await signIn('phanp', secret);
    });

    it('keeps administration to identity.admin and refuses self-changes and removing the last administrator', async () => {
      const q = await newOfficer('quyq', 'auditor', { level: 'nation' });
      const auditor = (await auth.authenticate((await signIn('quyq', q.secret)).sessionId, { unsafe: false })).actor;
      expect(await codeOf(admin.createOfficer(auditor, { username: 'xx1', displayName: 'X', role: 'auditor', unit: { level: 'nation' } }))).toBe('FORBIDDEN_ROLE');
      expect((await admin.list(auditor)).length).toBeGreaterThan(5); // identity.read
      expect(await codeOf(admin.suspend(auditor, q.officerId))).toBe('FORBIDDEN_ROLE');
      expect(await codeOf(admin.suspend(root, root.id))).toBe('SELF_CHANGE_REFUSED');
      expect(await codeOf(admin.createOfficer(root, { username: 'quyq', displayName: 'Trùng', role: 'auditor', unit: { level: 'nation' } }))).toBe('USERNAME_TAKEN');
      expect(await codeOf(admin.createOfficer(root, { username: 'ab', displayName: 'X', role: 'auditor', unit: { level: 'nation' } }))).toBe('USERNAME_INVALID');
      expect(await codeOf(admin.createOfficer(root, { username: 'clerk1', displayName: 'X', role: 'registry_clerk', unit: { level: 'province', code: '01' } }))).toBe('ROLE_UNIT_MISMATCH');
      // A second administrator may not remove the only other one… once it is the last.
      const second = await admin.createOfficer(root, { username: 'quantri2', displayName: 'Quản trị 2', role: 'system_admin', unit: { level: 'nation' } });
      const secondActor: Actor = { kind: 'officer', id: second.officer.officerId, role: 'system_admin', unit: { level: 'nation' }, active: true };
      await admin.suspend(secondActor, root.id); // two active: allowed
      await admin.reactivate(secondActor, root.id);
      await admin.suspend(root, second.officer.officerId);
      expect(await codeOf(admin.changeRole(secondActor, root.id, 'auditor', { level: 'nation' }))).toBe('LAST_ADMIN');
    });

    it('rehashes a password hashed with older parameters at the next sign-in', async () => {
      const old = scryptPasswordHasher({ params: { ln: 10, r: 8, p: 1 } });
      const newer = countingHasher(scryptPasswordHasher({ params: { ln: 11, r: 8, p: 1 } }));
      const upgraded = new OfficerAuthService({ db: store.db, clock, hasher: newer, sealer });
      const r = await newOfficer('rehash', 'auditor', { level: 'nation' });
      const before = await store.db.selectFrom('identity_officers').select('password_hash').where('officer_id', '=', r.officerId).executeTakeFirstOrThrow();
      expect(before.password_hash).toMatch(/^\$scrypt\$ln=10,/);
      expect((await old.verify(password, before.password_hash ?? '')).ok).toBe(true);
      await upgraded.signIn({ username: 'rehash', password, code: totpCodeAt(r.secret, clock.now()) });
      clock.advance(30_000);
      const after = await store.db.selectFrom('identity_officers').select('password_hash').where('officer_id', '=', r.officerId).executeTakeFirstOrThrow();
      expect(after.password_hash).toMatch(/^\$scrypt\$ln=11,/);
      expect(newer.counts.hash).toBe(1);
      await upgraded.signIn({ username: 'rehash', password, code: totpCodeAt(r.secret, clock.now()) });
      clock.advance(30_000);
      expect(newer.counts.hash).toBe(1); // no second rehash
    });

    it('stores no password, session id, enrolment token or API key in the clear', async () => {
      const created = await admin.createOfficer(root, { username: 'secretcheck', displayName: 'S', role: 'auditor', unit: { level: 'nation' } });
      const secret = await enrol(created.enrolmentToken);
      const s = await signIn('secretcheck', secret);
      const { apiKey } = await accounts.create(root, { name: 'kiểm tra', scopes: ['audit.read'], unit: { level: 'nation' }, validDays: 30 });
      const dump = JSON.stringify([
        await store.db.selectFrom('identity_officers').selectAll().execute(),
        await store.db.selectFrom('identity_sessions').selectAll().execute(),
        await store.db.selectFrom('identity_service_accounts').selectAll().execute(),
      ]);
      for (const plain of [password, s.sessionId, s.csrfToken, created.enrolmentToken, apiKey, secret]) expect(dump).not.toContain(plain);
      // The TOTP seed is sealed to its officer: copied to another officer's row, it does not open.
      const row = await store.db.selectFrom('identity_officers').select(['officer_id', 'totp_secret']).where('username', '=', 'secretcheck').executeTakeFirstOrThrow();
      expect(row.totp_secret).toMatch(/^v1\./);
      expect(sealer.open(row.totp_secret ?? '', row.officer_id)).toBe(secret);
      await store.db.updateTable('identity_officers').set({ totp_secret: row.totp_secret }).where('username', '=', 'buih').execute();
      const buih = await store.db.selectFrom('identity_officers').select('officer_id').where('username', '=', 'buih').executeTakeFirstOrThrow();
      expect(sealer.open(row.totp_secret ?? '', buih.officer_id)).toBeUndefined();
      expect(await codeOf(auth.signIn({ username: 'buih', password, code: totpCodeAt(secret, clock.now()) }))).toBe('SIGN_IN_FAILED');
    });

    it('service accounts: key shown once, scoped, expiring, revocable', async () => {
      const { account, apiKey } = await accounts.create(root, { name: 'Xuất dữ liệu hằng đêm', scopes: ['person.export', 'person.read'], unit: { level: 'province', code: '01' }, validDays: 90 });
      expect(apiKey).toMatch(/^sk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
      expect(apiKey).toContain(account.keyId);
      const { actor } = await accounts.authenticate(apiKey);
      expect(actor).toMatchObject({ kind: 'service_account', scopes: ['person.export', 'person.read'], unit: { level: 'province', code: '01' } });
      expect(await codeOf(accounts.authenticate(`${apiKey.slice(0, -1)}${apiKey.endsWith('A') ? 'B' : 'A'}`))).toBe('API_KEY_INVALID');
      expect(await codeOf(accounts.authenticate('Bearer nonsense'))).toBe('API_KEY_INVALID');
      expect(await codeOf(accounts.create(root, { name: 'x', scopes: ['identity.admin'], unit: { level: 'nation' }, validDays: 1 }))).toBe('SCOPES_INVALID');
      expect(await codeOf(accounts.create(root, { name: 'x', scopes: ['person.fly'], unit: { level: 'nation' }, validDays: 1 }))).toBe('SCOPES_INVALID');
      expect(await codeOf(accounts.create(root, { name: 'x', scopes: ['audit.read'], unit: { level: 'nation' }, validDays: 400 }))).toBe('VALIDITY_INVALID');
      expect((await accounts.list(root)).some((a) => a.accountId === account.accountId)).toBe(true);
      clock.advance(90 * 24 * 60 * minute);
      expect(await codeOf(accounts.authenticate(apiKey))).toBe('API_KEY_EXPIRED');
      const other = await accounts.create(root, { name: 'Đối soát', scopes: ['reconcile.run'], unit: { level: 'nation' }, validDays: 30 });
      await accounts.authenticate(other.apiKey);
      expect((await accounts.revoke(root, other.account.accountId)).status).toBe('revoked');
      expect(await codeOf(accounts.authenticate(other.apiKey))).toBe('API_KEY_EXPIRED');
    });

    it('prunes sessions past their absolute end', async () => {
      clock.advance(13 * 60 * minute);
      expect(await auth.pruneSessions()).toBeGreaterThan(0);
      expect(await store.db.selectFrom('identity_sessions').select('session_hash').execute()).toEqual([]);
    });
  });
}
