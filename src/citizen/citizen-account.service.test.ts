import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { citizenChild, citizenClock, citizenLan, citizenMinh, registerCitizens } from '../../test/citizen.fixture.js';
import { createTestDatabase, dialects } from '../../test/test-database.js';
import { totpCodeAt } from '../identity/totp.verifier.js';
import { RegistryService } from '../registry/registry.service.js';
import { isDomainError } from '../shared/domain-error.js';
import type { Database } from '../store/database.js';
import { simulatedCardIssuer } from './card-chip.verifier.js';
import { CitizenAccountService } from './citizen-account.service.js';
import { argon2idPasswordHasher } from './citizen-password.hasher.js';
import type { CitizenEvent } from './citizen.types.js';
import { memoryOtpSender } from './otp.sender.js';

const password = 'Hoa sen nở giữa đầm lầy';

async function codeOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
    return 'no error';
  } catch (error) {
    return isDomainError(error) ? error.code : `not a domain error: ${String(error)}`;
  }
}

async function count(store: Database, table: 'citizen_accounts' | 'citizen_otp_challenges'): Promise<number> {
  const row = await store.db.selectFrom(table).select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

for (const dialect of dialects) {
  describe(`citizen accounts on ${dialect}`, () => {
    let store: Database;
    const clock = citizenClock('2026-12-04T08:00:00Z');
    const otp = memoryOtpSender();
    const issuer = simulatedCardIssuer();
    const events: CitizenEvent[] = [];
    let accounts: CitizenAccountService;
    let registry: RegistryService;

    beforeAll(async () => {
      store = await createTestDatabase(dialect);
      accounts = new CitizenAccountService({ db: store.db, clock, hasher: argon2idPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }), otp, cardIssuerKeys: [issuer.publicKey], onEvent: (e) => { events.push(e); } });
      registry = new RegistryService({ db: store.db, clock, onEventRecorded: (event, trx) => accounts.onRegistryEvent(trx, event), onEventCommitted: (event) => { void accounts.afterRegistryEvent(event); } });
      await registerCitizens(registry, [citizenLan, citizenMinh, citizenChild]);
    });
    afterAll(async () => { await store.close(); });

    it('refuses details that do not match the registry, writing nothing', async () => {
      const base = { idNumber: citizenLan.idNumber, fullName: citizenLan.facts.fullName, birthDate: citizenLan.facts.birthDate, phone: citizenLan.phone };
      expect(await codeOf(accounts.startActivation({ ...base, fullName: 'Nguyễn Thị Lam' }))).toBe('ACTIVATION_DETAILS_MISMATCH');
      expect(await codeOf(accounts.startActivation({ ...base, birthDate: '1990-03-13' }))).toBe('ACTIVATION_DETAILS_MISMATCH');
      expect(await codeOf(accounts.startActivation({ ...base, idNumber: '001190009999' }))).toBe('ACTIVATION_DETAILS_MISMATCH');
      expect(await codeOf(accounts.startActivation({ ...base, phone: '12345' }))).toBe('PHONE_INVALID');
      expect(await codeOf(accounts.startActivation({ ...base, idNumber: '00119' }))).toBe('ID_NUMBER_MALFORMED');
      const child = { idNumber: citizenChild.idNumber, fullName: citizenChild.facts.fullName, birthDate: citizenChild.facts.birthDate, phone: citizenChild.phone };
      expect(await codeOf(accounts.startActivation(child))).toBe('ACTIVATION_TOO_YOUNG');
      expect(await count(store, 'citizen_otp_challenges')).toBe(0);
      expect(otp.sent).toHaveLength(0);
    });

    it('activates level 1: the name matches without case, the code confirms the phone', async () => {
      const { challengeId } = await accounts.startActivation({ idNumber: citizenLan.idNumber, fullName: 'NGUYỄN  THỊ LAN', birthDate: citizenLan.facts.birthDate, phone: citizenLan.phone });
      const message = otp.last('+84912345678');
      expect(message?.purpose).toBe('activation');
      expect(message?.code).toMatch(/^\d{6}$/);
      expect(await codeOf(accounts.confirmActivation({ challengeId, code: message?.code ?? '', password: '123456789012' }))).toBe('PASSWORD_WEAK');
      expect(await count(store, 'citizen_accounts')).toBe(0);
      const account = await accounts.confirmActivation({ challengeId, code: message?.code ?? '', password });
      expect(account).toMatchObject({ personId: citizenLan.idNumber, level: 1, status: 'active', phone: '+84912345678', province: '01', totpEnrolled: false });
      expect(account.accountId).toMatch(/^cit_[0-9a-f]{32}$/);
      // The code is spent, and a second account for the person is refused.
      expect(await codeOf(accounts.confirmActivation({ challengeId, code: message?.code ?? '', password }))).toBe('OTP_INVALID');
      expect(await codeOf(accounts.startActivation({ idNumber: citizenLan.idNumber, fullName: citizenLan.facts.fullName, birthDate: citizenLan.facts.birthDate, phone: citizenLan.phone }))).toBe('CITIZEN_ACCOUNT_EXISTS');
      const stored = await store.db.selectFrom('citizen_accounts').select('password_hash').executeTakeFirstOrThrow();
      expect(stored.password_hash).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    });

    it('spends a code after 5 wrong guesses, refuses an expired one, and sends at most 3 codes an hour', async () => {
      const start = (): ReturnType<CitizenAccountService['startActivation']> => accounts.startActivation({ idNumber: citizenMinh.idNumber, fullName: citizenMinh.facts.fullName, birthDate: citizenMinh.facts.birthDate, phone: citizenMinh.phone });
      const first = await start();
      const right = otp.last('+84987654321')?.code ?? '';
      const wrong = right === '000000' ? '000001' : '000000';
      const left: unknown[] = [];
      for (let i = 0; i < 5; i++) {
        try { await accounts.confirmActivation({ challengeId: first.challengeId, code: wrong, password }); } catch (error) { left.push(isDomainError(error) ? error.details?.attemptsLeft : error); }
      }
      expect(left).toEqual([4, 3, 2, 1, 0]);
      expect(await codeOf(accounts.confirmActivation({ challengeId: first.challengeId, code: right, password }))).toBe('OTP_INVALID');
      const second = await start();
      clock.advance(5 * 60_000 + 1);
      expect(await codeOf(accounts.confirmActivation({ challengeId: second.challengeId, code: otp.last('+84987654321')?.code ?? '', password }))).toBe('OTP_INVALID');
      const third = await start();
      expect(await codeOf(start())).toBe('OTP_RATE_LIMITED');
      await accounts.confirmActivation({ challengeId: third.challengeId, code: otp.last('+84987654321')?.code ?? '', password });
      expect(await count(store, 'citizen_accounts')).toBe(2);
    });

    it('signs in at level 1 and locks after 5 failures, even against the right password', async () => {
      clock.advance(3_600_000);
      const ok = await accounts.verifySignIn({ idNumber: citizenLan.idNumber, password, level: 1 });
      expect(ok.level).toBe(1);
      expect(await codeOf(accounts.verifySignIn({ idNumber: '001190009999', password, level: 1 }))).toBe('SIGN_IN_FAILED');
      expect(await codeOf(accounts.verifySignIn({ idNumber: citizenLan.idNumber, password, level: 2 }))).toBe('LEVEL2_REQUIRED');
      for (let i = 0; i < 5; i++) expect(await codeOf(accounts.verifySignIn({ idNumber: citizenMinh.idNumber, password: 'wrong password here', level: 1 }))).toBe('SIGN_IN_FAILED');
      expect(await codeOf(accounts.verifySignIn({ idNumber: citizenMinh.idNumber, password, level: 1 }))).toBe('ACCOUNT_LOCKED');
      expect(events.some((e) => e.type === 'account.locked')).toBe(true);
      clock.advance(15 * 60_000 + 1);
      expect((await accounts.verifySignIn({ idNumber: citizenMinh.idNumber, password, level: 1 })).level).toBe(1);
    });

    it('raises to level 2 by an officer\'s attestation, then signs in with TOTP and refuses a replayed code', async () => {
      const lan = await accounts.accountOfPerson(citizenLan.idNumber);
      if (lan === undefined) throw new Error('no account');
      expect(await codeOf(accounts.beginTotp(lan.accountId))).toBe('LEVEL2_REQUIRED');
      expect(await codeOf(accounts.attestLevel2({ officerId: 'officer-7', unit: 'commune:00004' }, { idNumber: citizenLan.idNumber, cardNumber: 'no' }))).toBe('CARD_NUMBER_INVALID');
      const raised = await accounts.attestLevel2({ officerId: 'officer-7', unit: 'commune:00004' }, { idNumber: citizenLan.idNumber, cardNumber: 'AB1234567' });
      expect(raised).toMatchObject({ level: 2, cardNumber: 'AB1234567' });
      expect(await accounts.attestations(lan.accountId)).toEqual([{ method: 'officer', officerId: 'officer-7', at: clock.now().toISOString() }]);
      const { totpSecret } = await accounts.beginTotp(lan.accountId);
      expect(await codeOf(accounts.confirmTotp(lan.accountId, '000000'))).toBe('TOTP_INVALID');
      await accounts.confirmTotp(lan.accountId, totpCodeAt(totpSecret, clock.now()));
      clock.advance(30_000);
      const code = totpCodeAt(totpSecret, clock.now());
      expect((await accounts.verifySignIn({ idNumber: citizenLan.idNumber, password, code, level: 2 })).level).toBe(2);
      expect(await codeOf(accounts.verifySignIn({ idNumber: citizenLan.idNumber, password, code, level: 2 }))).toBe('SIGN_IN_FAILED');
    });

    it('sets up TOTP only after the password again (failures counted); a confirmed one is replaced from a level 2 session or after a new attestation', async () => {
      const lan = await accounts.accountOfPerson(citizenLan.idNumber);
      if (lan === undefined) throw new Error('no account');
      expect(lan.totpEnrolled).toBe(true);
      const failuresBefore = (await store.db.selectFrom('citizen_accounts').select('failed_attempts').where('account_id', '=', lan.accountId).executeTakeFirstOrThrow()).failed_attempts;
      expect(await codeOf(accounts.startTotpEnrolment(lan.accountId, { password: 'wrong one entirely', sessionLevel: 2 }))).toBe('PASSWORD_INCORRECT');
      expect((await store.db.selectFrom('citizen_accounts').select('failed_attempts').where('account_id', '=', lan.accountId).executeTakeFirstOrThrow()).failed_attempts).toBe(failuresBefore + 1);
      expect(await codeOf(accounts.startTotpEnrolment(lan.accountId, { password, sessionLevel: 1 }))).toBe('LEVEL2_SESSION_REQUIRED');
      expect((await accounts.account(lan.accountId)).totpEnrolled).toBe(true);
      // The officer attests again (the citizen lost the phone): the authenticator is cleared, a new one set up with the password.
      await accounts.attestLevel2({ officerId: 'officer-9', unit: 'commune:00004' }, { idNumber: citizenLan.idNumber, cardNumber: 'AB1234567' });
      expect((await accounts.account(lan.accountId)).totpEnrolled).toBe(false);
      expect((await accounts.attestations(lan.accountId)).map((a) => a.officerId)).toEqual(['officer-7', 'officer-9']);
      const { totpSecret } = await accounts.startTotpEnrolment(lan.accountId, { password, sessionLevel: 1 });
      await accounts.confirmTotp(lan.accountId, totpCodeAt(totpSecret, clock.now()));
      clock.advance(30_000);
      expect((await accounts.verifySignIn({ idNumber: citizenLan.idNumber, password, code: totpCodeAt(totpSecret, clock.now()), level: 2 })).level).toBe(2);
    });

    it('raises to level 2 by the card chip\'s signed data and refuses a forged or foreign chip', async () => {
      const minh = await accounts.accountOfPerson(citizenMinh.idNumber);
      if (minh === undefined) throw new Error('no account');
      const chip = { idNumber: citizenMinh.idNumber, fullName: 'TRẦN VĂN MINH', birthDate: citizenMinh.facts.birthDate, cardNumber: 'CD7654321', issuedOn: '2024-05-01' };
      const signed = issuer.sign(chip);
      const forged = { ...signed, data: Buffer.from(JSON.stringify({ ...chip, cardNumber: 'XX0000000' })).toString('base64url') };
      expect(await codeOf(accounts.activateLevel2ByChip(minh.accountId, forged))).toBe('CHIP_DATA_INVALID');
      expect(await codeOf(accounts.activateLevel2ByChip(minh.accountId, simulatedCardIssuer().sign(chip)))).toBe('CHIP_DATA_INVALID');
      expect(await codeOf(accounts.activateLevel2ByChip(minh.accountId, issuer.sign({ ...chip, idNumber: citizenLan.idNumber })))).toBe('CHIP_DATA_MISMATCH');
      expect((await accounts.account(minh.accountId)).level).toBe(1);
      expect(await accounts.activateLevel2ByChip(minh.accountId, signed)).toMatchObject({ level: 2, cardNumber: 'CD7654321' });
      expect((await accounts.attestations(minh.accountId)).map((a) => a.method)).toEqual(['chip']);
    });

    it('keeps portal sessions: CSRF for changes, list and revoke', async () => {
      const lan = await accounts.accountOfPerson(citizenLan.idNumber);
      if (lan === undefined) throw new Error('no account');
      const a = await accounts.openSession(lan.accountId, 2, 'Chrome on Android');
      const b = await accounts.openSession(lan.accountId, 1, 'Firefox on Linux');
      expect((await accounts.authenticate(a.sessionId, { unsafe: false })).level).toBe(2);
      expect(await codeOf(accounts.authenticate(a.sessionId, { unsafe: true }))).toBe('CSRF_INVALID');
      expect(await codeOf(accounts.authenticate(a.sessionId, { unsafe: true, csrfToken: b.csrfToken }))).toBe('CSRF_INVALID');
      expect((await accounts.authenticate(a.sessionId, { unsafe: true, csrfToken: a.csrfToken })).account.accountId).toBe(lan.accountId);
      expect((await accounts.listSessions(lan.accountId)).map((s) => s.device).sort()).toEqual(['Chrome on Android', 'Firefox on Linux']);
      await accounts.revokeSession(lan.accountId, b.sessionRef);
      expect(await codeOf(accounts.authenticate(b.sessionId, { unsafe: false }))).toBe('SESSION_INVALID');
      expect(await codeOf(accounts.revokeSession('cit_other', a.sessionRef))).toBe('SESSION_NOT_FOUND');
      clock.advance(31 * 60_000);
      expect(await codeOf(accounts.authenticate(a.sessionId, { unsafe: false }))).toBe('SESSION_INVALID');
    });

    it('recovers by the confirmed phone only: a new password, the lock lifted, sessions ended', async () => {
      const sentBefore = otp.sent.length;
      await accounts.startRecovery({ idNumber: citizenMinh.idNumber, phone: '0911 000 000' });
      expect(otp.sent).toHaveLength(sentBefore);
      const minh = await accounts.accountOfPerson(citizenMinh.idNumber);
      if (minh === undefined) throw new Error('no account');
      const session = await accounts.openSession(minh.accountId, 1, 'Safari on iPhone');
      const { challengeId } = await accounts.startRecovery({ idNumber: citizenMinh.idNumber, phone: citizenMinh.phone });
      const code = otp.last('+84987654321');
      expect(code?.purpose).toBe('recovery');
      const newPassword = 'Mặt trời mọc ở đằng đông';
      await accounts.completeRecovery({ challengeId, code: code?.code ?? '', newPassword });
      expect(await codeOf(accounts.verifySignIn({ idNumber: citizenMinh.idNumber, password, level: 1 }))).toBe('SIGN_IN_FAILED');
      expect((await accounts.verifySignIn({ idNumber: citizenMinh.idNumber, password: newPassword, level: 1 })).level).toBe(1);
      expect(await codeOf(accounts.authenticate(session.sessionId, { unsafe: false }))).toBe('SESSION_INVALID');
    });

    it('re-binds to a new card and closes on death, in the registry event\'s transaction', async () => {
      const minh = await accounts.accountOfPerson(citizenMinh.idNumber);
      if (minh === undefined) throw new Error('no account');
      const session = await accounts.openSession(minh.accountId, 2, 'Chrome on Android');
      await registry.recordEvent({ personId: citizenMinh.idNumber, type: 'id_issuance', occurredOn: '2026-12-04', officerId: 'OFF-2', reason: null, data: { cardNumber: 'EF1112223' } });
      expect((await accounts.account(minh.accountId)).cardNumber).toBe('EF1112223');
      expect(await codeOf(accounts.authenticate(session.sessionId, { unsafe: false }))).toBe('SESSION_INVALID');
      // Announced once committed (the app then ends the provider's sessions and tells relying parties).
      await vi.waitFor(() => { expect(events.at(-1)).toMatchObject({ type: 'account.rebound', accountId: minh.accountId }); });
      const again = await accounts.openSession(minh.accountId, 1, 'Chrome on Android');
      await registry.recordEvent({ personId: citizenMinh.idNumber, type: 'death', occurredOn: '2026-12-04', officerId: 'OFF-2', reason: null, data: {} });
      expect((await accounts.account(minh.accountId)).status).toBe('deceased');
      await vi.waitFor(() => { expect(events.at(-1)).toMatchObject({ type: 'account.deceased', accountId: minh.accountId }); });
      expect(await codeOf(accounts.authenticate(again.sessionId, { unsafe: false }))).toBe('SESSION_INVALID');
      expect(await codeOf(accounts.verifySignIn({ idNumber: citizenMinh.idNumber, password: 'Mặt trời mọc ở đằng đông', level: 1 }))).toBe('CITIZEN_ACCOUNT_CLOSED');
    });

    it('rolls the registry event back when the account cannot follow it', async () => {
      const announced = events.length;
      const failing = new RegistryService({ db: store.db, clock, onEventRecorded: async (event, trx) => { await accounts.onRegistryEvent(trx, event); throw new Error('account store unavailable'); }, onEventCommitted: (event) => { void accounts.afterRegistryEvent(event); } });
      await expect(failing.recordEvent({ personId: citizenLan.idNumber, type: 'id_issuance', occurredOn: '2026-12-04', officerId: 'OFF-2', reason: null, data: { cardNumber: 'ZZ9999999' } })).rejects.toThrow('account store unavailable');
      const lan = await accounts.accountOfPerson(citizenLan.idNumber);
      expect(lan?.cardNumber).toBe('AB1234567');
      expect((await registry.personEvents(citizenLan.idNumber)).map((e) => e.type)).toEqual(['registration']);
      // Nothing announced for a card that was never recorded: relying parties keep their sessions.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(events.slice(announced)).toEqual([]);
    });
  });
}
