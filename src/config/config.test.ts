import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, languageSetting, loadConfig } from './config.js';

const dataDir = (): string => mkdtempSync(path.join(tmpdir(), 'sachsong-config-'));

describe('loadConfig', () => {
  it('defaults to the embedded store and makes a local operator token once', () => {
    const dir = dataDir();
    const a = loadConfig({ SACHSONG_DATA_DIR: dir });
    expect(a.databaseUrl).toBeUndefined();
    expect(a.port).toBe(8080);
    expect(a.operatorToken.length).toBeGreaterThanOrEqual(24);
    expect(loadConfig({ SACHSONG_DATA_DIR: dir }).operatorToken).toBe(a.operatorToken);
  });

  it('names every bad variable at once', () => {
    try {
      loadConfig({ SACHSONG_DATA_DIR: dataDir(), PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/PORT/);
      expect(problems).toMatch(/DATABASE_URL/);
      expect(problems).toMatch(/LOG_LEVEL/);
    }
  });

  it('says whether the operator token was just made, read from the data folder or given', () => {
    const dir = dataDir();
    expect(loadConfig({ SACHSONG_DATA_DIR: dir }).operatorTokenSource).toBe('created');
    expect(loadConfig({ SACHSONG_DATA_DIR: dir }).operatorTokenSource).toBe('file');
    expect(loadConfig({ SACHSONG_DATA_DIR: dir, SACHSONG_OPERATOR_TOKEN: 'x'.repeat(24) }).operatorTokenSource).toBe('environment');
  });

  it('reads the HTTP time limits, and names every bad one', () => {
    expect(loadConfig({ SACHSONG_DATA_DIR: dataDir() }).http).toEqual({ bodyMs: 10_000, requestMs: 900_000, shutdownGraceMs: 5_000 });
    expect(loadConfig({ SACHSONG_DATA_DIR: dataDir(), SACHSONG_BODY_TIMEOUT_MS: '500', SACHSONG_REQUEST_TIMEOUT_MS: '2000', SACHSONG_SHUTDOWN_GRACE_MS: '0' }).http)
      .toEqual({ bodyMs: 500, requestMs: 2_000, shutdownGraceMs: 0 });
    try {
      loadConfig({ SACHSONG_DATA_DIR: dataDir(), SACHSONG_BODY_TIMEOUT_MS: 'soon', SACHSONG_REQUEST_TIMEOUT_MS: '1.5', SACHSONG_SHUTDOWN_GRACE_MS: '-1' });
      expect.unreachable();
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      for (const name of ['SACHSONG_BODY_TIMEOUT_MS', 'SACHSONG_REQUEST_TIMEOUT_MS', 'SACHSONG_SHUTDOWN_GRACE_MS']) expect(problems).toContain(name);
    }
    expect(() => loadConfig({ SACHSONG_DATA_DIR: dataDir(), SACHSONG_BODY_TIMEOUT_MS: '60000', SACHSONG_REQUEST_TIMEOUT_MS: '30000' })).toThrow(/SACHSONG_REQUEST_TIMEOUT_MS/);
  });

  it('reads the public URL (an origin) that the OpenID provider\'s issuer is made from, and refuses a path', () => {
    expect(loadConfig({ SACHSONG_DATA_DIR: dataDir() }).publicUrl).toBeUndefined();
    expect(loadConfig({ SACHSONG_DATA_DIR: dataDir(), SACHSONG_PUBLIC_URL: 'https://registry.example.vn' }).publicUrl).toBe('https://registry.example.vn');
    expect(() => loadConfig({ SACHSONG_DATA_DIR: dataDir(), SACHSONG_PUBLIC_URL: 'https://registry.example.vn/console' })).toThrow(/SACHSONG_PUBLIC_URL/);
    expect(() => loadConfig({ SACHSONG_DATA_DIR: dataDir(), SACHSONG_PUBLIC_URL: 'ftp://registry.example.vn' })).toThrow(/SACHSONG_PUBLIC_URL/);
  });

  it('reads a read replica only beside a primary, and the NATS streams\' replicas', () => {
    const primary = 'postgres://postgres@127.0.0.1:5433/sachsong';
    const c = loadConfig({ SACHSONG_DATA_DIR: dataDir(), DATABASE_URL: primary, SACHSONG_READ_DATABASE_URL: 'postgres://postgres@127.0.0.1:5434/sachsong', SACHSONG_NATS_REPLICAS: '3' });
    expect(c.readDatabaseUrl).toBe('postgres://postgres@127.0.0.1:5434/sachsong');
    expect(c.natsReplicas).toBe(3);
    expect(loadConfig({ SACHSONG_DATA_DIR: dataDir(), DATABASE_URL: primary })).toMatchObject({ readDatabaseUrl: undefined, natsReplicas: 1 });
    expect(() => loadConfig({ SACHSONG_DATA_DIR: dataDir(), SACHSONG_READ_DATABASE_URL: 'postgres://postgres@127.0.0.1:5434/sachsong' })).toThrow(/SACHSONG_READ_DATABASE_URL: a read replica needs DATABASE_URL/);
    expect(() => loadConfig({ SACHSONG_DATA_DIR: dataDir(), DATABASE_URL: primary, SACHSONG_READ_DATABASE_URL: 'mysql://x' })).toThrow(/SACHSONG_READ_DATABASE_URL/);
    expect(() => loadConfig({ SACHSONG_DATA_DIR: dataDir(), SACHSONG_NATS_REPLICAS: '7' })).toThrow(/SACHSONG_NATS_REPLICAS: must be 1 to 5/);
  });

  it('reads the card issuer\'s Ed25519 public keys from a PEM file, and names a file it cannot use', () => {
    const dir = dataDir();
    const first = generateKeyPairSync('ed25519');
    const second = generateKeyPairSync('ed25519');
    const issuers = [first, second];
    const pem = path.join(dir, 'card-issuer.pem');
    writeFileSync(pem, `a comment line\n${issuers.map((k) => k.publicKey.export({ type: 'spki', format: 'pem' }).toString()).join('\n')}`);
    const keys = loadConfig({ SACHSONG_DATA_DIR: dir, SACHSONG_CARD_ISSUER_KEYS: pem }).cardIssuerKeys;
    expect(keys).toHaveLength(2);
    const chip = Buffer.from('{"idNumber":"001085000001"}');
    expect(verify(null, chip, keys[1] ?? first.publicKey, sign(null, chip, second.privateKey))).toBe(true);
    expect(verify(null, chip, keys[1] ?? second.publicKey, sign(null, chip, first.privateKey))).toBe(false);
    expect(loadConfig({ SACHSONG_DATA_DIR: dir }).cardIssuerKeys).toEqual([]);
    const refused = (file: string): string => {
      try {
        loadConfig({ SACHSONG_DATA_DIR: dir, SACHSONG_CARD_ISSUER_KEYS: file });
      } catch (error) {
        return error instanceof ConfigError ? error.messageIn('en') : String(error);
      }
      return 'accepted';
    };
    expect(refused(path.join(dir, 'missing.pem'))).toMatch(/SACHSONG_CARD_ISSUER_KEYS: cannot read the file \(ENOENT\)/);
    const empty = path.join(dir, 'empty.pem');
    writeFileSync(empty, 'no key here\n');
    expect(refused(empty)).toMatch(/holds no PEM public key/);
    const rsa = path.join(dir, 'rsa.pem');
    writeFileSync(rsa, generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString());
    expect(refused(rsa)).toMatch(/key 1 is not Ed25519/);
    const torn = path.join(dir, 'torn.pem');
    writeFileSync(torn, '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n');
    expect(refused(torn)).toMatch(/key 1 cannot be read/);
  });

  it('requires an operator token in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', SACHSONG_DATA_DIR: dataDir() })).toThrow(/SACHSONG_OPERATOR_TOKEN/);
    expect(() => loadConfig({ SACHSONG_OPERATOR_TOKEN: 'short' })).toThrow(/at least 24/);
  });
});

