import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  appendToFrontier, consistencyProof, emptyRoot, frontierKeys, inclusionProof, leafHash, nodeHash, nodesRead, rootAt,
  rootFromFrontier, verifyConsistency, verifyInclusion, type NodeReader, type TreeNode,
} from './merkle-tree.js';

const sha = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// The eight-leaf tree of the certificate-transparency / transparency-dev test data (RFC 6962).
const ctLeaves = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((h) => Buffer.from(h, 'hex'));
const ctRoots = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

/** MTH straight from RFC 9162 §2.1.1, over a list of leaf hashes: the independent reference. */
function referenceRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return sha();
  if (leaves.length === 1) return leaves[0] ?? sha();
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha(Buffer.from([1]), referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)));
}

/** A store of complete subtrees built the way the log builds it (appendToFrontier), read as a NodeReader. */
function buildTree(leaves: readonly Buffer[]): { read: NodeReader; frontier: TreeNode[]; stored: Map<string, Buffer> } {
  const stored = new Map<string, Buffer>();
  const frontier: TreeNode[] = [];
  leaves.forEach((leaf, i) => {
    for (const n of appendToFrontier(frontier, i, leaf)) stored.set(`${n.level}:${n.index}`, n.hash);
  });
  const read: NodeReader = (level, index) => {
    const h = stored.get(`${level}:${index}`);
    if (h === undefined) throw new Error(`missing ${level}:${index}`);
    return h;
  };
  return { read, frontier, stored };
}

const leavesOf = (n: number): Buffer[] => Array.from({ length: n }, (_, i) => leafHash(`leaf ${i}`));

