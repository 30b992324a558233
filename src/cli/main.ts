import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import path from 'node:path';
import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, type CommandLineSettings } from '../config/config.js';
import { buildApp } from '../http/app.js';
import { readPersonFile } from '../registry/person-file.reader.js';
import { rejectionIn } from '../registry/import-rejection.messages.js';
import { openAccessLog } from '../audit/access-log.service.js';
import { BulkJobRecorder } from '../audit/bulk-job.recorder.js';
import { exportColumns, exportPersons, type ExportFormat } from '../registry/person-export.service.js';
import { RegistryService } from '../registry/registry.service.js';
import { checkImportHeader, PersonImportService } from '../registry/person-import.service.js';
import { seedDemoPlanIfNone } from '../direction/demo-plan.js';
import { QualityService } from '../quality/quality.service.js';
import { personRepository } from '../registry/person.repository.js';
import { generatePopulationInWorker } from '../registry/population.generator.js';
import { adminUnitCatalog } from '../registry/admin-unit.catalog.js';
import { injectDefects, newLedger } from '../quality/defect.injector.js';
import { loadPopulation } from '../store/bulk-writer.js';
import { isoDay, systemClock } from '../shared/clock.js';
import { isDomainError } from '../shared/domain-error.js';
import { FolderError } from '../shared/folder.js';
import { ndjsonToParquet } from '../store/parquet-writer.js';
import { migrateToLatest } from '../store/migrator.js';
import { openReadReplica } from '../store/read-replica.js';
import { partitionHotTables } from '../store/partitioning.js';
import { registerAuditCommands } from './audit.command.js';
import { registerBackupCommands } from './backup.command.js';
import { registerExchangeCommands } from './exchange.command.js';
import { registerCitizenCommands } from './citizen.command.js';
import { registerOidcCommands } from './oidc.command.js';
import { explainIdNumber } from './id-check.command.js';
import { registerMatchingCommands } from './matching.command.js';
import { registerQualityCommands } from './quality.command.js';
import { registerReconcileCommands } from './reconcile.command.js';
import { registerTaxCodeCommands } from './tax-code.command.js';
import { openContext, storeAddress, type CliContext } from './context.js';
import { cliLang, errorLine, helpInLanguage, say, usageError } from './cli-language.js';

function positiveInt(value: string): number {
  const n = Number(value.replaceAll('_', ''));
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(say('phải là số nguyên không âm', 'must be a whole number'));
  return n;
}

/** The file's SHA-256 (the import's identity, for resuming) and its line count (for progress). */
async function fingerprint(file: string): Promise<{ readonly sha256: string; readonly lines: number }> {
  const hash = createHash('sha256');
  let lines = 0;
  for await (const chunk of createReadStream(file)) {
    const buffer = chunk as Buffer;
    hash.update(buffer);
    for (let i = buffer.indexOf(10); i !== -1; i = buffer.indexOf(10, i + 1)) lines++;
  }
  return { sha256: hash.digest('hex'), lines };
}

function progressBar(total: number, label: string): { update(n: number): void; stop(): void } {
  if (!process.stderr.isTTY) {
    let last = 0;
    return {
      update: (n) => {
        if (n - last >= Math.max(total / 10, 1) || n === total) {
          process.stderr.write(`${label}: ${n}/${total > 0 ? total : '?'}\n`);
          last = n;
        }
      },
      stop: () => undefined,
    };
  }
  const bar = new SingleBar({ format: `${label} [{bar}] {percentage}% {value}/{total} {eta_formatted}`, stream: process.stderr });
  bar.start(total, 0);
  return { update: (n) => { bar.update(n); }, stop: () => { bar.stop(); } };
}

/**
 * Generates and loads a population. `defectRate` (the demo's) spoils that share of persons per kind
 * of defect the quality rules find (quality/defect.injector.ts), so that the quality pages and the
 * worklist have something to show.
 */
async function generate(ctx: CliContext, people: number, seed: number, defectRate = 0): Promise<void> {
  const started = performance.now();
  const bar = progressBar(people, say('tạo dân cư', 'generate'));
  // `generate` stays the same for a seed whatever the day; the demo is as at today.
  const today = isoDay(systemClock.now());
  const batches = defectRate > 0 ? generatePopulationInWorker({ people, seed, today }) : generatePopulationInWorker({ people, seed });
  const spoiled = defectRate > 0 ? injectDefects(batches, { rate: defectRate, seed, today, units: adminUnitCatalog() }, newLedger()) : batches;
  const result = await loadPopulation(ctx.database, spoiled, (done) => { bar.update(done); });
  bar.stop();
  ctx.logger.info({ ...result, defectRate, seconds: Math.round(performance.now() - started) / 1000 }, 'population generated');
}

