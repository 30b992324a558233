/**
 * The console's words, one dictionary per language. Vietnamese is the default; the English
 * dictionary must have every key (the type makes a missing one a compile error).
 */

const vi = {
  appName: 'Sachsong',
  appSubtitle: 'Cơ sở dữ liệu quốc gia về dân cư · Bảng điều khiển cán bộ',
  language: 'Ngôn ngữ',
  signOut: 'Đăng xuất',
  navSearch: 'Tra cứu công dân',

  signInTitle: 'Đăng nhập cán bộ',
  signInHelp:
    'Dán mã truy cập (token) của cán bộ vận hành. Mã được in ra khi chạy “npm start” và chỉ được giữ trong phiên làm việc của trình duyệt này.',
  tokenLabel: 'Mã truy cập',
  signIn: 'Đăng nhập',
  tokenRequired: 'Vui lòng nhập mã truy cập.',
  sessionExpired: 'Mã truy cập không hợp lệ hoặc đã hết hạn. Vui lòng đăng nhập lại.',

  searchTitle: 'Tra cứu công dân',
  searchHelp: 'Nhập họ tên (có thể gõ không dấu) và, nếu biết, năm / tháng / ngày sinh.',
  nameLabel: 'Họ và tên',
  namePlaceholder: 'Ví dụ: Nguyen Van An',
  birthLabel: 'Ngày sinh',
  birthPlaceholder: 'VD: 1985 hoặc 1985-03-07',
  search: 'Tìm kiếm',
  searching: 'Đang tìm…',
  nameRequired: 'Vui lòng nhập họ tên cần tìm.',
  birthInvalid: 'Ngày sinh phải có dạng YYYY, YYYY-MM hoặc YYYY-MM-DD.',
  goToIdTitle: 'Mở theo số định danh',
  goToIdLabel: 'Số định danh cá nhân',
  goToIdPlaceholder: '12 chữ số',
  open: 'Mở',
  idInvalid: 'Số định danh cá nhân gồm đúng 12 chữ số.',
  resultsCount: 'Kết quả',
  noResults: 'Không tìm thấy công dân nào phù hợp.',
  resultsLimited: 'Chỉ hiển thị 50 kết quả đầu tiên; hãy thêm ngày sinh để thu hẹp.',

  idNumber: 'Số định danh cá nhân',
  fullName: 'Họ và tên',
  birthDate: 'Ngày sinh',
  sex: 'Giới tính',
  status: 'Tình trạng',
  currentCommune: 'Xã/phường hiện tại',
  ethnicity: 'Dân tộc',
  religion: 'Tôn giáo',
  nationality: 'Quốc tịch',
  birthProvince: 'Nơi đăng ký khai sinh',
  hometown: 'Quê quán',
  permanentResidence: 'Nơi thường trú',
  temporaryResidence: 'Nơi tạm trú',
  currentResidence: 'Nơi ở hiện tại',
  father: 'Cha',
  mother: 'Mẹ',
  spouse: 'Vợ/chồng',
  household: 'Hộ gia đình',
  relationshipToHead: 'Quan hệ với chủ hộ',
  deathDate: 'Ngày mất',
  birthCommune: 'Xã/phường nơi đăng ký khai sinh',
  permanentCommune: 'Xã/phường thường trú',
  permanentAddress: 'Địa chỉ thường trú',
  temporaryCommune: 'Xã/phường tạm trú',
  temporaryAddress: 'Địa chỉ tạm trú',
  currentCommuneCode: 'Xã/phường nơi ở hiện tại',
  currentAddress: 'Địa chỉ nơi ở hiện tại',
  cardIssuedOn: 'Ngày cấp thẻ căn cước',
  version: 'Phiên bản bản ghi',
  updatedAt: 'Cập nhật lúc',
  sexM: 'Nam',
  sexF: 'Nữ',
  statusAlive: 'Còn sống',
  statusDeceased: 'Đã mất',
  none: '—',

  sectionIdentity: 'Thông tin cá nhân',
  sectionResidence: 'Cư trú',
  sectionFamily: 'Quan hệ gia đình',
  sectionHousehold: 'Hộ gia đình',
  sectionTimeline: 'Lịch sử sự kiện',
  commune: 'Xã/phường',
  address: 'Địa chỉ',
  province: 'Tỉnh/thành phố',
  openHousehold: 'Xem hộ gia đình',
  householdHead: 'Chủ hộ',
  members: 'Thành viên',
  noHousehold: 'Không thuộc hộ gia đình nào.',
  loading: 'Đang tải…',
  backToSearch: '← Quay lại tra cứu',

  asOfLabel: 'Xem bản ghi tại ngày',
  asOfShow: 'Xem',
  asOfClear: 'Bản ghi hiện hành',
  asOfBanner: 'Đang xem bản ghi như cơ sở dữ liệu ghi nhận vào cuối ngày',
  asOfInvalid: 'Ngày phải có dạng YYYY-MM-DD.',
  recordedAfterAsOf: 'Ghi nhận sau ngày đang xem',

  timelineEmpty: 'Chưa có sự kiện nào.',
  occurredOn: 'Ngày xảy ra',
  recordedAt: 'Ghi nhận lúc',
  officer: 'Cán bộ',
  reason: 'Lý do',
  changes: 'Nội dung thay đổi',

  householdTitle: 'Hộ gia đình',
  householdId: 'Mã hộ',

  errorTitle: 'Không thực hiện được yêu cầu',
  errorAction: 'Cách xử lý',
  errorCode: 'Mã lỗi',
  networkError: 'Không kết nối được máy chủ. Kiểm tra máy chủ sachsong đang chạy rồi thử lại.',
  notFoundPage: 'Không có trang này.',
  // The citizen's data tracker (access log).
  navTracker: 'Nhật ký sử dụng dữ liệu',
  trackerTitle: 'Ai đã sử dụng dữ liệu của công dân',
  trackerHelp:
    'Mỗi lần dữ liệu của công dân được cung cấp cho một cơ quan, tổ chức đều được ghi vào nhật ký không thể sửa xoá (cây Merkle, RFC 6962). Các lượt tra cứu phục vụ điều tra chỉ hiện ra từ ngày được phép công bố. Công dân sẽ tự đăng nhập để xem khi có chức năng định danh.',
  trackerShow: 'Xem nhật ký',
  trackerEmpty: 'Chưa có cơ quan nào sử dụng dữ liệu của công dân này.',
  trackerWhen: 'Thời điểm',
  trackerWho: 'Cơ quan / hệ thống',
  trackerOfficer: 'Cán bộ',
  trackerPurpose: 'Mục đích',
  trackerBasis: 'Căn cứ pháp lý / đồng ý',
  trackerConsent: 'Đồng ý số',
  trackerFields: 'Dữ liệu đã cung cấp',
  trackerCase: 'Hồ sơ',
  trackerProof: 'Bằng chứng',
  trackerProofOk: 'Đã kiểm chứng',
  trackerProofBad: 'Không khớp!',
  trackerProofChecking: 'Đang kiểm…',
  trackerCheckpoint: 'Mốc nhật ký đã ký',
  trackerCheckpointText: 'Các bằng chứng được kiểm tra ngay trên trình duyệt này với gốc cây Merkle của mốc đã ký:',
  trackerRecords: 'bản ghi',
  trackerMore: 'Xem các lượt cũ hơn',

  // Misuse alerts of the exchange.
  navAlerts: 'Cảnh báo truy cập',
  alertsTitle: 'Cảnh báo truy cập bất thường',
  alertsHelp: 'Cán bộ hoặc hệ thống đọc nhiều hồ sơ hơn hẳn mức thường ngày của chính họ (so với trung bình trượt của các khung thời gian trước).',
  alertsOpen: 'Chưa xử lý',
  alertsAll: 'Tất cả',
  alertsEmpty: 'Không có cảnh báo nào.',
  alertsRaised: 'Thời điểm',
  alertsSubject: 'Đối tượng',
  alertsOfficer: 'Cán bộ',
  alertsClient: 'Hệ thống',
  alertsReads: 'Số hồ sơ đã đọc',
  alertsUsual: 'Mức thường ngày',
  alertsWindow: 'trong',
  alertsSeconds: 'giây',
  alertsStatus: 'Trạng thái',
  alertsAcknowledge: 'Đã xem xét',
  alertsAcknowledged: 'Đã xem xét',
} as const;

