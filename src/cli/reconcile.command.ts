import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { generateAgencyFile } from '../matching/agency-file.generator.js';
import { generateMessyAgencyFile } from '../matching/messy-agency-file.generator.js';
import { generateTaxRegister } from '../matching/tax-code.linking.js';
import { evaluateResults } from '../matching/reconcile.evaluation.js';
import { createReconcile, registrySnapshot, reconcileFolders } from '../matching/reconcile.module.js';
import { canonicalFields, isPresetName, presetNames, withMapping, type CanonicalField, type PresetName } from '../matching/reconcile.presets.js';
import { readSnapshotPersons } from '../matching/registry-snapshot.engine.js';
import { systemClock } from '../shared/clock.js';
import type { CliContext } from './context.js';

/** Runs a command with an opened store and sets the exit code (main.ts's withContext). */
type WithContext = (work: (ctx: CliContext) => Promise<number | undefined>) => Promise<void>;

function preset(value: string): PresetName {
  if (!isPresetName(value)) throw new InvalidArgumentError(`must be one of ${presetNames.join(', ')}`);
  return value;
}

function presets(value: string): PresetName[] {
  return value.split(',').map((v) => preset(v.trim()));
}

function count(value: string): number {
  const n = Number(value.replaceAll('_', ''));
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

/** --map field=column, repeatable. */
function mapping(value: string, previous: Partial<Record<CanonicalField, string>>): Partial<Record<CanonicalField, string>> {
  const [field, column] = value.split('=', 2);
  if (field === undefined || column === undefined || column === '' || !(canonicalFields as readonly string[]).includes(field)) {
    throw new InvalidArgumentError(`write field=column, field one of ${canonicalFields.join(', ')}`);
  }
  return { ...previous, [field]: column };
}

function progressPrinter(): (phase: string, fraction: number) => void {
  let last = '';
  return (phase, fraction) => {
    const line = `${phase} ${Math.floor(fraction * 10) * 10}%`;
    if (line !== last) process.stderr.write(`reconcile: ${line}\n`);
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
    .command('reconcile <file>')
    .description('reconcile an agency file (CSV or Parquet) against the registry: a status and an action per row, a summary and an HTML report')
    .requiredOption('--preset <preset>', `kind of file: ${presetNames.join(', ')}`, preset)
    .option('--out <dir>', 'output folder (default: <file>.reconcile beside the file)')
    .option('--map <field=column>', `the file's column for a field (${canonicalFields.join(', ')}); repeatable`, mapping, {})
    .option('--truth <file>', 'ground truth from generate-agency-files: also print accuracy and pairwise precision/recall/F1')
    .action((file: string, opts: { preset: PresetName; out?: string; map: Partial<Record<CanonicalField, string>>; truth?: string }) =>
      withContext(async (ctx) => {
        // A one-shot command has the machine to itself: every core, where the server leaves one free.
        const { service } = createReconcile({ database: ctx.database, clock: systemClock, dir: path.join(ctx.config.dataDir, 'reconcile'), duckDb: { threads: availableParallelism() } });
        const outDir = opts.out ?? `${file}.reconcile`;
        const { summary, files } = await service.run({ input: file, preset: withMapping(opts.preset, opts.map), outDir, onProgress: progressPrinter() });
        console.log(JSON.stringify({ rows: summary.rows, statuses: summary.statuses, mismatchFields: summary.mismatchFields, badRows: summary.badRows, columnsMissing: summary.columnsMissing, seconds: summary.seconds, files }, null, 2));
        // Unreadable rows are findings of a complete run (each has a line and a reason in the
        // report), not a failure of the command: said on standard error, exit 0.
        if (summary.badRows > 0) {
          const first = summary.badRowSamples.slice(0, 3).map((b) => `line ${b.line}: ${b.reason}`).join('; ');
          process.stderr.write(`reconcile: ${summary.badRows} of ${summary.rows} rows could not be read (${first}${summary.badRows > 3 ? '; …' : ''}); every one is listed with its line in ${files.report}\n`);
        }
        if (summary.columnsMissing.length > 0) {
          process.stderr.write(`reconcile: the file has no column for ${summary.columnsMissing.join(', ')}: those fields were not compared (map them with --map field=column)\n`);
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
    .description('derive synthetic tax, telecom, bank and welfare files from the registry, with realistic errors and a ground-truth file each')
    .requiredOption('--out <dir>', 'folder for <preset>.csv and <preset>.truth.csv')
    .option('--rows <n>', 'rows per file', count, 100_000)
    .option('--seed <s>', 'random seed', count, 1)
    .option('--presets <list>', 'comma-separated presets', presets, [...presetNames])
    .option('--messy', 'also <preset>.messy.csv: errors the matcher was not written for (Vietnamese headers, semicolons, spreadsheet damage), truth with the error kinds')
    .option('--tax-register', 'also tax-register.csv: old 10-digit tax codes with ID numbers, old card numbers or neither, and its truth')
    .action((opts: { out: string; rows: number; seed: number; presets: PresetName[]; messy?: boolean; taxRegister?: boolean }) =>
      withContext(async (ctx) => {
        const { dir } = await registrySnapshot(ctx.database, reconcileFolders(path.join(ctx.config.dataDir, 'reconcile')).snapshot);
        const persons = await readSnapshotPersons(dir);
        if (persons.length === 0) {
          console.error('the registry holds no persons: run `sachsong generate --people N` first');
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
