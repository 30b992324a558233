import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { generateAgencyFile } from '../matching/agency-file.generator.js';
import { badRowReason } from '../matching/bad-row.reasons.js';
import { generateMessyAgencyFile } from '../matching/messy-agency-file.generator.js';
import { generateTaxRegister } from '../matching/tax-code.linking.js';
import { evaluateResults } from '../matching/reconcile.evaluation.js';
import { createReconcile, registrySnapshot, reconcileFolders } from '../matching/reconcile.module.js';
import { canonicalFields, isPresetName, presetNames, withMapping, type CanonicalField, type PresetName } from '../matching/reconcile.presets.js';
import type { ReconcilePhase } from '../matching/reconcile.types.js';
import { readSnapshotPersons } from '../matching/registry-snapshot.engine.js';
import { systemClock } from '../shared/clock.js';
import { cliLang, say } from './cli-language.js';
import type { CliContext } from './context.js';

/** Runs a command with an opened store and sets the exit code (main.ts's withContext). */
type WithContext = (work: (ctx: CliContext) => Promise<number | undefined>) => Promise<void>;

function preset(value: string): PresetName {
  if (!isPresetName(value)) throw new InvalidArgumentError(say(`phải là một trong ${presetNames.join(', ')}`, `must be one of ${presetNames.join(', ')}`));
  return value;
}

function presets(value: string): PresetName[] {
  return value.split(',').map((v) => preset(v.trim()));
}

function count(value: string): number {
  const n = Number(value.replaceAll('_', ''));
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(say('phải là số nguyên dương', 'must be a positive whole number'));
  return n;
}

/** --map field=column, repeatable. */
function mapping(value: string, previous: Partial<Record<CanonicalField, string>>): Partial<Record<CanonicalField, string>> {
  const [field, column] = value.split('=', 2);
  if (field === undefined || column === undefined || column === '' || !(canonicalFields as readonly string[]).includes(field)) {
    throw new InvalidArgumentError(say(`viết trường=cột, trường là một trong ${canonicalFields.join(', ')}`, `write field=column, field one of ${canonicalFields.join(', ')}`));
  }
  return { ...previous, [field]: column };
}

/** The phases of a run as the operator reads them. */
const phaseWords: Readonly<Record<ReconcilePhase, readonly [vi: string, en: string]>> = {
  snapshot: ['chụp cơ sở dữ liệu', 'snapshot'],
  loading: ['đọc tệp', 'loading'],
  classifying: ['phân loại', 'classifying'],
  writing: ['ghi kết quả', 'writing'],
  report: ['lập báo cáo', 'report'],
  done: ['xong', 'done'],
};

function progressPrinter(): (phase: ReconcilePhase, fraction: number) => void {
  let last = '';
  return (phase, fraction) => {
    const [vi, en] = phaseWords[phase];
    const line = `${say(vi, en)} ${Math.floor(fraction * 10) * 10}%`;
    if (line !== last) process.stderr.write(`${say('đối soát', 'reconcile')}: ${line}\n`);
    last = line;
  };
}

/**
 * `sachsong reconcile FILE --preset tax|telecom|bank|welfare` and
 * `sachsong generate-agency-files`: bulk reconciliation against a snapshot of the registry, and
 * synthetic agency files (with ground truth) derived from the registry's persons.
 *
 * @example
 * registerReconcileCommands(program, withContext);
 */
