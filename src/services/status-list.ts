import { deflateSync, inflateSync } from 'node:zlib';

/**
 * The IETF Token Status List (draft-ietf-oauth-status-list): one bit per document (1 = revoked),
 * index i in byte floor(i / 8) at bit i % 8 counted from the least significant bit, the bytes
 * compressed with DEFLATE in the ZLIB format and base64url-encoded (`lst`).
 */

/** Documents per list: 16 KiB of bits before compression (the draft's herd-privacy advice asks for large lists). */
export const statusListSize = 131_072;

/** Which list and which index a document's seq falls on. */
export function statusPosition(seq: number): { readonly listId: number; readonly idx: number } {
  return { listId: Math.floor(seq / statusListSize), idx: seq % statusListSize };
}

/** The compressed `lst` of a list whose set indices are given. */
export function encodeStatusBits(setIndices: Iterable<number>, size = statusListSize): string {
  const bytes = new Uint8Array(Math.ceil(size / 8));
  for (const i of setIndices) {
    if (!Number.isInteger(i) || i < 0 || i >= size) throw new RangeError(`status index ${String(i)} outside the list`);
    bytes[i >> 3] = (bytes[i >> 3] ?? 0) | (1 << (i & 7));
  }
  return deflateSync(bytes, { level: 9 }).toString('base64url');
}

/** The bit at `idx` of a compressed `lst` (1 bit per status). */
export function statusBitAt(lst: string, idx: number): number {
  const bytes = inflateSync(Buffer.from(lst, 'base64url'));
  const byte = bytes[idx >> 3];
  if (byte === undefined) throw new RangeError('status index outside the list');
  return (byte >> (idx & 7)) & 1;
}
