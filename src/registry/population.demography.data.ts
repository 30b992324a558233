import type { Weighted } from './vietnamese-names.data.js';

/**
 * Rough demographic facts for the synthetic population (2019 census shapes, rounded). Shares are
 * relative weights; where a province is not listed, the national default applies.
 */

/**
 * Ethnic minorities by former province (3-digit code), as shares of that province's people; the
 * rest are Kinh. Source: 2019 census provincial tables, rounded to the groups that matter there.
 */
export const minorityShares: Readonly<Record<string, Weighted>> = {
  '002': [["H'Mông", 0.33], ['Tày', 0.23], ['Dao', 0.15], ['Nùng', 0.09]],
  '004': [['Tày', 0.4], ['Nùng', 0.3], ["H'Mông", 0.11], ['Dao', 0.1]],
  '006': [['Tày', 0.52], ['Dao', 0.17], ['Nùng', 0.09], ["H'Mông", 0.07]],
  '008': [['Tày', 0.25], ['Dao', 0.12], ['Sán Chay', 0.08], ["H'Mông", 0.05]],
  '010': [["H'Mông", 0.25], ['Tày', 0.15], ['Dao', 0.15], ['Giáy', 0.05]],
  '011': [['Thái', 0.38], ["H'Mông", 0.35]],
  '012': [["H'Mông", 0.35], ['Thái', 0.32], ['Dao', 0.13], ['Hà Nhì', 0.05]],
  '014': [['Thái', 0.54], ["H'Mông", 0.17], ['Mường', 0.07]],
  '015': [['Tày', 0.19], ['Dao', 0.13], ["H'Mông", 0.12], ['Thái', 0.07]],
  '017': [['Mường', 0.63], ['Thái', 0.04], ['Dao', 0.04]],
  '019': [['Tày', 0.11], ['Nùng', 0.05], ['Sán Dìu', 0.03], ['Dao', 0.02]],
  '020': [['Nùng', 0.42], ['Tày', 0.35], ['Dao', 0.04]],
  '022': [['Dao', 0.05], ['Tày', 0.04], ['Sán Dìu', 0.02]],
  '024': [['Nùng', 0.05], ['Tày', 0.04], ['Sán Chay', 0.02], ['Sán Dìu', 0.02]],
  '025': [['Mường', 0.14]],
  '038': [['Mường', 0.1], ['Thái', 0.06]],
  '040': [['Thái', 0.09], ['Khơ Mú', 0.01], ["H'Mông", 0.01]],
  '062': [['Xơ Đăng', 0.25], ['Ba Na', 0.12], ['Giẻ Triêng', 0.07]],
  '064': [['Gia Rai', 0.3], ['Ba Na', 0.14]],
  '066': [['Ê Đê', 0.17], ['Nùng', 0.04], ['Tày', 0.03], ["M'Nông", 0.02], ['Gia Rai', 0.01]],
  '067': [["M'Nông", 0.1], ['Nùng', 0.06], ["H'Mông", 0.05], ['Tày', 0.04]],
  '068': [['Cơ Ho', 0.13], ['Mạ', 0.02], ['Chu Ru', 0.01]],
  '058': [['Chăm', 0.12], ['Raglay', 0.11]],
  '060': [['Chăm', 0.03], ['Raglay', 0.01], ['Hoa', 0.01]],
  '070': [['Xtiêng', 0.09], ['Khmer', 0.02], ['Nùng', 0.02], ['Tày', 0.01]],
  '075': [['Hoa', 0.03], ['Nùng', 0.01]],
  '079': [['Hoa', 0.04], ['Khmer', 0.005]],
  '084': [['Khmer', 0.32]],
  '089': [['Khmer', 0.05], ['Chăm', 0.01]],
  '091': [['Khmer', 0.12], ['Hoa', 0.02]],
  '092': [['Khmer', 0.02], ['Hoa', 0.01]],
  '094': [['Khmer', 0.3], ['Hoa', 0.05]],
  '095': [['Khmer', 0.08], ['Hoa', 0.02]],
};

/** Nationwide: most people declare no religion ('Không'). */
export const nationalReligions: Weighted = [
  ['Không', 86], ['Công giáo', 6.1], ['Phật giáo', 4.8], ['Tin lành', 1.0], ['Phật giáo Hòa Hảo', 1.1],
  ['Cao Đài', 0.6], ['Hồi giáo', 0.1],
];

/** Where a former province's religious make-up departs clearly from the national one. */
export const provinceReligions: Readonly<Record<string, Weighted>> = {
  '036': [['Không', 72], ['Công giáo', 25], ['Phật giáo', 3]],
  '037': [['Không', 80], ['Công giáo', 16], ['Phật giáo', 4]],
  '075': [['Không', 58], ['Công giáo', 30], ['Phật giáo', 10], ['Tin lành', 2]],
  '079': [['Không', 78], ['Phật giáo', 11], ['Công giáo', 8], ['Cao Đài', 1], ['Tin lành', 1]],
  '089': [['Không', 55], ['Phật giáo Hòa Hảo', 35], ['Phật giáo', 8], ['Công giáo', 2]],
  '087': [['Không', 70], ['Phật giáo Hòa Hảo', 20], ['Phật giáo', 8], ['Công giáo', 2]],
  '072': [['Không', 60], ['Cao Đài', 30], ['Phật giáo', 7], ['Công giáo', 3]],
  '046': [['Không', 70], ['Phật giáo', 25], ['Công giáo', 5]],
};

/** Some groups' religion follows the group more than the province. */
export const ethnicReligions: Readonly<Record<string, Weighted>> = {
  Khmer: [['Phật giáo', 92], ['Không', 8]],
  Hoa: [['Phật giáo', 35], ['Không', 60], ['Công giáo', 5]],
  "H'Mông": [['Không', 68], ['Tin lành', 30], ['Công giáo', 2]],
  'Ê Đê': [['Tin lành', 40], ['Công giáo', 15], ['Không', 45]],
  'Gia Rai': [['Tin lành', 30], ['Công giáo', 20], ['Không', 50]],
  'Ba Na': [['Công giáo', 30], ['Tin lành', 10], ['Không', 60]],
  'Chăm': [['Không', 60], ['Hồi giáo', 40]],
};

/** Relationship to the head of household, as stored in `relationship_to_head`. */
export type RelationshipToHead = 'head' | 'spouse' | 'child' | 'parent' | 'child_in_law' | 'grandchild';

/** The Vietnamese words for the relationship codes, for display. */
export const relationshipLabels: Readonly<Record<RelationshipToHead, string>> = {
  head: 'Chủ hộ',
  spouse: 'Vợ/Chồng',
  child: 'Con',
  parent: 'Bố/Mẹ',
  child_in_law: 'Con dâu/Con rể',
  grandchild: 'Cháu',
};
