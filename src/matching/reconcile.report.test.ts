import { describe, expect, it } from 'vitest';
import { reconcilePresets, reconcileStatuses } from './reconcile.presets.js';
import { renderReport } from './reconcile.report.js';
import type { ReconcileSummary } from './reconcile.types.js';

const statuses = Object.fromEntries(reconcileStatuses.map((s) => [s, 0])) as Record<(typeof reconcileStatuses)[number], number>;
const summary: ReconcileSummary = {
  preset: 'telecom', presetTitle: reconcilePresets.telecom.title, input: 'sims.csv', inputFormat: 'csv',
  snapshot: { fingerprint: 'x', persons: 12_345 }, rows: 1_500,
  statuses: { ...statuses, MATCHED: 1_200, MISMATCH: 250, BAD_ROW: 50 },
  mismatchFields: { full_name: 250 }, reasons: {}, columnsMissing: [], badRows: 50,
  badRowSamples: [{ line: 7, code: 'DATE_INVALID', reason: 'ngày sinh không đọc được' }],
  seconds: { total: 1.5 }, finishedAt: '2026-01-02T03:04:05.000Z',
};

describe('the reconciliation report', () => {
  it('is in Vietnamese by default: statuses by name beside their code, actions, numbers as Vietnamese write them', () => {
    const html = renderReport(summary, reconcilePresets.telecom.actions);
    expect(html).toContain('<html lang="vi">');
    expect(html).toContain('Đối soát tệp sims.csv — Thuê bao di động (đăng ký SIM)');
    expect(html).toContain('1.500 dòng, đối chiếu với bản chụp cơ sở dữ liệu gồm 12.345 người');
    expect(html).toContain('Khớp (MATCHED)');
    expect(html).toContain('Đề nghị chủ thuê bao cập nhật thông tin tại cửa hàng, mang theo thẻ căn cước');
    expect(html).toContain('50 dòng không đọc được');
    expect(html).not.toContain('Rows by status');
  });

  it('is in English when asked', () => {
    const html = renderReport(summary, reconcilePresets.telecom.actions, 'en');
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('Reconciliation of sims.csv — Mobile subscribers (SIM registrations)');
    expect(html).toContain('1,500 rows against a registry snapshot of 12,345 persons');
    expect(html).toContain(reconcilePresets.telecom.actions.MISMATCH);
  });
});
