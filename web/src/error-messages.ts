/**
 * The server's error codes as an officer reads them, in each language: what happened and what to
 * do. The server's own detail (in English) stays available under the code; a code not listed here
 * shows the server's detail and action as they are.
 */
import { moreVietnamese } from './error-messages.more.js';
import type { Lang } from './i18n.js';

export interface ErrorText {
  readonly detail: string;
  readonly action: string;
}

const vi: Readonly<Record<string, ErrorText>> = {
  ...Object.fromEntries(Object.entries(moreVietnamese).map(([code, [detail, action]]) => [code, { detail, action }])),
  PERSON_NOT_FOUND: { detail: 'Không có công dân nào mang số định danh này.', action: 'Kiểm tra lại số định danh trên thẻ căn cước.' },
  HOUSEHOLD_NOT_FOUND: { detail: 'Không có hộ gia đình nào mang mã này.', action: 'Kiểm tra lại mã hộ.' },
  ID_NUMBER_MALFORMED: { detail: 'Số định danh cá nhân phải gồm đúng 12 chữ số.', action: 'Kiểm tra lại số trên thẻ căn cước.' },
  ID_PROVINCE_UNKNOWN: { detail: 'Ba chữ số đầu của số định danh không phải mã tỉnh nào.', action: 'Kiểm tra lại số trên thẻ căn cước.' },
  ID_BIRTH_YEAR_OUT_OF_RANGE: { detail: 'Năm sinh mã hóa trong số định danh không hợp lệ.', action: 'Kiểm tra lại số trên thẻ căn cước.' },
  OUTSIDE_JURISDICTION: { detail: 'Công dân hoặc đơn vị này nằm ngoài địa bàn anh/chị phụ trách.', action: 'Đề nghị cán bộ của địa bàn đó, hoặc cấp trên, xử lý.' },
  SEARCH_TOO_BROAD: { detail: 'Điều kiện tìm kiếm quá rộng.', action: 'Nhập thêm họ tên đầy đủ hoặc ngày sinh để thu hẹp.' },
  DATE_INVALID: { detail: 'Ngày không hợp lệ.', action: 'Nhập ngày theo dạng dd/mm/yyyy.' },
  DATE_IN_FUTURE: { detail: 'Ngày này ở tương lai.', action: 'Nhập một ngày không muộn hơn hôm nay.' },
  DATE_RANGE_INVALID: { detail: 'Khoảng thời gian không hợp lệ: ngày bắt đầu sau ngày kết thúc.', action: 'Sửa lại khoảng thời gian.' },
  REASON_REQUIRED: { detail: 'Thao tác này cần ghi lý do.', action: 'Nhập lý do (ví dụ: đã xác minh tại xã), rồi thực hiện lại.' },
  PURPOSE_REQUIRED: { detail: 'Việc tra cứu này cần ghi mục đích.', action: 'Nhập mục đích tra cứu, rồi thực hiện lại.' },
  FINDING_NOT_OPEN: { detail: 'Phát hiện này đã được xử lý.', action: 'Tải lại danh sách để xem trạng thái hiện tại.' },
  FINDING_NOT_FOUND: { detail: 'Không tìm thấy phát hiện này.', action: 'Tải lại danh sách làm sạch.' },
  NOT_A_DUPLICATE: { detail: 'Phát hiện này không phải cặp hồ sơ trùng.', action: 'Chỉ hợp nhất hoặc tách các phát hiện “hồ sơ trùng”.' },
  PERSON_CHANGED: { detail: 'Hồ sơ đã được người khác thay đổi trong lúc anh/chị đang sửa.', action: 'Tải lại hồ sơ, kiểm tra thay đổi, rồi thực hiện lại.' },
  PERSON_DECEASED: { detail: 'Công dân này đã mất.', action: 'Không thể ghi sự kiện này cho người đã mất.' },
  EVENT_TYPE_NOT_ALLOWED: { detail: 'Không thể ghi loại sự kiện này cho hồ sơ này.', action: 'Chọn loại sự kiện phù hợp.' },
  EVENT_FIELD_NOT_ALLOWED: { detail: 'Sự kiện này không được thay đổi trường đã chọn.', action: 'Chọn trường khác hoặc loại sự kiện khác.' },
  TEXT_FORMULA_START: { detail: 'Giá trị không được bắt đầu bằng =, +, - hoặc @.', action: 'Bỏ ký tự đó ở đầu giá trị.' },
  INPUT_INVALID: { detail: 'Dữ liệu gửi lên không hợp lệ.', action: 'Kiểm tra lại các ô đã nhập, rồi thực hiện lại.' },
  SESSION_EXPIRED: { detail: 'Phiên làm việc đã hết hạn.', action: 'Đăng nhập lại.' },
  SESSION_INVALID: { detail: 'Phiên làm việc không còn hiệu lực.', action: 'Đăng nhập lại.' },
  CSRF_INVALID: { detail: 'Yêu cầu không mang mã bảo vệ của phiên làm việc.', action: 'Tải lại trang, rồi thực hiện lại.' },
  CREDENTIALS_MISSING: { detail: 'Chưa đăng nhập.', action: 'Đăng nhập, rồi thực hiện lại.' },
  CREDENTIALS_INVALID: { detail: 'Thông tin đăng nhập không đúng.', action: 'Đăng nhập lại.' },
  FORBIDDEN: { detail: 'Vai trò của anh/chị không được thực hiện thao tác này.', action: 'Đề nghị cán bộ có thẩm quyền thực hiện.' },
  PERMISSION_DENIED: { detail: 'Vai trò của anh/chị không được thực hiện thao tác này.', action: 'Đề nghị cán bộ có thẩm quyền thực hiện.' },
  RATE_LIMITED: { detail: 'Quá nhiều yêu cầu trong thời gian ngắn.', action: 'Chờ một lát rồi thực hiện lại.' },
  ROUTE_NOT_FOUND: { detail: 'Máy chủ không có chức năng này.', action: 'Tải lại trang; nếu vẫn lỗi, báo cho bộ phận vận hành.' },
  INTERNAL_ERROR: { detail: 'Máy chủ gặp lỗi ngoài dự kiến.', action: 'Thử lại sau; nếu vẫn lỗi, báo cho bộ phận vận hành kèm thời điểm xảy ra.' },
  CONSENT_LEGAL_BASIS_MISSING: { detail: 'Chưa nêu căn cứ pháp lý yêu cầu sự đồng ý của công dân.', action: 'Nhập luật, nghị định hoặc thông tư (ví dụ: Nghị định 13/2023/NĐ-CP, Điều 11), rồi ghi nhận lại.' },
  CONSENT_STATUS_CONFLICT: { detail: 'Sự đồng ý đang ở trạng thái không cho phép thao tác này.', action: 'Tải lại danh sách; nếu cần, ghi nhận một sự đồng ý mới.' },
  CONSENT_EXPIRY_INVALID: { detail: 'Ngày hết hạn phải ở tương lai.', action: 'Nhập ngày hết hạn sau hôm nay, dạng dd/mm/yyyy.' },
  CONSENT_FIELDS_EMPTY: { detail: 'Sự đồng ý phải nêu ít nhất một trường dữ liệu.', action: 'Nhập các trường công dân đồng ý cung cấp, cách nhau bằng dấu phẩy.' },
  CONSENT_PURPOSE_INVALID: { detail: 'Mã mục đích chỉ gồm chữ in hoa, chữ số và _ . -, kèm nội dung mục đích.', action: 'Sửa mã mục đích (ví dụ ACCOUNT_OPENING) và nhập nội dung.' },
  CLIENT_UNKNOWN: { detail: 'Bên sử dụng dữ liệu chưa được kết nạp vào nền tảng trao đổi.', action: 'Chọn một hệ thống đã kết nạp.' },
  SELF_CHANGE_REFUSED: { detail: 'Không thể tự thay đổi tài khoản của chính mình.', action: 'Đề nghị một quản trị hệ thống khác thực hiện.' },
  LAST_ADMIN: { detail: 'Đây là quản trị hệ thống cuối cùng đang hoạt động.', action: 'Tạo hoặc kích hoạt một quản trị hệ thống khác trước.' },
  OFFICER_NOT_FOUND: { detail: 'Không có cán bộ này.', action: 'Tải lại danh sách cán bộ.' },
  RECONCILE_COLUMN_MISSING: { detail: 'Tệp thiếu cột cần để đối soát (số định danh hoặc họ tên).', action: 'Ghép cột của tệp với các trường ở bước ghép cột, hoặc đổi tên cột như cách đối soát yêu cầu.' },
  RECONCILE_MAPPING_INVALID: { detail: 'Cách ghép cột không hợp lệ.', action: 'Chọn lại cột cho từng trường.' },
  RECONCILE_FILE_UNREADABLE: { detail: 'Không đọc được tệp cần đối soát.', action: 'Gửi tệp CSV UTF-8 có dòng tên cột, hoặc tệp Parquet.' },
  CORRECTIONS_UNAVAILABLE: { detail: 'Chức năng cải chính đang không hoạt động.', action: 'Thử lại sau; nếu vẫn lỗi, báo cho bộ phận vận hành.' },
};

/**
 * The officer's text for an error code, in the console's language; undefined where the server's
 * own words are used (English, or a code not listed).
 *
 * @example
 * errorText('vi', 'PERSON_NOT_FOUND') // { detail: 'Không có công dân nào mang số định danh này.', … }
 */
export function errorText(lang: Lang, code: string): ErrorText | undefined {
  return lang === 'vi' ? vi[code] : undefined;
}
