/**
 * The linkage engine, in plain TypeScript: blocking, comparison vectors, Fellegi–Sunter weights
 * estimated from the data (u from random pairs, m and λ by EM), scoring, optional one-to-one
 * assignment, explanations, and pairwise precision/recall/F1 against a ground truth.
 *
 * It works on tables already read (see linkage-file.reader.ts), so it does no I/O.
 */
import { DomainError } from '../shared/domain-error.js';
import { estimateU, explain, initialM, levelWeights, matchWeight, nullLevel, PatternCounts, priorWeight, probabilityOf, trainBySessions, withoutRandomMatches } from './fellegi-sunter.js';
import type { FellegiSunterModel, FieldExplanation } from './fellegi-sunter.js';
import { comparatorFor } from './linkage.comparisons.js';
import type { Comparator } from './linkage.comparisons.js';
import { comparisonName } from './linkage.config.js';
import type { BlockingTransform, ComparisonConfig, LinkageConfig } from './linkage.config.js';
import { nameForms } from './name.normaliser.js';
import { jaroWinkler } from './string-similarity.js';
import { foldName } from '../shared/vietnamese-text.js';

/** A file's rows as strings, with its header. */
export interface LinkageTable {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

export interface LinkedPair {
  readonly leftId: string;
  readonly rightId: string;
  readonly probability: number;
  /** log2 posterior odds. */
  readonly weight: number;
  readonly explanation: readonly FieldExplanation[];
}

export interface LinkageEvaluation {
  readonly truePairs: number;
  readonly predictedPairs: number;
  readonly truePositives: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** True pairs among the candidate pairs the blocking rules proposed: the ceiling on recall. */
  readonly truePairsInCandidates: number;
  /** Pairwise figures of all candidates at or above each threshold (before any one-to-one choice). */
  readonly curve: readonly { readonly threshold: number; readonly precision: number; readonly recall: number; readonly f1: number }[];
}

/** Pairwise figures after clustering (connected components of the linked pairs), for dedupe mode. */
export interface ClusterEvaluation {
  readonly clusters: number;
  readonly predictedPairs: number;
  readonly truePositives: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

export interface LinkageResult {
  readonly pairs: readonly LinkedPair[];
  readonly model: FellegiSunterModel;
  readonly stats: {
    readonly leftRecords: number;
    readonly rightRecords: number;
    readonly candidatePairs: number;
    readonly distinctPatterns: number;
    readonly milliseconds: { readonly prepare: number; readonly block: number; readonly train: number; readonly score: number };
  };
  readonly evaluation?: LinkageEvaluation;
  /** Dedupe mode with a truth: the same figures once linked pairs are closed into clusters. */
  readonly clusterEvaluation?: ClusterEvaluation;
  /** Dedupe mode: a cluster id per record (the smallest record index in its cluster). */
  readonly clusterOf?: Int32Array;
}

/**
 * Whether a comparison's exact level is adjusted by term frequency: as configured, and by default
 * for names (kinds jaro and name), where agreeing on 'chudleigh' says far more than on 'john'.
 */
export function usesTermFrequency(c: ComparisonConfig): boolean {
  return c.termFrequency ?? (c.kind === 'jaro' || c.kind === 'name');
}

/** Jaro-Winkler at or above which a value counts as found in the other column. */
const swapSimilarity = 0.9;

/** A Jaro-Winkler comparator with an 'other-column' level before 'else' (set by the engine, never by level()). */
function withSwapLevel(comparator: Comparator<unknown>): Comparator<unknown> {
  const levels = [...comparator.levels.slice(0, -1), 'other-column', ...comparator.levels.slice(-1)];
  return {
    ...comparator,
    levels,
    level: (a, b) => {
      const l = comparator.level(a, b);
      return l === comparator.levels.length - 1 ? levels.length - 1 : l;
    },
  };
}

/** Small seeded PRNG (mulberry32): the same seed gives the same u estimate. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function transform(value: string, how: BlockingTransform | undefined): string {
  const folded = foldName(value);
  switch (how) {
    case undefined:
    case 'folded': return folded;
    case 'first1': return folded.slice(0, 1);
    case 'first3': return folded.slice(0, 3);
    case 'last3': return folded.slice(-3);
    case 'year': return /\d{4}/.exec(value)?.[0] ?? '';
    case 'digits': return value.replace(/\D/g, '');
    case 'sorted-name': return nameForms(value).sorted;
  }
}

function columnIndex(table: LinkageTable, column: string, file: string): number {
  const i = table.header.indexOf(column);
  if (i < 0) {
    throw new DomainError('invalid', 'LINKAGE_COLUMN_UNKNOWN', `the ${file} file has no column "${column}" (it has: ${table.header.join(', ')})`, 'Correct the column name in the config');
  }
  return i;
}

/** Blocking keys of every record for one rule; '' when a key part is empty (the record is not blocked by that rule). */
function blockingKeys(table: LinkageTable, rule: readonly string[], file: string): string[] {
  const parts = rule.map((key) => {
    const [column, how] = key.split(':') as [string, BlockingTransform | undefined];
    return { index: columnIndex(table, column, file), how };
  });
  return table.rows.map((row) => {
    let key = '';
    for (const { index, how } of parts) {
      const v = transform(row[index] ?? '', how);
      if (v === '') return '';
      key += `${v}\u0001`;
    }
    return key;
  });
}

/** Prepared values of each comparison for every record. */
function prepare(table: LinkageTable, config: LinkageConfig, comparators: readonly Comparator<unknown>[], file: string): unknown[][] {
  return config.comparisons.map((c, f) => {
    const columns = (c.columns ?? [c.column ?? '']).map((column) => columnIndex(table, column, file));
    const comparator = comparators[f];
    if (comparator === undefined) return [];
    return table.rows.map((row) => {
      const raw = columns.map((i) => row[i] ?? '').filter((v) => v.trim() !== '').join(' ');
      return raw === '' ? undefined : comparator.prepare(raw);
    });
  });
}

/** Growable pair list (left index, right index). */
class PairList {
  left = new Int32Array(1 << 16);
  right = new Int32Array(1 << 16);
  /** The blocking rule that proposed each pair. */
  rule = new Uint8Array(1 << 16);
  size = 0;

