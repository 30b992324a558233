import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { parseLinkageConfig } from '../matching/linkage.config.js';
import { readLinkageTables } from '../matching/linkage-file.reader.js';
import { suggestBlockingRules, type SuggestedRule } from '../matching/linkage-blocking.suggester.js';
import { writeLinkedPairs } from '../matching/linkage-pairs.writer.js';
import { runLinkage } from '../matching/linkage.service.js';
import { errorLine, say } from './cli-language.js';
import { DomainError, isDomainError } from '../shared/domain-error.js';

function probability(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 1) throw new InvalidArgumentError('must be a probability above 0 and at most 1');
  return n;
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/**
 * Runs a linkage job from its config file and writes the pairs; returns the summary printed.
 * Relative paths in the config are read from the config file's folder.
 */
export function linkFromConfig(configFile: string, options: { readonly out?: string; readonly threshold?: number } = {}): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(configFile, 'utf8'));
  } catch (error) {
    throw new DomainError('invalid', 'LINKAGE_CONFIG_UNREADABLE', `cannot read ${configFile} as JSON: ${(error as Error).message}`, 'Give the path of a JSON linkage config');
  }
  const parsed = parseLinkageConfig(json);
  const config = options.threshold === undefined ? parsed : { ...parsed, threshold: options.threshold };
  const baseDir = path.dirname(path.resolve(configFile));
  const { left, right } = readLinkageTables(config, baseDir);
  const result = runLinkage(config, left, right);
  const out = options.out ?? config.output;
  if (out !== undefined) writeLinkedPairs(path.resolve(options.out === undefined ? baseDir : '.', out), result);
  const { evaluation, clusterEvaluation } = result;
  return {
    mode: config.mode,
    linkedPairs: result.pairs.length,
    ...(out === undefined ? {} : { output: out }),
    ...result.stats,
    prior: result.model.prior,
    ...(evaluation === undefined ? {} : {
      pairwise: { precision: round(evaluation.precision), recall: round(evaluation.recall), f1: round(evaluation.f1), truePairs: evaluation.truePairs, truePairsInCandidates: evaluation.truePairsInCandidates },
    }),
    ...(clusterEvaluation === undefined ? {} : {
      clustered: { clusters: clusterEvaluation.clusters, precision: round(clusterEvaluation.precision), recall: round(clusterEvaluation.recall), f1: round(clusterEvaluation.f1) },
    }),
    model: result.model.fields.map((f) => ({ field: f.name, levels: f.levels, m: f.m.map(round), u: f.u.map(round) })),
  };
}

/** Blocking rules suggested from the files a config names (its own blocking rules are not used). */
export function suggestFromConfig(configFile: string): { readonly suggestedBlocking: readonly SuggestedRule[] } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(configFile, 'utf8'));
  } catch (error) {
    throw new DomainError('invalid', 'LINKAGE_CONFIG_UNREADABLE', `cannot read ${configFile} as JSON: ${(error as Error).message}`, 'Give the path of a JSON linkage config');
  }
  const config = parseLinkageConfig(json);
  const { left, right } = readLinkageTables(config, path.dirname(path.resolve(configFile)));
  return { suggestedBlocking: suggestBlockingRules(config, left, right) };
}

/**
 * Registers `sachsong link`: link two files or deduplicate one from a declarative JSON config
 * (see src/matching/linkage.config.ts). It works on files only and opens no store.
 */
export function registerMatchingCommands(program: Command): void {
  program
    .command('link')
    .description(say('ghép hai tệp CSV, hoặc khử trùng một tệp, theo cấu hình JSON (phép so sánh, quy tắc phân khối, ngưỡng); ghi các cặp kèm xác suất khớp và giải thích từng trường', 'link two CSV files, or deduplicate one, from a JSON config (comparisons, blocking rules, threshold); writes the pairs with match probability and per-field explanation'))
    .requiredOption('--config <file>', say('cấu hình ghép (JSON)', 'the linkage config (JSON)'))
    .option('--out <file>', say('nơi ghi các cặp đã ghép (CSV); mặc định là "output" của cấu hình', 'where to write the linked pairs (CSV); default the config\'s "output"'))
    .option('--threshold <p>', say('xác suất khớp tối thiểu để ghép (thay giá trị trong cấu hình)', 'match probability to link at (overrides the config)'), probability)
    .option('--suggest-blocking', say('in các quy tắc phân khối gợi ý từ các tệp thay vì ghép', 'print blocking rules suggested from the files instead of linking'))
    .action((opts: { config: string; out?: string; threshold?: number; suggestBlocking?: boolean }) => {
      try {
        const summary = opts.suggestBlocking === true ? suggestFromConfig(opts.config) : linkFromConfig(opts.config, { ...(opts.out === undefined ? {} : { out: opts.out }), ...(opts.threshold === undefined ? {} : { threshold: opts.threshold }) });
        console.log(JSON.stringify(summary, null, 2));
        process.exitCode = 0;
      } catch (error) {
        if (!isDomainError(error)) throw error;
        console.error(errorLine(error.code, error.message, error.action));
        process.exitCode = 2;
      }
    });
}