/** Every key a dictionary must define. */
export type MessageKey = keyof typeof vi;
type Dictionary = Readonly<Record<MessageKey, string>>;

const en: Dictionary = {
  appName: 'Sachsong',
  appSubtitle: 'National population database · Officer console',
  language: 'Language',
  signOut: 'Sign out',
  navSearch: 'Find a person',

  signInTitle: 'Officer sign-in',
  signInHelp:
    'Paste the operator token. It is printed by “npm start” and kept only for this browser session.',
  tokenLabel: 'Operator token',
  signIn: 'Sign in',
  tokenRequired: 'Please enter the operator token.',
  sessionExpired: 'The token is not valid or has expired. Please sign in again.',

  searchTitle: 'Find a person',
  searchHelp: 'Type the full name (diacritics optional) and, if known, the year / month / date of birth.',
  nameLabel: 'Full name',
  namePlaceholder: 'e.g. Nguyen Van An',
  birthLabel: 'Date of birth',
  birthPlaceholder: 'e.g. 1985 or 1985-03-07',
  search: 'Search',
  searching: 'Searching…',
  nameRequired: 'Please type a name to search for.',
  birthInvalid: 'The date of birth must be YYYY, YYYY-MM or YYYY-MM-DD.',
  goToIdTitle: 'Go to ID number',
  goToIdLabel: 'Personal ID number',
  goToIdPlaceholder: '12 digits',
  open: 'Open',
  idInvalid: 'A personal ID number has exactly 12 digits.',
  resultsCount: 'Results',
  noResults: 'No person matches this search.',
  resultsLimited: 'Only the first 50 results are shown; add a date of birth to narrow the search.',

  idNumber: 'ID number',
  fullName: 'Full name',
  birthDate: 'Date of birth',
  sex: 'Sex',
  status: 'Status',
  currentCommune: 'Current commune',
  ethnicity: 'Ethnicity',
  religion: 'Religion',
  nationality: 'Nationality',
  birthProvince: 'Birth registered in',
  hometown: 'Hometown',
  permanentResidence: 'Permanent residence',
  temporaryResidence: 'Temporary residence',
  currentResidence: 'Current residence',
  father: 'Father',
  mother: 'Mother',
  spouse: 'Spouse',
  household: 'Household',
  relationshipToHead: 'Relationship to head',
  deathDate: 'Date of death',
  birthCommune: 'Birth registered in commune',
  permanentCommune: 'Permanent residence commune',
  permanentAddress: 'Permanent address',
  temporaryCommune: 'Temporary residence commune',
  temporaryAddress: 'Temporary address',
  currentCommuneCode: 'Current residence commune',
  currentAddress: 'Current address',
  cardIssuedOn: 'ID card issued on',
  version: 'Record version',
  updatedAt: 'Updated at',
  sexM: 'Male',
  sexF: 'Female',
  statusAlive: 'Alive',
  statusDeceased: 'Deceased',
  none: '—',

  sectionIdentity: 'Personal details',
  sectionResidence: 'Residence',
  sectionFamily: 'Family',
  sectionHousehold: 'Household',
  sectionTimeline: 'Event timeline',
  commune: 'Commune',
  address: 'Address',
  province: 'Province',
  openHousehold: 'Open household',
  householdHead: 'Head of household',
  members: 'Members',
  noHousehold: 'Not a member of any household.',
  loading: 'Loading…',
  backToSearch: '← Back to search',

  asOfLabel: 'Record as of date',
  asOfShow: 'Show',
  asOfClear: 'Current record',
  asOfBanner: 'Showing the record as the registry held it at the end of',
  asOfInvalid: 'The date must be YYYY-MM-DD.',
  recordedAfterAsOf: 'Recorded after the date shown',

  timelineEmpty: 'No events recorded.',
  occurredOn: 'Occurred on',
  recordedAt: 'Recorded at',
  officer: 'Officer',
  reason: 'Reason',
  changes: 'Changes',

  householdTitle: 'Household',
  householdId: 'Household ID',

  errorTitle: 'The request could not be completed',
  errorAction: 'What to do',
  errorCode: 'Error code',
  networkError: 'Cannot reach the server. Check that the sachsong server is running and try again.',
  notFoundPage: 'There is no such page.',
  // The citizen's data tracker (access log).
  navTracker: 'Data use log',
  trackerTitle: "Who used a citizen's data",
  trackerHelp:
    "Every release of a citizen's data to an agency or company is written to a log that cannot be altered (a Merkle tree, RFC 6962). Police enquiries appear only from the date they may be disclosed. Citizens will see this themselves once they can sign in with the identity service.",
  trackerShow: 'Show the log',
  trackerEmpty: "No agency has used this citizen's data yet.",
  trackerWhen: 'When',
  trackerWho: 'Agency / system',
  trackerOfficer: 'Officer',
  trackerPurpose: 'Purpose',
  trackerBasis: 'Legal basis / consent',
  trackerConsent: 'Consent',
  trackerFields: 'Data released',
  trackerCase: 'Case',
  trackerProof: 'Proof',
  trackerProofOk: 'Verified',
  trackerProofBad: 'Does not match!',
  trackerProofChecking: 'Checking…',
  trackerCheckpoint: 'Signed log checkpoint',
  trackerCheckpointText: "The proofs are checked here, in this browser, against the root of the signed checkpoint's Merkle tree:",
  trackerRecords: 'records',
  trackerMore: 'Show older entries',

  navAlerts: 'Access alerts',
  alertsTitle: 'Unusual access alerts',
  alertsHelp: 'An officer or system reading far more records than its own usual pattern (against a moving average of its earlier windows).',
  alertsOpen: 'Open',
  alertsAll: 'All',
  alertsEmpty: 'No alerts.',
  alertsRaised: 'Raised',
  alertsSubject: 'Who',
  alertsOfficer: 'Officer',
  alertsClient: 'System',
  alertsReads: 'Records read',
  alertsUsual: 'Usually',
  alertsWindow: 'in',
  alertsSeconds: 'seconds',
  alertsStatus: 'Status',
  alertsAcknowledge: 'Mark reviewed',
  alertsAcknowledged: 'Reviewed',
};