function defectShare(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 0.05) throw new InvalidArgumentError(say('phải là tỷ lệ từ 0 đến 0,05 (ví dụ 0.002)', 'must be a share from 0 to 0.05 (e.g. 0.002)'));
  return n;
}

/** The system's wording of a file error, as an operator reads it. */
const fileReasons: Readonly<Record<string, string>> = cliLang === 'vi' ? {
  ENOENT: 'không có tệp hoặc thư mục này',
  EACCES: 'không có quyền',
  EPERM: 'không có quyền',
  EISDIR: 'đây là thư mục, không phải tệp',
  ENOTDIR: 'một phần của đường dẫn là tệp, không phải thư mục',
  ENOSPC: 'đĩa đã đầy',
  EROFS: 'hệ thống tệp chỉ cho đọc',
  EMFILE: 'đang mở quá nhiều tệp',
} : {
  ENOENT: 'there is no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
  ENOSPC: 'the disk is full',
  EROFS: 'the file system is read-only',
  EMFILE: 'too many files are open',
};

/**
 * One line for a failure that is not a domain error, with what to do where the cause is known: a
 * port in use, a file or folder that cannot be used. A file-system error names the file (by its
 * base name if the path is absolute: it may be a server folder the user never typed); anything
 * else its type. Never a stack trace or an internal message.
 */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return say('lỗi: sự cố ngoài dự kiến', 'error: an unexpected failure');
  if (error instanceof FolderError) {
    return say(`lỗi ${error.code}: không tạo được thư mục ${error.folder} (${fileReasons[error.code] ?? error.code}); cách xử lý: chọn thư mục người dùng này được ghi`, `error ${error.code}: cannot create the folder ${error.folder} (${fileReasons[error.code] ?? error.code}); what to do: choose a folder this user may write`);
  }
  const { code, path: file, syscall, address, port } = error as NodeJS.ErrnoException & { address?: unknown; port?: unknown };
  if (syscall === 'listen' && (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL')) {
    const where = `${typeof address === 'string' ? address : say('máy này', 'this host')}:${typeof port === 'number' ? port : '?'}`;
    if (code === 'EADDRINUSE') return say(`lỗi EADDRINUSE: cổng ${typeof port === 'number' ? port : '?'} đang được dùng (${where}); cách xử lý: dừng máy chủ kia, hoặc chọn cổng trống bằng --port hoặc PORT (ví dụ PORT=8081)`, `error EADDRINUSE: port ${typeof port === 'number' ? port : '?'} is already in use (${where}); what to do: stop the other server, or choose a free port with --port or PORT (e.g. PORT=8081)`);
    if (code === 'EACCES') return say(`lỗi EACCES: người dùng này không được nghe ở ${where}; cách xử lý: chọn cổng trên 1023 bằng --port hoặc PORT`, `error EACCES: this user may not listen on ${where}; what to do: choose a port above 1023 with --port or PORT`);
    return say(`lỗi EADDRNOTAVAIL: ${typeof address === 'string' ? address : 'địa chỉ này'} không phải địa chỉ của máy này; cách xử lý: chọn địa chỉ khác bằng --host hoặc HOST (ví dụ 127.0.0.1 hoặc 0.0.0.0)`, `error EADDRNOTAVAIL: ${typeof address === 'string' ? address : 'the address'} is not an address of this machine; what to do: choose another with --host or HOST (e.g. 127.0.0.1 or 0.0.0.0)`);
  }
  if (typeof code === 'string' && typeof file === 'string') {
    const shown = path.isAbsolute(file) ? path.basename(file) : file;
    return say(`lỗi ${code}: không ${syscall ?? 'dùng'} được ${shown}: ${fileReasons[code] ?? 'hệ thống từ chối'}; cách xử lý: kiểm tra đường dẫn và quyền truy cập`, `error ${code}: cannot ${syscall ?? 'use'} ${shown}: ${fileReasons[code] ?? 'the system refused'}; what to do: check the path and its permissions`);
  }
  if (typeof code === 'string' && typeof syscall === 'string') {
    const where = typeof address === 'string' ? ` ${address}${typeof port === 'number' ? `:${port}` : ''}` : '';
    return say(`lỗi ${code}: không ${syscall} được${where}`, `error ${code}: cannot ${syscall}${where}`);
  }
  return say(`lỗi ${typeof code === 'string' ? code : error.name}: sự cố ngoài dự kiến; chạy lại với LOG_LEVEL=debug để ghi nhật ký nơi xảy ra`, `error ${typeof code === 'string' ? code : error.name}: an unexpected failure; run again with LOG_LEVEL=debug to log where it happened`);
}

