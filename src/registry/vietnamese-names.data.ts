/**
 * Vietnamese naming facts for the synthetic population: surname frequencies, middle and given
 * names by sex, and the naming customs of a few ethnic groups. Weights are relative. Surname
 * shares follow published estimates for the whole population (Nguyễn ≈ 38%, Trần ≈ 11%,
 * Lê ≈ 9.5%, Phạm ≈ 7%, Hoàng/Huỳnh ≈ 5% …); Kinh weights are a little higher than the national
 * share because minority groups mostly carry other surnames.
 */

export type Weighted<T extends string = string> = readonly (readonly [T, number])[];

export const kinhSurnames: Weighted = [
  ['Nguyễn', 41.5], ['Trần', 11.8], ['Lê', 10.2], ['Phạm', 7.5], ['Hoàng', 3.2], ['Huỳnh', 2.4],
  ['Phan', 4.3], ['Vũ', 2.4], ['Võ', 1.8], ['Đặng', 2.1], ['Bùi', 2.0], ['Đỗ', 1.4], ['Hồ', 1.3],
  ['Ngô', 1.3], ['Dương', 1.0], ['Lý', 0.5], ['Đinh', 0.6], ['Trương', 0.6], ['Đào', 0.5], ['Đoàn', 0.5],
  ['Lâm', 0.4], ['Mai', 0.4], ['Trịnh', 0.4], ['Cao', 0.3], ['Lương', 0.3], ['Tạ', 0.2], ['Hà', 0.3],
  ['Tô', 0.15], ['Tăng', 0.1], ['Lưu', 0.2], ['Châu', 0.1], ['Thái', 0.1], ['Quách', 0.1], ['Chu', 0.1],
  ['Kiều', 0.1], ['Lại', 0.1], ['Khổng', 0.05], ['Văn', 0.1], ['Triệu', 0.1], ['Mạc', 0.05], ['Phùng', 0.15],
  ['Vương', 0.1], ['Tống', 0.08], ['Hứa', 0.05], ['Từ', 0.05], ['La', 0.05], ['Nghiêm', 0.05], ['Khúc', 0.03],
];

export const kinhMiddleNames: Readonly<Record<'M' | 'F', { readonly older: Weighted; readonly younger: Weighted }>> = {
  M: {
    older: [['Văn', 55], ['Hữu', 7], ['Đức', 7], ['Minh', 5], ['Quang', 5], ['Công', 4], ['Thanh', 4], ['Ngọc', 3], ['Xuân', 3], ['Đình', 4], ['Trọng', 2], ['Quốc', 2], ['Anh', 1]],
    younger: [['Văn', 18], ['Minh', 12], ['Đức', 8], ['Quang', 6], ['Gia', 7], ['Hoàng', 5], ['Tuấn', 4], ['Anh', 5], ['Bảo', 6], ['Duy', 4], ['Thành', 4], ['Quốc', 4], ['Nhật', 3], ['Hữu', 3], ['Công', 3], ['Trọng', 2], ['Thanh', 3], ['Tiến', 2], ['Mạnh', 2]],
  },
  F: {
    older: [['Thị', 72], ['Ngọc', 5], ['Thu', 4], ['Thanh', 4], ['Hồng', 3], ['Kim', 3], ['Minh', 2], ['Xuân', 2], ['Bích', 2], ['Mỹ', 2], ['Thúy', 1]],
    younger: [['Thị', 28], ['Ngọc', 9], ['Thu', 6], ['Thanh', 6], ['Minh', 5], ['Phương', 5], ['Bảo', 6], ['Khánh', 5], ['Hoài', 3], ['Thùy', 4], ['Quỳnh', 3], ['Mai', 3], ['Diễm', 2], ['Hồng', 3], ['Kim', 3], ['Mỹ', 3], ['Ánh', 2], ['Gia', 3]],
  },
};

/** A second middle name after Thị or Văn ("Nguyễn Thị Thanh Hương"), used for a share of names. */
export const secondMiddleNames: Readonly<Record<'M' | 'F', Weighted>> = {
  M: [['Minh', 3], ['Quang', 2], ['Thanh', 2], ['Đức', 2], ['Hoàng', 1], ['Anh', 1]],
  F: [['Thanh', 3], ['Thu', 3], ['Ngọc', 3], ['Kim', 2], ['Hồng', 2], ['Mỹ', 2], ['Thúy', 1], ['Phương', 1]],
};