export type Lang = 'vi' | 'en';
export const languages: readonly Lang[] = ['vi', 'en'];
export const dictionaries: Readonly<Record<Lang, Dictionary>> = { vi, en };

const eventTypes: Readonly<Record<Lang, Readonly<Record<string, string>>>> = {
  vi: {
    birth_registration: 'Đăng ký khai sinh',
    registration: 'Chuyển từ sổ đăng ký cũ',
    id_issuance: 'Cấp số định danh / thẻ căn cước',
    residence_change: 'Thay đổi nơi cư trú',
    marriage: 'Đăng ký kết hôn',
    divorce: 'Ly hôn',
    name_change: 'Thay đổi họ tên',
    correction: 'Cải chính thông tin',
    death: 'Đăng ký khai tử',
  },
  en: {
    birth_registration: 'Birth registration',
    registration: 'Taken over from an earlier register',
    id_issuance: 'ID issuance',
    residence_change: 'Change of residence',
    marriage: 'Marriage',
    divorce: 'Divorce',
    name_change: 'Change of name',
    correction: 'Correction',
    death: 'Death registration',
  },
};

/** Event type in the given language; an unknown type is shown as the server sent it. */
export function eventTypeLabel(lang: Lang, type: string): string {
  return eventTypes[lang][type] ?? type;
}

