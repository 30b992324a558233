import { pick, type Language } from '../shared/language.js';
import { badRowReason } from './bad-row.reasons.js';
import { reconcileStatuses, type PresetName, type ReconcileStatus } from './reconcile.presets.js';
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

let locale = 'vi-VN';

function format(n: number): string {
  return n.toLocaleString(locale);
}

/** Each status as the report names it in Vietnamese (the code stays beside it). */
export const statusNamesVi: Readonly<Record<ReconcileStatus, string>> = {
  MATCHED: 'Khớp',
  MISMATCH: 'Sai khác thông tin',
  OVER_LIMIT: 'Vượt giới hạn',
  DECEASED: 'Đã mất',
  DUPLICATE_IN_SOURCE: 'Trùng trong tệp',
  PROBABLE_MATCH: 'Có thể khớp (theo họ tên, ngày sinh)',
  CLERICAL_REVIEW: 'Cần cán bộ xem xét',
  NOT_FOUND: 'Không có trong cơ sở dữ liệu',
  INVALID_ID: 'Số định danh sai dạng',
  BAD_ROW: 'Dòng không đọc được',
};

const commonActionsVi = {
  BAD_ROW: 'Sửa dòng trong tệp nguồn (xem số dòng và lý do) rồi gửi lại',
  INVALID_ID: 'Đề nghị người dân cung cấp số định danh cá nhân 12 số trên thẻ căn cước hoặc VNeID',
  NOT_FOUND: 'Xác minh trực tiếp với người dân: cơ sở dữ liệu không có ai mang số này',
  DUPLICATE_IN_SOURCE: 'Hợp nhất hoặc bỏ bản ghi lặp: cùng một người đã có ở dòng trước',
  CLERICAL_REVIEW: 'Đối chiếu người được gợi ý (suggested_id, match_score) với giấy tờ trước khi dùng; nếu không, đề nghị người dân cung cấp số định danh',
  PROBABLE_MATCH: 'Sửa số định danh theo số tìm được qua họ tên và ngày sinh (linked_id), sau khi xác nhận với người dân nếu điểm dưới 0,9999',
  MATCHED: 'Không cần xử lý',
} as const;

/** The suggested action of each status for each kind of agency file, in Vietnamese. */
export const presetActionsVi: Readonly<Record<PresetName, Readonly<Record<ReconcileStatus, string>>>> = {
  tax: {
    ...commonActionsVi,
    DECEASED: 'Đóng hồ sơ thuế: người này đã được ghi nhận là đã mất',
    OVER_LIMIT: 'Hồ sơ thuế không có giới hạn',
    MISMATCH: 'Sửa hồ sơ người nộp thuế theo cơ sở dữ liệu trước khi dùng số định danh làm mã số thuế',
  },
  telecom: {
    ...commonActionsVi,
    DECEASED: 'Tạm ngừng thuê bao: chủ thuê bao đã được ghi nhận là đã mất',
    OVER_LIMIT: 'Đề nghị chủ thuê bao trực tiếp xác nhận các số vượt giới hạn, hoặc tạm ngừng các số đó',
    MISMATCH: 'Đề nghị chủ thuê bao cập nhật thông tin tại cửa hàng, mang theo thẻ căn cước',
  },
  bank: {
    ...commonActionsVi,
    DECEASED: 'Phong tỏa tài khoản và bắt đầu thủ tục thừa kế: khách hàng đã được ghi nhận là đã mất',
    OVER_LIMIT: 'Khách hàng ngân hàng không có giới hạn',
    MISMATCH: 'Đề nghị khách hàng cập nhật thông tin (eKYC bằng thẻ căn cước gắn chip) trước giao dịch tiếp theo',
  },
  welfare: {
    ...commonActionsVi,
    DUPLICATE_IN_SOURCE: 'Dừng lần chi trả thứ hai: người hưởng đã có ở dòng trước',
    DECEASED: 'Dừng chi trả từ tháng sau tháng mất và báo gia đình về trợ cấp mai táng',
    OVER_LIMIT: 'Đối tượng bảo trợ xã hội không có giới hạn',
    MISMATCH: 'Sửa hồ sơ người hưởng theo cơ sở dữ liệu',
  },
};

