import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { AuditService } from '../audit/audit.service.js';
import { parseSignerKey } from '../audit/checkpoint-note.js';
import { officialReadRepository } from '../audit/official-read.repository.js';
import { systemClock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import { say } from './cli-language.js';
import type { CliContext } from './context.js';

/** Runs a command with an opened store and sets the exit code (main.ts's withContext). */
export type WithContext = (work: (ctx: CliContext) => Promise<number | undefined>) => Promise<void>;

function auditService(ctx: CliContext): AuditService {
  return new AuditService({ db: ctx.accessLogStore.database.db, registryDb: ctx.database.db, signer: parseSignerKey(ctx.auditSigningKey), clock: systemClock });
}

function readCheckpointFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new DomainError('invalid', 'CHECKPOINT_FILE_UNREADABLE', `Cannot read the checkpoint file ${file}`, 'Give the path of a checkpoint saved from `sachsong audit checkpoint`');
  }
}

/**
 * `sachsong audit verify [--checkpoint FILE…]` and `sachsong audit checkpoint [--out FILE]`.
 *
 * @example
 * registerAuditCommands(program, withContext);
 */
export function registerAuditCommands(program: Command, withContext: WithContext): void {
  const audit = program.command('audit').description(say('nhật ký truy cập có thể kiểm chứng', 'the verifiable access log'));

  audit
    .command('verify')
    .description(say('kiểm tra mọi bản ghi truy cập, mọi cây con đã lưu, mọi điểm kiểm tra và chỉ mục theo người của nhật ký sử dụng dữ liệu; thoát với mã 1 khi có sai', 'check every access record, every stored subtree, every checkpoint and the tracker\'s person index; exit 1 when anything is wrong'))
    .option('--checkpoint <file...>', say('kiểm tra thêm các ghi chú điểm kiểm tra đã ký được lưu ở nơi khác (ví dụ do công dân hoặc kiểm toán viên giữ)', 'also check signed checkpoint notes kept elsewhere (e.g. by a citizen or an auditor)'))
    .action((opts: { checkpoint?: string[] }) =>
      withContext(async (ctx) => {
        const service = auditService(ctx);
        const notes = (opts.checkpoint ?? []).map(readCheckpointFile);
        const total = await service.treeSize();
        const started = performance.now();
        let reported = 0;
        const report = await service.verify(notes, (done) => {
          if (done - reported >= Math.max(total / 10, 100_000) || done === total) {
            process.stderr.write(`${say('kiểm tra', 'verify')}: ${done}/${total}\n`);
            reported = done;
          }
        });
        const seconds = Math.round(performance.now() - started) / 1000;
        for (const problem of report.problems) console.log(`${problem.code}${problem.index === undefined ? '' : ` ${say('tại', 'at')} ${problem.index}`}: ${problem.message}`);
        const index = report.personIndex;
        console.log(
          index.ok
            ? say(`chỉ mục theo người: ok, ${index.indexedSize} bản ghi được lập chỉ mục, đã đọc ${index.entriesRead} mục`, `person index: ok, ${index.indexedSize} records indexed, ${index.entriesRead} entries read`)
            : say(
              `chỉ mục theo người: LỖI dưới bản ghi ${index.indexedSize}: ${index.missing} thiếu, ${index.duplicate} trùng, ${index.wrongPerson} sai người, `
                + `${index.orphan} không trỏ tới bản ghi nào, ${index.beyondMark} quá mốc, ${index.underMissingRun} thuộc đoạn bị thiếu, ${index.blocksNotLocalised} khối chưa tách mục`,
              `person index: FAILED below record ${index.indexedSize}: ${index.missing} missing, ${index.duplicate} duplicate, ${index.wrongPerson} under the wrong person, `
                + `${index.orphan} pointing to no record, ${index.beyondMark} past the mark, ${index.underMissingRun} under a missing run, ${index.blocksNotLocalised} blocks not itemised`,
            ),
        );
        console.log(
          report.ok
            ? say(`ok: ${report.treeSize} bản ghi, gốc ${report.rootHash}, đã kiểm tra ${report.checkpointsChecked} điểm kiểm tra trong ${seconds} giây`, `ok: ${report.treeSize} records, root ${report.rootHash}, ${report.checkpointsChecked} checkpoint(s) checked in ${seconds} s`)
            : say(`LỖI: ${report.problems.length} vấn đề trong ${report.treeSize} bản ghi`, `FAILED: ${report.problems.length} problem(s) in ${report.treeSize} records`),
        );
        return report.ok ? 0 : 1;
      }),
    );

  audit
    .command('checkpoint')
    .description(say('ký một điểm kiểm tra của toàn bộ nhật ký truy cập và in ra (ghi chú ký C2SP)', 'sign a checkpoint of the whole access log and print it (a C2SP signed note)'))
    .option('--out <file>', say('ghi thêm ghi chú vào tệp này', 'also write the note to this file'))
    .action((opts: { out?: string }) =>
      withContext(async (ctx) => {
        const service = auditService(ctx);
        const checkpoint = await service.checkpoint();
        if (checkpoint === undefined) {
          console.error(say('nhật ký truy cập trống: không có gì để ký điểm kiểm tra', 'the access log is empty: nothing to checkpoint'));
          return 1;
        }
        if (opts.out !== undefined) writeFileSync(opts.out, checkpoint.note);
        process.stdout.write(checkpoint.note);
        console.error(`${say('khóa kiểm chứng', 'verifier key')}: ${checkpoint.verifierKey}`);
        return 0;
      }),
    );

  const sensitive = audit.command('sensitive').description(say('những người mà mọi lần cán bộ đọc hồ sơ đều báo cho kiểm toán viên (máy chủ đang chạy đọc lại danh sách trong 5 giây)', "persons whose every read by an official alerts the auditors (a running server reads the list again within 5 s)"));
  sensitive
    .command('flag')
    .argument('<idNumber>', say('số định danh cá nhân của người đó (12 chữ số)', "the person's ID number (12 digits)"))
    .description(say('đánh dấu một người là nhạy cảm', 'flag a person as sensitive'))
    .requiredOption('--by <id>', say('người đánh dấu (mã kiểm toán viên)', 'who flags (an auditor\'s id)'))
    .requiredOption('--note <text>', say('lý do (lưu cho kiểm toán viên)', 'why (kept for the auditors)'))
    .action((idNumber: string, opts: { by: string; note: string }) =>
      withContext(async (ctx) => {
        if (!/^\d{12}$/.test(idNumber)) {
          console.error(say('số định danh cá nhân gồm 12 chữ số', 'an ID number has 12 digits'));
          return 2;
        }
        const added = await officialReadRepository.flagSensitive(ctx.database.db, { person_id: idNumber, flagged_by: opts.by, flagged_at: systemClock.now().toISOString(), note: opts.note });
        console.log(added ? say('đã đánh dấu', 'flagged') : say('đã được đánh dấu từ trước', 'already flagged'));
        return 0;
      }),
    );
  sensitive
    .command('unflag')
    .argument('<idNumber>', say('số định danh cá nhân của người đó (12 chữ số)', "the person's ID number (12 digits)"))
    .description(say('bỏ một người khỏi danh sách nhạy cảm', 'remove a person from the sensitive list'))
    .action((idNumber: string) =>
      withContext(async (ctx) => {
        console.log((await officialReadRepository.unflagSensitive(ctx.database.db, idNumber)) ? say('đã bỏ đánh dấu', 'unflagged') : say('chưa được đánh dấu', 'not flagged'));
        return 0;
      }),
    );
}
