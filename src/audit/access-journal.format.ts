import { crc32 } from 'node:zlib';

/**
 * The access journal's on-disk form (access-journal.ts writes it, access-journal.folder.ts reads
 * it). A segment file is a run of frames, one a write: an 8-byte header (payload length, then the
 * CRC-32 of the payload, both unsigned 32-bit little-endian) and the payload, UTF-8 lines of three
 * kinds:
 * - a record: `<person id>\t<deferred-until date or empty>\t<leaf>\n`;
 * - a leaf template, defined for the rest of its frame: `#<k>\t<part 0>\t<part 1>\t<part 2>\t<part 3>\n`;
 * - a record from template k, public (no deferral): `@<k>\t<person id>\t<time>\t<request id>\n`,
 *   whose leaf is part 0 ‖ time ‖ part 1 ‖ person id ‖ part 2 ‖ request id ‖ part 3.
 * A leaf is canonical JSON, which has no raw tab or newline, so the lines need no escaping. An
 * official's read sends the template's bytes, written once a frame, and three short ASCII values a
 * person: the request thread neither builds the 750-character leaf nor encodes it.
 *
 * A frame whose header or payload is cut short, or whose CRC does not match, ends what is read of
 * a segment: only the last write of a process that died can be torn, and that write was never
 * acknowledged.
 */

/** A journaled record: the columns the tree's batch writes, less the leaf hash (hashed when folded). */
export interface JournaledRecord {
  readonly person_id: string;
  readonly deferred_until: string | null;
  readonly leaf: string;
}

export const frameHeaderBytes = 8;
/** Larger frames are refused when read (a torn length could claim gigabytes). */
export const maxFrameBytes = 64 * 1024 * 1024;

/** One record's line. */
export function journalLine(record: JournaledRecord): string {
  return `${record.person_id}\t${record.deferred_until ?? ''}\t${record.leaf}\n`;
}

