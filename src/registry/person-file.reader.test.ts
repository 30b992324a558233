import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toTcvn3 as tcvn3, toVni as vni } from './legacy-encoding.test-helper.js';
import { readPersonFile, type FileRow, type ReadPersonFileOptions } from './person-file.reader.js';

let dir: string;
let fileCount = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'person-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(extension: string, content: string | Uint8Array): Promise<string> {
  const path = join(dir, `f${++fileCount}${extension}`);
  await writeFile(path, content);
  return path;
}


const utf16le = (text: string): Uint8Array => Buffer.concat([Uint8Array.of(0xff, 0xfe), Buffer.from(text, 'utf16le')]);

async function rowsOf(path: string, options: ReadPersonFileOptions = {}): Promise<FileRow[]> {
  const read = await readPersonFile(path, options);
  const rows: FileRow[] = [];
  for await (const row of read.rows) rows.push(row);
  return rows;
}

/** Short form of rows, so that a failing test does not print megabytes. */
function summary(rows: readonly FileRow[]): string[] {
  return rows.map((row) => ('error' in row ? `${row.rowNumber}: ${row.error.code} ${row.error.message}` : `${row.rowNumber}: ${JSON.stringify(row.record).slice(0, 80)}`));
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const csv = 'ho_ten,so_dinh_danh,noi_sinh\nNguyễn Thị Hồng,001190000001,Hà Nội\nTrần Văn Đức,079090000002,Thành phố Hồ Chí Minh\n';
const expected: FileRow[] = [
  { rowNumber: 1, record: { ho_ten: 'Nguyễn Thị Hồng', so_dinh_danh: '001190000001', noi_sinh: 'Hà Nội' } },
  { rowNumber: 2, record: { ho_ten: 'Trần Văn Đức', so_dinh_danh: '079090000002', noi_sinh: 'Thành phố Hồ Chí Minh' } },
];

describe('readPersonFile: encodings', () => {
  it('reads UTF-8 CSV, trimming names and values and giving null for empty values', async () => {
    const path = await file('.csv', ' ho_ten , so_dinh_danh ,ghi_chu\n  Lê Văn Tám , 001090000003 ,\n');
    const read = await readPersonFile(path);
    expect(read).toMatchObject({ encoding: 'utf-8', converted: false, format: 'csv', header: ['ho_ten', 'so_dinh_danh', 'ghi_chu'] });
    expect(await rowsOf(path)).toEqual([{ rowNumber: 1, record: { ho_ten: 'Lê Văn Tám', so_dinh_danh: '001090000003', ghi_chu: null } }]);
  });

  it('normalises decomposed (NFD) UTF-8 to NFC', async () => {
    const rows = await rowsOf(await file('.csv', csv.normalize('NFD')));
    expect(rows).toEqual(expected);
  });

  it('strips a UTF-8 BOM from the first column name', async () => {
    const path = await file('.csv', Uint8Array.of(0xef, 0xbb, 0xbf, ...new TextEncoder().encode(csv)));
    expect((await readPersonFile(path)).encoding).toBe('utf-8-bom');
    expect(await rowsOf(path)).toEqual(expected);
  });

  it('reads UTF-16 with a BOM', async () => {
    const path = await file('.csv', utf16le(csv.replaceAll('\n', '\r\n')));
    expect((await readPersonFile(path)).encoding).toBe('utf-16le');
    expect(await rowsOf(path)).toEqual(expected);
  });

  it('converts a TCVN3 file that is not valid UTF-8', async () => {
    const path = await file('.csv', tcvn3(csv));
    const read = await readPersonFile(path);
    expect(read).toMatchObject({ encoding: 'tcvn3', converted: true });
    expect(await rowsOf(path)).toEqual(expected);
  });

  it('converts a VNI file that is not valid UTF-8', async () => {
    const path = await file('.csv', vni(csv));
    expect(await readPersonFile(path)).toMatchObject({ encoding: 'vni', converted: true });
    expect(await rowsOf(path)).toEqual(expected);
  });

  it('converts a Windows-1258 file (base letter + combining tone)', async () => {
    // "ho_ten\nNguyễn Thị\n": ê is 0xEA, the combining tilde 0xDE, the combining dot below 0xF2.
    const bytes = Uint8Array.of(...new TextEncoder().encode('ho_ten\nNguy'), 0xea, 0xde, ...new TextEncoder().encode('n Thi'), 0xf2, 0x0a);
    const path = await file('.csv', bytes);
    expect(await readPersonFile(path)).toMatchObject({ encoding: 'windows-1258', converted: true });
    expect(await rowsOf(path)).toEqual([{ rowNumber: 1, record: { ho_ten: 'Nguyễn Thị' } }]);
  });

  it('refuses legacy files when conversion is off, naming the encoding', async () => {
    const error = await rejection(readPersonFile(await file('.csv', tcvn3(csv)), { allowLegacy: false }));
    expect(error).toMatchObject({ code: 'FILE_ENCODING_UNSUPPORTED', message: 'The file is in TCVN3 (ABC), not UTF-8' });
    const vniError = await rejection(readPersonFile(await file('.csv', vni(csv)), { allowLegacy: false }));
    expect(vniError).toMatchObject({ code: 'FILE_ENCODING_UNSUPPORTED', message: 'The file is in VNI-Windows, not UTF-8' });
  });

  it('refuses random binary as an unrecognised encoding', async () => {
    let seed = 7;
    const random = Uint8Array.from({ length: 10_000 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff);
    const error = await rejection(readPersonFile(await file('.csv', random)));
    expect(error).toMatchObject({ kind: 'invalid', code: 'FILE_ENCODING_UNSUPPORTED', details: { encoding: 'unknown-8bit' } });
  });

  it('refuses a row past the first 64 KiB whose bytes are not UTF-8, by its line, and reads on', async () => {
    const good = new TextEncoder().encode('ho_ten\n' + 'Nguyễn Văn An\n'.repeat(6000));
    const path = await file('.csv', Buffer.concat([good, tcvn3('Trần\n'), new TextEncoder().encode('Lê Văn Bình\n')]));
    const rows = await rowsOf(path);
    expect(rows).toHaveLength(6002);
    expect(rows[6000]).toEqual({ rowNumber: 6001, error: { code: 'ROW_ENCODING_INVALID', message: expect.stringContaining('(line 6002)') as string } });
    expect(rows[6001]).toEqual({ rowNumber: 6002, record: { ho_ten: 'Lê Văn Bình' } });
  });
});

describe('readPersonFile: CSV rows', () => {
  it('reports malformed rows in the middle with their row numbers and keeps the good rows', async () => {
    const content = [
      'ho_ten,so_dinh_danh',
      'An,001',
      'Bình,002,extra', // row 2: too many fields
      '"Chi,003', // row 3: a quote that never closes
      'Dung,004',
      'Em,"005"x', // row 5: text after a closing quote
      'Giang', // row 6: too few fields
      '"Hà, Nội",006',
      'Lan "Bé",008', // row 8: a quote inside an unquoted field
      '',
      'Khánh,007',
    ].join('\n');
    const rows = await rowsOf(await file('.csv', content));
    expect(rows.map((row) => ('error' in row ? `${row.rowNumber}:${row.error.code}` : `${row.rowNumber}:${String(row.record.ho_ten)}`))).toEqual([
      '1:An',
      '2:CSV_ROW_MALFORMED',
      '3:CSV_ROW_MALFORMED',
      '4:Dung',
      '5:CSV_ROW_MALFORMED',
      '6:CSV_ROW_MALFORMED',
      '7:Hà, Nội',
      '8:CSV_ROW_MALFORMED',
      '9:Khánh',
    ]);
    const errors = rows.flatMap((row) => ('error' in row ? [row.error.message] : []));
    expect(errors).toEqual([
      'the row has 3 fields but the header has 2 (line 3)',
      'a quoted field is not closed (line 4)',
      'a closing quote is followed by other characters (line 6)',
      'the row has 1 field but the header has 2 (line 7)',
      'a quote inside an unquoted field; put the whole field in quotes and double the quote (line 9)',
    ]);
    for (const message of errors) expect(message).not.toMatch(/Bình|Chi|Em|Giang|Lan|00\d/u);
  });

  it('reports an unclosed quote on the last line without losing earlier rows', async () => {
    const rows = await rowsOf(await file('.csv', 'a,b\n1,2\n3,"4\n'));
    expect(rows).toEqual([
      { rowNumber: 1, record: { a: '1', b: '2' } },
      { rowNumber: 2, error: { code: 'CSV_ROW_MALFORMED', message: 'a quoted field is not closed (line 3)' } },
    ]);
  });

  it('reports a row longer than 1 MiB and reads on', async () => {
    const rows = await rowsOf(await file('.csv', `a,b\n1,2\n${'x'.repeat(1_100_000)},y\n3,4\n`));
    expect(summary(rows)).toEqual(['1: {"a":"1","b":"2"}', '2: CSV_ROW_MALFORMED the row is longer than 1 MiB (line 3)', '3: {"a":"3","b":"4"}']);
  });

  it('keeps quoted fields with delimiters, quotes and line breaks, and CRLF line ends', async () => {
    const rows = await rowsOf(await file('.csv', 'ten,dia_chi\r\n"Phạm ""Bé"" Ba","Số 1,\r\nngõ 2"\r\nLý,Huế\r\n'));
    expect(rows).toEqual([
      { rowNumber: 1, record: { ten: 'Phạm "Bé" Ba', dia_chi: 'Số 1,\r\nngõ 2' } },
      { rowNumber: 2, record: { ten: 'Lý', dia_chi: 'Huế' } },
    ]);
  });

  it('reads CR-only and mixed line ends, in any chunking, with the right line numbers', async () => {
    const content = 'ten,dia_chi\r"Phạm","Số 1,\rngõ 2"\rLý,Huế\r\nBa,"x"y\nChi,Vinh\r';
    for (const chunkSize of [1, 2, 3, 65_536]) {
      expect(summary(await rowsOf(await file('.csv', content), { chunkSize }))).toEqual([
        '1: {"ten":"Phạm","dia_chi":"Số 1,\\rngõ 2"}',
        '2: {"ten":"Lý","dia_chi":"Huế"}',
        '3: CSV_ROW_MALFORMED a closing quote is followed by other characters (line 5)',
        '4: {"ten":"Chi","dia_chi":"Vinh"}',
      ]);
    }
  });

  it('skips blank lines and rows of empty fields without counting them', async () => {
    const rows = await rowsOf(await file('.csv', '\n\nten,tuoi\n\n,\nAn,30\n   \nBa,40\n'));
    expect(rows).toEqual([
      { rowNumber: 1, record: { ten: 'An', tuoi: '30' } },
      { rowNumber: 2, record: { ten: 'Ba', tuoi: '40' } },
    ]);
  });

  it('finds a semicolon or tab delimiter from the header', async () => {
    expect(await rowsOf(await file('.csv', 'ten;noi_sinh\nAn;Hà Nội, Việt Nam\n'))).toEqual([{ rowNumber: 1, record: { ten: 'An', noi_sinh: 'Hà Nội, Việt Nam' } }]);
    expect(await rowsOf(await file('.csv', 'ten\tnoi_sinh\nAn\tHuế\n'))).toEqual([{ rowNumber: 1, record: { ten: 'An', noi_sinh: 'Huế' } }]);
  });

  it('gives no rows for an empty file or a header alone', async () => {
    expect(await rowsOf(await file('.csv', ''))).toEqual([]);
    const headerOnly = await file('.csv', 'ho_ten,so_dinh_danh\n');
    expect((await readPersonFile(headerOnly)).header).toEqual(['ho_ten', 'so_dinh_danh']);
    expect(await rowsOf(headerOnly)).toEqual([]);
  });

  it('refuses a file whose first row is data, not a header', async () => {
    const error = await rejection(readPersonFile(await file('.csv', 'Nguyễn Văn An,001090000001,1990-01-02\n')));
    expect(error).toMatchObject({ kind: 'invalid', code: 'FILE_HEADER_MISSING' });
    expect(await rejection(readPersonFile(await file('.csv', '"unclosed header\n')))).toMatchObject({ code: 'FILE_HEADER_MISSING' });
  });

  it('refuses a header with an empty or repeated column name', async () => {
    expect(await rejection(readPersonFile(await file('.csv', 'ten,,tuoi\nAn,x,1\n')))).toMatchObject({ code: 'FILE_HEADER_INVALID' });
    expect(await rejection(readPersonFile(await file('.csv', 'ten,tuoi,ten\nAn,1,Ba\n')))).toMatchObject({
      code: 'FILE_HEADER_INVALID',
      message: 'Columns 1 and 3 of the header row have the same name',
    });
  });
});

describe('readPersonFile: NDJSON rows', () => {
  it('coerces values, skips blank lines and reports bad lines with row and line numbers', async () => {
    const content = [
      '{"ho_ten":"Nguyễn An","tuoi":30,"song":true,"ghi_chu":null,"dia_chi":{"tinh":"Huế"}}',
      '',
      '{"ho_ten": "Trần Bình"', // row 2: not JSON
      '[1,2]', // row 3: not an object
      '{"ho_ten":"Lê Chi"}',
    ].join('\r\n');
    const path = await file('.ndjson', content);
    expect(await readPersonFile(path)).toMatchObject({ format: 'ndjson', header: null, encoding: 'utf-8' });
    expect(await rowsOf(path)).toEqual([
      { rowNumber: 1, record: { ho_ten: 'Nguyễn An', tuoi: '30', song: 'true', ghi_chu: null, dia_chi: '{"tinh":"Huế"}' } },
      { rowNumber: 2, error: { code: 'NDJSON_LINE_MALFORMED', message: 'the line is not valid JSON (line 3)' } },
      { rowNumber: 3, error: { code: 'NDJSON_LINE_MALFORMED', message: 'the line is not a JSON object (line 4)' } },
      { rowNumber: 4, record: { ho_ten: 'Lê Chi' } },
    ]);
  });

  it('takes .jsonl as NDJSON, normalises escaped NFD text, and reads legacy-encoded NDJSON', async () => {
    expect(await rowsOf(await file('.jsonl', '{"ten":"Vie\\u0302\\u0323t"}\n'))).toEqual([{ rowNumber: 1, record: { ten: 'Việt' } }]);
    const path = await file('.ndjson', vni('{"ho_ten":"Nguyễn Thị Bích","que":"Đồng Tháp"}\n'));
    expect(await rowsOf(path)).toEqual([{ rowNumber: 1, record: { ho_ten: 'Nguyễn Thị Bích', que: 'Đồng Tháp' } }]);
  });

  it('reports a line longer than 1 MiB and reads on', async () => {
    const rows = await rowsOf(await file('.ndjson', `{"a":1}\n{"a":"${'x'.repeat(1_100_000)}"}\n{"a":3}\n`));
    expect(summary(rows)).toEqual(['1: {"a":"1"}', '2: NDJSON_LINE_MALFORMED the line is longer than 1 MiB (line 2)', '3: {"a":"3"}']);
  });

  it('gives no rows for an empty file', async () => {
    expect(await rowsOf(await file('.ndjson', '\n\n'))).toEqual([]);
  });
});

describe('readPersonFile: chunk boundaries', () => {
  const names = ['Nguyễn Thị Hồng Nhung', 'Trần Văn Đức', 'Phạm Ngọc Anh', 'Huỳnh Thị Lựu', 'Đặng Quốc Hưng', 'Võ Thị Ngữ'];
  const rowCount = 4000;
  const bigCsv = ['ho_ten,so_dinh_danh,ghi_chu'];
  for (let index = 0; index < rowCount; index++) {
    const note = index % 97 === 0 ? '"Số 5, ngõ ""Hòa Bình""\nphường Trúc Bạch"' : 'Thường trú';
    bigCsv.push(`${names[index % names.length] ?? ''},${String(index).padStart(12, '0')},${note}`);
  }
  const bigText = bigCsv.join('\n') + '\n';

  function checkBig(rows: readonly FileRow[]): void {
    expect(rows).toHaveLength(rowCount);
    for (const [index, row] of rows.entries()) {
      expect(row.rowNumber).toBe(index + 1);
      if (!('record' in row)) throw new Error(`row ${row.rowNumber}: ${row.error.message}`);
      expect(row.record.ho_ten).toBe(names[index % names.length]);
      expect(row.record.so_dinh_danh).toBe(String(index).padStart(12, '0'));
      expect(row.record.ghi_chu).toBe(index % 97 === 0 ? 'Số 5, ngõ "Hòa Bình"\nphường Trúc Bạch' : 'Thường trú');
    }
  }

  it.each([
    ['utf-8', (text: string) => new TextEncoder().encode(text)],
    ['utf-16le', utf16le],
    ['tcvn3', tcvn3],
    ['vni', vni],
  ] as const)('reads a %s file bigger than one chunk, whatever the chunk size', async (encoding, encode) => {
    const bytes = encode(bigText);
    expect(bytes.length).toBeGreaterThan(2 * 64 * 1024);
    const path = await file('.csv', bytes);
    expect((await readPersonFile(path)).encoding).toBe(encoding);
    checkBig(await rowsOf(path));
    checkBig(await rowsOf(path, { chunkSize: 4099 }));
  });

  it('reads small files one byte at a time in every encoding', async () => {
    for (const encode of [(text: string) => new TextEncoder().encode(text.normalize('NFD')), utf16le, tcvn3, vni]) {
      const path = await file('.csv', encode(csv));
      for (const chunkSize of [1, 2, 3, 5]) expect(await rowsOf(path, { chunkSize })).toEqual(expected);
    }
  });

  it('can stop early and iterate again from the start', async () => {
    const read = await readPersonFile(await file('.csv', bigText));
    for await (const row of read.rows) {
      expect(row.rowNumber).toBe(1);
      break;
    }
    let count = 0;
    for await (const row of read.rows) count += row.rowNumber > 0 ? 1 : 0;
    expect(count).toBe(rowCount);
  });
});

describe('readPersonFile: the file itself', () => {
  it('tells the format from the extension, or refuses', async () => {
    expect(await rejection(readPersonFile(await file('.txt', csv)))).toMatchObject({ code: 'FILE_FORMAT_UNKNOWN' });
    expect(await rowsOf(await file('.txt', csv), { format: 'csv' })).toEqual(expected);
  });

  it('says when the file is missing', async () => {
    expect(await rejection(readPersonFile(join(dir, 'missing.csv')))).toMatchObject({ kind: 'not_found', code: 'FILE_NOT_FOUND' });
    expect(await rejection(readPersonFile(dir, { format: 'csv' }))).toMatchObject({ code: 'FILE_NOT_READABLE' });
  });
});