/** Prints any error a command ends with, on one line without a stack trace, and sets the exit code. */
function reportFailure(error: unknown, logger?: { debug: (obj: object, msg: string) => void }): void {
  if (error instanceof ConfigError) {
    console.error(error.messageIn(cliLang));
    process.exitCode = 78;
  } else if (isDomainError(error)) {
    console.error(errorLine(error.code, error.message, error.action));
    process.exitCode = 2;
  } else {
    // The log's serializer keeps the error's type, code and stack frames, not its message.
    logger?.debug({ err: error }, 'command failed');
    console.error(describeFailure(error));
    process.exitCode = 1;
  }
}

async function withContext(work: (ctx: CliContext) => Promise<number | undefined>): Promise<void> {
  let ctx: CliContext | undefined;
  try {
    ctx = await openContext();
    process.exitCode = (await work(ctx)) ?? 0;
  } catch (error) {
    reportFailure(error, ctx?.logger);
  } finally {
    await ctx?.close();
  }
}

/** A path as the operator would type it: relative to the working folder when inside it. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : `./${relative}`;
}

/**
 * What `serve` prints once listening. The operator token goes to the terminal only on the start
 * that made it (terminals are scrolled back, logged and screen-shared).
 */
function serveBanner(base: string, source: 'environment' | 'file' | 'created', token: string, tokenFile: string): string {
  const where = source === 'environment' ? say('lấy từ SACHSONG_OPERATOR_TOKEN', 'from SACHSONG_OPERATOR_TOKEN') : say(`lưu trong ${tokenFile}`, `kept in ${tokenFile}`);
  // Officers sign in through the OpenID provider; the operator token only creates the first administrator.
  const tokenLine = source === 'created'
    ? say(`  mã vận hành: ${token}\n            (mới, ${where}; các lần khởi động sau không in ra): POST ${base}/api/identity/bootstrap với mã này tạo quản trị viên đầu tiên`, `  operator token: ${token}\n            (new, ${where}; later starts do not print it): POST ${base}/api/identity/bootstrap with it creates the first administrator`)
    : say(`  mã vận hành ${where}: chỉ dùng để tạo quản trị viên đầu tiên (POST ${base}/api/identity/bootstrap)`, `  operator token ${where}: it only creates the first administrator (POST ${base}/api/identity/bootstrap)`);
  return say(`  bảng điều khiển: ${base}/   (cán bộ đăng nhập bằng tên đăng nhập, mật khẩu và mã xác thực)\n${tokenLine}\n  tài liệu API:    ${base}/docs`, `  console:  ${base}/   (officers sign in with user name, password and authenticator code)\n${tokenLine}\n  API docs: ${base}/docs`);
}

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('sachsong')
  .description(say('sachsong: cơ sở dữ liệu quốc gia về dân cư và nền tảng trao đổi dữ liệu', 'sachsong: the national population registry and its exchange'))
  .version(version, '-V, --version', say('in số phiên bản', 'print the version'))
  .helpOption('-h, --help', say('xem hướng dẫn của lệnh', 'display help for command'))
  .helpCommand('help [command]', say('xem hướng dẫn của một lệnh', 'display help for command'))
  // Read before the help is built (cli-language.ts); declared here so that commander accepts it and checks its value.
  .addOption(new Option('--lang <lang>', say('ngôn ngữ: vi (tiếng Việt, mặc định) hoặc en; hoặc SACHSONG_LANG', 'language: vi (Vietnamese, the default) or en; or SACHSONG_LANG')).choices(['vi', 'en']))
  .showHelpAfterError(say('(xem hướng dẫn: sachsong --help)', '(add --help for additional information)'))
  // Inherited by every subcommand made with .command(): headings, notes and usage errors in the CLI's language.
  .configureHelp(helpInLanguage)
  .configureOutput({ outputError: (text, write) => { write(usageError(text)); } });