export function registerReconcileCommands(program: Command, withContext: WithContext): void {
  program
    .command('reconcile')
    .argument('<file>', say('tệp của cơ quan cần đối soát (CSV hoặc Parquet)', "the agency's file to reconcile (CSV or Parquet)"))
    .description(say('đối soát tệp của cơ quan (CSV hoặc Parquet) với cơ sở dữ liệu: kết quả và đề xuất xử lý cho từng dòng, bản tóm tắt và báo cáo HTML', 'reconcile an agency file (CSV or Parquet) against the registry: a status and an action per row, a summary and an HTML report'))
    .requiredOption('--preset <preset>', say(`loại tệp: ${presetNames.join(', ')}`, `kind of file: ${presetNames.join(', ')}`), preset)
    .option('--out <dir>', say('thư mục kết quả (mặc định: <tệp>.reconcile cạnh tệp)', 'output folder (default: <file>.reconcile beside the file)'))
    .option('--map <field=column>', say(`cột của tệp ứng với một trường (${canonicalFields.join(', ')}); dùng được nhiều lần`, `the file's column for a field (${canonicalFields.join(', ')}); repeatable`), mapping, {})
    .option('--truth <file>', say('đáp án từ generate-agency-files: in thêm độ chính xác và precision/recall/F1 theo cặp', 'ground truth from generate-agency-files: also print accuracy and pairwise precision/recall/F1'))
    .action((file: string, opts: { preset: PresetName; out?: string; map: Partial<Record<CanonicalField, string>>; truth?: string }) =>
      withContext(async (ctx) => {
        // A one-shot command has the machine to itself: every core, where the server leaves one free.
        const { service } = createReconcile({ database: ctx.database, clock: systemClock, dir: path.join(ctx.config.dataDir, 'reconcile'), duckDb: { threads: availableParallelism() } });
        const outDir = opts.out ?? `${file}.reconcile`;
        const { summary, files } = await service.run({ input: file, preset: withMapping(opts.preset, opts.map), outDir, onProgress: progressPrinter(), lang: cliLang });
        console.log(JSON.stringify({ rows: summary.rows, statuses: summary.statuses, mismatchFields: summary.mismatchFields, badRows: summary.badRows, columnsMissing: summary.columnsMissing, seconds: summary.seconds, files }, null, 2));
        // Unreadable rows are findings of a complete run (each has a line and a reason in the
        // report), not a failure of the command: said on standard error, exit 0.
        if (summary.badRows > 0) {
          const first = summary.badRowSamples.slice(0, 3).map((b) => `${say('dòng', 'line')} ${b.line}: ${badRowReason(b.code, cliLang)}`).join('; ');
          const more = summary.badRows > 3 ? '; …' : '';
          process.stderr.write(say(`đối soát: ${summary.badRows} trong ${summary.rows} dòng không đọc được (${first}${more}); từng dòng được liệt kê kèm số dòng trong ${files.report}\n`, `reconcile: ${summary.badRows} of ${summary.rows} rows could not be read (${first}${more}); every one is listed with its line in ${files.report}\n`));
        }
        if (summary.columnsMissing.length > 0) {
          process.stderr.write(say(`đối soát: tệp không có cột cho ${summary.columnsMissing.join(', ')}: các trường đó không được đối chiếu (khai báo bằng --map trường=cột)\n`, `reconcile: the file has no column for ${summary.columnsMissing.join(', ')}: those fields were not compared (map them with --map field=column)\n`));
        }
        if (opts.truth !== undefined) {
          const e = await evaluateResults(files.results, opts.truth);
          console.log(JSON.stringify({ accuracy: e.accuracy, pairwise: e.pairwise, confusion: e.confusion }, null, 2));
        }
        return 0;
      }),
    );

  program
    .command('generate-agency-files')
    .description(say('tạo tệp thuế, viễn thông, ngân hàng, bảo trợ xã hội tổng hợp từ cơ sở dữ liệu, có lỗi như thật và tệp đáp án cho từng tệp', 'derive synthetic tax, telecom, bank and welfare files from the registry, with realistic errors and a ground-truth file each'))
    .requiredOption('--out <dir>', say('thư mục cho <preset>.csv và <preset>.truth.csv', 'folder for <preset>.csv and <preset>.truth.csv'))
    .option('--rows <n>', say('số dòng mỗi tệp', 'rows per file'), count, 100_000)
    .option('--seed <s>', say('hạt giống ngẫu nhiên', 'random seed'), count, 1)
    .option('--presets <list>', say('các loại tệp, cách nhau bằng dấu phẩy', 'comma-separated presets'), presets, [...presetNames])
    .option('--messy', say('thêm <preset>.messy.csv: các lỗi bộ đối soát không được viết sẵn cho (tên cột tiếng Việt, dấu chấm phẩy, hỏng do bảng tính), đáp án kèm loại lỗi', 'also <preset>.messy.csv: errors the matcher was not written for (Vietnamese headers, semicolons, spreadsheet damage), truth with the error kinds'))
    .option('--tax-register', say('thêm tax-register.csv: mã số thuế 10 số cũ kèm số định danh, số CMND cũ hoặc không có, và đáp án', 'also tax-register.csv: old 10-digit tax codes with ID numbers, old card numbers or neither, and its truth'))
    .action((opts: { out: string; rows: number; seed: number; presets: PresetName[]; messy?: boolean; taxRegister?: boolean }) =>
      withContext(async (ctx) => {
        const { dir } = await registrySnapshot(ctx.database, reconcileFolders(path.join(ctx.config.dataDir, 'reconcile')).snapshot);
        const persons = await readSnapshotPersons(dir);
        if (persons.length === 0) {
          console.error(say('cơ sở dữ liệu chưa có ai: chạy `sachsong generate --people N` trước', 'the registry holds no persons: run `sachsong generate --people N` first'));
          return 2;
        }
        mkdirSync(opts.out, { recursive: true });
        for (const name of opts.presets) {
          const file = path.join(opts.out, `${name}.csv`);
          const truthFile = path.join(opts.out, `${name}.truth.csv`);
          const result = generateAgencyFile(persons, { preset: name, rows: opts.rows, seed: opts.seed, file, truthFile });
          console.log(JSON.stringify({ file, truthFile, rows: result.rows, expected: result.expected }));
          if (opts.messy === true) {
            const messy = path.join(opts.out, `${name}.messy.csv`);
            const messyTruth = path.join(opts.out, `${name}.messy.truth.csv`);
            const made = generateMessyAgencyFile(persons, { preset: name, rows: opts.rows, seed: opts.seed, file: messy, truthFile: messyTruth });
            console.log(JSON.stringify({ file: messy, truthFile: messyTruth, rows: made.rows, errors: made.errors }));
          }
        }
        if (opts.taxRegister === true) {
          const file = path.join(opts.out, 'tax-register.csv');
          const truthFile = path.join(opts.out, 'tax-register.truth.csv');
          const made = generateTaxRegister(persons, { taxpayers: opts.rows, seed: opts.seed, file, truthFile });
          console.log(JSON.stringify({ file, truthFile, rows: made.rows, expected: made.expected }));
        }
        return 0;
      }),
    );
}