/** A frame around `payload`. */
export function encodeFrame(payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(frameHeaderBytes + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(crc32(payload), 4);
  payload.copy(frame, frameHeaderBytes);
  return frame;
}

/**
 * A canonical leaf cut around its three variable parts (the time, the person's ID number, the
 * request id), as the officials' read recorder keeps one per kind of read. `line` is what follows
 * `#<k>\t` in the journal: the four parts' UTF-8 bytes, tab-separated, with the line's end.
 */
export interface LeafTemplate {
  readonly parts: readonly [string, string, string, string];
  readonly line: Buffer;
}

/** Makes a template of four parts; undefined when a part holds a tab or a line end (no canonical leaf does). */
export function leafTemplate(parts: readonly [string, string, string, string]): LeafTemplate | undefined {
  if (parts.some((p) => p.includes('\t') || p.includes('\n'))) return undefined;
  return { parts, line: Buffer.from(`${parts.join('\t')}\n`, 'utf8') };
}

/**
 * The public records of one read from a template: one a person, all with the same time and
 * request id. The time, the ID numbers and the request id are ASCII without tab, quote or
 * backslash (the recorder checks them), so they go into the leaf and the journal as they are.
 */
export interface TemplatedLeaves {
  readonly template: LeafTemplate;
  readonly at: string;
  readonly requestId: string;
  /** Distinct, in the order read. */
  readonly personIds: readonly string[];
}

/** The journaled records of templated leaves, with their leaves as text (the log without a journal, tests). */
export function templatedRecords(leaves: TemplatedLeaves): JournaledRecord[] {
  const [beforeAt, beforePerson, beforeRequest, rest] = leaves.template.parts;
  const head = beforeAt + leaves.at + beforePerson;
  const tail = beforeRequest + leaves.requestId + rest;
  return leaves.personIds.map((personId) => ({ person_id: personId, deferred_until: null, leaf: head + personId + tail }));
}

/** What a journal write holds: whole lines, or the records of a read from a template. */
export type JournalEntry = string | TemplatedLeaves;

/** The most bytes the frame of `entries` can take: UTF-8 spends at most 3 bytes on a UTF-16 code unit. */
export function frameBytesAtMost(entries: readonly JournalEntry[]): number {
  let bytes = frameHeaderBytes;
  for (const entry of entries) {
    if (typeof entry === 'string') bytes += 3 * entry.length;
    // A definition (the frame's k in at most 10 digits) and a line a person.
    else bytes += 12 + entry.template.line.length + entry.personIds.length * (16 + entry.at.length + 12 + entry.requestId.length);
  }
  return bytes;
}

/**
 * Writes the frame of `entries` into `into` from its start, without building the payload and the
 * frame as buffers of their own; returns the frame's length. `into` holds at least
 * frameBytesAtMost(entries) bytes. Each template is defined once, before the first read that
 * uses it: a frame reads alone. Lines only, it is the same frame as encodeFrame's.
 */
export function encodeFrameInto(into: Buffer, entries: readonly JournalEntry[]): number {
  let at = frameHeaderBytes;
  let defined: Map<LeafTemplate, string> | undefined;
  for (const entry of entries) {
    if (typeof entry === 'string') {
      at += into.write(entry, at, 'utf8');
      continue;
    }
    defined ??= new Map();
    let k = defined.get(entry.template);
    if (k === undefined) {
      k = String(defined.size);
      defined.set(entry.template, k);
      at += into.write(`#${k}\t`, at, 'latin1');
      at += entry.template.line.copy(into, at);
    }
    const tail = `\t${entry.at}\t${entry.requestId}\n`;
    for (const personId of entry.personIds) at += into.write(`@${k}\t${personId}${tail}`, at, 'latin1');
  }
  const length = at - frameHeaderBytes;
  into.writeUInt32LE(length, 0);
  into.writeUInt32LE(crc32(into.subarray(frameHeaderBytes, at)), 4);
  return at;
}

/** The frames read from `bytes` (which starts at a frame): their payloads and the offset after the last whole one. */
export function decodeFrames(bytes: Buffer): { readonly payloads: readonly Buffer[]; readonly consumed: number; readonly torn: boolean } {
  const payloads: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < frameHeaderBytes) return { payloads, consumed: at, torn: true };
    const length = bytes.readUInt32LE(at);
    const sum = bytes.readUInt32LE(at + 4);
    if (length > maxFrameBytes || bytes.length - at - frameHeaderBytes < length) return { payloads, consumed: at, torn: true };
    const payload = bytes.subarray(at + frameHeaderBytes, at + frameHeaderBytes + length);
    if (crc32(payload) !== sum) return { payloads, consumed: at, torn: true };
    payloads.push(payload);
    at += frameHeaderBytes + length;
  }
  return { payloads, consumed: at, torn: false };
}

/** A journaled record as the fold takes it: the leaf as its UTF-8 bytes, with the leaf hash's input beside it. */
export interface JournaledRecordBytes {
  readonly person_id: string;
  readonly deferred_until: string | null;
  /** The leaf's UTF-8 bytes (a view into the payload). */
  readonly leaf: Buffer;
  /** 0x00 ‖ the leaf's bytes (the same view, one byte earlier): RFC 6962's leaf hash input. */
  readonly prefixedLeaf: Buffer;
}

const tab = 0x09;
const newline = 0x0a;

const templateMark = 0x23; // '#'
const templatedMark = 0x40; // '@'

/** The tab positions of the line [start, end): exactly `count` of them, else undefined. */
function tabsOf(payload: Buffer, start: number, end: number, count: number): number[] | undefined {
  const tabs: number[] = [];
  for (let at = payload.indexOf(tab, start); at >= 0 && at < end; at = payload.indexOf(tab, at + 1)) tabs.push(at);
  return tabs.length === count ? tabs : undefined;
}

/**
 * The records of a frame's payload without decoding the leaves to strings: the fold hashes and
 * stores their bytes as written (decoding 600-byte leaves and encoding them again for SQLite and
 * for SHA-256 cost more than the insert itself). The tab before each leaf is overwritten with
 * 0x00, the leaf hash's prefix, so `payload` is changed; a record from a template gets its leaf
 * assembled in a buffer of its own. Throws on a line that is none of the journal's, and on a
 * record from a template its frame has not defined.
 */