program
  .command('serve')
  .description(say('chạy API HTTP và bảng điều khiển web', 'run the HTTP API and the web console'))
  .option('--demo', say('nếu kho trống, tạo trước 100.000 người dân mẫu', 'generate a demo population of 100,000 first if the store is empty'))
  .option('--demo-people <n>', say('số người dân mẫu', 'size of the demo population'), positiveInt, 100_000)
  .option('--demo-defects <share>', say('tỷ lệ người dân mẫu bị làm sai theo mỗi loại lỗi (21 loại: 0.002 làm sai khoảng 4%); 0 là không', 'share of the demo persons spoiled per kind of defect (21 kinds: 0.002 spoils about 4%); 0 for none'), defectShare, 0.002)
  .option('--port <port>', say('cổng (mặc định: PORT, không có thì 8080; 0 là cổng trống bất kỳ)', 'port to listen on (default: PORT, else 8080; 0 for any free port)'))
  .option('--host <host>', say('địa chỉ (mặc định: HOST, không có thì 127.0.0.1; 0.0.0.0 là mọi giao diện mạng)', 'address to listen on (default: HOST, else 127.0.0.1; 0.0.0.0 for every interface)'))
  .option('--data-dir <dir>', say('thư mục dữ liệu: kho SQLite, khóa và tệp đối soát (mặc định: SACHSONG_DATA_DIR, không có thì ./data)', 'data folder: the SQLite store, keys and reconciliation files (default: SACHSONG_DATA_DIR, else ./data)'))
  .action(async (opts: { demo?: boolean; demoPeople: number; demoDefects: number } & CommandLineSettings) => {
    const settings: CommandLineSettings = { ...(opts.port === undefined ? {} : { port: opts.port }), ...(opts.host === undefined ? {} : { host: opts.host }), ...(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }) };
    const ctx = await openContext(settings).catch((error: unknown) => {
      if (error instanceof ConfigError) {
        console.error(error.messageIn(cliLang));
        process.exit(78);
      }
      throw error;
    });
    if (opts.demo === true && (await personRepository.count(ctx.database.db)) === 0) {
      ctx.logger.info({ people: opts.demoPeople }, 'empty store: generating a demo population');
      await generate(ctx, opts.demoPeople, 1, opts.demoDefects);
    }
    // The direction centre's demo plan (101 ministry and 18 local tasks), drawn from the same seed.
    if (opts.demo === true) await seedDemoPlanIfNone(ctx.database.db, systemClock, 1);
    // The reads that may lag a moment go to the replica when one is configured (docs/cluster.md).
    const replica = ctx.config.readDatabaseUrl === undefined ? undefined : openReadReplica(ctx.database, ctx.config.readDatabaseUrl);
    const app = await buildApp({
      database: ctx.database, dataDir: ctx.config.dataDir, accessLogStore: ctx.accessLogStore, clock: systemClock, operatorToken: ctx.config.operatorToken, auditSigningKey: ctx.auditSigningKey, logger: ctx.logger, timeouts: ctx.config.http,
      events: { dispatch: true, natsUrl: ctx.config.natsUrl, natsReplicas: ctx.config.natsReplicas },
      procedures: { run: true },
      ...(replica === undefined ? {} : { readDb: replica.db }),
      // With NATS, the exchange's replay memory is the JetStream cluster's, not a table on the primary.
      ...(ctx.config.natsUrl === undefined ? {} : { natsReplay: { url: ctx.config.natsUrl, replicas: ctx.config.natsReplicas } }),
      ...(ctx.config.publicUrl === undefined ? {} : { publicUrl: ctx.config.publicUrl }),
      ...(ctx.config.cardIssuerKeys.length === 0 ? {} : { cardIssuerKeys: ctx.config.cardIssuerKeys }),
    });
    let closing = false;
    const close = async (): Promise<void> => {
      // A signal often comes twice (to the process group, and passed on by bin/sachsong.js): close once.
      if (closing) return;
      closing = true;
      // New connections are refused at once; requests in flight get the grace period, then their
      // connections are cut (a client trickling a body would otherwise hold the shutdown).
      const { shutdownGraceMs } = ctx.config.http;
      const cut = setTimeout(() => { app.server.closeAllConnections(); }, shutdownGraceMs);
      // Last resort should a store or a job not finish closing: everything written is committed, and jobs resume on start.
      setTimeout(() => {
        console.error(say('sachsong: máy chủ không đóng kịp; thoát', 'sachsong: the server did not close in time; exiting'));
        process.exit(1);
      }, shutdownGraceMs + 30_000).unref();
      await app.close();
      clearTimeout(cut);
      await replica?.close();
      await ctx.close();
      process.exit(0);
    };
    process.on('SIGINT', () => void close());
    process.on('SIGTERM', () => void close());
    // Run by bin/sachsong.js over an IPC channel: if that parent goes (even by SIGKILL), stop too.
    if (process.connected) process.on('disconnect', () => void close());
    try {
      await app.listen({ host: ctx.config.host, port: ctx.config.port });
    } catch (error) {
      // A port in use, say: close what the app opened (the access log's journal, its threads) before the error is reported.
      closing = true;
      await app.close().catch(() => undefined);
      throw error;
    }
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : ctx.config.port;
    const base = `http://${ctx.config.host === '0.0.0.0' ? '127.0.0.1' : ctx.config.host}:${port}`;
    console.log(say(`sachsong đang phục vụ kho ${ctx.database.dialect}`, `sachsong is serving the ${ctx.database.dialect} store`));
    console.log(serveBanner(base, ctx.config.operatorTokenSource, ctx.config.operatorToken, displayPath(path.join(ctx.config.dataDir, 'operator-token'))));
  });

