import { pick, type Language } from '../shared/language.js';
import { detailTexts } from './finding-detail.js';
import { qualityRules, scoreGroups } from './quality-rule.catalog.js';
import type { QualityService } from './quality.service.js';
import type { ScanRecord, ScoreRow } from './score.repository.js';

/** One open finding of a rule, for the reader to see what the rule finds: its detail in both languages (dates dd/mm/yyyy in Vietnamese). */
export interface ReportExample {
  readonly recordId: string;
  readonly detail: string;
  readonly detailText: { readonly vi: string; readonly en: string };
}

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
  readonly rules: readonly { readonly id: string; readonly group: string; readonly dimension: string; readonly severity: string; readonly field: string; readonly en: string; readonly vi: string; readonly failing: number; readonly score: number; readonly example: ReportExample | null }[];
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
  // One open finding of each failing rule: what "failing" means, in the reader's words.
  const examples = new Map<string, ReportExample>();
  for (const r of qualityRules) {
    if ((byRule.get(r.id)?.failing ?? 0) === 0) continue;
    const [first] = await quality.worklist({ ruleId: r.id, status: 'open', limit: 1 });
    if (first === undefined) continue;
    const { vi, en } = detailTexts(first.detail);
    examples.set(r.id, { recordId: first.recordId, detail: first.detail, detailText: { vi, en } });
  }
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
      failing: byRule.get(r.id)?.failing ?? 0, score: byRule.get(r.id)?.score ?? 100, example: examples.get(r.id) ?? null,
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

const vietnamClock = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** An instant as Vietnam's clock reads it: 'dd/mm/yyyy hh:mm' in Vietnamese, ISO in English. */
function when(value: string, lang: Language): string {
  const date = new Date(value);
  if (lang === 'en' || Number.isNaN(date.getTime())) return value;
  return vietnamClock.format(date).replace(',', '');
}

/** The score groups and the overall score by their Vietnamese names (the four "đúng, đủ, sạch, sống"). */
const groupNamesVi: Readonly<Record<string, string>> = { correct: 'Đúng', complete: 'Đủ', clean: 'Sạch', live: 'Sống', overall: 'Chung' };
const severityNamesVi: Readonly<Record<string, string>> = { error: 'lỗi', warning: 'cảnh báo', info: 'thông tin' };
const dimensionNamesVi: Readonly<Record<string, string>> = {
  validity: 'hợp lệ', completeness: 'đầy đủ', uniqueness: 'không trùng lặp', freshness: 'cập nhật', consistency: 'nhất quán', referential_integrity: 'toàn vẹn tham chiếu',
};

/** The report as one self-contained HTML page (no scripts, no external resources); Vietnamese unless English is asked for. */
export function renderQualityReportHtml(report: QualityReport, lang: Language = 'vi'): string {
  const t = (vi: string, en: string): string => pick(lang, vi, en);
  const locale = lang === 'vi' ? 'vi-VN' : 'en-US';
  const number = (v: number, digits = 0): string => v.toLocaleString(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const groups = [...scoreGroups, 'overall'];
  const groupName = (g: string): string => (lang === 'vi' ? groupNamesVi[g] ?? g : g);
  const cell = (v: number | undefined): string => `<td class="n">${v === undefined ? '–' : number(v, 2)}</td>`;
  const head = `<tr><th>${t('phạm vi', 'scope')}</th><th class="n">${t('số hồ sơ', 'records')}</th>${groups.map((g) => `<th class="n">${groupName(g)}</th>`).join('')}</tr>`;
  const line = (label: string, l: ScoreLine): string => `<tr><td>${escape(label)}</td><td class="n">${number(l.records)}</td>${groups.map((g) => cell(l.scores[g])).join('')}</tr>`;
  const trendCells = groups.map((g) => `<td>${groupName(g)}<br>${sparkline(report.trend.map((tr) => tr.scores[g] ?? 0))}</td>`).join('');
  const scanText = report.scan === null
    ? t('chưa có lần quét toàn bộ nào', 'no full scan yet')
    : t(`lần quét toàn bộ gần nhất ${escape(when(report.scan.finishedAt, lang))} trên ${number(report.scan.persons)} người, ${number(report.scan.findingsOpen)} phát hiện đang mở`, `latest full scan ${escape(report.scan.finishedAt)} over ${String(report.scan.persons)} persons, ${String(report.scan.findingsOpen)} open findings`);
  const description = (r: QualityReport['rules'][number]): string => (lang === 'vi' ? `${escape(r.vi)}<br><i>${escape(r.en)}</i>` : `${escape(r.en)}<br><i>${escape(r.vi)}</i>`);
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><title>${t('Báo cáo chất lượng dữ liệu sachsong', 'sachsong data quality report')}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#111}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}.n{text-align:right;font-variant-numeric:tabular-nums}</style></head>
<body><h1>${t('Chất lượng dữ liệu: đúng, đủ, sạch, sống', 'Data quality: correct, complete, clean, live (đúng, đủ, sạch, sống)')}</h1>
<p>${t('Lập lúc', 'Generated')} ${escape(when(report.generatedAt, lang))}; ${scanText}.</p>
<h2>${t('Toàn quốc', 'National')}</h2><table>${head}${report.national === null ? '' : line(t('toàn quốc', 'national'), report.national)}</table>
<h2>${t('Xu hướng', 'Trend')}</h2><table><tr>${trendCells}</tr></table>
<h2>${t('Tỉnh, thành phố', 'Provinces')}</h2><table>${head}${report.provinces.map((p) => line(p.code === '' ? t('(không có xã)', '(no commune)') : p.code, p)).join('')}</table>
<h2>${t('Quy tắc', 'Rules')}</h2><table><tr><th>${t('quy tắc', 'rule')}</th><th>${t('nhóm', 'group')}</th><th>${t('khía cạnh', 'dimension')}</th><th>${t('mức độ', 'severity')}</th><th>${t('trường', 'field')}</th><th>${t('mô tả', 'description')}</th><th class="n">${t('vi phạm', 'failing')}</th><th class="n">${t('điểm', 'score')}</th><th>${t('ví dụ', 'example')}</th></tr>
${report.rules.map((r) => `<tr><td>${escape(r.id)}</td><td>${groupName(r.group)}</td><td>${lang === 'vi' ? dimensionNamesVi[r.dimension] ?? r.dimension : r.dimension}</td><td>${lang === 'vi' ? severityNamesVi[r.severity] ?? r.severity : r.severity}</td><td>${escape(r.field)}</td><td>${description(r)}</td><td class="n">${number(r.failing)}</td><td class="n">${number(r.score, 2)}</td><td>${r.example === null ? '' : `${escape(r.example.recordId)}: ${escape(r.example.detailText[lang])}`}</td></tr>`).join('\n')}</table>
<h2>${t('Trường dữ liệu', 'Fields')}</h2><table>${head}${report.fields.map((f) => line(f.code, f)).join('')}</table>
</body></html>
`;
}
