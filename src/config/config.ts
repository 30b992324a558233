import { createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { languages, type Language } from '../shared/language.js';
import { FolderError, makeFolder } from '../shared/folder.js';

/** Everything sachsong reads from its environment, validated once. */
export type { Language } from '../shared/language.js';

export interface AppConfig {
  readonly env: 'development' | 'test' | 'production';
  readonly dataDir: string;
  /** PostgreSQL connection string; when absent the embedded SQLite store under dataDir is used. */
  readonly databaseUrl: string | undefined;
  /**
   * A streaming replica of DATABASE_URL's primary, from SACHSONG_READ_DATABASE_URL: the reads that
   * may lag a moment (search, statistics, dashboards, quality scorecards) go there, and to the
   * primary while it cannot be reached (store/read-replica.ts). Absent: every read on the primary.
   */
  readonly readDatabaseUrl: string | undefined;
  readonly host: string;
  readonly port: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Bearer token for operator endpoints until agency access lands with the exchange. */
  readonly operatorToken: string;
  /**
   * Where the operator token came from: the environment, the data folder's `operator-token` file,
   * or that file just now made (only then does `serve` print it).
   */
  readonly operatorTokenSource: 'environment' | 'file' | 'created';
  /** The HTTP edge's time limits (src/http/app.ts): slow clients are cut, shutdown is bounded. */
  readonly http: HttpTimeouts;
  readonly natsUrl: string | undefined;
  /**
   * How many NATS servers keep each JetStream stream the application makes (events, replay
   * memory), from SACHSONG_NATS_REPLICAS: 3 in a three-server cluster (scripts/cluster.sh), 1 on
   * one server (the default).
   */
  readonly natsReplicas: number;
  /**
   * Ed25519 signed-note key (`PRIVATE+KEY+<origin>+<hash>+<key>`) that signs the access log's
   * checkpoints, from SACHSONG_AUDIT_SIGNING_KEY (required in production). Absent elsewhere: the
   * audit module keeps one in the data folder (audit/signing-key.file.ts).
   */
  readonly auditSigningKey: string | undefined;
  /**
   * The address browsers reach the server at (`https://registry.example.vn`): the officers' OpenID
   * provider's issuer is `<publicUrl>/oidc`. Absent: the listening address (loopback use).
   */
  readonly publicUrl: string | undefined;
  /** The language of the CLI's words and of the reports it writes (SACHSONG_LANG): Vietnamese unless English is asked for. */
  readonly lang: Language;
  /**
   * The card issuer's document-signing public keys (Ed25519), read from the PEM file named by
   * SACHSONG_CARD_ISSUER_KEYS: a chip's signed data raises an e-ID account to level 2 only when
   * one of them verifies it. None: level 2 by chip is refused (an officer's attestation remains).
   */
  readonly cardIssuerKeys: readonly KeyObject[];
}

/** Time limits of the HTTP server, in milliseconds. */
export interface HttpTimeouts {
  /**
   * Headers, and the body of any request outside /api (unauthenticated callers: the agencies'
   * token and service calls carry small JSON bodies), must arrive within this.
   */
  readonly bodyMs: number;
  /** Any whole request, including an operator's streamed upload under /api, must arrive within this. */
  readonly requestMs: number;
  /** On SIGTERM, requests in flight get this long to finish before their connections are closed. */
  readonly shutdownGraceMs: number;
}

/** Defaults: a legitimate token or service call is a few hundred bytes; an upload of a large agency file may take minutes. */
export const defaultHttpTimeouts: HttpTimeouts = { bodyMs: 10_000, requestMs: 900_000, shutdownGraceMs: 5_000 };

const milliseconds = (min: number, max: number) =>
  z.coerce.number().int('must be a whole number of milliseconds').min(min, `must be at least ${min} ms`).max(max, `must be at most ${max} ms`);

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  SACHSONG_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  SACHSONG_READ_DATABASE_URL: z
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
  SACHSONG_NATS_REPLICAS: z.coerce.number().int('must be a whole number').min(1, 'must be 1 to 5').max(5, 'must be 1 to 5').default(1),
  SACHSONG_AUDIT_SIGNING_KEY: z
    .string()
    .regex(/^PRIVATE\+KEY\+[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/, 'must be a signed-note key PRIVATE+KEY+<origin>+<hash>+<key>')
    .optional(),
  SACHSONG_PUBLIC_URL: z
    .string()
    .regex(/^https?:\/\/[^/?#\s]+$/, 'must be an origin such as https://registry.example.vn (no path)')
    .optional(),
  SACHSONG_BODY_TIMEOUT_MS: milliseconds(100, 600_000).default(defaultHttpTimeouts.bodyMs),
  SACHSONG_REQUEST_TIMEOUT_MS: milliseconds(1_000, 86_400_000).default(defaultHttpTimeouts.requestMs),
  SACHSONG_SHUTDOWN_GRACE_MS: milliseconds(0, 600_000).default(defaultHttpTimeouts.shutdownGraceMs),
  SACHSONG_LANG: z.enum(languages, { error: 'must be vi (Vietnamese) or en (English)' }).default('vi'),
  SACHSONG_CARD_ISSUER_KEYS: z.string().optional(),
});

/** One problem with a setting, in Vietnamese and in English. */
export interface ConfigProblem {
  readonly vi: string;
  readonly en: string;
}

/**
 * Thrown when the environment is invalid; names every bad variable at once. `problems` and the
 * message are English (stable, for logs and tests); `messageIn('vi')` is what the CLI prints by default.
 */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(readonly bilingual: readonly ConfigProblem[]) {
    super(`invalid configuration:\n  ${bilingual.map((p) => p.en).join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = bilingual.map((p) => p.en);
  }

  /** The whole message in one language: Vietnamese first, English on request. */
  messageIn(lang: Language): string {
    if (lang === 'en') return this.message;
    return `cấu hình không hợp lệ:\n  ${this.bilingual.map((p) => p.vi).join('\n  ')}`;
  }
}

/** What a valid value of each variable is, in Vietnamese (zod's own words are English). */
const viRules: Readonly<Record<string, string>> = {
  NODE_ENV: 'phải là development, test hoặc production',
  SACHSONG_DATA_DIR: 'phải là đường dẫn thư mục',
  DATABASE_URL: 'phải là địa chỉ dạng postgres:// hoặc postgresql://',
  SACHSONG_READ_DATABASE_URL: 'phải là địa chỉ dạng postgres:// hoặc postgresql://',
  HOST: 'phải là một địa chỉ, ví dụ 127.0.0.1 hoặc 0.0.0.0',
  PORT: 'phải là số nguyên từ 0 đến 65535',
  LOG_LEVEL: 'phải là fatal, error, warn, info, debug, trace hoặc silent',
  SACHSONG_OPERATOR_TOKEN: 'phải dài ít nhất 24 ký tự',
  NATS_URL: 'phải là địa chỉ dạng nats://',
  SACHSONG_NATS_REPLICAS: 'phải là số nguyên từ 1 đến 5',
  SACHSONG_AUDIT_SIGNING_KEY: 'phải là khóa ký dạng PRIVATE+KEY+<nguồn>+<mã băm>+<khóa>',
  SACHSONG_PUBLIC_URL: 'phải là một nguồn gốc như https://registry.example.vn (không có đường dẫn)',
  SACHSONG_BODY_TIMEOUT_MS: 'phải là số nguyên mili giây từ 100 đến 600000',
  SACHSONG_REQUEST_TIMEOUT_MS: 'phải là số nguyên mili giây từ 1000 đến 86400000',
  SACHSONG_SHUTDOWN_GRACE_MS: 'phải là số nguyên mili giây từ 0 đến 600000',
  SACHSONG_LANG: 'phải là vi (tiếng Việt) hoặc en (tiếng Anh)',
  SACHSONG_CARD_ISSUER_KEYS: 'phải là đường dẫn tới tệp PEM',
};

const problem = (vi: string, en: string): ConfigProblem => ({ vi, en });

/** Settings given on the command line (`serve --port --host --data-dir`); they win over the environment. */
export interface CommandLineSettings {
  readonly port?: string;
  readonly host?: string;
  readonly dataDir?: string;
}

const flagOf: Readonly<Record<string, string>> = { PORT: '--port', HOST: '--host', SACHSONG_DATA_DIR: '--data-dir' };

/**
 * The environment with the command line's settings over it.
 *
 * @example
 * const config = loadConfigWith({ port: '8081' });
 */
export function loadConfigWith(settings: CommandLineSettings): AppConfig {
  const given = { PORT: settings.port, HOST: settings.host, SACHSONG_DATA_DIR: settings.dataDir };
  const flags = Object.entries(given).filter(([, v]) => v !== undefined).map(([name]) => name);
  return loadConfig({ ...process.env, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) }, flags);
}

/**
 * Reads and validates the environment. The only place in sachsong that touches `process.env`.
 * `fromFlags` names the variables a command-line flag set, so that an error names the flag too.
 *
 * @example
 * const config = loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1/sachsong' });
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env, fromFlags: readonly string[] = []): AppConfig {
  // Empty strings mean "not set" so that `FOO= sachsong serve` behaves like leaving FOO out.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  const named = (variable: string): string => (fromFlags.includes(variable) ? `${variable} (${flagOf[variable] ?? ''})` : variable);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => {
      const variable = i.path.join('.');
      return problem(`${named(variable)}: ${viRules[variable] ?? i.message}`, `${named(variable)}: ${i.message}`);
    }));
  }
  const v = parsed.data;
  if (v.NODE_ENV === 'production' && v.SACHSONG_OPERATOR_TOKEN === undefined) {
    throw new ConfigError([problem('SACHSONG_OPERATOR_TOKEN: bắt buộc khi chạy production', 'SACHSONG_OPERATOR_TOKEN: required in production')]);
  }
  if (v.SACHSONG_REQUEST_TIMEOUT_MS < v.SACHSONG_BODY_TIMEOUT_MS) {
    throw new ConfigError([problem(`SACHSONG_REQUEST_TIMEOUT_MS: phải ít nhất bằng SACHSONG_BODY_TIMEOUT_MS (${v.SACHSONG_BODY_TIMEOUT_MS} ms)`, `SACHSONG_REQUEST_TIMEOUT_MS: must be at least SACHSONG_BODY_TIMEOUT_MS (${v.SACHSONG_BODY_TIMEOUT_MS} ms)`)]);
  }
  if (v.NODE_ENV === 'production' && v.SACHSONG_AUDIT_SIGNING_KEY === undefined) {
    throw new ConfigError([problem('SACHSONG_AUDIT_SIGNING_KEY: bắt buộc khi chạy production', 'SACHSONG_AUDIT_SIGNING_KEY: required in production')]);
  }
  if (v.SACHSONG_READ_DATABASE_URL !== undefined && v.DATABASE_URL === undefined) {
    throw new ConfigError([problem('SACHSONG_READ_DATABASE_URL: bản sao chỉ đọc cần DATABASE_URL (máy chủ PostgreSQL chính của nó)', 'SACHSONG_READ_DATABASE_URL: a read replica needs DATABASE_URL (its PostgreSQL primary)')]);
  }
  const dataDir = path.resolve(v.SACHSONG_DATA_DIR);
  makeDataDir(dataDir, named('SACHSONG_DATA_DIR'));
  const token = v.SACHSONG_OPERATOR_TOKEN === undefined ? localOperatorToken(dataDir) : { token: v.SACHSONG_OPERATOR_TOKEN, source: 'environment' as const };
  return {
    env: v.NODE_ENV,
    dataDir,
    databaseUrl: v.DATABASE_URL,
    readDatabaseUrl: v.SACHSONG_READ_DATABASE_URL,
    host: v.HOST,
    port: v.PORT,
    logLevel: v.LOG_LEVEL,
    operatorToken: token.token,
    operatorTokenSource: token.source,
    http: { bodyMs: v.SACHSONG_BODY_TIMEOUT_MS, requestMs: v.SACHSONG_REQUEST_TIMEOUT_MS, shutdownGraceMs: v.SACHSONG_SHUTDOWN_GRACE_MS },
    natsUrl: v.NATS_URL,
    natsReplicas: v.SACHSONG_NATS_REPLICAS,
    auditSigningKey: v.SACHSONG_AUDIT_SIGNING_KEY,
    publicUrl: v.SACHSONG_PUBLIC_URL,
    lang: v.SACHSONG_LANG,
    cardIssuerKeys: v.SACHSONG_CARD_ISSUER_KEYS === undefined ? [] : cardIssuerKeysFrom(v.SACHSONG_CARD_ISSUER_KEYS),
  };
}

/** Every PEM public key in the file, each Ed25519; a file that cannot be read, or holds none or another kind, is named. */
function cardIssuerKeysFrom(file: string): readonly KeyObject[] {
  const refuse = (vi: string, en: string): ConfigError => new ConfigError([problem(
    `SACHSONG_CARD_ISSUER_KEYS: ${vi} (${file}); cách xử lý: đặt đường dẫn tới tệp PEM chứa khóa công khai Ed25519 của cơ quan cấp thẻ`,
    `SACHSONG_CARD_ISSUER_KEYS: ${en} (${file}); name a PEM file of the card issuer's Ed25519 public keys`,
  )]);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'unknown';
    throw refuse(`không đọc được tệp (${code})`, `cannot read the file (${code})`);
  }
  const blocks = text.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [];
  if (blocks.length === 0) throw refuse('tệp không có khóa công khai PEM nào', 'the file holds no PEM public key');
  return blocks.map((pem, i) => {
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch {
      throw refuse(`khóa thứ ${String(i + 1)} không đọc được`, `key ${String(i + 1)} cannot be read`);
    }
    if (key.asymmetricKeyType !== 'ed25519') throw refuse(`khóa thứ ${String(i + 1)} không phải Ed25519`, `key ${String(i + 1)} is not Ed25519`);
    return key;
  });
}

