import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateSignerKey } from './checkpoint-note.js';

/**
 * The checkpoint signing key kept in `file` (made once, readable by its owner only): outside
 * production, where SACHSONG_AUDIT_SIGNING_KEY is not set, a fresh clone signs with it.
 *
 * @example
 * const key = config.auditSigningKey ?? localSigningKey(path.join(config.dataDir, 'audit-signing-key'));
 */
export function localSigningKey(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(path.dirname(file), { recursive: true });
  const key = generateSignerKey('sachsong.local/access-log');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}
