import { describe, expect, it } from 'vitest';
import { formatCheckpoint, generateSignerKey, openCheckpoint, openNote, parseCheckpoint, parseSignerKey, parseVerifierKey } from './checkpoint-note.js';
import { leafHash } from './merkle-tree.js';

describe('signed-note checkpoints', () => {
  const signer = parseSignerKey(generateSignerKey('sachsong.test/access-log'));
  const verifier = parseVerifierKey(signer.verifierKey);
  const checkpoint = { origin: 'sachsong.test/access-log', treeSize: 12_345, rootHash: leafHash('root') };

  it('writes the C2SP checkpoint body and signature line', () => {
    const note = signer.sign(formatCheckpoint(checkpoint));
    const lines = note.split('\n');
    expect(lines.slice(0, 4)).toEqual(['sachsong.test/access-log', '12345', checkpoint.rootHash.toString('base64'), '']);
    expect(lines[4]).toMatch(/^— sachsong\.test\/access-log [A-Za-z0-9+/]{91}=$/); // 4-byte key hash + 64-byte signature
    expect(note.endsWith('\n')).toBe(true);
    // The key hash in the signature is the one in the verifier key.
    const sig = Buffer.from((lines[4] ?? '').split(' ')[2] ?? '', 'base64');
    expect(sig.subarray(0, 4).toString('hex')).toBe(signer.verifierKey.split('+')[1]);
  });

  it('round-trips through the verifier', () => {
    const opened = openCheckpoint(signer.sign(formatCheckpoint(checkpoint)), verifier);
    expect(opened.treeSize).toBe(12_345);
    expect(opened.rootHash.equals(checkpoint.rootHash)).toBe(true);
  });

  it('refuses a changed note, another key, a missing signature and malformed text', () => {
    const note = signer.sign(formatCheckpoint(checkpoint));
    expect(() => openNote(note.replace('12345', '12346'), verifier)).toThrow(/does not verify/);
    const other = parseSignerKey(generateSignerKey('sachsong.test/access-log'));
    expect(() => openNote(other.sign(formatCheckpoint(checkpoint)), verifier)).toThrow(/no signature by|does not verify/);
    expect(() => openNote(formatCheckpoint(checkpoint), verifier)).toThrow(/no signature block/);
    expect(() => openNote(`${formatCheckpoint(checkpoint)}\nnot a signature\n`, verifier)).toThrow(/malformed/);
    expect(() => parseCheckpoint('origin\nten\nAAAA\n')).toThrow(/three lines/);
    expect(() => parseCheckpoint(`origin\n10\n${Buffer.alloc(31).toString('base64')}\n`)).toThrow(/32 bytes/);
    const foreign = parseSignerKey(generateSignerKey('elsewhere/log'));
    expect(() => openCheckpoint(foreign.sign(formatCheckpoint({ ...checkpoint, origin: 'elsewhere/log' })), parseVerifierKey(foreign.verifierKey.replace('elsewhere/log', 'x')))).toThrow(/hash does not match/);
  });

  it('refuses malformed keys', () => {
    expect(() => parseSignerKey('PRIVATE+KEY+name')).toThrow(/PRIVATE\+KEY/);
    expect(() => parseSignerKey(generateSignerKey('a/b').replace(/\+[0-9a-f]{8}\+/, '+00000000+'))).toThrow(/hash does not match/);
    expect(() => parseVerifierKey('name+00000000+AAAA')).toThrow(/not an Ed25519 key/);
    expect(() => generateSignerKey('has space')).toThrow(/no spaces/);
  });
});