program
  .command('generate')
  .description(say('tạo dân cư tổng hợp (như nhau với cùng hạt giống) và nạp vào kho', 'generate a synthetic population (deterministic for a seed) and load it'))
  .requiredOption('--people <n>', say('số người', 'how many people'), positiveInt)
  .option('--seed <s>', say('hạt giống ngẫu nhiên', 'random seed'), positiveInt, 1)
  .action((opts: { people: number; seed: number }) =>
    withContext(async (ctx) => {
      if ((await personRepository.count(ctx.database.db)) > 0) {
        console.error(say('kho đã có dữ liệu dân cư; chỉ tạo vào kho trống (SACHSONG_DATA_DIR hoặc cơ sở dữ liệu khác)', 'the store already holds persons; generate into an empty store (another SACHSONG_DATA_DIR or database)'));
        return 2;
      }
      await generate(ctx, opts.people, opts.seed);
      return 0;
    }),
  );

program
  .command('import')
  .argument('<file>', say('tệp CSV hoặc NDJSON cần nhập', 'the CSV or NDJSON file to import'))
  .description(say('nhập dân cư từ CSV hoặc NDJSON (các cột như `sachsong export` ghi ra); mỗi lô nhập trọn vẹn hoặc không nhập', 'import persons from CSV or NDJSON (columns as `sachsong export` writes them); whole batches or nothing'))
  .option('--format <format>', say('csv hoặc ndjson (mặc định: theo đuôi tệp)', 'csv or ndjson (default: by file extension)'))
  .option('--batch-size <n>', say('số dòng mỗi lô (nhập trọn vẹn hoặc không)', 'rows per all-or-nothing batch'), positiveInt, 10_000)
  .option('--no-convert-legacy', say('từ chối tệp mã TCVN3 / VNI thay vì chuyển mã', 'reject TCVN3 / VNI files instead of converting them'))
  .option('--officer <id>', say('cán bộ được ghi trên các sự kiện nhập', 'officer recorded on the import events'))
  .option('--checkers <n>', say('số luồng kiểm tra các lô song song (mỗi luồng đọc cả tệp; chỉ lợi khi còn lõi CPU rảnh)', 'threads checking batches side by side (each reads the whole file; pays only with CPU cores to spare)'), positiveInt, 1)
  .option('--report <file>', say('ghi báo cáo đầy đủ (mọi dòng bị từ chối kèm lý do) ra tệp JSON', 'write the full report (every rejected row with its reason) as JSON'))
  .option('--no-quality-scan', say('bỏ lần quét chất lượng sau khi nhập (chạy `sachsong quality scan` sau)', 'skip the one quality scan after the import (run `sachsong quality scan` later)'))
  .action((file: string, opts: { format?: 'csv' | 'ndjson'; batchSize: number; convertLegacy: boolean; officer?: string; checkers: number; report?: string; qualityScan: boolean }) =>
    withContext(async (ctx) => {
      const readOptions = { ...(opts.format ? { format: opts.format } : {}), allowLegacy: opts.convertLegacy };
      // Opened here first: a file that cannot be read fails before the import starts.
      const read = await readPersonFile(file, readOptions);
      // A header naming no known column would reject every row: one error instead, listing the expected columns.
      if (read.header !== null) checkImportHeader(read.header);
      const print = await fingerprint(file);
      const importId = `${print.sha256}:${opts.batchSize}`;
      if (read.converted) console.error(say(`ghi chú: đã chuyển mã từ ${read.encoding} sang UTF-8`, `note: converted from ${read.encoding} to UTF-8`));
      const registry = new RegistryService({ db: ctx.database.db, clock: systemClock });
      const importer = new PersonImportService({ db: ctx.database.db, clock: systemClock, registry });
      const bar = progressBar(Math.max(print.lines - 1, 1), say('nhập', 'import'));
      // Read and checked in worker threads while this one writes the batch before.
      const report = await importer.runFile(file, { ...readOptions, format: read.format, checkers: Math.min(opts.checkers, 8) }, { importId, batchSize: opts.batchSize, officerId: opts.officer ?? null, onProgress: (n) => { bar.update(n); } });
      bar.stop();
      // Each refused row's reason in the CLI's language (the code stays as it is).
      const shown = { ...report, rejections: report.rejections.map((r) => rejectionIn(r, cliLang)) };
      if (opts.report !== undefined) {
        const { writeFileSync } = await import('node:fs');
        writeFileSync(opts.report, JSON.stringify(shown, null, 2));
      }
      console.log(JSON.stringify({ ...shown, rejections: shown.rejections.slice(0, 20) }, null, 2));
      if (opts.qualityScan && report.batchesCommitted > 0) {
        // Imported rows are not re-checked one by one as a registration is: one scan covers them all.
        const scan = await new QualityService({ db: ctx.database.db, store: ctx.database, clock: systemClock }).fullScan();
        console.error(say(`chất lượng: đã quét sau khi nhập: ${scan.persons} người, ${scan.findings} phát hiện, ${scan.open} đang mở`, `quality: one scan after the import: ${scan.persons} persons, ${scan.findings} findings, ${scan.open} open`));
      }
      return report.rejected > 0 ? 1 : 0;
    }),
  );