const male = `An Anh Bảo Bình Cường Công Chiến Chính Chung Dũng Duy Dương Đạt Đức Định Đông Giang Hải Hào Hậu
Hiếu Hiển Hiệp Hòa Hoàng Hùng Huy Hưng Khang Khánh Khải Khoa Khôi Kiên Lâm Long Lộc Lợi Luân Lực Mạnh Minh
Nam Nghĩa Nhân Nhật Ninh Phát Phong Phú Phúc Phương Quân Quang Quốc Quý Quyết Sơn Tài Tâm Tân Thắng Thanh
Thành Thịnh Thông Thuận Tiến Toàn Trí Triều Trọng Trung Trường Tú Tuấn Tùng Vinh Việt Vũ Vương Vỹ Bách
Cảnh Danh Doanh Đăng Điệp Hiệu Hoan Kha Khiêm Lân Lĩnh Nguyên Nhựt Pháp Quảng Sang Sĩ Thái Thiện Thọ Thức
Tín Toản Tráng Trình Tuyên Vĩnh Cần Chương Dân Đoàn Giáp Hành Hợp Huấn Kỳ Lành Luận Mẫn Phước Quyền Sáng
Tấn Thạch Thân Thường Tình Tường Uy Vạn Cương Hoạt Khương Lạc Lượng Tới Tuệ Kiệt Đại Hạ Hiền Khiết Khởi
Lập Liêm Linh Mến Ngọc Nhẫn Phụng Quyển Sửu Tám Thìn Thuần Tịnh Trực Tuân Tuyển Tư Vinh Xuân Yên Ân Bằng
Biên Cát Châu Đạo Đồng Hạnh Hoàn Hội Khoái Khuê Lam Lễ Lương Mỹ Nghị Nhạc Phi Quế Sâm Sỹ Tạo Thạc Thao Thế`;

const female = `An Anh Ánh Bích Bình Chi Châu Cúc Dung Duyên Diệp Diệu Dịu Giang Hà Hằng Hạnh Hiền Hoa Hòa Hồng
Huệ Hương Hường Huyền Khánh Khuê Lam Lan Liên Liễu Linh Loan Ly Mai My Mỹ Nga Ngân Ngọc Nguyệt Nhung Nhi
Nhàn Oanh Phương Phượng Quyên Quỳnh Sen Tâm Thảo Thắm Thanh Thoa Thơ Thu Thủy Thúy Thư Thương Tiên Trang
Trâm Trinh Tuyết Uyên Vân Vy Xuân Yến Ngà Hạ Hân Diễm Đào Gấm Hậu Hiên Hoài Kiều Lệ Lụa Lựu Mơ Mến Minh Na
Nương Nhạn Nhã Phấn Quế Sương Thêu Thi Thìn Tươi Tú Út Vui Xoan Hảo Kim Lài Lành Mận Mừng Nhài Ninh Nữ Phúc
Trà Tuyền Vàng Ái Bảo Cầm Dạ Đan Hiếu Hoàn Huyên Khanh Lạc Loan Lộc Mẫn Miên Ngát Ngần Nhạn Nhiên Như
Phụng Phước Quý Sa Sim Son Tài Thái Thoại Thùy Tịnh Trúc Tuệ Tường Vi Viên Xinh Yên Ân Bông Chinh Diễn Dịu`;

function split(words: string): readonly string[] {
  return [...new Set(words.normalize('NFC').split(/\s+/).filter((w) => w.length > 0))];
}

export const kinhGivenNames: Readonly<Record<'M' | 'F', readonly string[]>> = { M: split(male), F: split(female) };

/**
 * Ethnic groups whose names the generator builds their own way: their common surnames, and for
 * H'Mông and Khmer their own middle and given names. Other groups use Kinh-style names.
 */
export interface EthnicNaming {
  readonly surnames: Weighted;
  readonly middle?: Readonly<Record<'M' | 'F', Weighted>>;
  readonly given?: Readonly<Record<'M' | 'F', readonly string[]>>;
}

