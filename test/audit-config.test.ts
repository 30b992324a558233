import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSignerKey, parseSignerKey } from '../src/audit/checkpoint-note.js';
import { localSigningKey } from '../src/audit/signing-key.file.js';
import { ConfigError, loadConfig } from '../src/config/config.js';

describe('the checkpoint signing key in the configuration', () => {
  const dirs: string[] = [];
  const dataDir = (): string => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-audit-config-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('is generated once into the data folder outside production, readable by its owner only', () => {
    const dir = dataDir();
    // the configuration has none of its own; the audit module keeps one in the data folder
    expect(loadConfig({ SACHSONG_DATA_DIR: dir }).auditSigningKey).toBeUndefined();
    const file = path.join(dir, 'audit-signing-key');
    const first = localSigningKey(file);
    expect(parseSignerKey(first).name).toBe('sachsong.local/access-log');
    expect(localSigningKey(file)).toBe(first);
    expect(readFileSync(path.join(dir, 'audit-signing-key'), 'utf8').trim()).toBe(first);
    expect(statSync(path.join(dir, 'audit-signing-key')).mode & 0o077).toBe(0);
  });

  it('is taken from SACHSONG_AUDIT_SIGNING_KEY, required in production and checked', () => {
    const key = generateSignerKey('registry.gov.vn/access-log');
    expect(loadConfig({ SACHSONG_DATA_DIR: dataDir(), SACHSONG_AUDIT_SIGNING_KEY: key }).auditSigningKey).toBe(key);
    expect(() => loadConfig({ NODE_ENV: 'production', SACHSONG_DATA_DIR: dataDir(), SACHSONG_OPERATOR_TOKEN: 'x'.repeat(32) })).toThrow(/SACHSONG_AUDIT_SIGNING_KEY: required in production/);
    expect(() => loadConfig({ SACHSONG_DATA_DIR: dataDir(), SACHSONG_AUDIT_SIGNING_KEY: 'not-a-key' })).toThrow(ConfigError);
  });
});
