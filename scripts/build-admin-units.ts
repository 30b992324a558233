/**
 * Builds the compact administrative-unit tables in assets/admin-units/ from the official
 * tables in ../shared/data/admin-units (see SOURCE.md there), so that the runtime never
 * reads ../shared.
 *
 * The official tables disagree with each other in a few known places (a conversion table
 * newer than the 2021 catalog, three wrong old codes in the conversion). Each known
 * disagreement is listed below and checked; anything else fails the build.
 *
 * @example
 * npx tsx scripts/build-admin-units.ts            # reads ../shared/data/admin-units
 * npx tsx scripts/build-admin-units.ts --source /path/to/tables --out /tmp/admin-units
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { foldName, normaliseName } from '../src/shared/vietnamese-text.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
function argument(flag: string): string | undefined {
  const index = process.argv.indexOf(flag);
  return index > 0 ? process.argv[index + 1] : undefined;
}
const sourceDir = resolve(argument('--source') ?? resolve(repoRoot, '../shared/data/admin-units'));
const outDir = resolve(argument('--out') ?? resolve(repoRoot, 'assets/admin-units'));

/** Row counts of the official tables as published; a different count means different data. */
const expected = {
  catalog2021Rows: 10_056,
  provinces2021: 63,
  districts2021: 696,
  communeLessDistricts2021: 5,
  catalog2025Rows: 3_321,
  provinces2025: 34,
  conversionRows: 10_571,
} as const;

/**
 * Wrong old codes in the conversion table: the row names the old commune correctly but gives
 * the code of a neighbour. Each fix is checked against the 2021 catalog's names.
 */
const conversionErrata: readonly { newCode: string; oldName: string; wrongCode: string; rightCode: string }[] = [
  { newCode: '00562', oldName: 'Xã Đặng Xá', wrongCode: '00553', rightCode: '00556' },
  { newCode: '01648', oldName: 'Xã Mỹ Hưng', wrongCode: '01615', rightCode: '01651' },
  { newCode: '02494', oldName: 'Xã Phú Thịnh', wrongCode: '02485', rightCode: '02482' },
];

/**
 * Communes in force on 30 June 2025 that the 2021 catalog does not list: formed in the
 * 2023–2025 reorganisations, named only by the conversion table.
 */
const formedAfterCatalog: readonly string[] = [
  '03980', '03983', '03984', '26929', '26953', '27076', '27226', '27232', '27367', '27373',
];

/**
 * Communes of the 2021 catalog that the conversion does not list: they ended in the
 * 2023–2025 reorganisations, before 1 July 2025, at dates these tables do not give.
 */
const endedBeforeReform: readonly string[] = [
  '03751', '03898', '03913', '03988', '03991', '04003', '04060', '07693', '07732', '07744', '16387', '16411', '18448',
  '20176', '20674', '25102', '25174', '25177', '25186', '26935', '26959', '27067', '27217', '27223', '27361', '27379',
];

class BuildError extends Error {}

function fail(message: string): never {
  throw new BuildError(message);
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) fail(message);
}

function readCsv(file: string): string[][] {
  const text = readFileSync(resolve(sourceDir, file), 'utf8');
  let rows: unknown;
  try {
    rows = parse(text, { bom: true, relaxColumnCount: false, skipEmptyLines: true });
  } catch (error) {
    fail(`${file} cannot be parsed: ${error instanceof Error ? error.message : String(error)}`);
  }
  check(Array.isArray(rows) && rows.every((row) => Array.isArray(row)), `${file} is not a table`);
  return rows as string[][];
}

function field(row: readonly string[], index: number): string {
  return normaliseName(row[index] ?? '');
}

/** The 2-or-3-digit code in a label such as "Quận Ba Đình (001)". */
function codeInLabel(label: string): string {
  const match = /\((\d{2,3})\)\s*$/.exec(label);
  return match?.[1] ?? fail(`no code in the label "${label}"`);
}

type Level = 'x' | 'p' | 't' | 'd' | 'h';

function levelOf(word: string): Level {
  switch (foldName(word)) {
    case 'xa': return 'x';
    case 'phuong': return 'p';
    case 'thi tran': return 't';
    case 'dac khu': return 'd';
    case 'huyen': return 'h';
    default: return fail(`unknown unit level "${word}"`);
  }
}

