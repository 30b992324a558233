import type { Lang } from '../../i18n.js';

/** The direction centre's words (Vietnamese first); kept beside its pages. */
const vi = {
  title: 'Trung tâm chỉ đạo, điều hành',
  help: 'Chỉ số tính từ chính nền tảng, cập nhật hằng ngày (giờ Việt Nam). Chọn tỉnh, xã trên bản đồ hoặc bảng xếp hạng để xem chi tiết.',
  nation: 'Toàn quốc',
  indicator: 'Chỉ số',
  refresh: 'Cập nhật chỉ số ngay',
  refreshing: 'Đang cập nhật…',
  exportCsv: 'Xuất CSV',
  print: 'In / lưu PDF',
  noValues: 'Chưa có số liệu cho chỉ số này. Bấm “Cập nhật chỉ số ngay”.',
  latestDay: 'Số liệu ngày',
  target: 'Chỉ tiêu',
  owner: 'Cơ quan chủ trì',
  definition: 'Định nghĩa',
  source: 'Nguồn số liệu',
  trend: 'Xu hướng',
  ranking: 'Xếp hạng',
  map: 'Bản đồ 34 tỉnh, thành phố',
  rank: 'Hạng',
  unitName: 'Đơn vị',
  value: 'Giá trị',
  provinces: 'tỉnh, thành phố',
  communes: 'xã, phường',
  planTitle: 'Kế hoạch và nhiệm vụ',
  choosePlan: 'Kế hoạch:',
  planHelp: 'Trạng thái nhiệm vụ tính từ mốc thời gian và chỉ số gắn với nhiệm vụ. Danh sách đơn vị chậm, vượt tiến độ dùng cho giao ban hằng tuần.',
  noPlan: 'Chưa có kế hoạch nào.',
  lateUnits: 'Đơn vị chậm tiến độ',
  aheadUnits: 'Đơn vị vượt tiến độ',
  tasks: 'Nhiệm vụ',
  code: 'Số',
  task: 'Nhiệm vụ',
  ownerAgency: 'Đơn vị chủ trì',
  deadline: 'Hạn',
  status: 'Trạng thái',
  progress: 'Tiến độ',
  overdue: 'mốc quá hạn',
  status_not_started: 'Chưa bắt đầu',
  status_on_track: 'Đúng tiến độ',
  status_at_risk: 'Có nguy cơ chậm',
  status_late: 'Chậm',
  status_done: 'Hoàn thành',
  navDashboard: 'Bảng điều hành',
  navPlan: 'Kế hoạch, nhiệm vụ',
  milestones: 'Mốc thời gian',
  markDone: 'Đánh dấu hoàn thành hôm nay',
  comments: 'Ý kiến chỉ đạo',
  send: 'Gửi ý kiến',
  history: 'Lịch sử thay đổi',
  unit_persons: 'người',
  unit_percent: '%',
  unit_calls: 'lượt',
  unit_consents: 'đồng ý',
  unit_alerts: 'cảnh báo',
  unit_accounts: 'tài khoản',
  unit_events: 'sự kiện',
  unit_rows: 'dòng',
};

export type DirectionWord = keyof typeof vi;

const en: Record<DirectionWord, string> = {
  title: 'Direction centre',
  help: 'Indicators computed from the platform itself, refreshed daily (Vietnam time). Pick a province or commune on the map or in the ranking to drill down.',
  nation: 'Nation',
  indicator: 'Indicator',
  refresh: 'Refresh indicators now',
  refreshing: 'Refreshing…',
  exportCsv: 'Export CSV',
  print: 'Print / save as PDF',
  noValues: 'No values yet for this indicator. Press “Refresh indicators now”.',
  latestDay: 'Values of',
  target: 'Target',
  owner: 'Owner',
  definition: 'Definition',
  source: 'Source',
  trend: 'Trend',
  ranking: 'Ranking',
  map: 'Map of the 34 provinces',
  rank: 'Rank',
  unitName: 'Unit',
  value: 'Value',
  provinces: 'provinces',
  communes: 'communes',
  planTitle: 'Plans and tasks',
  choosePlan: 'Plan:',
  planHelp: 'A task\'s status follows from its milestones and bound indicator. Units late and units ahead are listed for the weekly meeting.',
  noPlan: 'No plan yet.',
  lateUnits: 'Units late',
  aheadUnits: 'Units ahead',
  tasks: 'Tasks',
  code: 'No.',
  task: 'Task',
  ownerAgency: 'Owner',
  deadline: 'Deadline',
  status: 'Status',
  progress: 'Progress',
  overdue: 'milestones overdue',
  status_not_started: 'Not started',
  status_on_track: 'On track',
  status_at_risk: 'At risk',
  status_late: 'Late',
  status_done: 'Done',
  navDashboard: 'Dashboard',
  navPlan: 'Plans and tasks',
  milestones: 'Milestones',
  markDone: 'Mark done today',
  comments: 'Comments',
  send: 'Send comment',
  history: 'Change history',
  unit_persons: 'persons',
  unit_percent: '%',
  unit_calls: 'calls',
  unit_consents: 'consents',
  unit_alerts: 'alerts',
  unit_accounts: 'accounts',
  unit_events: 'events',
  unit_rows: 'rows',
};

export function directionWords(lang: Lang): Readonly<Record<DirectionWord, string>> {
  return lang === 'en' ? en : vi;
}

/** A number as the language writes it (1.234.567,5 in Vietnamese). */
export function formatNumber(lang: Lang, value: number | null): string {
  if (value === null) return '–';
  return new Intl.NumberFormat(lang === 'en' ? 'en-GB' : 'vi-VN', { maximumFractionDigits: 2 }).format(value);
}

/** A file the browser saves (CSV for the meeting). */
export function downloadText(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}

/** A CSV cell that a spreadsheet will not run as a formula. */
export function csvCell(value: string | number | null): string {
  const s = value === null ? '' : String(value);
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