describe('the language of the CLI and its reports', () => {
  it('is Vietnamese unless --lang or SACHSONG_LANG asks for English; the flag wins', () => {
    expect(languageSetting(['node', 'sachsong', 'serve'], {})).toBe('vi');
    expect(languageSetting(['node', 'sachsong', 'serve'], { SACHSONG_LANG: 'en' })).toBe('en');
    expect(languageSetting(['node', 'sachsong', '--lang', 'en', 'serve'], {})).toBe('en');
    expect(languageSetting(['node', 'sachsong', '--lang=en', 'serve'], { SACHSONG_LANG: 'vi' })).toBe('en');
    expect(languageSetting(['node', 'sachsong', '--lang', 'vi'], { SACHSONG_LANG: 'en' })).toBe('vi');
    expect(loadConfig({ SACHSONG_DATA_DIR: dataDir() }).lang).toBe('vi');
    expect(loadConfig({ SACHSONG_DATA_DIR: dataDir(), SACHSONG_LANG: 'en' }).lang).toBe('en');
    expect(() => loadConfig({ SACHSONG_DATA_DIR: dataDir(), SACHSONG_LANG: 'fr' })).toThrow(/SACHSONG_LANG: must be vi \(Vietnamese\) or en \(English\)/);
  });
});

describe('configuration errors in Vietnamese', () => {
  const caught = (env: Readonly<Record<string, string>>): ConfigError => {
    try {
      loadConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error('the configuration was accepted');
  };

  it('names every bad variable with what a valid value is, Vietnamese first and English on request', () => {
    const error = caught({ SACHSONG_DATA_DIR: dataDir(), PORT: 'eighty', DATABASE_URL: 'mysql://x', SACHSONG_NATS_REPLICAS: '7' });
    expect(error.messageIn('vi')).toBe([
      'cấu hình không hợp lệ:',
      '  DATABASE_URL: phải là địa chỉ dạng postgres:// hoặc postgresql://',
      '  PORT: phải là số nguyên từ 0 đến 65535',
      '  SACHSONG_NATS_REPLICAS: phải là số nguyên từ 1 đến 5',
    ].join('\n'));
    expect(error.messageIn('en')).toBe(error.message);
    expect(error.messageIn('en')).toMatch(/^invalid configuration:\n {2}DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/);
  });

  it('says in Vietnamese which rule across variables is broken', () => {
    expect(caught({ NODE_ENV: 'production', SACHSONG_DATA_DIR: dataDir() }).messageIn('vi')).toContain('SACHSONG_OPERATOR_TOKEN: bắt buộc khi chạy production');
    expect(caught({ SACHSONG_DATA_DIR: dataDir(), SACHSONG_READ_DATABASE_URL: 'postgres://h/db' }).messageIn('vi')).toContain('SACHSONG_READ_DATABASE_URL: bản sao chỉ đọc cần DATABASE_URL');
    expect(caught({ SACHSONG_DATA_DIR: dataDir(), SACHSONG_BODY_TIMEOUT_MS: '60000', SACHSONG_REQUEST_TIMEOUT_MS: '30000' }).messageIn('vi')).toContain('SACHSONG_REQUEST_TIMEOUT_MS: phải ít nhất bằng SACHSONG_BODY_TIMEOUT_MS (60000 ms)');
  });

  it('says in Vietnamese that a data folder cannot be made, and how to fix it', () => {
    const error = caught({ SACHSONG_DATA_DIR: '/proc/sachsong-x' });
    expect(error.messageIn('vi')).toMatch(/SACHSONG_DATA_DIR: không tạo được thư mục dữ liệu \/proc\/sachsong-x .*; cách xử lý: chọn thư mục người dùng này được ghi/);
    expect(error.message).toMatch(/cannot create the data folder/);
  });
});
