import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { generateSignerKey } from '../audit/checkpoint-note.js';

/** Everything sachsong reads from its environment, validated once. */
export interface AppConfig {
  readonly env: 'development' | 'test' | 'production';
  readonly dataDir: string;
  /** PostgreSQL connection string; when absent the embedded SQLite store under dataDir is used. */
  readonly databaseUrl: string | undefined;
  readonly host: string;
  readonly port: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Bearer token for operator endpoints until agency access lands with the exchange. */
  readonly operatorToken: string;
  readonly natsUrl: string | undefined;
  /** Ed25519 signed-note key (`PRIVATE+KEY+<origin>+<hash>+<key>`) that signs the access log's checkpoints. */
  readonly auditSigningKey: string;
}

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  SACHSONG_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SACHSONG_OPERATOR_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  NATS_URL: z
    .string()
    .regex(/^nats:\/\//, 'must be a nats:// URL')
    .optional(),
  SACHSONG_AUDIT_SIGNING_KEY: z
    .string()
    .regex(/^PRIVATE\+KEY\+[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/, 'must be a signed-note key PRIVATE+KEY+<origin>+<hash>+<key>')
    .optional(),
});

/** Thrown when the environment is invalid; names every bad variable at once. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the environment. The only place in sachsong that touches `process.env`.
 *
 * @example
 * const config = loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1/sachsong' });
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): AppConfig {
  // Empty strings mean "not set" so that `FOO= sachsong serve` behaves like leaving FOO out.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const v = parsed.data;
  if (v.NODE_ENV === 'production' && v.SACHSONG_OPERATOR_TOKEN === undefined) {
    throw new ConfigError(['SACHSONG_OPERATOR_TOKEN: required in production']);
  }
  if (v.NODE_ENV === 'production' && v.SACHSONG_AUDIT_SIGNING_KEY === undefined) {
    throw new ConfigError(['SACHSONG_AUDIT_SIGNING_KEY: required in production']);
  }
  const dataDir = path.resolve(v.SACHSONG_DATA_DIR);
  return {
    env: v.NODE_ENV,
    dataDir,
    databaseUrl: v.DATABASE_URL,
    host: v.HOST,
    port: v.PORT,
    logLevel: v.LOG_LEVEL,
    operatorToken: v.SACHSONG_OPERATOR_TOKEN ?? localOperatorToken(dataDir),
    natsUrl: v.NATS_URL,
    auditSigningKey: v.SACHSONG_AUDIT_SIGNING_KEY ?? localAuditSigningKey(dataDir),
  };
}

/** Outside production the access log's checkpoint key is made once per data folder, like the operator token. */
function localAuditSigningKey(dataDir: string): string {
  const file = path.join(dataDir, 'audit-signing-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const key = generateSignerKey('sachsong.local/access-log');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

/** Outside production a token is made once per data folder so that a fresh clone just works. */
function localOperatorToken(dataDir: string): string {
  const file = path.join(dataDir, 'operator-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}
