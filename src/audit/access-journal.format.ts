import { crc32 } from 'node:zlib';

/**
 * The access journal's on-disk form (access-journal.ts writes it, access-journal.folder.ts reads
 * it). A segment file is a run of frames, one a write: an 8-byte header (payload length, then the
 * CRC-32 of the payload, both unsigned 32-bit little-endian) and the payload, UTF-8 lines of
 * `<person id>\t<deferred-until date or empty>\t<leaf>\n`. A leaf is canonical JSON, which has no
 * raw tab or newline, so the lines need no escaping.
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

/** The most bytes the frame of `lines` can take: UTF-8 spends at most 3 bytes on a UTF-16 code unit. */
export function frameBytesAtMost(lines: readonly string[]): number {
  let units = 0;
  for (const line of lines) units += line.length;
  return frameHeaderBytes + 3 * units;
}

/**
 * Writes the frame of `lines` (their UTF-8 bytes, one after another) into `into` from its start,
 * without building the payload and the frame as buffers of their own; returns the frame's length.
 * `into` holds at least frameBytesAtMost(lines) bytes. The same frame as encodeFrame's.
 */
export function encodeFrameInto(into: Buffer, lines: readonly string[]): number {
  let at = frameHeaderBytes;
  for (const line of lines) at += into.write(line, at, 'utf8');
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

/**
 * The records of a frame's payload without decoding the leaves to strings: the fold hashes and
 * stores their bytes as written (decoding 600-byte leaves and encoding them again for SQLite and
 * for SHA-256 cost more than the insert itself). The tab before each leaf is overwritten with
 * 0x00, the leaf hash's prefix, so `payload` is changed. Throws on a line that is not a record's.
 */
export function payloadRecordBytes(payload: Buffer): JournaledRecordBytes[] {
  const records: JournaledRecordBytes[] = [];
  let start = 0;
  while (start < payload.length) {
    const end = payload.indexOf(newline, start);
    const tab1 = payload.indexOf(tab, start);
    const tab2 = tab1 < 0 ? -1 : payload.indexOf(tab, tab1 + 1);
    if (end < 0 || tab1 < 0 || tab2 < 0 || tab2 > end) throw new Error('an access journal line is not a record');
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