/** The kinds of agency file by their Vietnamese names. */
export const presetTitlesVi: Readonly<Record<PresetName, string>> = {
  tax: 'Sổ thuế (mã số thuế cá nhân)',
  telecom: 'Thuê bao di động (đăng ký SIM)',
  bank: 'Khách hàng ngân hàng',
  welfare: 'Đối tượng bảo trợ xã hội',
};

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
    const share = total > 0 ? ` (${((100 * b.value) / total).toLocaleString(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 })}%)` : '';
    return `<text x="${labelWidth - 8}" y="${y + 17}" text-anchor="end">${escapeHtml(b.label)}</text>`
      + `<rect x="${labelWidth}" y="${y + 3}" width="${Math.max(w, b.value > 0 ? 1 : 0)}" height="${rowHeight - 8}" fill="${b.colour}"><title>${escapeHtml(b.label)}: ${format(b.value)}</title></rect>`
      + `<text x="${labelWidth + w + 6}" y="${y + 17}">${format(b.value)}${share}</text>`;
  }).join('');
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg role="img" aria-label="${escapeHtml(title)}" width="${labelWidth + barWidth + 170}" height="${height}" font-size="13" font-family="system-ui, sans-serif">${rows}</svg></figure>`;
}

/**
 * The reconciliation report as one self-contained HTML page: counts per status with the suggested
 * action, the fields that disagree, the finer reasons, the unreadable rows (line and reason only,
 * never their content) and where the time went. In Vietnamese unless English is asked for; the
 * status codes stay beside their names (they are the results file's values).
 */
export function renderReport(summary: ReconcileSummary, actions: Readonly<Record<ReconcileStatus, string>>, lang: Language = 'vi'): string {
  locale = lang === 'vi' ? 'vi-VN' : 'en-US';
  const t = (vi: string, en: string): string => pick(lang, vi, en);
  const shownActions = lang === 'vi' ? presetActionsVi[summary.preset] : actions;
  const statusName = (s: ReconcileStatus): string => (lang === 'vi' ? `${statusNamesVi[s]} (${s})` : s);
  const title = lang === 'vi' ? presetTitlesVi[summary.preset] : summary.presetTitle;
  const statusBars = reconcileStatuses.map((s) => ({ label: lang === 'vi' ? statusNamesVi[s] : s, value: summary.statuses[s], colour: statusColours[s] }));
  const fieldBars = Object.entries(summary.mismatchFields).map(([field, n]) => ({ label: field, value: n, colour: statusColours.MISMATCH }));
  const reasonBars = Object.entries(summary.reasons).sort((a, b) => b[1] - a[1]).map(([reason, n]) => ({ label: reason, value: n, colour: '#1565c0' }));
  const statusTable = reconcileStatuses.map((s) => `<tr><td><span class="dot" style="background:${statusColours[s]}"></span>${escapeHtml(statusName(s))}</td><td class="n">${format(summary.statuses[s])}</td><td>${escapeHtml(shownActions[s])}</td></tr>`).join('');
  const badRows = summary.badRowSamples.map((b) => `<tr><td class="n">${b.line}</td><td>${escapeHtml(b.code)}</td><td>${escapeHtml(badRowReason(b.code, lang))}</td></tr>`).join('');
  const timings = Object.entries(summary.seconds).map(([k, v]) => `${escapeHtml(k)} ${v.toLocaleString(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 })} s`).join(' · ');
  const listed = summary.badRows > summary.badRowSamples.length ? t(` (liệt kê ${summary.badRowSamples.length} dòng đầu)`, ` (the first ${summary.badRowSamples.length} are listed)`) : '';
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><title>${t('Đối soát', 'Reconciliation')}: ${escapeHtml(summary.input)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem;color:#212121}
h1{font-size:1.4rem}table{border-collapse:collapse;margin:1rem 0}td,th{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left;vertical-align:top}
.n{text-align:right;font-variant-numeric:tabular-nums}.dot{display:inline-block;width:.7rem;height:.7rem;border-radius:50%;margin-right:.4rem}
figure{margin:1.5rem 0}figcaption{font-weight:600;margin-bottom:.4rem}.muted{color:#616161}
</style></head><body>
<h1>${t('Đối soát tệp', 'Reconciliation of')} ${escapeHtml(summary.input)} — ${escapeHtml(title)}</h1>
<p class="muted">${t(`${format(summary.rows)} dòng, đối chiếu với bản chụp cơ sở dữ liệu gồm ${format(summary.snapshot.persons)} người · xong lúc`, `${format(summary.rows)} rows against a registry snapshot of ${format(summary.snapshot.persons)} persons · finished`)} ${escapeHtml(summary.finishedAt)} · ${timings}</p>
${summary.columnsMissing.length > 0 ? `<p><strong>${t('Không đối chiếu', 'Not compared')}</strong> (${t('tệp thiếu các cột', 'columns missing from the file')}): ${escapeHtml(summary.columnsMissing.join(', '))}</p>` : ''}
${barChart(t('Số dòng theo kết quả', 'Rows by status'), statusBars, summary.rows)}
<table><thead><tr><th>${t('kết quả', 'status')}</th><th class="n">${t('số dòng', 'rows')}</th><th>${t('đề xuất xử lý', 'suggested action')}</th></tr></thead><tbody>${statusTable}</tbody></table>
${fieldBars.length > 0 ? barChart(t('Trường sai khác với cơ sở dữ liệu (các dòng MISMATCH)', 'Fields that disagree with the registry (MISMATCH rows)'), fieldBars, summary.statuses.MISMATCH) : ''}
${reasonBars.length > 0 ? barChart(t('Lý do', 'Reasons'), reasonBars, summary.rows) : ''}
<h2>${t('Dòng không đọc được', 'Unreadable rows')}</h2>
${summary.badRows === 0 ? `<p>${t('Không có.', 'None.')}</p>` : `<p>${t(`${format(summary.badRows)} dòng không đọc được`, `${format(summary.badRows)} rows could not be read`)}${listed}.</p><table><thead><tr><th class="n">${t('dòng', 'line')}</th><th>${t('mã', 'code')}</th><th>${t('lý do', 'reason')}</th></tr></thead><tbody>${badRows}</tbody></table>`}
</body></html>
`;
}
