import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { say } from './cli-language.js';
import { registrySnapshot, reconcileFolders } from '../matching/reconcile.module.js';
import { TaxCodeLinkService } from '../matching/tax-code-link.service.js';
import { linkTaxRegister } from '../matching/tax-code.linking.js';
import { isoDay, systemClock } from '../shared/clock.js';
import type { CliContext } from './context.js';

/** Runs a command with an opened store and sets the exit code (main.ts's withContext). */
type WithContext = (work: (ctx: CliContext) => Promise<number | undefined>) => Promise<void>;

/**
 * `sachsong tax-code link REGISTER` and `sachsong tax-code record CODE ID`: the old tax codes
 * linked to ID numbers (the ID number is the tax code since 1 July 2025), by the linking job over
 * a tax register or by an officer. The exchange's `tax-code` service answers from these links.
 *
 * @example
 * registerTaxCodeCommands(program, withContext);
 * // sachsong tax-code link tax-register.csv --out out/
 * // sachsong tax-code record 0100047516 001087123456 --officer o-12
 */
export function registerTaxCodeCommands(program: Command, withContext: WithContext): void {
  const taxCode = program.command('tax-code').description(say('mã số thuế cũ gắn với số định danh cá nhân (số định danh là mã số thuế từ ngày 01/07/2025)', 'old tax codes linked to ID numbers (the ID number is the tax code since 1 July 2025)'));

  taxCode
    .command('link')
    .argument('<register>', say('tệp sổ thuế (CSV)', 'the tax register file (CSV)'))
    .description(say('ghép sổ thuế (tax_record_no = mã cũ, id_number, taxpayer_name, birth_date) với cơ sở dữ liệu và lưu các liên kết đã xác nhận: lưu tất cả, hoặc không lưu gì khi có xung đột; chạy lại không thay đổi gì', 'link a tax register (tax_record_no = old code, id_number, taxpayer_name, birth_date) to the registry and store its confirmed links: all of them or, on a conflict, none; a re-run changes nothing'))
    .option('--out <dir>', say('thư mục ghi tax-links.csv (mặc định: <register>.links bên cạnh tệp)', 'folder for tax-links.csv (default: <register>.links beside it)'))
    .option('--probable', say('lưu thêm các mã tìm được bằng so khớp (to_update) như liên kết có khả năng', 'also store codes found by matching (to_update) as probable links'))
    .action((register: string, opts: { out?: string; probable?: boolean }) =>
      withContext(async (ctx) => {
        const { dir } = await registrySnapshot(ctx.database, reconcileFolders(path.join(ctx.config.dataDir, 'reconcile')).snapshot);
        const outDir = opts.out ?? `${register}.links`;
        const summary = await linkTaxRegister({
          input: register, snapshotDir: dir, outDir, today: isoDay(systemClock.now()),
          store: { links: new TaxCodeLinkService({ db: ctx.database.db, clock: systemClock }), includeProbable: opts.probable === true },
        });
        const stored = summary.stored;
        console.log(JSON.stringify({
          rows: summary.rows, taxCodes: summary.taxCodes, outcomes: summary.outcomes, file: path.join(outDir, 'tax-links.csv'),
          ...(stored === undefined ? {} : { runId: stored.runId, written: stored.written, unchanged: stored.unchanged, malformed: stored.malformed.length }),
        }, null, 2));
        if (stored !== undefined && stored.malformed.length > 0) {
          // The codes go to a file beside the links, not to the terminal (they identify taxpayers).
          const file = path.join(outDir, 'tax-links.malformed.csv');
          writeFileSync(file, `old_tax_code,error\n${stored.malformed.map((m) => `"${m.oldTaxCode.replaceAll('"', '""')}",${m.code}`).join('\n')}\n`);
          const byCode = [...new Set(stored.malformed.map((m) => m.code))].map((c) => `${stored.malformed.filter((m) => m.code === c).length} ${c}`).join(', ');
          process.stderr.write(say(`tax-code: ${stored.malformed.length} mã đã ghép không phải mã số thuế cũ hợp lệ và không được lưu (${byCode}): danh sách ở ${file}\n`, `tax-code: ${stored.malformed.length} linked code(s) are not valid old tax codes and were not stored (${byCode}): listed in ${file}\n`));
        }
        return 0;
      }),
    );

  taxCode
    .command('record')
    .argument('<code>', say('mã số thuế cũ (10 hoặc 13 chữ số)', 'the old tax code (10 or 13 digits)'))
    .argument('<idNumber>', say('số định danh cá nhân của người nộp thuế', "the taxpayer's ID number"))
    .description(say('gắn thủ công một mã số thuế cũ với một người, sau khi kiểm tra giấy tờ của người nộp thuế', 'link an old tax code to a person by hand, after checking the taxpayer\'s papers'))
    .requiredOption('--officer <id>', say('cán bộ đã kiểm tra giấy tờ', 'the officer who checked the papers'))
    .option('--status <status>', say('confirmed (đã xác nhận) hoặc probable (có khả năng)', 'confirmed or probable'), 'confirmed')
    .option('--replace', say('thay liên kết của mã với người khác (đính chính)', 'replace a link of the code to another person (a correction)'))
    .action((code: string, idNumber: string, opts: { officer: string; status: string; replace?: boolean }) =>
      withContext(async (ctx) => {
        const link = await new TaxCodeLinkService({ db: ctx.database.db, clock: systemClock }).record({ oldTaxCode: code, idNumber, status: opts.status, officerId: opts.officer, replace: opts.replace === true });
        console.log(JSON.stringify({ oldTaxCode: link.oldTaxCode, status: link.status, source: `${link.sourceKind}:${link.sourceRef}`, updatedAt: link.updatedAt }));
        return 0;
      }),
    );
}
