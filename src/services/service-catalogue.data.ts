/**
 * The 53 essential online public services (dịch vụ công thiết yếu) of Đề án 06 (Quyết định
 * 06/QĐ-TTg, 6 January 2022) as this project keeps them: name, owning agency, the registry data
 * each reads instead of asking for paper, and the paper it replaces. See docs/linked-procedures.md
 * for where the list comes from and where it is approximate (`listed`: 'checked' where a public page
 * describing the service was read for this list; 'recalled' for services named in public accounts
 * of Đề án 06's essential services but not checked against the official text; 'approximate' for
 * the rest, chosen to complete 53 from the same domains: their wording and order are ours).
 */

/** Registry fields by their exchange names (src/exchange/service.catalog.ts). */
export type RegistryField =
  | 'idNumber' | 'fullName' | 'birthDate' | 'sex' | 'nationality' | 'ethnicity' | 'hometown'
  | 'permanentResidence' | 'temporaryResidence' | 'currentResidence' | 'householdId' | 'relationshipToHead'
  | 'fatherId' | 'motherId' | 'spouseId' | 'status' | 'deathDate';

export interface CatalogueEntry {
  /** Stable code in this project (DVC-01 … DVC-53). */
  readonly code: string;
  readonly name: string;
  readonly nameEn: string;
  readonly agency: string;
  readonly agencyEn: string;
  readonly reads: readonly RegistryField[];
  /** The paper the citizen no longer brings (Vietnamese). */
  readonly paperReplaced: string;
  /** The linked procedure built end to end here, if any. */
  readonly linkedProcedure: 'birth' | 'death' | null;
  readonly listed: 'checked' | 'recalled' | 'approximate';
}

const BCA = ['Bộ Công an', 'Ministry of Public Security'] as const;
const BTP = ['Bộ Tư pháp', 'Ministry of Justice'] as const;
const BHXH = ['Bảo hiểm xã hội Việt Nam', 'Viet Nam Social Security'] as const;
const BTC = ['Bộ Tài chính', 'Ministry of Finance'] as const;
const BLD = ['Bộ Lao động - Thương binh và Xã hội', 'Ministry of Labour, Invalids and Social Affairs'] as const;
const BGT = ['Bộ Giao thông vận tải', 'Ministry of Transport'] as const;
const BTN = ['Bộ Tài nguyên và Môi trường', 'Ministry of Natural Resources and Environment'] as const;
const BKH = ['Bộ Kế hoạch và Đầu tư', 'Ministry of Planning and Investment'] as const;
const BGD = ['Bộ Giáo dục và Đào tạo', 'Ministry of Education and Training'] as const;
const BYT = ['Bộ Y tế', 'Ministry of Health'] as const;
const BXD = ['Bộ Xây dựng', 'Ministry of Construction'] as const;
const BQP = ['Bộ Quốc phòng', 'Ministry of National Defence'] as const;
const BCT = ['Bộ Công Thương', 'Ministry of Industry and Trade'] as const;
const EVN = ['Tập đoàn Điện lực Việt Nam', 'Viet Nam Electricity'] as const;

const who: readonly RegistryField[] = ['idNumber', 'fullName', 'birthDate', 'sex'];
const home: readonly RegistryField[] = [...who, 'permanentResidence', 'currentResidence'];
const family: readonly RegistryField[] = [...home, 'householdId', 'relationshipToHead'];

type Row = readonly [name: string, nameEn: string, agency: readonly [string, string], reads: readonly RegistryField[], paper: string, listed?: 'approximate' | undefined, linked?: 'birth' | 'death'];