program
  .command('export')
  .description(say('xuất toàn bộ dân cư ra CSV, NDJSON hoặc Parquet', 'export all persons to CSV, NDJSON or Parquet'))
  .requiredOption('--out <file>', say('tệp kết quả', 'output file'))
  .option('--format <format>', say('csv, ndjson hoặc parquet (mặc định: theo đuôi tệp)', 'csv, ndjson or parquet (default: by extension)'))
  .option('--by <id>', say('người xuất (mã cán bộ hoặc tài khoản dịch vụ), hiện trong nhật ký sử dụng dữ liệu của từng công dân', "who runs the export (an officer's or service account's id), named in each included citizen's data tracker"), 'operator')
  .option('--purpose <text>', say('mục đích, như nhật ký sử dụng dữ liệu của công dân hiển thị (mặc định: lần xuất dữ liệu dân cư hôm nay)', "why, as each included citizen's data tracker shows it (default: the population export of today)"))
  .action((opts: { out: string; format?: string; by: string; purpose?: string }) =>
    withContext(async (ctx) => {
      const format = (opts.format ?? path.extname(opts.out).slice(1)) as ExportFormat;
      if (!['csv', 'ndjson', 'parquet'].includes(format)) {
        console.error(say(`không có định dạng xuất "${format}": dùng csv, ndjson hoặc parquet`, `unknown export format "${format}": use csv, ndjson or parquet`));
        return 2;
      }
      // One access record for the whole export, shown to every included citizen (audit/bulk-job.recorder.ts).
      const accessLog = openAccessLog(ctx.accessLogStore.database, { writerThread: ctx.accessLogStore.separate });
      try {
        const today = isoDay(systemClock.now());
        const job = new BulkJobRecorder({ accessLog, db: ctx.database.db, clock: systemClock }).begin({
          jobId: `export-${randomUUID()}`,
          kind: 'person.export',
          reader: { kind: 'service_account', id: opts.by, role: 'operator', unit: { level: 'nation', code: null } },
          purpose: opts.purpose ?? `Có trong lần xuất dữ liệu dân cư ngày ${today}`,
          fields: exportColumns.map((c) => c),
        });
        const n = await exportPersons(ctx.database.db, opts.out, format, ndjsonToParquet, job);
        console.log(say(`đã xuất ${n} người ra ${opts.out}; đã ghi vào nhật ký truy cập của từng người`, `exported ${n} persons to ${opts.out}; recorded in each one's access log`));
      } finally {
        await accessLog.close();
      }
      return 0;
    }),
  );