function levelFromName(name: string): Level {
  const prefix = /^(Xã|Phường|Thị trấn|Đặc khu)\s/i.exec(name);
  return levelOf(prefix?.[1] ?? fail(`cannot tell the level of "${name}"`));
}

function provinceType(nameOrType: string): 'tinh' | 'tptw' {
  const folded = foldName(nameOrType);
  if (folded.startsWith('tinh')) return 'tinh';
  if (folded.startsWith('thanh pho')) return 'tptw';
  return fail(`unknown province type "${nameOrType}"`);
}

function noTabs(value: string): string {
  check(!/[\t\n\r]/.test(value), `a tab or line break in "${value}"`);
  return value;
}

function tsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [header, ...rows].map((row) => row.map(noTabs).join('\t')).join('\n') + '\n';
}

interface OldCommune { code: string; districtCode: string; level: Level; caveat: '' | 'L' | 'E'; name: string }
interface NewCommune { code: string; provinceCode: string; level: Level; name: string }

function build(): void {
  // --- the 2021 catalog: 63 provinces, districts, communes (and 5 island districts without communes)
  const catalog2021 = readCsv('communes-2021-catalog.csv').slice(1);
  check(catalog2021.length === expected.catalog2021Rows, `2021 catalog: ${catalog2021.length} rows, expected ${expected.catalog2021Rows}`);
  const provinces2021 = new Map<string, string>();
  const districts = new Map<string, { provinceCode: string; name: string }>();
  const oldCommunes = new Map<string, OldCommune>();
  for (const row of catalog2021) {
    const [provinceName, provinceCode, districtName, districtCode, communeName, communeCode, level] =
      [0, 1, 2, 3, 4, 5, 6].map((i) => field(row, i)) as [string, string, string, string, string, string, string];
    check(/^\d{2}$/.test(provinceCode) && /^\d{3}$/.test(districtCode), `2021 catalog: bad codes in ${row.join(',')}`);
    const knownProvince = provinces2021.get(provinceCode);
    check(knownProvince === undefined || knownProvince === provinceName, `2021 catalog: province ${provinceCode} has two names`);
    provinces2021.set(provinceCode, provinceName);
    const knownDistrict = districts.get(districtCode);
    check(knownDistrict === undefined || (knownDistrict.provinceCode === provinceCode && knownDistrict.name === districtName),
      `2021 catalog: district ${districtCode} is not consistent`);
    districts.set(districtCode, { provinceCode, name: districtName });
    if (communeCode === '') {
      // An island district without communes: its residents' lowest unit is the district itself.
      check(levelOf(level) === 'h' && communeName === '', `2021 catalog: a row without a commune code: ${row.join(',')}`);
      oldCommunes.set(districtCode, { code: districtCode, districtCode, level: 'h', caveat: '', name: districtName });
      continue;
    }
    check(/^\d{5}$/.test(communeCode), `2021 catalog: bad commune code "${communeCode}"`);
    check(!oldCommunes.has(communeCode), `2021 catalog: commune code ${communeCode} twice`);
    oldCommunes.set(communeCode, { code: communeCode, districtCode, level: levelOf(level), caveat: '', name: communeName });
  }
  check(provinces2021.size === expected.provinces2021, `2021 catalog: ${provinces2021.size} provinces`);
  check(districts.size === expected.districts2021, `2021 catalog: ${districts.size} districts`);
  const islandDistricts = [...oldCommunes.values()].filter((c) => c.level === 'h').length;
  check(islandDistricts === expected.communeLessDistricts2021, `2021 catalog: ${islandDistricts} districts without communes`);

  // --- the 2025 catalog: 34 provinces, 3,321 communes, no districts
  const catalog2025 = readCsv('communes-2025-catalog.csv').slice(1);
  check(catalog2025.length === expected.catalog2025Rows, `2025 catalog: ${catalog2025.length} rows, expected ${expected.catalog2025Rows}`);
  const provinces2025 = new Map<string, { name: string; type: 'tinh' | 'tptw' }>();
  const newCommunes = new Map<string, NewCommune>();
  for (const row of catalog2025) {
    const [provinceCode, provinceName, typeName, communeCode, communeName, communeType] =
      [0, 1, 2, 3, 4, 5].map((i) => field(row, i)) as [string, string, string, string, string, string];
    check(/^\d{2}$/.test(provinceCode) && /^\d{5}$/.test(communeCode), `2025 catalog: bad codes in ${row.join(',')}`);
    const known = provinces2025.get(provinceCode);
    check(known === undefined || known.name === provinceName, `2025 catalog: province ${provinceCode} has two names`);
    provinces2025.set(provinceCode, { name: provinceName, type: provinceType(typeName) });
    check(!newCommunes.has(communeCode), `2025 catalog: commune code ${communeCode} twice`);
    newCommunes.set(communeCode, { code: communeCode, provinceCode, level: levelOf(communeType), name: communeName });
  }
  check(provinces2025.size === expected.provinces2025, `2025 catalog: ${provinces2025.size} provinces`);

  // --- the conversion: two header lines, a title row before each province's block
  const conversionRows = readCsv('communes-2025-conversion.csv').slice(2).filter((row) => field(row, 2) !== '');
  check(conversionRows.length === expected.conversionRows, `conversion: ${conversionRows.length} rows, expected ${expected.conversionRows}`);
  const errataUsed = new Set<number>();
  const links: { oldCode: string; newCode: string; note: string }[] = [];
  for (const row of conversionRows) {
    const newProvince = codeInLabel(field(row, 0));
    const newCode = field(row, 2);
    const oldName = field(row, 3);
    let oldCode = field(row, 4);
    const note = field(row, 5);
    const oldDistrict = codeInLabel(field(row, 6));
    const target = newCommunes.get(newCode) ?? fail(`conversion: new commune ${newCode} is not in the 2025 catalog`);
    check(target.provinceCode === newProvince, `conversion: new commune ${newCode} is in province ${target.provinceCode}, not ${newProvince}`);
    if (oldCode === '') {
      if (/^Sắp xếp toàn bộ huyện/i.test(note)) {
        oldCode = oldDistrict; // an island district became a special zone (đặc khu)
      } else {
        // e.g. "Khu vực bãi bồi ven biển do huyện Kim Sơn quản lý": land, not an administrative unit
        check(!/^(Xã|Phường|Thị trấn)\s/i.test(oldName), `conversion: unit "${oldName}" without a code`);
        console.log(`skipped a conversion row without an old unit: "${oldName}" → ${newCode}`);
        continue;
      }
    }
    const erratum = conversionErrata.findIndex((e) => e.newCode === newCode && e.wrongCode === oldCode && foldName(e.oldName) === foldName(oldName));
    if (erratum >= 0) {
      check(!errataUsed.has(erratum), `conversion: erratum ${erratum} matches twice`);
      errataUsed.add(erratum);
      oldCode = conversionErrata[erratum]?.rightCode ?? oldCode;
      check(foldName(oldCommunes.get(oldCode)?.name ?? '') === foldName(oldName), `conversion: erratum for ${oldName} does not match the catalog`);
    }
    let old = oldCommunes.get(oldCode);
    if (old === undefined) {
      check(formedAfterCatalog.includes(oldCode), `conversion: old unit ${oldCode} "${oldName}" is neither in the 2021 catalog nor a known later unit`);
      check(districts.has(oldDistrict), `conversion: old district ${oldDistrict} of ${oldCode} is unknown`);
      old = { code: oldCode, districtCode: oldDistrict, level: levelFromName(oldName), caveat: 'L', name: oldName };
      oldCommunes.set(oldCode, old);
    }
    check(old.districtCode === oldDistrict, `conversion: old unit ${oldCode} is in district ${old.districtCode}, not ${oldDistrict}`);
    links.push({ oldCode, newCode, note });
  }
  check(errataUsed.size === conversionErrata.length, `conversion: ${conversionErrata.length - errataUsed.size} errata no longer apply`);
  const lateUnits = [...oldCommunes.values()].filter((c) => c.caveat === 'L').length;
  check(lateUnits === formedAfterCatalog.length, `conversion: ${lateUnits} units outside the 2021 catalog, expected ${formedAfterCatalog.length}`);

  // every old unit must be converted, except those known to have ended earlier
  const converted = new Set(links.map((l) => l.oldCode));
  for (const unit of oldCommunes.values()) {
    if (converted.has(unit.code)) continue;
    check(endedBeforeReform.includes(unit.code), `conversion: old unit ${unit.code} "${unit.name}" has no successor`);
    unit.caveat = 'E';
  }
  check(endedBeforeReform.every((code) => oldCommunes.get(code)?.caveat === 'E'), 'conversion: a unit listed as ended early is converted');
  const newCovered = new Set(links.map((l) => l.newCode));
  check(newCovered.size === newCommunes.size, `conversion: ${newCommunes.size - newCovered.size} new communes have no predecessor`);

  // whole or partial: an old unit split across several new ones is a partial merge
  const byOld = new Map<string, { newCode: string; note: string }[]>();
  for (const link of links) {
    const list = byOld.get(link.oldCode) ?? [];
    check(!list.some((l) => l.newCode === link.newCode), `conversion: ${link.oldCode} → ${link.newCode} twice`);
    list.push(link);
    byOld.set(link.oldCode, list);
  }
  const conversion: string[][] = [];
  for (const [oldCode, list] of [...byOld].sort(([a], [b]) => a.localeCompare(b))) {
    if (list.length === 1) {
      const note = foldName(list[0]?.note ?? '');
      check(!note.includes('mot phan') && /toan bo|giu nguyen|doi ten|doi loai hinh/.test(note),
        `conversion: ${oldCode} goes to one unit but the note says "${list[0]?.note ?? ''}"`);
      conversion.push([oldCode, list[0]?.newCode ?? '', 'W']);
      continue;
    }
    const allPopulation = list.filter((l) => foldName(l.note).includes('toan bo dan so'));
    check(allPopulation.length <= 1, `conversion: ${oldCode} sends its whole population to two units`);
    for (const link of list) {
      check(foldName(link.note) !== 'nhap toan bo', `conversion: ${oldCode} is split but "${link.note}" to ${link.newCode}`);
      conversion.push([oldCode, link.newCode, allPopulation.includes(link) ? 'A' : 'P']);
    }
  }
  conversion.sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? '') || (a[1] ?? '').localeCompare(b[1] ?? ''));

  // --- write
  mkdirSync(outDir, { recursive: true });
  const byCode = (a: readonly string[], b: readonly string[]): number => (a[0] ?? '').localeCompare(b[0] ?? '');
  const files: Record<string, string> = {
    'provinces.tsv': tsv(['era', 'code', 'type', 'name'], [
      ...[...provinces2021].map(([code, name]) => ['2021', code, provinceType(name), name]).sort(byCode),
      ...[...provinces2025].map(([code, p]) => ['2025', code, p.type, p.name]).sort(byCode),
    ].sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? '') || (a[1] ?? '').localeCompare(b[1] ?? ''))),
    'districts.tsv': tsv(['code', 'province', 'name'], [...districts].map(([code, d]) => [code, d.provinceCode, d.name]).sort(byCode)),
    'communes-2021.tsv': tsv(['code', 'district', 'level', 'caveat', 'name'],
      [...oldCommunes.values()].map((c) => [c.code, c.districtCode, c.level, c.caveat, c.name]).sort(byCode)),
    'communes-2025.tsv': tsv(['code', 'province', 'level', 'name'],
      [...newCommunes.values()].map((c) => [c.code, c.provinceCode, c.level, c.name]).sort(byCode)),
    'conversion.tsv': tsv(['old', 'new', 'merge'], conversion),
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(resolve(outDir, name), text);
  const partial = new Set(conversion.filter((r) => r[2] !== 'W').map((r) => r[0])).size;
  console.log(
    `admin units: ${provinces2021.size} + ${provinces2025.size} provinces, ${districts.size} districts, ` +
    `${oldCommunes.size} pre-2025 units (${formedAfterCatalog.length} later than the 2021 catalog, ${endedBeforeReform.length} ended early), ` +
    `${newCommunes.size} communes from 2025-07-01, ${conversion.length} conversion links (${partial} old units split) → ${outDir}`,
  );
}

try {
  build();
} catch (error) {
  if (!(error instanceof BuildError)) throw error;
  console.error(`build-admin-units failed: ${error.message}`);
  process.exitCode = 1;
}
