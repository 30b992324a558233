import { describe, expect, it } from 'vitest';
import { isDomainError } from '../shared/domain-error.js';
import { checkPasswordStrength, owaspScrypt, scryptPasswordHasher } from './password.hasher.js';

const cheap = { ln: 10, r: 8, p: 1 };

describe('the scrypt password hasher', () => {
  it('hashes with OWASP parameters into a self-describing string, 16-byte salt and 32-byte key', async () => {
    const hasher = scryptPasswordHasher();
    const stored = await hasher.hash('Sông Hồng chảy qua Hà Nội');
    const m = /^\$scrypt\$ln=17,r=8,p=1\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(stored);
    expect(m).not.toBeNull();
    expect(Buffer.from(m?.[1] ?? '', 'base64')).toHaveLength(16);
    expect(Buffer.from(m?.[2] ?? '', 'base64')).toHaveLength(32);
    expect(owaspScrypt).toEqual({ ln: 17, r: 8, p: 1 });
    expect(await hasher.verify('Sông Hồng chảy qua Hà Nội', stored)).toEqual({ ok: true, needsRehash: false });
  });

  it('refuses a wrong password, and salts: one password, two different hashes', async () => {
    const hasher = scryptPasswordHasher({ params: cheap });
    const a = await hasher.hash('một mật khẩu dài');
    const b = await hasher.hash('một mật khẩu dài');
    expect(a).not.toBe(b);
    expect((await hasher.verify('một mật khẩu dài!', a)).ok).toBe(false);
    expect((await hasher.verify('một mật khẩu dài', b)).ok).toBe(true);
  });

  it('compares NFC text: a decomposed spelling of the same password verifies', async () => {
    const hasher = scryptPasswordHasher({ params: cheap });
    const stored = await hasher.hash('Nguyễn Văn Bình 1990');
    expect((await hasher.verify('Nguyễn Văn Bình 1990'.normalize('NFD'), stored)).ok).toBe(true);
  });

  it('verifies a hash made with older parameters and asks for a rehash', async () => {
    const older = scryptPasswordHasher({ params: cheap });
    const current = scryptPasswordHasher({ params: { ln: 11, r: 8, p: 1 } });
    const stored = await older.hash('một mật khẩu dài');
    expect(await current.verify('một mật khẩu dài', stored)).toEqual({ ok: true, needsRehash: true });
    expect(await current.verify('sai mật khẩu rồi', stored)).toEqual({ ok: false, needsRehash: false });
  });

  it('refuses malformed or absurd stored strings without hashing', async () => {
    const hasher = scryptPasswordHasher({ params: cheap });
    const stored = await hasher.hash('một mật khẩu dài');
    for (const bad of ['', 'plain', stored.replace('ln=10', 'ln=30'), stored.replace('$scrypt$', '$argon2id$'), stored.slice(0, -4)]) {
      expect((await hasher.verify('một mật khẩu dài', bad)).ok).toBe(false);
    }
  });

  it('spends a hash on unknown users', async () => {
    const hasher = scryptPasswordHasher({ params: { ln: 14, r: 8, p: 1 } });
    await hasher.dummyVerify('x'); // the dummy hash is made once
    const started = performance.now();
    await hasher.dummyVerify('anything at all');
    expect(performance.now() - started).toBeGreaterThan(5);
  });
});

describe('password strength', () => {
  const code = (password: string, username = 'nguyenvana'): string | undefined => {
    try {
      checkPasswordStrength(password, username);
      return undefined;
    } catch (error) {
      return isDomainError(error) ? error.code : 'OTHER';
    }
  };

  it('accepts a passphrase of 12 characters or more', () => {
    expect(code('Sông Hồng chảy qua')).toBeUndefined();
    expect(code('ab12cd34ef56')).toBeUndefined();
  });

  it('refuses short, very common, repetitive and username-bearing passwords', () => {
    expect(code('ab12cd34ef5')).toBe('PASSWORD_WEAK'); // 11
    expect(code('123456789012')).toBe('PASSWORD_WEAK');
    expect(code('Password1234')).toBe('PASSWORD_WEAK'); // a common word followed by digits
    expect(code('matkhau123456!')).toBe('PASSWORD_WEAK');
    expect(code('aaaaaaaaaaaaaaa')).toBe('PASSWORD_WEAK');
    expect(code('abababababab')).toBe('PASSWORD_WEAK');
    expect(code('xin chao nguyenvana')).toBe('PASSWORD_WEAK');
    expect(code('x'.repeat(100) + 'y'.repeat(100) + 'z'.repeat(57))).toBe('PASSWORD_WEAK'); // 257
  });

  it('counts characters, not bytes', () => {
    expect(code('Đường Lê Lợi')).toBeUndefined(); // 12 characters, more bytes
    expect(code('Đường Lê Lợ')).toBe('PASSWORD_WEAK');
  });
});
