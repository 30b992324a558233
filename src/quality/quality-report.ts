import { qualityRules, scoreGroups } from './quality-rule.catalog.js';
import type { QualityService } from './quality.service.js';
import type { ScanRecord, ScoreRow } from './score.repository.js';

/** A scope's five scores (the four groups and overall), 0-100. */
export interface ScoreLine {
  readonly code: string;
  readonly parent: string;
  readonly records: number;
  readonly scores: Readonly<Record<string, number>>;
  readonly failing: Readonly<Record<string, number>>;
}

/** The quality report: the latest scorecards, the rule catalog with counts, and the national trend. */
export interface QualityReport {
  readonly generatedAt: string;
  readonly scan: ScanRecord | null;
  readonly national: ScoreLine | null;
  readonly provinces: readonly ScoreLine[];
  readonly rules: readonly { readonly id: string; readonly group: string; readonly dimension: string; readonly severity: string; readonly field: string; readonly en: string; readonly vi: string; readonly failing: number; readonly score: number }[];
  readonly fields: readonly ScoreLine[];
  readonly trend: readonly { readonly takenAt: string; readonly scores: Readonly<Record<string, number>> }[];
}

/** Folds score rows (one per group) into one line per scope code. */
export function scoreLines(rows: readonly ScoreRow[]): ScoreLine[] {
  const lines = new Map<string, { code: string; parent: string; records: number; scores: Record<string, number>; failing: Record<string, number> }>();
  for (const r of rows) {
    const line = lines.get(r.code) ?? { code: r.code, parent: r.parent, records: 0, scores: {}, failing: {} };
    line.records = Math.max(line.records, r.records);
    line.scores[r.group] = r.score;
    line.failing[r.group] = r.failing;
    lines.set(r.code, line);
  }
  return [...lines.values()];
}

/** Gathers the report from the latest full scan. */
export async function buildQualityReport(quality: QualityService, generatedAt: string): Promise<QualityReport> {
  const national = await quality.scorecard('national');
  const provinces = await quality.scorecard('province');
  const rules = await quality.scorecard('rule');
  const fields = await quality.scorecard('field');
  const trendRows = await quality.trend('national', '');
  const byRule = new Map(rules.rows.map((r) => [r.code, r]));
  const trend = new Map<string, { takenAt: string; scores: Record<string, number> }>();
  for (const r of trendRows) {
    const point = trend.get(r.scanId) ?? { takenAt: r.takenAt, scores: {} };
    point.scores[r.group] = r.score;
    trend.set(r.scanId, point);
  }
  return {
    generatedAt,
    scan: national.scan,
    national: scoreLines(national.rows)[0] ?? null,
    provinces: scoreLines(provinces.rows),
    rules: qualityRules.map((r) => ({
      id: r.id, group: r.group, dimension: r.dimension, severity: r.severity, field: r.field, en: r.description.en, vi: r.description.vi,
      failing: byRule.get(r.id)?.failing ?? 0, score: byRule.get(r.id)?.score ?? 100,
    })),
    fields: scoreLines(fields.rows),
    trend: [...trend.values()],
  };
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${String(c.charCodeAt(0))};`);
}

/** A small inline SVG line chart of one series (0-100). */
function sparkline(values: readonly number[]): string {
  if (values.length < 2) return '';
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = Math.max(max - min, 0.01);
  const points = values.map((v, i) => `${String(Math.round((i / (values.length - 1)) * 120))},${String(Math.round(30 - ((v - min) / span) * 28))}`).join(' ');
  return `<svg width="120" height="32" viewBox="0 0 120 32" role="img"><polyline fill="none" stroke="#1f6feb" stroke-width="2" points="${points}"/></svg>`;
}

/** The report as one self-contained HTML page (no scripts, no external resources). */
export function renderQualityReportHtml(report: QualityReport): string {
  const groups = [...scoreGroups, 'overall'];
  const cell = (v: number | undefined): string => `<td class="n">${v === undefined ? '–' : v.toFixed(2)}</td>`;
  const head = `<tr><th>scope</th><th class="n">records</th>${groups.map((g) => `<th class="n">${g}</th>`).join('')}</tr>`;
  const line = (label: string, l: ScoreLine): string => `<tr><td>${escape(label)}</td><td class="n">${String(l.records)}</td>${groups.map((g) => cell(l.scores[g])).join('')}</tr>`;
  const trendCells = groups.map((g) => `<td>${g}<br>${sparkline(report.trend.map((t) => t.scores[g] ?? 0))}</td>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sachsong data quality report</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#111}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}.n{text-align:right;font-variant-numeric:tabular-nums}</style></head>
<body><h1>Data quality: correct, complete, clean, live (đúng, đủ, sạch, sống)</h1>
<p>Generated ${escape(report.generatedAt)}; ${report.scan === null ? 'no full scan yet' : `latest full scan ${escape(report.scan.finishedAt)} over ${String(report.scan.persons)} persons, ${String(report.scan.findingsOpen)} open findings`}.</p>
<h2>National</h2><table>${head}${report.national === null ? '' : line('national', report.national)}</table>
<h2>Trend</h2><table><tr>${trendCells}</tr></table>
<h2>Provinces</h2><table>${head}${report.provinces.map((p) => line(p.code === '' ? '(no commune)' : p.code, p)).join('')}</table>
<h2>Rules</h2><table><tr><th>rule</th><th>group</th><th>dimension</th><th>severity</th><th>field</th><th>description</th><th class="n">failing</th><th class="n">score</th></tr>
${report.rules.map((r) => `<tr><td>${escape(r.id)}</td><td>${r.group}</td><td>${r.dimension}</td><td>${r.severity}</td><td>${escape(r.field)}</td><td>${escape(r.en)}<br><i>${escape(r.vi)}</i></td><td class="n">${String(r.failing)}</td><td class="n">${r.score.toFixed(2)}</td></tr>`).join('\n')}</table>
<h2>Fields</h2><table>${head}${report.fields.map((f) => line(f.code, f)).join('')}</table>
</body></html>
`;
}