const relationships: Readonly<Record<Lang, Readonly<Record<string, string>>>> = {
  vi: {
    head: 'Chủ hộ',
    spouse: 'Vợ/chồng',
    wife: 'Vợ',
    husband: 'Chồng',
    child: 'Con',
    child_in_law: 'Con dâu/con rể',
    son: 'Con trai',
    daughter: 'Con gái',
    father: 'Cha',
    mother: 'Mẹ',
    parent: 'Cha/mẹ',
    grandchild: 'Cháu',
    grandparent: 'Ông/bà',
    sibling: 'Anh/chị/em',
    relative: 'Người thân',
    other: 'Khác',
  },
  en: {
    head: 'Head',
    spouse: 'Spouse',
    wife: 'Wife',
    husband: 'Husband',
    child: 'Child',
    child_in_law: 'Child-in-law',
    son: 'Son',
    daughter: 'Daughter',
    father: 'Father',
    mother: 'Mother',
    parent: 'Parent',
    grandchild: 'Grandchild',
    grandparent: 'Grandparent',
    sibling: 'Sibling',
    relative: 'Relative',
    other: 'Other',
    // Records written in Vietnamese by commune officers.
    'chủ hộ': 'Head',
    'vợ': 'Wife',
    'chồng': 'Husband',
    'con': 'Child',
    'cha': 'Father',
    'bố': 'Father',
    'mẹ': 'Mother',
    'cháu': 'Grandchild',
    'ông': 'Grandfather',
    'bà': 'Grandmother',
    'anh': 'Brother',
    'chị': 'Sister',
    'em': 'Younger sibling',
  },
};

/** Relationship to the household head; free text from the server passes through unchanged. */
export function relationshipLabel(lang: Lang, value: string | null): string {
  if (value === null || value === '') return dictionaries[lang].none;
  return relationships[lang][value.normalize('NFC').toLowerCase()] ?? value;
}

const storageKey = 'sachsong.lang';

/** The saved language, Vietnamese when none is saved or storage is unavailable. */
export function loadLang(): Lang {
  try {
    const saved = localStorage.getItem(storageKey);
    return saved === 'en' ? 'en' : 'vi';
  } catch {
    return 'vi';
  }
}

export function saveLang(lang: Lang): void {
  try {
    localStorage.setItem(storageKey, lang);
  } catch {
    // Private mode or disabled storage: the choice lasts for this page only.
  }
}