describe('RFC 6962 hashing', () => {
  it('hashes leaves and nodes with their domain-separation prefixes', () => {
    expect(hex(leafHash(''))).toBe(hex(sha(Buffer.from([0]))));
    const l = leafHash('a');
    const r = leafHash('b');
    expect(hex(nodeHash(l, r))).toBe(hex(sha(Buffer.from([1]), l, r)));
    expect(hex(emptyRoot)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('gives the known roots of the certificate-transparency test tree at every size', () => {
    const leaves = ctLeaves.map((l) => leafHash(l));
    for (let n = 1; n <= 8; n++) {
      const { read, frontier } = buildTree(leaves.slice(0, n));
      expect(hex(rootAt(read, n)), `size ${n}`).toBe(ctRoots[n - 1]);
      expect(hex(rootFromFrontier(frontier)), `frontier ${n}`).toBe(ctRoots[n - 1]);
    }
  });

  it('computes a three-leaf tree by hand', () => {
    const [a, b, c] = leavesOf(3) as [Buffer, Buffer, Buffer];
    const { read } = buildTree([a, b, c]);
    const byHand = sha(Buffer.from([1]), sha(Buffer.from([1]), a, b), c);
    expect(hex(rootAt(read, 3))).toBe(hex(byHand));
    // The proof of c is the hash of (a, b); of a it is b then c.
    expect(inclusionProof(read, 2, 3).map(hex)).toEqual([hex(sha(Buffer.from([1]), a, b))]);
    expect(inclusionProof(read, 0, 3).map(hex)).toEqual([hex(b), hex(c)]);
  });

  it('stores exactly the complete subtrees, and the frontier names them', () => {
    const { stored, frontier } = buildTree(leavesOf(13));
    // 13 leaves: 6 at level 1, 3 at level 2, 1 at level 3, plus the 13 leaves.
    expect(stored.size).toBe(13 + 6 + 3 + 1);
    expect(frontierKeys(13)).toEqual([{ level: 3, index: 0 }, { level: 2, index: 2 }, { level: 0, index: 12 }]);
    expect(frontier.map(({ level, index }) => ({ level, index }))).toEqual(frontierKeys(13));
  });
});

describe('inclusion proofs (RFC 9162 §2.1.3)', () => {
  it('verify for every leaf of every tree up to 40 leaves, against the reference root', () => {
    const all = leavesOf(40);
    for (let n = 1; n <= 40; n++) {
      const leaves = all.slice(0, n);
      const { read } = buildTree(leaves);
      const root = referenceRoot(leaves);
      expect(hex(rootAt(read, n))).toBe(hex(root));
      for (let m = 0; m < n; m++) {
        const proof = inclusionProof(read, m, n);
        expect(verifyInclusion(m, n, leaves[m] ?? Buffer.alloc(0), proof, root), `${m} in ${n}`).toBe(true);
      }
    }
  });

  it('reject a wrong leaf, index, size, root or a tampered or truncated path', () => {
    const leaves = leavesOf(21);
    const { read } = buildTree(leaves);
    const root = referenceRoot(leaves);
    const proof = inclusionProof(read, 6, 21);
    const leaf = leaves[6] ?? Buffer.alloc(0);
    expect(verifyInclusion(6, 21, leaf, proof, root)).toBe(true);
    expect(verifyInclusion(6, 21, leaves[7] ?? leaf, proof, root)).toBe(false);
    expect(verifyInclusion(7, 21, leaf, proof, root)).toBe(false);
    // (A size that gives the path the same shape, like 22, cannot be told apart: the signed checkpoint fixes the size.)
    expect(verifyInclusion(6, 40, leaf, proof, root)).toBe(false);
    expect(verifyInclusion(6, 16, leaf, proof, root)).toBe(false);
    expect(verifyInclusion(6, 21, leaf, proof, leafHash('x'))).toBe(false);
    expect(verifyInclusion(6, 21, leaf, proof.slice(0, -1), root)).toBe(false);
    expect(verifyInclusion(6, 21, leaf, [...proof, leafHash('extra')], root)).toBe(false);
    const flipped = proof.map((p, i) => (i === 1 ? Buffer.from(p.map((byte, j) => (j === 0 ? byte ^ 1 : byte))) : p));
    expect(verifyInclusion(6, 21, leaf, flipped, root)).toBe(false);
    expect(verifyInclusion(21, 21, leaf, proof, root)).toBe(false);
    expect(verifyInclusion(-1, 21, leaf, proof, root)).toBe(false);
    expect(() => inclusionProof(read, 21, 21)).toThrow(RangeError);
  });

  it('read O(log n) stored subtrees', () => {
    // 1,000,003 leaves would be slow to build: count the reads a proof makes against a phantom tree.
    const n = 100_000_000;
    for (const m of [0, 12_345_678, 67_108_863, 99_999_999]) {
      const keys = nodesRead((read) => inclusionProof(read, m, n));
      expect(keys.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(n)));
    }
  });
});

describe('consistency proofs (RFC 9162 §2.1.4)', () => {
  it('match the certificate-transparency vector for 1 → 8', () => {
    const { read } = buildTree(ctLeaves.map((l) => leafHash(l)));
    expect(consistencyProof(read, 1, 8).map(hex)).toEqual([
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
  });

  it('verify between every pair of sizes up to 33', () => {
    const all = leavesOf(33);
    const { read } = buildTree(all);
    for (let second = 1; second <= 33; second++) {
      const secondRoot = referenceRoot(all.slice(0, second));
      for (let first = 1; first <= second; first++) {
        const firstRoot = referenceRoot(all.slice(0, first));
        const proof = consistencyProof(read, first, second);
        expect(verifyConsistency(first, second, firstRoot, secondRoot, proof), `${first} → ${second}`).toBe(true);
      }
    }
  });

  it('reject a rewritten history, wrong sizes and tampered proofs', () => {
    const all = leavesOf(20);
    const { read } = buildTree(all);
    const proof = consistencyProof(read, 7, 20);
    const first = referenceRoot(all.slice(0, 7));
    const second = referenceRoot(all);
    expect(verifyConsistency(7, 20, first, second, proof)).toBe(true);
    // A log that changed record 3 after the first checkpoint: same sizes, different old root.
    const rewritten = [...all];
    rewritten[3] = leafHash('changed');
    expect(verifyConsistency(7, 20, referenceRoot(rewritten.slice(0, 7)), second, proof)).toBe(false);
    expect(verifyConsistency(7, 20, first, referenceRoot(rewritten), proof)).toBe(false);
    expect(verifyConsistency(6, 20, first, second, proof)).toBe(false);
    expect(verifyConsistency(7, 40, first, second, proof)).toBe(false);
    expect(verifyConsistency(7, 20, first, second, proof.slice(1))).toBe(false);
    expect(verifyConsistency(7, 20, first, second, [...proof].reverse())).toBe(false);
    expect(verifyConsistency(7, 20, first, second, [])).toBe(false);
    expect(verifyConsistency(0, 20, first, second, proof)).toBe(false);
    expect(verifyConsistency(20, 20, second, second, [])).toBe(true);
    expect(() => consistencyProof(read, 0, 20)).toThrow(RangeError);
  });
});
