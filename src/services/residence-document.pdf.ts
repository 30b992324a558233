import { readFileSync } from 'node:fs';
import fontkit from '@pdf-lib/fontkit';
import { PDFDocument, rgb, type PDFFont, type PDFPage } from 'pdf-lib';
import QRCode from 'qrcode';
import type { ResidenceClaim, ResidenceClaims } from './residence-document.service.js';

/** DejaVu Sans (assets/fonts, Bitstream Vera licence): every Vietnamese letter, embedded as a subset. */
const fontUrl = new URL('../../assets/fonts/DejaVuSans.ttf', import.meta.url);
let fontBytes: Buffer | undefined;

export interface ResidencePdfInput {
  readonly documentId: string;
  /** The presentation the QR code carries (the disclosed claims only). */
  readonly presentation: string;
  /** The claims the presentation discloses, to print beside the code. */
  readonly claims: ResidenceClaims;
  readonly issuedAt: string;
  readonly expiresAt: string;
  /** The public verify page; the QR code holds `<verifyUrl>#<presentation>`. */
  readonly verifyUrl: string;
}

/** dd/mm/yyyy of an ISO date or instant (Vietnam time for instants). */
function dayText(iso: string): string {
  const day = iso.length > 10 ? new Date(new Date(iso).getTime() + 7 * 3_600_000).toISOString().slice(0, 10) : iso;
  const [y, m, d] = day.split('-');
  return d === undefined ? (m === undefined ? y ?? '' : `${m}/${y ?? ''}`) : `${d}/${m ?? ''}/${y ?? ''}`;
}

const residenceText = (r: ResidenceClaim): string => [r.address, r.commune, r.province].filter((p): p is string => p !== null && p !== '').join(', ');

/** The printed lines of the disclosed claims, label then value. */
export function claimLines(claims: ResidenceClaims): readonly (readonly [string, string])[] {
  const lines: [string, string][] = [];
  if (claims.fullName !== undefined) lines.push(['Họ, chữ đệm và tên / Full name', claims.fullName]);
  if (claims.birthDate !== undefined) lines.push(['Ngày sinh / Date of birth', dayText(claims.birthDate)]);
  if (claims.sex !== undefined) lines.push(['Giới tính / Sex', claims.sex === 'F' ? 'Nữ / Female' : 'Nam / Male']);
  if (claims.idNumber !== undefined) lines.push(['Số định danh cá nhân / Personal ID number', claims.idNumber]);
  if (claims.nationality !== undefined) lines.push(['Quốc tịch / Nationality', claims.nationality === 'VN' ? 'Việt Nam' : claims.nationality]);
  if (claims.permanentResidence !== undefined) lines.push(['Nơi thường trú / Permanent residence', residenceText(claims.permanentResidence)]);
  if (claims.temporaryResidence !== undefined) lines.push(['Nơi tạm trú / Temporary residence', residenceText(claims.temporaryResidence)]);
  if (claims.currentResidence !== undefined) lines.push(['Nơi ở hiện tại / Current residence', residenceText(claims.currentResidence)]);
  if (claims.residenceCommune !== undefined) lines.push(['Xã, phường cư trú / Commune of residence', claims.residenceCommune.name ?? claims.residenceCommune.code]);
  if (claims.residenceProvince !== undefined) lines.push(['Tỉnh, thành phố cư trú / Province of residence', claims.residenceProvince.name ?? claims.residenceProvince.code]);
  return lines;
}

/** Splits a text into lines no wider than `width` at `size`. */
function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    const next = line === '' ? word : `${line} ${word}`;
    if (font.widthOfTextAtSize(next, size) <= width || line === '') line = next;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** Draws the QR code as vector squares (sharp at any print size). */
function drawQr(page: PDFPage, text: string, x: number, y: number, size: number): void {
  const qr = QRCode.create(text, { errorCorrectionLevel: text.length > 1200 ? 'L' : 'M' });
  const n = qr.modules.size;
  const quiet = 4;
  const cell = size / (n + 2 * quiet);
  page.drawRectangle({ x, y, width: size, height: size, color: rgb(1, 1, 1) });
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      if (qr.modules.get(row, col) === 1) {
        page.drawRectangle({ x: x + (col + quiet) * cell, y: y + size - (row + quiet + 1) * cell, width: cell, height: cell, color: rgb(0, 0, 0) });
      }
    }
  }
}

/**
 * The printable confirmation of residence (A4): the disclosed claims in Vietnamese and English,
 * the document's dates, and a QR code holding the verify page's address with the presentation,
 * so that anyone checks it on the page or offline against the published key.
 */
export async function residencePdf(input: ResidencePdfInput): Promise<Uint8Array> {
  fontBytes ??= readFileSync(fontUrl);
  const pdf = await PDFDocument.create();
  pdf.registerFontkit(fontkit);
  pdf.setTitle('Xác nhận thông tin về cư trú');
  pdf.setSubject(`Residence confirmation ${input.documentId}`);
  pdf.setProducer('sachsong');
  pdf.setCreationDate(new Date(input.issuedAt));
  pdf.setModificationDate(new Date(input.issuedAt));
  const font = await pdf.embedFont(fontBytes, { subset: true });
  const page = pdf.addPage([595.28, 841.89]);
  const ink = rgb(0.1, 0.1, 0.12);
  const muted = rgb(0.35, 0.35, 0.4);
  const left = 56;
  const width = 595.28 - 2 * left;
  let y = 790;
  const center = (text: string, size: number): void => {
    page.drawText(text, { x: (595.28 - font.widthOfTextAtSize(text, size)) / 2, y, size, font, color: ink });
    y -= size + 6;
  };
  center('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', 12);
  center('Độc lập – Tự do – Hạnh phúc', 11);
  y -= 14;
  center('XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ', 17);
  center('Confirmation of residence', 11);
  y -= 10;
  for (const [label, value] of claimLines(input.claims)) {
    page.drawText(label, { x: left, y, size: 9, font, color: muted });
    y -= 14;
    for (const line of wrap(value, font, 12, width)) {
      page.drawText(line, { x: left, y, size: 12, font, color: ink });
      y -= 16;
    }
    y -= 4;
  }
  y -= 6;
  page.drawText(`Ngày cấp / Issued: ${dayText(input.issuedAt)}    Có giá trị đến / Valid until: ${dayText(input.expiresAt)}`, { x: left, y, size: 10, font, color: ink });
  y -= 14;
  page.drawText(`Mã văn bản / Document: ${input.documentId}`, { x: left, y, size: 9, font, color: muted });
  const qrSize = 230;
  const qrY = Math.min(y - 20, 520) - qrSize;
  drawQr(page, `${input.verifyUrl}#${input.presentation}`, left, qrY, qrSize);
  const notes = [
    'Văn bản điện tử được Cơ sở dữ liệu quốc gia về dân cư ký số (SD-JWT VC).',
    'Quét mã QR hoặc mở trang kiểm tra để biết văn bản còn giá trị;',
    'văn bản hết giá trị khi nơi cư trú thay đổi.',
    'Signed by the national population registry. Scan the code or open',
    'the verify page: the document ends when the residence changes.',
    input.verifyUrl,
  ];
  let ny = qrY + qrSize - 12;
  for (const note of notes) {
    for (const line of wrap(note, font, 9, width - qrSize - 20)) {
      page.drawText(line, { x: left + qrSize + 16, y: ny, size: 9, font, color: muted });
      ny -= 13;
    }
  }
  return pdf.save({ useObjectStreams: false });
}
