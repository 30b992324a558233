import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errorText } from './error-messages.js';

const srcDir = fileURLToPath(new URL('../../src', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.includes('test-helper') ? [full] : [];
  });
}

/**
 * Every stable code a domain error is made with in src/: `new DomainError('kind', 'CODE'`, the
 * modules' helpers (`invalid('CODE'`, `unauthorized('CODE'`, `identityErrors.x('CODE'`), and the
 * HTTP edge's own codes (`code: 'CODE'` in the error handler).
 */
function thrownCodes(): Map<string, string> {
  const codes = new Map<string, string>();
  const made = /(?:new DomainError\(\s*'[a-z_]+',|\b(?:invalid|unauthorized|identityErrors\.\w+)\()\s*'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)'/g;
  for (const file of sourceFiles(srcDir)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(made)) if (m[1] !== undefined && !codes.has(m[1])) codes.set(m[1], path.relative(srcDir, file));
  }
  const edge = readFileSync(path.join(srcDir, 'http', 'error-handler.ts'), 'utf8');
  for (const m of edge.matchAll(/code: '([A-Z][A-Z0-9_]+)'/g)) if (m[1] !== undefined) codes.set(m[1], 'http/error-handler.ts');
  return codes;
}

describe('the console\'s error texts', () => {
  const codes = thrownCodes();

  it('finds the codes thrown in src/ (the scan works)', () => {
    expect(codes.size).toBeGreaterThan(250);
    for (const code of ['MEMBER_EXISTS', 'JWKS_INVALID', 'GRANT_NOT_FOUND', 'CLIENT_NOT_FOUND', 'SIGN_IN_FAILED', 'PERSON_NOT_FOUND', 'STORE_UNAVAILABLE', 'INPUT_INVALID']) expect(codes.has(code), code).toBe(true);
  });

  it('has Vietnamese words for every domain error code thrown in src/', () => {
    const missing = [...codes].filter(([code]) => errorText('vi', code) === undefined).map(([code, file]) => `${code} (${file})`);
    expect(missing, 'add these codes to src/shared/error-words.vi.ts').toEqual([]);
  });

  it('says what happened and what to do, in Vietnamese, for each', () => {
    for (const code of codes.keys()) {
      const text = errorText('vi', code);
      expect(text?.detail, code).toMatch(/\S/);
      expect(text?.action, code).toMatch(/\S/);
    }
    expect(errorText('vi', 'MEMBER_EXISTS')).toEqual({ detail: 'Thành viên này đã được kết nạp.', action: 'Thêm hệ thống con hoặc cán bộ cho thành viên đó.' });
  });

  it('leaves English to the server\'s own words, which carry the specifics', () => {
    expect(errorText('en', 'MEMBER_EXISTS')).toBeUndefined();
  });
});