const id = program.command('id').description(say('số định danh cá nhân', 'personal ID numbers'));
id.command('check')
  .argument('<number>', say('số định danh cá nhân cần giải thích', 'the ID number to explain'))
  .description(say('giải thích một số định danh cá nhân 12 số', 'explain a 12-digit personal ID number'))
  .action((value: string) => {
    const { ok, lines } = explainIdNumber(value);
    for (const line of lines) console.log(line);
    process.exitCode = ok ? 0 : 2;
  });

const db = program.command('db').description(say('kho dữ liệu', 'the store'));
db.command('migrate')
  .description(say('cập nhật lược đồ kho dữ liệu', 'bring the store schema up to date'))
  .action(() =>
    withContext(async (ctx) => {
      // Opening the store applies what is pending; a second pass finds anything left (nothing, normally).
      const applied = [...ctx.migrated, ...(await migrateToLatest(ctx.database.db, ctx.database.dialect))];
      const where = ctx.database.dialect === 'postgres' ? `PostgreSQL ${storeAddress(ctx.config.databaseUrl ?? '')}` : displayPath(path.join(ctx.config.dataDir, 'sachsong.db'));
      if (applied.length === 0) console.log(say(`${where}: lược đồ đã mới nhất, không có bản chuyển đổi nào cần áp dụng`, `${where}: the schema is up to date, no migration to apply`));
      else console.log(say(`${where}: đã áp dụng ${applied.length} bản chuyển đổi:`, `${where}: applied ${applied.length} migration${applied.length === 1 ? '' : 's'}:`) + `\n${applied.map((name) => `  ${name}`).join('\n')}`);
      return 0;
    }),
  );

db.command('partition')
  .description(say('chỉ với PostgreSQL: chia phân vùng băm các bảng dùng nhiều (người dân, bản ghi truy cập, chỉ mục theo người) theo mã người, giữ mọi dòng (docs/scale.md); dừng các nút trước', 'PostgreSQL only: hash-partition the hot tables (persons, access records, the person index) by person id, keeping every row (docs/scale.md); stop the nodes first'))
  .option('--partitions <n>', say('số phân vùng mỗi bảng', 'partitions a table'), (v) => Number(v), 16)
  .action((opts: { partitions: number }) =>
    withContext(async (ctx) => {
      for (const o of await partitionHotTables(ctx.database.db, ctx.database.dialect, opts.partitions)) {
        console.log(o.partitioned
          ? say(`${o.table}: ${o.partitions} phân vùng băm theo người, đã chuyển ${o.rows} dòng`, `${o.table}: ${o.partitions} hash partitions by person, ${o.rows} rows moved`)
          : say(`${o.table}: đã phân vùng sẵn (${o.partitions} phân vùng), giữ nguyên`, `${o.table}: already partitioned (${o.partitions} partitions), left as it is`));
      }
      return 0;
    }),
  );

registerAuditCommands(program, withContext);

registerBackupCommands(program, withContext);

registerReconcileCommands(program, withContext);
registerTaxCodeCommands(program, withContext);

registerExchangeCommands(program, withContext);
registerCitizenCommands(program, withContext);
registerOidcCommands(program, withContext);

registerQualityCommands(program, withContext);

registerMatchingCommands(program);

// Commands that do not run under withContext (serve, link) end here on failure; the stores or the
// server they opened would keep the process alive, so it exits as an uncaught error would.
await program.parseAsync(process.argv).catch((error: unknown) => {
  reportFailure(error);
  process.exit();
});
