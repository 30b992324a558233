/**
 * The declarative configuration of a linkage job: link two files, or deduplicate one, for data
 * that need not look like the registry.
 *
 * @example
 * {
 *   "mode": "link",
 *   "left":  { "path": "a.csv", "id": "rec_id" },
 *   "right": { "path": "b.csv", "id": "rec_id" },
 *   "comparisons": [
 *     { "name": "name", "columns": ["given_name", "surname"], "kind": "name" },
 *     { "column": "date_of_birth", "kind": "date" },
 *     { "column": "soc_sec_id", "kind": "levenshtein", "thresholds": [1, 2] }
 *   ],
 *   "blocking": [["soc_sec_id"], ["surname", "date_of_birth"], ["given_name:first3", "postcode"]],
 *   "threshold": 0.5,
 *   "oneToOne": true
 * }
 */
import { z } from 'zod';
import { DomainError } from '../shared/domain-error.js';

/** Comparison kinds, each with its own levels (see linkage.comparisons.ts). */
export const comparisonKinds = ['exact', 'jaro', 'levenshtein', 'name', 'date', 'id', 'phone', 'address'] as const;
export type ComparisonKind = (typeof comparisonKinds)[number];

/** Transforms a blocking key can apply to a column's (folded) value. */
export const blockingTransforms = ['folded', 'first1', 'first3', 'last3', 'year', 'digits', 'sorted-name'] as const;
export type BlockingTransform = (typeof blockingTransforms)[number];

const fileSchema = z.object({
  path: z.string().min(1),
  /** The column holding each record's id; default: the row number. */
  id: z.string().min(1).optional(),
  /** The field delimiter; default ','. */
  delimiter: z.string().length(1).optional(),
}).strict();

const comparisonSchema = z.object({
  /** The name in explanations and output; default the column (or columns joined by '+'). */
  name: z.string().min(1).optional(),
  column: z.string().min(1).optional(),
  /** Several columns joined by a space before comparing (e.g. given name and surname, which some records swap). */
  columns: z.array(z.string().min(1)).min(1).optional(),
  kind: z.enum(comparisonKinds),
  /** jaro: similarity thresholds, descending (default [0.9, 0.7]); levenshtein: distances, ascending (default [1, 2]). */
  thresholds: z.array(z.number().nonnegative()).min(1).max(4).optional(),
  /**
   * Term-frequency adjustment of the exact level (as Splink does): agreeing on a rare value
   * ('chudleigh') weighs more than on a common one ('john'). The u of an exact agreement on value v
   * becomes v's share of the records.
   */
  termFrequency: z.boolean().optional(),
}).strict().refine((c) => (c.column === undefined) !== (c.columns === undefined), { error: 'give exactly one of column or columns' });

/** A blocking key: a column, optionally with a transform, written "column" or "column:transform". */
const blockingKey = z.string().regex(/^[^:]+(:(folded|first1|first3|last3|year|digits|sorted-name))?$/, 'write a blocking key as column or column:transform (folded, first1, first3, last3, year, digits, sorted-name)');

const truthSchema = z.object({
  column: z.string().min(1),
  /** A regular expression whose first group is the entity (e.g. "^rec-(\\d+)"); default the whole value. */
  pattern: z.string().optional(),
}).strict();

export const linkageConfigSchema = z.object({
  mode: z.enum(['link', 'dedupe']),
  left: fileSchema,
  right: fileSchema.optional(),
  comparisons: z.array(comparisonSchema).min(1).max(17),
  /** Candidate pairs agree on every key of at least one rule. */
  blocking: z.array(z.array(blockingKey).min(1)).min(1).max(255),
  /** Match probability at or above which a pair is linked; default 0.5. */
  threshold: z.number().gt(0).lte(1).default(0.5),
  /** link mode: keep at most one partner per record, best probability first. */
  oneToOne: z.boolean().default(false),
  /** Random pairs for estimating u; default 200,000. */
  randomPairs: z.number().int().min(1_000).max(10_000_000).default(200_000),
  emIterations: z.number().int().min(1).max(200).default(40),
  /** Refuse to compare more candidate pairs than this (tighten the blocking rules instead). */
  maxPairs: z.number().int().min(1).default(50_000_000),
  seed: z.number().int().default(1),
  /** Ground truth, to report precision/recall/F1 (benchmarks and checks). */
  truth: truthSchema.optional(),
  /** Where to write the linked pairs (CSV); the CLI may override. */
  output: z.string().min(1).optional(),
}).strict().refine((c) => (c.mode === 'link') === (c.right !== undefined), { error: 'link mode needs a right file; dedupe mode takes only left' });

export type LinkageConfig = z.infer<typeof linkageConfigSchema>;
export type LinkageFileConfig = z.infer<typeof fileSchema>;
export type ComparisonConfig = z.infer<typeof comparisonSchema>;

/**
 * Validates a parsed JSON config; throws DomainError LINKAGE_CONFIG_INVALID naming every problem.
 *
 * @example
 * parseLinkageConfig(JSON.parse(readFileSync('link.json', 'utf8')))
 */
export function parseLinkageConfig(input: unknown): LinkageConfig {
  const result = linkageConfigSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`);
    throw new DomainError('invalid', 'LINKAGE_CONFIG_INVALID', `the linkage config is invalid: ${problems.join('; ')}`, 'Correct the config file; its fields are described in src/matching/linkage.config.ts and README (Linkage)', { problems });
  }
  return result.data;
}

/** The display name of a comparison. */
export function comparisonName(c: ComparisonConfig): string {
  return c.name ?? c.column ?? (c.columns ?? []).join('+');
}