/**
 * The language of the CLI, known before its help is built: `--lang vi|en` on the command line,
 * else SACHSONG_LANG, else Vietnamese. An unknown value is left to the option's own check
 * (or to loadConfig, for the variable), so this never throws.
 *
 * @example
 * languageSetting(['node', 'sachsong', '--lang', 'en', 'serve'], {}) // 'en'
 */
export function languageSetting(argv: readonly string[] = process.argv, env: Readonly<Record<string, string | undefined>> = process.env): Language {
  const at = argv.indexOf('--lang');
  const flag = at >= 0 ? argv[at + 1] : argv.find((a) => a.startsWith('--lang='))?.slice('--lang='.length);
  const asked = flag ?? env.SACHSONG_LANG;
  return asked === 'en' ? 'en' : 'vi';
}

/** Outside production a token is made once per data folder so that a fresh clone just works. */
function localOperatorToken(dataDir: string): { readonly token: string; readonly source: 'file' | 'created' } {
  const file = path.join(dataDir, 'operator-token');
  if (existsSync(file)) return { token: readFileSync(file, 'utf8').trim(), source: 'file' };
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, source: 'created' };
}

const folderReasons: Readonly<Record<string, readonly [vi: string, en: string]>> = {
  EACCES: ['không có quyền', 'permission denied'],
  EPERM: ['không có quyền', 'permission denied'],
  EROFS: ['hệ thống tệp chỉ cho đọc', 'the file system is read-only'],
  ENOTDIR: ['có một tệp trùng tên chắn đường', 'a file of that name is in the way'],
  ENOENT: ['không tạo được thư mục ở đó', 'folders cannot be made there'],
  ENOSPC: ['đĩa đã đầy', 'the disk is full'],
};

/** The data folder is made (or found) before anything is written in it: a folder that cannot be made fails at once. */
function makeDataDir(dataDir: string, variable: string): void {
  try {
    makeFolder(dataDir);
  } catch (error) {
    if (!(error instanceof FolderError)) throw error;
    const [vi, en] = folderReasons[error.code] ?? [error.code, error.code];
    throw new ConfigError([problem(
      `${variable}: không tạo được thư mục dữ liệu ${dataDir} (${error.folder}: ${vi}); cách xử lý: chọn thư mục người dùng này được ghi, ví dụ SACHSONG_DATA_DIR=./data`,
      `${variable}: cannot create the data folder ${dataDir} (${error.folder}: ${en}); choose a folder this user may write, e.g. SACHSONG_DATA_DIR=./data`,
    )]);
  }
}
