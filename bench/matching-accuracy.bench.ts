// Accuracy of the linkage engine on public benchmark files with ground truth: pairwise precision,
// recall and F1 per file (and after clustering, for deduplication), with timings.
//   npx tsx bench/matching-accuracy.bench.ts [--only readme|febrl4|febrl3|fake1000|historical] [--data test/fixtures/linkage]
// The same jobs run from the CLI: write a config below to a JSON file and `sachsong link --config FILE`.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseLinkageConfig } from '../src/matching/linkage.config.js';
import { readLinkageTables } from '../src/matching/linkage-file.reader.js';
import { runLinkage } from '../src/matching/linkage.service.js';

const { values } = parseArgs({ options: { only: { type: 'string' }, data: { type: 'string', default: fileURLToPath(new URL('../test/fixtures/linkage', import.meta.url)) } } });
const data = values.data;

const febrlComparisons = [
  { column: 'given_name', kind: 'jaro' },
  { column: 'surname', kind: 'jaro' },
  { column: 'date_of_birth', kind: 'date' },
  { column: 'soc_sec_id', kind: 'levenshtein', thresholds: [1, 2] },
  { column: 'street_number', kind: 'exact' },
  { column: 'address_1', kind: 'jaro' },
  { column: 'suburb', kind: 'jaro' },
  { column: 'postcode', kind: 'levenshtein', thresholds: [1] },
  { column: 'state', kind: 'exact' },
];
const febrlBlocking = [['soc_sec_id'], ['given_name', 'surname'], ['date_of_birth'], ['postcode', 'surname:first3'], ['suburb', 'given_name:first3']];

// The README's FEBRL 4a/4b example exactly as written (defaults for everything it leaves out).
const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
const readmeJob = JSON.parse(/```json\n(\{ "mode": "link",[\s\S]*?)```/.exec(readme)?.[1] ?? '{}') as Record<string, unknown>;

const jobs: Record<string, unknown> = {
  readme: {
    ...readmeJob,
    left: { path: `${data}/febrl/dataset4a.csv.gz`, id: 'rec_id' },
    right: { path: `${data}/febrl/dataset4b.csv.gz`, id: 'rec_id' },
    output: undefined,
    truth: { column: 'rec_id', pattern: '^rec-(\\d+)' },
  },
  febrl4: {
    mode: 'link',
    left: { path: `${data}/febrl/dataset4a.csv.gz`, id: 'rec_id' },
    right: { path: `${data}/febrl/dataset4b.csv.gz`, id: 'rec_id' },
    comparisons: febrlComparisons,
    blocking: febrlBlocking,
    threshold: 0.5,
    oneToOne: true,
    truth: { column: 'rec_id', pattern: '^rec-(\\d+)' },
  },
  febrl3: {
    mode: 'dedupe',
    left: { path: `${data}/febrl/dataset3.csv.gz`, id: 'rec_id' },
    comparisons: febrlComparisons,
    blocking: febrlBlocking,
    threshold: 0.5,
    truth: { column: 'rec_id', pattern: '^rec-(\\d+)' },
  },
  fake1000: {
    mode: 'dedupe',
    left: { path: `${data}/fake_1000.csv.gz`, id: 'unique_id' },
    comparisons: [
      { column: 'first_name', kind: 'jaro', termFrequency: true },
      { column: 'surname', kind: 'jaro', termFrequency: true },
      { column: 'dob', kind: 'date' },
      { column: 'city', kind: 'exact', termFrequency: true },
      { column: 'email', kind: 'levenshtein', thresholds: [2, 4] },
    ],
    blocking: [['first_name'], ['surname'], ['dob'], ['email']],
    threshold: 0.5,
    truth: { column: 'cluster' },
  },
  historical: {
    mode: 'dedupe',
    left: { path: `${data}/historical_figures_with_errors_50k.csv.gz`, id: 'unique_id' },
    comparisons: [
      { column: 'first_name', kind: 'jaro', termFrequency: true },
      { column: 'surname', kind: 'jaro', termFrequency: true },
      { column: 'dob', kind: 'date', termFrequency: true },
      { column: 'birth_place', kind: 'jaro', termFrequency: true },
      { column: 'postcode_fake', kind: 'levenshtein', thresholds: [1, 2], termFrequency: true },
      { column: 'gender', kind: 'exact' },
      { column: 'occupation', kind: 'jaro', termFrequency: true },
    ],
    blocking: [
      ['first_name', 'surname'], ['surname', 'dob'], ['first_name', 'dob'], ['postcode_fake', 'first_name'], ['postcode_fake', 'surname'],
      ['dob', 'birth_place'], ['dob'], ['postcode_fake'], ['surname', 'occupation'], ['first_name:first3', 'surname:first3'],
      ['surname', 'dob:year'], ['first_name', 'dob:year'], ['surname', 'first_name:first1'], ['first_name:first3', 'dob'],
      ['surname:first3', 'dob'], ['surname', 'birth_place'], ['first_name', 'birth_place'], ['occupation', 'dob'],
      ['first_name', 'occupation'], ['dob:year', 'birth_place'],
    ],
    threshold: 0.5,
    truth: { column: 'cluster' },
  },
};

const round = (x: number): number => Math.round(x * 10_000) / 10_000;
const results: Record<string, unknown> = {};
for (const [name, job] of Object.entries(jobs)) {
  if (values.only !== undefined && values.only !== name) continue;
  const config = parseLinkageConfig(job);
  const started = performance.now();
  const { left, right } = readLinkageTables(config);
  const result = runLinkage(config, left, right);
  const seconds = (performance.now() - started) / 1000;
  const e = result.evaluation;
  const best = e?.curve.reduce((a, b) => (b.f1 > a.f1 ? b : a));
  results[name] = {
    mode: config.mode,
    records: config.mode === 'link' ? `${result.stats.leftRecords} x ${result.stats.rightRecords}` : result.stats.leftRecords,
    candidatePairs: result.stats.candidatePairs,
    seconds: Math.round(seconds * 10) / 10,
    stages: result.stats.milliseconds,
    prior: result.model.prior,
    threshold: config.threshold,
    ...(e === undefined ? {} : {
      pairwise: { precision: round(e.precision), recall: round(e.recall), f1: round(e.f1), truePairs: e.truePairs, predicted: e.predictedPairs, recallCeiling: round(e.truePairsInCandidates / Math.max(1, e.truePairs)) },
      bestThreshold: best === undefined ? undefined : { threshold: best.threshold, precision: round(best.precision), recall: round(best.recall), f1: round(best.f1) },
    }),
    ...(result.clusterEvaluation === undefined ? {} : {
      clustered: { clusters: result.clusterEvaluation.clusters, precision: round(result.clusterEvaluation.precision), recall: round(result.clusterEvaluation.recall), f1: round(result.clusterEvaluation.f1) },
    }),
  };
}
console.log(JSON.stringify({ bench: 'matching-accuracy', results }, null, 2));