export function payloadRecordBytes(payload: Buffer): JournaledRecordBytes[] {
  const records: JournaledRecordBytes[] = [];
  const templates: Buffer[][] = [];
  let start = 0;
  while (start < payload.length) {
    const end = payload.indexOf(newline, start);
    if (end < 0) throw new Error('an access journal line is not a record');
    if (payload[start] === templateMark) {
      const tabs = tabsOf(payload, start, end, 4);
      const k = tabs === undefined ? '' : payload.toString('latin1', start + 1, tabs[0]);
      if (tabs === undefined || k !== String(templates.length)) throw new Error('an access journal line is not a leaf template');
      const [t0, t1, t2, t3] = tabs as [number, number, number, number];
      templates.push([payload.subarray(t0 + 1, t1), payload.subarray(t1 + 1, t2), payload.subarray(t2 + 1, t3), payload.subarray(t3 + 1, end)]);
      start = end + 1;
      continue;
    }
    if (payload[start] === templatedMark) {
      const tabs = tabsOf(payload, start, end, 3);
      const k = tabs === undefined ? '' : payload.toString('latin1', start + 1, tabs[0]);
      const parts = /^\d{1,10}$/.test(k) ? templates[Number(k)] : undefined;
      if (tabs === undefined || parts === undefined) throw new Error('an access journal line is not a record of a leaf template');
      const [t0, t1, t2] = tabs as [number, number, number];
      const [p0, p1, p2, p3] = parts as [Buffer, Buffer, Buffer, Buffer];
      // part 0 ‖ time ‖ part 1 ‖ person id ‖ part 2 ‖ request id ‖ part 3, after the leaf hash's 0x00.
      const pieces = [p0, payload.subarray(t1 + 1, t2), p1, payload.subarray(t0 + 1, t1), p2, payload.subarray(t2 + 1, end), p3];
      let length = 1;
      for (const piece of pieces) length += piece.length;
      const prefixed = Buffer.allocUnsafe(length);
      prefixed[0] = 0x00;
      let at = 1;
      for (const piece of pieces) at += piece.copy(prefixed, at);
      records.push({ person_id: payload.toString('latin1', t0 + 1, t1), deferred_until: null, leaf: prefixed.subarray(1), prefixedLeaf: prefixed });
      start = end + 1;
      continue;
    }
    const tab1 = payload.indexOf(tab, start);
    const tab2 = tab1 < 0 ? -1 : payload.indexOf(tab, tab1 + 1);
    if (tab1 < 0 || tab2 < 0 || tab2 > end) throw new Error('an access journal line is not a record');
    payload[tab2] = 0x00;
    records.push({
      person_id: payload.toString('utf8', start, tab1),
      deferred_until: tab2 === tab1 + 1 ? null : payload.toString('utf8', tab1 + 1, tab2),
      leaf: payload.subarray(tab2 + 1, end),
      prefixedLeaf: payload.subarray(tab2, end),
    });
    start = end + 1;
  }
  return records;
}

/** The records of a frame's payload with their leaves as text (payloadRecordBytes on a copy: `payload` is left as it is). */
export function payloadRecords(payload: Buffer): JournaledRecord[] {
  return payloadRecordBytes(Buffer.from(payload)).map((r) => ({ person_id: r.person_id, deferred_until: r.deferred_until, leaf: r.leaf.toString('utf8') }));
}

/** The journal's folder beside the access log's SQLite file. */
export function journalDirOf(logFile: string): string {
  return `${logFile}.journal.d`;
}

/** `<started ms>-<pid>-<n>.seg`: names sort in the order segments were begun by one process. */
const segmentPattern = /^(\d{13})-(\d+)-(\d{6})\.seg$/;

export function segmentName(startedMs: number, pid: number, n: number): string {
  return `${String(startedMs).padStart(13, '0')}-${pid}-${String(n).padStart(6, '0')}.seg`;
}

/** The process that wrote a segment, or undefined when the name is not a segment's. */
export function segmentWriterPid(name: string): number | undefined {
  const m = segmentPattern.exec(name);
  return m === null ? undefined : Number(m[2]);
}
