import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { formatCheckpoint, generateSignerKey, parseSignerKey } from '../audit/checkpoint-note.js';
import { inclusionProof, leafHash, nodeHash, rootAt, type NodeReader } from '../audit/merkle-tree.js';
import { portalTrackerScript } from './tracker-proof.script.js';

/**
 * The portal's proof-checking script, run under Node's WebCrypto, against the server's own Merkle
 * tree and signed notes (src/audit): what the server proves, the script accepts; a changed byte,
 * index, leaf, note or key, it refuses.
 */

interface Checks {
  leafHash(leaf: string): Promise<Uint8Array>;
  verifyInclusion(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): Promise<boolean>;
  openCheckpoint(note: string, key: string): Promise<{ treeSize: number; root: Uint8Array }>;
  checkEntry(entry: unknown, shown: { at: string; service: string }, checkpoint: { treeSize: number; root: Uint8Array }): Promise<boolean>;
}

function loadScript(crypto: unknown = globalThis.crypto): Checks {
  const sandbox: { globalThis?: unknown; sachsongTrackerProof?: Checks } = {};
  const context = { crypto, TextEncoder, atob, btoa, Uint8Array, sachsongTrackerProof: undefined as Checks | undefined };
  runInNewContext(portalTrackerScript, Object.assign(sandbox, context));
  const checks = (sandbox as { sachsongTrackerProof?: Checks }).sachsongTrackerProof;
  if (checks === undefined) throw new Error('the script exposed no checks');
  return checks;
}

function treeOf(leaves: readonly string[]): NodeReader {
  const hashes = leaves.map((l) => leafHash(l));
  const read: NodeReader = (level, index) => {
    if (level === 0) return hashes[index] ?? Buffer.alloc(32);
    return nodeHash(read(level - 1, 2 * index), read(level - 1, 2 * index + 1));
  };
  return read;
}

const leaves = Array.from({ length: 21 }, (_, i) => JSON.stringify({ at: `2026-12-05T10:00:${String(i).padStart(2, '0')}.000Z`, service: `svc-${String(i)}`, purpose: 'Kiểm tra · check' }));
const read = treeOf(leaves);
const key = parseSignerKey(generateSignerKey('sachsong.test/access-log'));

describe('the tracker page script', () => {
  const checks = loadScript();

  it('hashes leaves as the log does: SHA-256(0x00 ‖ UTF-8 leaf)', async () => {
    for (const leaf of leaves.slice(0, 3)) expect(Buffer.from(await checks.leafHash(leaf))).toEqual(leafHash(leaf));
  });

  it('accepts every inclusion proof of every tree of 1 to 21 leaves, and refuses a changed one', async () => {
    for (let size = 1; size <= leaves.length; size++) {
      const root = rootAt(read, size);
      for (let index = 0; index < size; index++) {
        const proof = inclusionProof(read, index, size);
        const leaf = leafHash(leaves[index] ?? '');
        expect(await checks.verifyInclusion(index, size, leaf, proof, root), `${String(index)} of ${String(size)}`).toBe(true);
        if (size > 1) {
          expect(await checks.verifyInclusion(index, size, leaf, proof, Buffer.from(root).fill(7, 0, 1))).toBe(false);
          expect(await checks.verifyInclusion((index + 1) % size, size, leaf, proof, root)).toBe(false);
          const flipped = proof.map((p) => Buffer.from(p));
          const first = flipped[0];
          if (first !== undefined) first[0] = (first[0] ?? 0) ^ 1;
          expect(await checks.verifyInclusion(index, size, leaf, flipped, root)).toBe(false);
          expect(await checks.verifyInclusion(index, size, leaf, proof.slice(1), root)).toBe(false);
          expect(await checks.verifyInclusion(index, size, leaf, [...proof, root], root)).toBe(false);
        }
      }
    }
    expect(await checks.verifyInclusion(0, 0, leafHash('x'), [], leafHash('x'))).toBe(false);
  });

  it('opens a checkpoint signed by the published key; refuses a changed note, another key or a forged line', async () => {
    const size = 13;
    const note = key.sign(formatCheckpoint({ origin: key.name, treeSize: size, rootHash: rootAt(read, size) }));
    const opened = await checks.openCheckpoint(note, key.verifierKey);
    expect(opened.treeSize).toBe(13);
    expect(Buffer.from(opened.root)).toEqual(rootAt(read, size));

    await expect(checks.openCheckpoint(note.replace('\n13\n', '\n14\n'), key.verifierKey)).rejects.toThrow(/does not verify/);
    const other = parseSignerKey(generateSignerKey('sachsong.test/access-log'));
    await expect(checks.openCheckpoint(other.sign(formatCheckpoint({ origin: key.name, treeSize: size, rootHash: rootAt(read, size) })), key.verifierKey)).rejects.toThrow(/no signature by the log key/);
    await expect(checks.openCheckpoint(note, other.verifierKey)).rejects.toThrow(/no signature by the log key/);
    await expect(checks.openCheckpoint(note, `${key.verifierKey.slice(0, -4)}AAAA`)).rejects.toThrow(/does not match its hash/);
    await expect(checks.openCheckpoint(note.replace(/\n\n.*\n$/s, '\n\n— sachsong.test/access-log bm90IGEgc2lnbmF0dXJl\n'), key.verifierKey)).rejects.toThrow(/no signature/);
    await expect(checks.openCheckpoint('sachsong.test/access-log\n13\n', key.verifierKey)).rejects.toThrow(/not signed/);
  });

  it('tells a browser without Ed25519 (it cannot check) from a failed check', async () => {
    const subtle = globalThis.crypto.subtle;
    const older = loadScript({ subtle: { digest: subtle.digest.bind(subtle), verify: subtle.verify.bind(subtle), importKey: () => Promise.reject(new DOMException('Ed25519', 'NotSupportedError')) } });
    const note = key.sign(formatCheckpoint({ origin: key.name, treeSize: 3, rootHash: rootAt(read, 3) }));
    await expect(older.openCheckpoint(note, key.verifierKey)).rejects.toMatchObject({ unsupported: true });
    await expect(checks.openCheckpoint(note.replace('\n3\n', '\n4\n'), key.verifierKey)).rejects.not.toHaveProperty('unsupported');
  });

  it('checks an entry as the page shows it: the leaf must be the record shown', async () => {
    const size = 21;
    const note = key.sign(formatCheckpoint({ origin: key.name, treeSize: size, rootHash: rootAt(read, size) }));
    const checkpoint = await checks.openCheckpoint(note, key.verifierKey);
    const entry = { index: 4, leaf: leaves[4], proof: inclusionProof(read, 4, size).map((h) => h.toString('hex')) };
    const shown = { at: '2026-12-05T10:00:04.000Z', service: 'svc-4' };
    expect(await checks.checkEntry(entry, shown, checkpoint)).toBe(true);
    expect(await checks.checkEntry(entry, { ...shown, service: 'svc-5' }, checkpoint)).toBe(false);
    expect(await checks.checkEntry({ ...entry, leaf: leaves[4]?.replace('check', 'chek') }, shown, checkpoint)).toBe(false);
    expect(await checks.checkEntry({ ...entry, index: 5 }, shown, checkpoint)).toBe(false);
    expect(await checks.checkEntry(undefined, shown, checkpoint)).toBe(false);
    await expect(checks.checkEntry({ ...entry, proof: ['zz'] }, shown, checkpoint)).rejects.toThrow(/hex/);
  });
});