const rows: readonly Row[] = [
  ['Thông báo lưu trú', 'Notice of stay', BCA, who, 'Giấy tờ tùy thân của người lưu trú'],
  ['Đăng ký thường trú', 'Permanent residence registration', BCA, family, 'Sổ hộ khẩu, giấy tờ nhân thân'],
  ['Đăng ký tạm trú', 'Temporary residence registration', BCA, [...home, 'temporaryResidence'], 'Sổ tạm trú, giấy xác nhận cư trú'],
  ['Khai báo tạm vắng', 'Notice of temporary absence', BCA, home, 'Giấy xác nhận cư trú'],
  ['Xác nhận thông tin về cư trú', 'Confirmation of residence', BCA, family, 'Sổ hộ khẩu'],
  ['Tách hộ', 'Household split', BCA, family, 'Sổ hộ khẩu, giấy tờ quan hệ nhân thân'],
  ['Xóa đăng ký thường trú', 'Removal of permanent residence', BCA, [...family, 'status', 'deathDate'], 'Sổ hộ khẩu, giấy chứng tử'],
  ['Cấp thẻ căn cước (cấp đổi, cấp lại)', 'Identity card issue, renewal and replacement', BCA, [...family, 'ethnicity', 'hometown', 'fatherId', 'motherId', 'spouseId'], 'Sổ hộ khẩu, giấy khai sinh'],
  ['Cấp hộ chiếu phổ thông trong nước', 'Ordinary passport (issued in Viet Nam)', BCA, [...home, 'nationality'], 'Bản sao căn cước, sổ hộ khẩu'],
  ['Đăng ký, cấp biển số xe', 'Vehicle registration and number plates', BCA, home, 'Bản sao căn cước, sổ hộ khẩu'],
  ['Thu hồi đăng ký, biển số xe', 'Vehicle deregistration', BCA, home, 'Bản sao căn cước', 'approximate'],
  ['Cấp đổi giấy phép lái xe', 'Driving licence renewal', BGT, home, 'Bản sao căn cước, giấy khám sức khỏe giấy'],
  ['Cấp lại giấy phép lái xe', 'Driving licence replacement', BGT, home, 'Bản sao căn cước', 'approximate'],
  ['Đăng ký khai sinh', 'Birth registration', BTP, [...family, 'fatherId', 'motherId'], 'Sổ hộ khẩu, giấy tờ tùy thân của cha mẹ'],
  ['Đăng ký khai tử', 'Death registration', BTP, [...family, 'status', 'deathDate'], 'Sổ hộ khẩu, căn cước của người chết'],
  ['Đăng ký kết hôn', 'Marriage registration', BTP, [...home, 'spouseId'], 'Giấy xác nhận tình trạng hôn nhân, sổ hộ khẩu'],
  ['Cấp giấy xác nhận tình trạng hôn nhân', 'Certificate of marital status', BTP, [...home, 'spouseId'], 'Sổ hộ khẩu, bản sao căn cước'],
  ['Cấp phiếu lý lịch tư pháp', 'Criminal record certificate', BTP, [...home, 'fatherId', 'motherId', 'spouseId'], 'Sổ hộ khẩu, bản sao căn cước'],
  ['Cấp bản sao trích lục hộ tịch', 'Copy of a civil status extract', BTP, who, 'Bản sao giấy tờ tùy thân', 'approximate'],
  ['Đăng ký nhận cha, mẹ, con', 'Recognition of a parent or child', BTP, [...home, 'fatherId', 'motherId'], 'Sổ hộ khẩu', 'approximate'],
  ['Đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch', 'Change or correction of civil status', BTP, [...home, 'ethnicity', 'nationality'], 'Sổ hộ khẩu, bản sao căn cước', 'approximate'],
  ['Liên thông: đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi', 'Linked: birth registration, permanent residence, health insurance card for a child under six', BTP, [...family, 'fatherId', 'motherId'], 'Giấy chứng sinh giấy kèm sổ hộ khẩu và tờ khai BHYT', undefined, 'birth'],
  ['Liên thông: đăng ký khai tử, xóa đăng ký thường trú, giải quyết mai táng phí, tử tuất', 'Linked: death registration, removal of residence, funeral and survivor benefits', BTP, [...family, 'status', 'deathDate'], 'Giấy báo tử giấy kèm sổ hộ khẩu và hồ sơ BHXH', undefined, 'death'],
  ['Cấp, gia hạn, cấp lại thẻ bảo hiểm y tế', 'Health insurance card issue, renewal and replacement', BHXH, home, 'Bản sao căn cước, sổ hộ khẩu'],
  ['Đăng ký đóng bảo hiểm xã hội tự nguyện', 'Voluntary social insurance enrolment', BHXH, home, 'Bản sao căn cước'],
  ['Giải quyết hưởng chế độ thai sản', 'Maternity benefit', BHXH, [...home, 'spouseId'], 'Bản sao giấy khai sinh của con'],
  ['Giải quyết hưởng chế độ ốm đau', 'Sickness benefit', BHXH, who, 'Bản sao căn cước', 'approximate'],
  ['Giải quyết hưởng lương hưu', 'Old-age pension', BHXH, home, 'Bản sao căn cước, sổ hộ khẩu', 'approximate'],
  ['Giải quyết mai táng phí, trợ cấp tử tuất', 'Funeral grant and survivor benefit', BHXH, [...family, 'status', 'deathDate'], 'Giấy chứng tử, sổ hộ khẩu'],
  ['Giải quyết hưởng bảo hiểm xã hội một lần', 'One-off social insurance payment', BHXH, home, 'Bản sao căn cước', 'approximate'],
  ['Giải quyết hưởng trợ cấp thất nghiệp', 'Unemployment benefit', BLD, home, 'Bản sao căn cước, sổ hộ khẩu'],
  ['Hỗ trợ người lao động ngừng việc, mất việc', 'Support for workers laid off', BLD, home, 'Giấy xác nhận cư trú', 'approximate'],
  ['Trợ cấp xã hội hằng tháng cho đối tượng bảo trợ xã hội', 'Monthly social assistance', BLD, family, 'Sổ hộ khẩu, giấy khai sinh', 'approximate'],
  ['Hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội', 'Funeral support for social-assistance beneficiaries', BLD, [...family, 'status', 'deathDate'], 'Giấy chứng tử, sổ hộ khẩu', 'approximate'],
  ['Xác nhận hộ nghèo, hộ cận nghèo', 'Confirmation of poor or near-poor household', BLD, family, 'Sổ hộ khẩu', 'approximate'],
  ['Đăng ký thuế lần đầu cho cá nhân (mã số thuế là số định danh)', 'Personal tax registration (the ID number is the tax code)', BTC, home, 'Bản sao căn cước'],
  ['Nộp thuế điện tử cá nhân', 'Personal tax payment online', BTC, who, 'Bản sao căn cước'],
  ['Khai, nộp lệ phí trước bạ nhà, đất', 'Registration fee on land and houses', BTC, home, 'Bản sao căn cước, sổ hộ khẩu', 'approximate'],
  ['Đăng ký thành lập hộ kinh doanh', 'Household business registration', BKH, home, 'Bản sao căn cước, sổ hộ khẩu'],
  ['Đăng ký doanh nghiệp', 'Enterprise registration', BKH, home, 'Bản sao căn cước của người đại diện'],
  ['Đăng ký biến động quyền sử dụng đất, tài sản gắn liền với đất', 'Registration of a change in land use rights', BTN, [...home, 'spouseId'], 'Sổ hộ khẩu, giấy xác nhận tình trạng hôn nhân'],
  ['Cấp giấy chứng nhận quyền sử dụng đất lần đầu', 'First land use right certificate', BTN, [...family, 'spouseId'], 'Sổ hộ khẩu, bản sao căn cước', 'approximate'],
  ['Cung cấp thông tin, dữ liệu đất đai', 'Land information service', BTN, who, 'Bản sao căn cước', 'approximate'],
  ['Cấp giấy phép xây dựng nhà ở riêng lẻ', 'Building permit for a private house', BXD, home, 'Bản sao căn cước, sổ hộ khẩu', 'approximate'],
  ['Đăng ký dự thi tốt nghiệp trung học phổ thông', 'Registration for the upper-secondary graduation exam', BGD, [...home, 'ethnicity'], 'Bản sao giấy khai sinh, sổ hộ khẩu'],
  ['Đăng ký xét tuyển đại học, cao đẳng', 'University and college admission', BGD, [...home, 'ethnicity'], 'Bản sao giấy khai sinh', 'approximate'],
  ['Tuyển sinh đầu cấp (mầm non, lớp 1, lớp 6) trực tuyến', 'Online school enrolment (pre-school, grades 1 and 6)', BGD, [...family, 'fatherId', 'motherId'], 'Giấy khai sinh, sổ hộ khẩu', 'approximate'],
  ['Cấp giấy chứng sinh', 'Birth certificate from the hospital', BYT, [...home, 'spouseId'], 'Bản sao căn cước của mẹ', 'approximate'],
  ['Cấp giấy báo tử', 'Medical death notice', BYT, [...who, 'permanentResidence'], 'Căn cước của người chết', 'approximate'],
  ['Khám sức khỏe lái xe (liên thông với cấp đổi giấy phép lái xe)', 'Driver health check (linked to licence renewal)', BYT, who, 'Bản sao căn cước', 'approximate'],
  ['Đăng ký nghĩa vụ quân sự lần đầu', 'First military service registration', BQP, family, 'Sổ hộ khẩu, bản sao giấy khai sinh', 'approximate'],
  ['Đăng ký, thay đổi thông tin hợp đồng mua bán điện sinh hoạt', 'Household electricity contract', EVN, home, 'Sổ hộ khẩu, bản sao căn cước'],
  ['Cấp giấy chứng nhận đủ điều kiện kinh doanh (người đại diện là cá nhân)', 'Business eligibility certificate (individual representative)', BCT, home, 'Bản sao căn cước', 'approximate'],
];

/** The catalogue, numbered in the order above. */
export const serviceCatalogueData: readonly CatalogueEntry[] = rows.map(([name, nameEn, [agency, agencyEn], reads, paperReplaced, listed, linked], i) => ({
  code: `DVC-${String(i + 1).padStart(2, '0')}`,
  name, nameEn, agency, agencyEn, reads, paperReplaced,
  linkedProcedure: linked ?? null,
  listed: linked !== undefined ? 'checked' : listed ?? 'recalled',
}));
