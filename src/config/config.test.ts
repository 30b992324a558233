import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

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

  it('requires an operator token in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', SACHSONG_DATA_DIR: dataDir() })).toThrow(/SACHSONG_OPERATOR_TOKEN/);
    expect(() => loadConfig({ SACHSONG_OPERATOR_TOKEN: 'short' })).toThrow(/at least 24/);
  });
});
