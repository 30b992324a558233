import path from 'node:path';
import type { Command } from 'commander';
import { foldJournalCopy } from '../audit/access-journal.folder.js';
import { journalDirOf } from '../audit/access-journal.format.js';
import { loadConfigWith, type CommandLineSettings } from '../config/config.js';
import { populationReadModel } from '../registry/population.read-model.js';
import { systemClock } from '../shared/clock.js';
import { backupStores, keyFilesIn, readBackup, restoreStores } from '../store/backup.engine.js';
import { openDatabase } from '../store/database.js';
import { registryMigrationNames } from '../store/migrator.js';
import { say } from './cli-language.js';
import { openContext, storeFailure, type CliContext } from './context.js';

/** Runs a command with an opened store and sets the exit code (main.ts's withContext). */
type WithContext = (work: (ctx: CliContext) => Promise<number | undefined>) => Promise<void>;

/**
 * `sachsong backup --out DIR` (online: the server may keep running) and
 * `sachsong restore DIR [--data-dir DIR]` (into an empty store only).
 *
 * @example
 * registerBackupCommands(program, withContext);
 */
export function registerBackupCommands(program: Command, withContext: WithContext): void {
  program
    .command('backup')
    .description(say('sao lưu cơ sở dữ liệu và nhật ký truy cập khi máy chủ đang chạy: một bản nhất quán, kèm bảng kê tổng SHA-256', 'back up the registry and its access log while the server runs: one consistent copy, with a manifest of SHA-256 sums'))
    .requiredOption('--out <dir>', say('thư mục chưa tồn tại (ghi vào <dir>.partial, đổi tên khi xong)', 'a folder that does not exist yet (written as <dir>.partial, renamed when complete)'))
    .action((opts: { out: string }) =>
      withContext(async (ctx) => {
        const manifest = await backupStores(
          {
            registry: ctx.database, accessLog: ctx.accessLogStore.database, keyFiles: keyFilesIn(ctx.config.dataDir),
            ...(ctx.accessLogStore.separate ? { accessJournal: { dir: journalDirOf(ctx.accessLogStore.database.location), foldInto: foldJournalCopy } } : {}),
          },
          opts.out,
          systemClock.now(),
        );
        console.log(say(`đã sao lưu ${manifest.persons} người và ${manifest.accessRecords} bản ghi truy cập (${manifest.dialect}) vào ${opts.out}`, `backed up ${manifest.persons} persons and ${manifest.accessRecords} access records (${manifest.dialect}) to ${opts.out}`));
        for (const file of manifest.files) console.log(`  ${file.name}  ${file.bytes} ${say('byte', 'bytes')}  sha256 ${file.sha256}`);
        return 0;
      }),
    );

  program
    .command('restore')
    .argument('<dir>', say('thư mục sao lưu (do sachsong backup ghi ra)', 'the backup folder (as sachsong backup wrote it)'))
    .description(say('khôi phục bản sao lưu vào kho trống (các tệp SQLite của thư mục dữ liệu, hoặc cơ sở dữ liệu PostgreSQL trống của DATABASE_URL), kiểm tra mọi tệp trước', 'restore a backup into an empty store (the data folder\'s SQLite files, or the empty PostgreSQL database of DATABASE_URL), checking every file first'))
    .option('--data-dir <dir>', say('thư mục dữ liệu để khôi phục vào (mặc định: SACHSONG_DATA_DIR, không có thì ./data); chưa được có kho dữ liệu', 'data folder to restore into (default: SACHSONG_DATA_DIR, else ./data); it must hold no store yet'))
    .action(async (dir: string, opts: CommandLineSettings) => {
      const manifest = await readBackup(dir);
      const config = loadConfigWith(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir });
      const postgres = config.databaseUrl === undefined ? undefined : openDatabase({ databaseUrl: config.databaseUrl, poolSize: 1 });
      try {
        await restoreStores(dir, manifest, { dataDir: config.dataDir, postgres }, registryMigrationNames);
      } catch (error) {
        throw storeFailure(error, config) ?? error;
      } finally {
        await postgres?.close();
      }
      // Opened as the server would open it (migrated to this version), then counted.
      const ctx = await openContext(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir });
      try {
        const persons = await populationReadModel.personCount(ctx.database.db);
        const accessRecords = Number((await ctx.accessLogStore.database.db.selectFrom('access_records').select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow()).n);
        if (persons !== manifest.persons || accessRecords !== manifest.accessRecords) {
          console.error(say(`lỗi RESTORE_INCOMPLETE: đã khôi phục ${persons} người và ${accessRecords} bản ghi truy cập, bản sao lưu có ${manifest.persons} và ${manifest.accessRecords}; cách xử lý: khôi phục lại vào kho trống`, `error RESTORE_INCOMPLETE: restored ${persons} persons and ${accessRecords} access records, the backup holds ${manifest.persons} and ${manifest.accessRecords}; what to do: restore again into an empty store`));
          process.exitCode = 1;
          return;
        }
        const where = config.databaseUrl === undefined ? path.join(config.dataDir, 'sachsong.db') : say('cơ sở dữ liệu PostgreSQL của DATABASE_URL', 'the PostgreSQL database of DATABASE_URL');
        console.log(say(`đã khôi phục ${persons} người và ${accessRecords} bản ghi truy cập từ bản sao lưu lúc ${manifest.createdAt} vào ${where}${ctx.migrated.length > 0 ? `; rồi áp dụng ${ctx.migrated.join(', ')}` : ''}`, `restored ${persons} persons and ${accessRecords} access records from the backup of ${manifest.createdAt} into ${where}${ctx.migrated.length > 0 ? `; then applied ${ctx.migrated.join(', ')}` : ''}`));
        console.log(say('kiểm tra nhật ký truy cập bằng: sachsong audit verify', 'check the access log with: sachsong audit verify'));
      } finally {
        await ctx.close();
      }
    });
}
