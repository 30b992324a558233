import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileOtpSender, otpOutboxPath } from '../src/citizen/otp.sender.js';
import { buildApp } from '../src/http/app.js';
import { RegistryService } from '../src/registry/registry.service.js';
import { systemClock } from '../src/shared/clock.js';
import { citizenLan, registerCitizens } from './citizen.fixture.js';
import { createTestDatabase } from './test-database.js';

/**
 * The default one-time-code sender writes phone numbers and codes: its outbox is in the data
 * folder, readable by the server's user alone (0600), whatever the umask or an earlier file's mode.
 */

const folders: string[] = [];
const folder = (): string => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-otp-'));
  folders.push(dir);
  return dir;
};

afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

const modeOf = (file: string): number => statSync(file).mode & 0o777;

describe('the one-time-code outbox', () => {
  it('is kept at 0600: a new file under a permissive umask, and a file left earlier with a wider mode', async () => {
    const dir = folder();
    const fresh = path.join(dir, 'fresh.jsonl');
    const umask = process.umask(0);
    try {
      await fileOtpSender(fresh).send({ phone: '+84912345678', code: '123456', purpose: 'activation', expiresAt: '2026-01-01T00:05:00.000Z' });
    } finally {
      process.umask(umask);
    }
    expect(modeOf(fresh)).toBe(0o600);
    const earlier = path.join(dir, 'earlier.jsonl');
    writeFileSync(earlier, '', { mode: 0o644 });
    expect(modeOf(earlier)).toBe(0o644);
    await fileOtpSender(earlier).send({ phone: '+84912345678', code: '654321', purpose: 'recovery', expiresAt: '2026-01-01T00:05:00.000Z' });
    expect(modeOf(earlier)).toBe(0o600);
    expect(readFileSync(earlier, 'utf8')).toContain('"code":"654321"');
  });

  it('the server\'s default sender writes into the data folder, at 0600', async () => {
    const store = await createTestDatabase('sqlite');
    const dataDir = folder();
    const app = await buildApp({ database: store, dataDir, clock: systemClock, operatorToken: 'otp-outbox-operator-token-0123456789', logger: false });
    try {
      await registerCitizens(new RegistryService({ db: store.db, clock: systemClock }), [citizenLan]);
      const started = await app.inject({ method: 'POST', url: '/citizen/activation', payload: { idNumber: citizenLan.idNumber, fullName: citizenLan.facts.fullName, birthDate: citizenLan.facts.birthDate, phone: citizenLan.phone } });
      expect(started.statusCode, started.body).toBe(202);
      const outbox = otpOutboxPath(dataDir);
      expect(path.dirname(outbox)).toBe(dataDir);
      expect(modeOf(outbox)).toBe(0o600);
      const line = JSON.parse(readFileSync(outbox, 'utf8').trim()) as { phone: string; code: string; purpose: string };
      expect(line).toMatchObject({ phone: '+84912345678', purpose: 'activation' });
      expect(line.code).toMatch(/^\d{6}$/);
    } finally {
      await app.close();
      await store.close();
    }
  });
});