  push(i: number, j: number, rule: number): void {
    if (this.size === this.left.length) {
      const grow = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.left = grow(this.left);
      this.right = grow(this.right);
      const rules = new Uint8Array(this.rule.length * 2);
      rules.set(this.rule);
      this.rule = rules;
    }
    this.left[this.size] = i;
    this.right[this.size] = j;
    this.rule[this.size] = rule;
    this.size++;
  }
}

type RuleKeys = readonly { readonly l: readonly string[]; readonly r: readonly string[] | undefined }[];

/**
 * Calls `onPair` for every pair that agrees on all keys of blocking rule `rule`. With
 * `firstRuleOnly`, a pair that also agrees on an earlier rule is skipped (it was proposed there),
 * so that the union of rules needs no set of seen pairs whatever its size.
 */
function eachRulePair(keys: RuleKeys, rule: number, dedupe: boolean, firstRuleOnly: boolean, onPair: (i: number, j: number) => void): void {
  const own = keys[rule];
  if (own === undefined) return;
  const agreesEarlier = (i: number, j: number): boolean => {
    for (let r = 0; r < rule; r++) {
      const k = keys[r];
      if (k === undefined) continue;
      const a = k.l[i] ?? '';
      if (a !== '' && a === (k.r ?? k.l)[j]) return true;
    }
    return false;
  };
  const index = new Map<string, number[]>();
  (own.r ?? own.l).forEach((key, j) => {
    if (key === '') return;
    const list = index.get(key);
    if (list === undefined) index.set(key, [j]);
    else list.push(j);
  });
  own.l.forEach((key, i) => {
    if (key === '') return;
    for (const j of index.get(key) ?? []) {
      if (dedupe && j <= i) continue;
      if (firstRuleOnly && agreesEarlier(i, j)) continue;
      onPair(i, j);
    }
  });
}

function tooManyPairs(config: LinkageConfig, rule: number): DomainError {
  return new DomainError('invalid', 'LINKAGE_TOO_MANY_PAIRS', `the blocking rules propose more than ${config.maxPairs} candidate pairs (rule ${rule + 1}: ${config.blocking[rule]?.join(' & ') ?? ''})`, 'Make the blocking rules stricter (more keys per rule), or raise maxPairs');
}

/** Candidate pairs: the union over rules of the pairs that agree on all of a rule's keys. */
function block(config: LinkageConfig, keys: RuleKeys, dedupe: boolean): PairList {
  const pairs = new PairList();
  for (let rule = 0; rule < keys.length; rule++) {
    eachRulePair(keys, rule, dedupe, true, (i, j) => {
      pairs.push(i, j, rule);
      if (pairs.size > config.maxPairs) throw tooManyPairs(config, rule);
    });
  }
  return pairs;
}

function ids(table: LinkageTable, column: string | undefined, file: string): string[] {
  if (column === undefined) return table.rows.map((_, i) => String(i + 1));
  const index = columnIndex(table, column, file);
  return table.rows.map((row, i) => row[index] ?? String(i + 1));
}

function entities(table: LinkageTable, truth: NonNullable<LinkageConfig['truth']>, file: string): string[] {
  const index = columnIndex(table, truth.column, file);
  const pattern = truth.pattern === undefined ? undefined : new RegExp(truth.pattern);
  return table.rows.map((row) => {
    const value = row[index] ?? '';
    if (pattern === undefined) return value;
    return pattern.exec(value)?.[1] ?? value;
  });
}

/** Comparison levels of record i (left) and j (right) into `into` at `offset`, one per field. */
type LevelsInto = (i: number, j: number, into: Int8Array, offset: number) => void;

/**
 * The comparators of the config. Text columns compared with Jaro-Winkler get a level for a value
 * found in another such column of the other record (given name and surname written the wrong way
 * round), as Splink's reversed-columns level.
 */
function linkageComparators(config: LinkageConfig): { readonly comparators: readonly Comparator<unknown>[]; readonly swappable: readonly number[] } {
  const swappable = config.comparisons.flatMap((c, f) => (c.kind === 'jaro' ? [f] : []));
  const comparators = config.comparisons.map((c) => {
    const comparator = comparatorFor(c);
    return swappable.length >= 2 && c.kind === 'jaro' ? withSwapLevel(comparator) : comparator;
  });
  return { comparators, swappable };
}

function levelsOf(preparedLeft: readonly unknown[][], preparedRight: readonly unknown[][], comparators: readonly Comparator<unknown>[], swappable: readonly number[]): LevelsInto {
  const fieldCount = comparators.length;
  return (i, j, into, offset) => {
    for (let f = 0; f < fieldCount; f++) {
      const a = preparedLeft[f]?.[i];
      const b = preparedRight[f]?.[j];
      const comparator = comparators[f];
      let level = a === undefined || b === undefined || comparator === undefined ? nullLevel : comparator.level(a, b);
      const last = (comparator?.levels.length ?? 0) - 1;
      if (swappable.length >= 2 && swappable.includes(f) && (level === last || level === nullLevel) && a !== undefined) {
        // the swap level sits just before 'else'
        for (const g of swappable) {
          const other = preparedRight[g]?.[j];
          if (g !== f && typeof a === 'string' && typeof other === 'string' && jaroWinkler(a, other) >= swapSimilarity) {
            level = last - 1;
            break;
          }
        }
      }
      into[offset + f] = level;
    }
  };
}

/** u from random pairs (nearly all non-matches), and the patterns those pairs showed. */
function randomPairsU(config: LinkageConfig, levelsInto: LevelsInto, fields: readonly { readonly name: string; readonly levels: readonly string[] }[], nLeft: number, nRight: number, dedupe: boolean): { readonly u: readonly number[][]; readonly randomPatterns: PatternCounts } {
  const rand = random(config.seed);
  const randomPatterns = new PatternCounts();
  const scratch = new Int8Array(fields.length);
  for (let k = 0; k < config.randomPairs && nLeft > 0 && nRight > 0; k++) {
    const i = Math.floor(rand() * nLeft);
    const j = Math.floor(rand() * nRight);
    if (dedupe && i === j) continue;
    levelsInto(i, j, scratch, 0);
    randomPatterns.add(scratch);
  }
  return { u: estimateU(fields, randomPatterns), randomPatterns };
}

/**
 * The model trained by EM, one session per blocking rule (the fields a rule blocks on are not
 * learnt from its pairs). Each session sees every pair its rule proposes, also those an earlier
 * rule proposed: a candidate belongs to every rule whose keys it agrees on.
 */
function trainModel(config: LinkageConfig, keys: RuleKeys, pairs: PairList, vectors: Int8Array, initial: FellegiSunterModel, totalPairs: number, randomPairs: number): FellegiSunterModel {
  const fieldCount = initial.fields.length;
  const sessions = config.blocking.map((rule) => {
    const columns = new Set(rule.map((key) => key.split(':')[0] ?? ''));
    const ignore = new Set<number>();
    config.comparisons.forEach((c, f) => {
      if ((c.columns ?? [c.column ?? '']).some((column) => columns.has(column))) ignore.add(f);
    });
    return { patterns: new PatternCounts(), ignore, exactKeys: rule.every((key) => !key.includes(':') || key.endsWith(':folded')) };
  });
  for (let p = 0; p < pairs.size; p++) {
    const i = pairs.left[p] ?? 0;
    const j = pairs.right[p] ?? 0;
    const vector = vectors.subarray(p * fieldCount, (p + 1) * fieldCount);
    keys.forEach((k, rule) => {
      const a = k.l[i] ?? '';
      if (a !== '' && a === (k.r ?? k.l)[j]) sessions[rule]?.patterns.add(vector);
    });
  }
  const trained = trainBySessions(initial, sessions, totalPairs, { iterations: config.emIterations });
  // The random pairs u came from hold about λ of matches: take them out (see withoutRandomMatches).
  return withoutRandomMatches(trained, 0.5 / Math.max(1, randomPairs));
}

/** Term-frequency adjustment of exact agreements, per left record (exact agreement means equal keys); undefined where a field has none. */
function termFrequencyAdjustments(config: LinkageConfig, comparators: readonly Comparator<unknown>[], model: FellegiSunterModel, preparedLeft: readonly unknown[][], preparedRight: readonly unknown[][], dedupe: boolean): readonly (Float64Array | undefined)[] {
  return config.comparisons.map((c, f) => {
    const comparator = comparators[f];
    const u0 = model.fields[f]?.u[0];
    if (!usesTermFrequency(c) || comparator === undefined || u0 === undefined) return undefined;
    const counts = new Map<string, number>();
    let total = 0;
    const keysOf = (values: readonly unknown[] | undefined): (string | undefined)[] =>
      (values ?? []).map((v) => (v === undefined ? undefined : comparator.key(v)));
    const leftKeys = keysOf(preparedLeft[f]);
    const allKeys = dedupe ? leftKeys : [...leftKeys, ...keysOf(preparedRight[f])];
    for (const k of allKeys) {
      if (k === undefined) continue;
      counts.set(k, (counts.get(k) ?? 0) + 1);
      total++;
    }
    return Float64Array.from(leftKeys, (k) => (k === undefined ? 0 : Math.log2(u0 / Math.max((counts.get(k) ?? 1) / total, 1e-9))));
  });
}

/** Each candidate's evidence: its match weight less the prior, with the term-frequency adjustments. */
function evidenceOfPairs(model: FellegiSunterModel, pairs: PairList, vectors: Int8Array, tfAdjust: readonly (Float64Array | undefined)[]): Float64Array {
  const fieldCount = model.fields.length;
  const weights = levelWeights(model);
  const base = new Float64Array(pairs.size);
  for (let p = 0; p < pairs.size; p++) {
    const vector = vectors.subarray(p * fieldCount, (p + 1) * fieldCount);
    let w = matchWeight(model, weights, vector) - priorWeight(model);
    for (let f = 0; f < fieldCount; f++) {
      const adjust = tfAdjust[f];
      if (adjust !== undefined && vector[f] === 0) w += adjust[pairs.left[p] ?? 0] ?? 0;
    }
    base[p] = w;
  }
  return base;
}

/** The candidates over the threshold, best first; in one-to-one linking each record in one pair at most. */
function choosePairs(config: LinkageConfig, pairs: PairList, base: Float64Array, priorLogOdds: number, nLeft: number, nRight: number, dedupe: boolean): { p: number; weight: number }[] {
  const kept: { p: number; weight: number }[] = [];
  for (let p = 0; p < pairs.size; p++) {
    const weight = (base[p] ?? 0) + priorLogOdds;
    if (probabilityOf(weight) >= config.threshold) kept.push({ p, weight });
  }
  kept.sort((a, b) => b.weight - a.weight);
  if (!config.oneToOne || dedupe) return kept;
  const usedLeft = new Uint8Array(nLeft);
  const usedRight = new Uint8Array(nRight);
  return kept.filter(({ p }) => {
    const i = pairs.left[p] ?? 0;
    const j = pairs.right[p] ?? 0;
    if (usedLeft[i] === 1 || usedRight[j] === 1) return false;
    usedLeft[i] = 1;
    usedRight[j] = 1;
    return true;
  });
}

/**
 * Runs a linkage job on tables already read: `right` is required in link mode and ignored in dedupe mode.
 *
 * @example
 * const result = runLinkage(parseLinkageConfig(json), leftTable, rightTable);
 * result.pairs[0] // { leftId, rightId, probability: 0.998, weight: 8.9, explanation: [...] }
 */
export function runLinkage(config: LinkageConfig, left: LinkageTable, right?: LinkageTable): LinkageResult {
  const dedupe = config.mode === 'dedupe';
  const other = dedupe ? left : right;
  if (other === undefined) {
    throw new DomainError('invalid', 'LINKAGE_CONFIG_INVALID', 'link mode needs a right file', 'Add "right" to the config, or use mode "dedupe"');
  }
  const t0 = performance.now();
  const { comparators, swappable } = linkageComparators(config);
  const fieldCount = comparators.length;
  const preparedLeft = prepare(left, config, comparators, 'left');
  const preparedRight = dedupe ? preparedLeft : prepare(other, config, comparators, 'right');
  const t1 = performance.now();
  const keys: RuleKeys = config.blocking.map((rule) => ({ l: blockingKeys(left, rule, 'left'), r: dedupe ? undefined : blockingKeys(other, rule, 'right') }));
  const pairs = block(config, keys, dedupe);
  const t2 = performance.now();

  const levelsInto = levelsOf(preparedLeft, preparedRight, comparators, swappable);
  const nLeft = left.rows.length;
  const nRight = other.rows.length;
  const fields = config.comparisons.map((c, f) => ({ name: comparisonName(c), levels: comparators[f]?.levels ?? [] }));
  const { u, randomPatterns } = randomPairsU(config, levelsInto, fields, nLeft, nRight, dedupe);
  // comparison vectors of the candidates, and their patterns
  const vectors = new Int8Array(pairs.size * fieldCount);
  const patterns = new PatternCounts();
  for (let p = 0; p < pairs.size; p++) {
    levelsInto(pairs.left[p] ?? 0, pairs.right[p] ?? 0, vectors, p * fieldCount);
    patterns.add(vectors.subarray(p * fieldCount, (p + 1) * fieldCount));
  }
  const expectedMatches = Math.min(nLeft, nRight);
  const initial: FellegiSunterModel = {
    prior: Math.min(0.5, Math.max(1e-4, expectedMatches / Math.max(1, pairs.size))),
    fields: fields.map((f, i) => ({ ...f, m: initialM(f.levels.length), u: u[i] ?? [] })),
  };
  const model = trainModel(config, keys, pairs, vectors, initial, dedupe ? (nLeft * (nLeft - 1)) / 2 : nLeft * nRight, randomPatterns.total);
  const t3 = performance.now();

  // score, threshold, one-to-one
  const weights = levelWeights(model);
  const tfAdjust = termFrequencyAdjustments(config, comparators, model, preparedLeft, preparedRight, dedupe);
  const base = evidenceOfPairs(model, pairs, vectors, tfAdjust);
  const priorLogOdds = priorWeight(model);
  const chosen = choosePairs(config, pairs, base, priorLogOdds, nLeft, nRight, dedupe);
  const leftIds = ids(left, config.left.id, 'left');
  const rightIds = dedupe ? leftIds : ids(other, config.right?.id, 'right');
  const linked: LinkedPair[] = chosen.map(({ p, weight }) => {
    const vector = vectors.subarray(p * fieldCount, (p + 1) * fieldCount);
    return {
      leftId: leftIds[pairs.left[p] ?? 0] ?? '',
      rightId: rightIds[pairs.right[p] ?? 0] ?? '',
      probability: probabilityOf(weight),
      weight,
      explanation: explain(model, weights, vector).map((e, f) => {
        const adjust = tfAdjust[f];
        return adjust !== undefined && vector[f] === 0 ? { ...e, weight: Math.round((e.weight + (adjust[pairs.left[p] ?? 0] ?? 0)) * 1000) / 1000 } : e;
      }),
    };
  });
  const t4 = performance.now();

  const clusterOf = dedupe ? clusters(nLeft, chosen.map(({ p }) => [pairs.left[p] ?? 0, pairs.right[p] ?? 0] as const)) : undefined;
  let evaluation: LinkageEvaluation | undefined;
  let clusterEvaluation: ClusterEvaluation | undefined;
  if (config.truth !== undefined) {
    const el = entities(left, config.truth, 'left');
    const er = dedupe ? el : entities(other, config.truth, 'right');
    evaluation = evaluate(el, er, dedupe, chosen.map(({ p }) => [pairs.left[p] ?? 0, pairs.right[p] ?? 0] as const), pairs, (p) => (base[p] ?? 0) + priorLogOdds);
    if (clusterOf !== undefined) clusterEvaluation = evaluateClusters(el, clusterOf, evaluation.truePairs);
  }

  return {
    pairs: linked,
    model,
    stats: {
      leftRecords: nLeft,
      rightRecords: nRight,
      candidatePairs: pairs.size,
      distinctPatterns: patterns.distinct,
      milliseconds: { prepare: Math.round(t1 - t0), block: Math.round(t2 - t1), train: Math.round(t3 - t2), score: Math.round(t4 - t3) },
    },
    ...(evaluation === undefined ? {} : { evaluation }),
    ...(clusterEvaluation === undefined ? {} : { clusterEvaluation }),
    ...(clusterOf === undefined ? {} : { clusterOf }),
  };
}

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

/** Pairwise precision, recall and F1 of the predicted pairs against the entities. */
function evaluate(left: readonly string[], right: readonly string[], dedupe: boolean, predicted: readonly (readonly [number, number])[], candidates: PairList, weightOf: (p: number) => number): LinkageEvaluation {
  let truePairs = 0;
  const leftCounts = countBy(left);
  if (dedupe) {
    for (const n of leftCounts.values()) truePairs += (n * (n - 1)) / 2;
  } else {
    const rightCounts = countBy(right);
    for (const [entity, n] of leftCounts) truePairs += n * (rightCounts.get(entity) ?? 0);
  }
  let truePositives = 0;
  for (const [i, j] of predicted) if (left[i] === right[j]) truePositives++;
  let truePairsInCandidates = 0;
  const thresholds = [0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999];
  const above = thresholds.map(() => ({ all: 0, hits: 0 }));
  for (let p = 0; p < candidates.size; p++) {
    const hit = left[candidates.left[p] ?? 0] === right[candidates.right[p] ?? 0];
    if (hit) truePairsInCandidates++;
    const probability = probabilityOf(weightOf(p));
    thresholds.forEach((t, k) => {
      const cell = above[k];
      if (cell !== undefined && probability >= t) {
        cell.all++;
        if (hit) cell.hits++;
      }
    });
  }
  const curve = thresholds.map((threshold, k) => {
    const { all, hits } = above[k] ?? { all: 0, hits: 0 };
    const precision = all === 0 ? 1 : hits / all;
    const recall = truePairs === 0 ? 1 : hits / truePairs;
    return { threshold, precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall) };
  });
  const precision = predicted.length === 0 ? 1 : truePositives / predicted.length;
  const recall = truePairs === 0 ? 1 : truePositives / truePairs;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { truePairs, predictedPairs: predicted.length, truePositives, precision, recall, f1, truePairsInCandidates, curve };
}

/** Connected components (union-find with path halving); each record's id is its component's smallest index. */
function clusters(n: number, links: readonly (readonly [number, number])[]): Int32Array {
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (x: number): number => {
    let r = x;
    while ((parent[r] ?? r) !== r) {
      const up = parent[parent[r] ?? r] ?? r;
      parent[r] = up;
      r = up;
    }
    return r;
  };
  for (const [a, b] of links) {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) {
      if (ra < rb) parent[rb] = ra;
      else parent[ra] = rb;
    }
  }
  for (let i = 0; i < n; i++) parent[i] = find(i);
  return parent;
}

function pairsIn(n: number): number {
  return (n * (n - 1)) / 2;
}

function evaluateClusters(entity: readonly string[], clusterOf: Int32Array, truePairs: number): ClusterEvaluation {
  const sizes = new Map<number, number>();
  const cells = new Map<string, number>();
  clusterOf.forEach((c, i) => {
    sizes.set(c, (sizes.get(c) ?? 0) + 1);
    const key = `${c}\u0001${entity[i] ?? ''}`;
    cells.set(key, (cells.get(key) ?? 0) + 1);
  });
  let predictedPairs = 0;
  for (const n of sizes.values()) predictedPairs += pairsIn(n);
  let truePositives = 0;
  for (const n of cells.values()) truePositives += pairsIn(n);
  const precision = predictedPairs === 0 ? 1 : truePositives / predictedPairs;
  const recall = truePairs === 0 ? 1 : truePositives / truePairs;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { clusters: sizes.size, predictedPairs, truePositives, precision, recall, f1 };
}
