import { reconcileStatuses, type ReconcileStatus } from './reconcile.presets.js';
import type { ReconcileSummary } from './reconcile.types.js';

const statusColours: Readonly<Record<ReconcileStatus, string>> = {
  MATCHED: '#2e7d32',
  MISMATCH: '#f9a825',
  OVER_LIMIT: '#ef6c00',
  DECEASED: '#6d4c41',
  DUPLICATE_IN_SOURCE: '#8e24aa',
  PROBABLE_MATCH: '#558b2f',
  CLERICAL_REVIEW: '#0277bd',
  NOT_FOUND: '#c62828',
  INVALID_ID: '#ad1457',
  BAD_ROW: '#455a64',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

function format(n: number): string {
  return n.toLocaleString('en-US');
}

/** A horizontal bar chart as inline SVG: no script, no external resource, prints as it shows. */
function barChart(title: string, bars: readonly { readonly label: string; readonly value: number; readonly colour: string }[], total: number): string {
  const rowHeight = 26;
  const labelWidth = 190;
  const barWidth = 420;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const height = bars.length * rowHeight + 10;
  const rows = bars.map((b, i) => {
    const y = i * rowHeight + 5;
    const w = Math.round((b.value / max) * barWidth);
    const share = total > 0 ? ` (${((100 * b.value) / total).toFixed(2)}%)` : '';
    return `<text x="${labelWidth - 8}" y="${y + 17}" text-anchor="end">${escapeHtml(b.label)}</text>`
      + `<rect x="${labelWidth}" y="${y + 3}" width="${Math.max(w, b.value > 0 ? 1 : 0)}" height="${rowHeight - 8}" fill="${b.colour}"><title>${escapeHtml(b.label)}: ${format(b.value)}</title></rect>`
      + `<text x="${labelWidth + w + 6}" y="${y + 17}">${format(b.value)}${share}</text>`;
  }).join('');
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg role="img" aria-label="${escapeHtml(title)}" width="${labelWidth + barWidth + 170}" height="${height}" font-size="13" font-family="system-ui, sans-serif">${rows}</svg></figure>`;
}

/**
 * The reconciliation report as one self-contained HTML page: counts per status with the suggested
 * action, the fields that disagree, the finer reasons, the unreadable rows (line and reason only,
 * never their content) and where the time went.
 */
export function renderReport(summary: ReconcileSummary, actions: Readonly<Record<ReconcileStatus, string>>): string {
  const statusBars = reconcileStatuses.map((s) => ({ label: s, value: summary.statuses[s], colour: statusColours[s] }));
  const fieldBars = Object.entries(summary.mismatchFields).map(([field, n]) => ({ label: field, value: n, colour: statusColours.MISMATCH }));
  const reasonBars = Object.entries(summary.reasons).sort((a, b) => b[1] - a[1]).map(([reason, n]) => ({ label: reason, value: n, colour: '#1565c0' }));
  const statusTable = reconcileStatuses.map((s) => `<tr><td><span class="dot" style="background:${statusColours[s]}"></span>${s}</td><td class="n">${format(summary.statuses[s])}</td><td>${escapeHtml(actions[s])}</td></tr>`).join('');
  const badRows = summary.badRowSamples.map((b) => `<tr><td class="n">${b.line}</td><td>${escapeHtml(b.code)}</td><td>${escapeHtml(b.reason)}</td></tr>`).join('');
  const timings = Object.entries(summary.seconds).map(([k, v]) => `${escapeHtml(k)} ${v.toFixed(2)} s`).join(' · ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Reconciliation: ${escapeHtml(summary.input)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem;color:#212121}
h1{font-size:1.4rem}table{border-collapse:collapse;margin:1rem 0}td,th{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left;vertical-align:top}
.n{text-align:right;font-variant-numeric:tabular-nums}.dot{display:inline-block;width:.7rem;height:.7rem;border-radius:50%;margin-right:.4rem}
figure{margin:1.5rem 0}figcaption{font-weight:600;margin-bottom:.4rem}.muted{color:#616161}
</style></head><body>
<h1>Reconciliation of ${escapeHtml(summary.input)} — ${escapeHtml(summary.presetTitle)}</h1>
<p class="muted">${format(summary.rows)} rows against a registry snapshot of ${format(summary.snapshot.persons)} persons · finished ${escapeHtml(summary.finishedAt)} · ${timings}</p>
${summary.columnsMissing.length > 0 ? `<p><strong>Not compared</strong> (columns missing from the file): ${escapeHtml(summary.columnsMissing.join(', '))}</p>` : ''}
${barChart('Rows by status', statusBars, summary.rows)}
<table><thead><tr><th>status</th><th class="n">rows</th><th>suggested action</th></tr></thead><tbody>${statusTable}</tbody></table>
${fieldBars.length > 0 ? barChart('Fields that disagree with the registry (MISMATCH rows)', fieldBars, summary.statuses.MISMATCH) : ''}
${reasonBars.length > 0 ? barChart('Reasons', reasonBars, summary.rows) : ''}
<h2>Unreadable rows</h2>
${summary.badRows === 0 ? '<p>None.</p>' : `<p>${format(summary.badRows)} rows could not be read${summary.badRows > summary.badRowSamples.length ? ` (the first ${summary.badRowSamples.length} are listed)` : ''}.</p><table><thead><tr><th class="n">line</th><th>code</th><th>reason</th></tr></thead><tbody>${badRows}</tbody></table>`}
</body></html>
`;
}