export const ethnicNaming: Readonly<Record<string, EthnicNaming>> = {
  "H'Mông": {
    surnames: [['Giàng', 5], ['Sùng', 4], ['Vàng', 4], ['Thào', 4], ['Lý', 3], ['Mùa', 3], ['Hờ', 2], ['Lầu', 2], ['Tráng', 1], ['Chảo', 1]],
    middle: { M: [['A', 6], ['Văn', 2], ['Seo', 1], ['Mí', 1]], F: [['Thị', 6], ['Mí', 2], ['Thị Mai', 1]] },
    given: { M: split('Páo Chứ Sùng Dế Lử Tủa Chá Dình Súa Pó Sinh Chính Thào Tếnh Lồng Dia Xá Chơ Vư Pao'), F: split('Mỷ Pà Dợ Chở Súa Mai Dung Sua Ly Dua Chua Mảy Pàng Xúa Say') },
  },
  Khmer: {
    surnames: [['Thạch', 6], ['Sơn', 5], ['Danh', 4], ['Kim', 3], ['Lâm', 2], ['Châu', 2], ['Lý', 1], ['Trần', 1]],
    middle: { M: [['', 6], ['Văn', 2]], F: [['Thị', 5], ['', 3]] },
    given: { M: split('Sóc Sang Rết Phol Sa Khen Sến Chanh Mây Ni Sóc Rươl Thol Na Ry Sa Rây Phát Quyên'), F: split('Srey Thi Kha Phi Ni Phương Sà Rây Mây Ly Sóc Kha Na Sa Ên Thươl') },
  },
  Hoa: { surnames: [['Lâm', 4], ['Trương', 3], ['Quách', 2], ['Lý', 3], ['Hứa', 2], ['Mã', 1], ['Tạ', 1], ['Trần', 3], ['Hoàng', 2], ['Lưu', 2]] },
  Tày: { surnames: [['Hoàng', 5], ['Nông', 4], ['Lương', 2], ['Hà', 2], ['Lục', 1], ['Triệu', 2], ['Bế', 2], ['Ma', 1], ['Đàm', 1], ['Nguyễn', 2]] },
  Nùng: { surnames: [['Hoàng', 4], ['Nông', 3], ['Lương', 2], ['Vi', 2], ['Lăng', 1], ['Chu', 1], ['Hứa', 1], ['Triệu', 1], ['Lành', 1]] },
  Thái: { surnames: [['Lò', 5], ['Cầm', 3], ['Lường', 3], ['Quàng', 2], ['Vi', 2], ['Lê', 1], ['Hà', 2], ['Điêu', 1], ['Tòng', 1], ['Lự', 1]] },
  Mường: { surnames: [['Bùi', 6], ['Đinh', 4], ['Quách', 2], ['Hà', 2], ['Bạch', 1], ['Xa', 1], ['Cao', 1]] },
  Dao: { surnames: [['Triệu', 5], ['Bàn', 4], ['Đặng', 3], ['Lý', 2], ['Chảo', 2], ['Phùng', 1]] },
};

/** Streets for urban addresses: common street names in Vietnamese towns and cities. */
export const streetNames: readonly string[] = split(
  `Lê_Lợi Trần_Hưng_Đạo Nguyễn_Huệ Hai_Bà_Trưng Lý_Thường_Kiệt Quang_Trung Hùng_Vương Nguyễn_Trãi Lê_Duẩn
Điện_Biên_Phủ Phan_Đình_Phùng Võ_Thị_Sáu Nguyễn_Du Bà_Triệu Ngô_Quyền Trần_Phú Lê_Lai Nguyễn_Văn_Cừ
Cách_Mạng_Tháng_Tám Độc_Lập Hoàng_Diệu Phan_Chu_Trinh Nguyễn_Thị_Minh_Khai Lê_Hồng_Phong Nguyễn_Đình_Chiểu
Lê_Thánh_Tông Trần_Quang_Khải Nguyễn_Chí_Thanh Phạm_Văn_Đồng Võ_Văn_Kiệt Tôn_Đức_Thắng Nguyễn_Tất_Thành
Lạc_Long_Quân Âu_Cơ Phan_Bội_Châu Chu_Văn_An Lý_Tự_Trọng Nguyễn_Thái_Học Yersin Hoàng_Văn_Thụ
Trường_Chinh Lê_Văn_Sỹ Kim_Mã Giải_Phóng Nguyễn_Văn_Linh Mạc_Đĩnh_Chi Tây_Sơn Bạch_Đằng Hàm_Nghi`,
).map((s) => s.replaceAll('_', ' '));
