import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { DomainError } from '../shared/domain-error.js';

/**
 * C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys, and C2SP tlog checkpoints
 * (https://c2sp.org/tlog-checkpoint): `<origin>\n<tree size>\n<base64 root hash>\n`, signed.
 *
 * Keys use the note format of golang.org/x/mod/sumdb/note, so that standard tools verify them:
 * signer `PRIVATE+KEY+<name>+<hash>+<base64(0x01 ‖ seed)>`, verifier `<name>+<hash>+<base64(0x01 ‖ public key)>`,
 * where hash is the first 4 bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key), in hex.
 */

const ed25519 = 0x01;
const pkcs8Prefix = Buffer.from('302e020100300506032b657004220420', 'hex');
const namePattern = /^[^\s+]+$/;

/** A checkpoint: the log's identity, a tree size and the root at that size. */
export interface Checkpoint {
  readonly origin: string;
  readonly treeSize: number;
  readonly rootHash: Buffer;
}

/** Signs notes; holds the private key. */
export interface NoteSigner {
  readonly name: string;
  /** The public verifier key string to publish: `<name>+<hash>+<base64 key>`. */
  readonly verifierKey: string;
  /** Signs `text` (which must end with a newline) and returns the signed note. */
  sign(text: string): string;
}

/** A parsed verifier key. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyHash: Buffer;
  readonly publicKey: KeyObject;
}

function badKey(message: string): DomainError {
  return new DomainError('invalid', 'AUDIT_KEY_INVALID', message, 'Give a key in the signed-note format (PRIVATE+KEY+name+hash+key, or name+hash+key)');
}

function keyHash(name: string, rawPublicKey: Buffer): Buffer {
  return createHash('sha256').update(name).update('\n').update(Buffer.from([ed25519])).update(rawPublicKey).digest().subarray(0, 4);
}

function rawPublicKey(key: KeyObject): Buffer {
  // An Ed25519 SPKI is a fixed 12-byte header followed by the 32-byte key.
  return key.export({ format: 'der', type: 'spki' }).subarray(-32);
}

/**
 * A new Ed25519 signer key for the log named `name` (which is also the checkpoints' origin line).
 *
 * @example
 * const key = generateSignerKey('sachsong.local/access-log'); // 'PRIVATE+KEY+sachsong.local/access-log+1a2b3c4d+AU…'
 */
export function generateSignerKey(name: string): string {
  if (!namePattern.test(name)) throw badKey('a key name has no spaces and no "+"');
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
  const hash = keyHash(name, rawPublicKey(publicKey)).toString('hex');
  return `PRIVATE+KEY+${name}+${hash}+${Buffer.concat([Buffer.from([ed25519]), seed]).toString('base64')}`;
}

/** `<name>+<hash>+<base64 key>`: the key itself may contain '+', so split at the first two only. */
function splitKey(text: string): readonly [string, string, string] | readonly [] {
  const first = text.indexOf('+');
  const second = text.indexOf('+', first + 1);
  if (first < 1 || second < 0) return [];
  const name = text.slice(0, first);
  const hash = text.slice(first + 1, second);
  const key = text.slice(second + 1);
  return namePattern.test(name) && /^[0-9a-f]{8}$/.test(hash) && /^[A-Za-z0-9+/]+=*$/.test(key) ? [name, hash, key] : [];
}

/** Parses a signer key string; throws DomainError('invalid', 'AUDIT_KEY_INVALID') when malformed. */
export function parseSignerKey(text: string): NoteSigner {
  const trimmed = text.trim();
  const [name, hash, key] = trimmed.startsWith('PRIVATE+KEY+') ? splitKey(trimmed.slice('PRIVATE+KEY+'.length)) : [];
  if (name === undefined || hash === undefined || key === undefined) throw badKey('a signer key reads PRIVATE+KEY+<name>+<hash>+<key>');
  const raw = Buffer.from(key, 'base64');
  if (raw.length !== 33 || raw[0] !== ed25519) throw badKey('the signer key is not an Ed25519 key');
  const privateKey = createPrivateKey({ key: Buffer.concat([pkcs8Prefix, raw.subarray(1)]), format: 'der', type: 'pkcs8' });
  const publicRaw = rawPublicKey(createPublicKey(privateKey));
  const computed = keyHash(name, publicRaw);
  if (computed.toString('hex') !== hash) throw badKey('the signer key hash does not match the key');
  const verifierKey = `${name}+${hash}+${Buffer.concat([Buffer.from([ed25519]), publicRaw]).toString('base64')}`;
  return {
    name,
    verifierKey,
    sign(body: string): string {
      if (!body.endsWith('\n')) throw new Error('a note text ends with a newline');
      const signature = sign(null, Buffer.from(body, 'utf8'), privateKey);
      return `${body}\n— ${name} ${Buffer.concat([computed, signature]).toString('base64')}\n`;
    },
  };
}

/** Parses a verifier key string `<name>+<hash>+<base64(0x01 ‖ public key)>`. */
export function parseVerifierKey(text: string): NoteVerifier {
  const [name, hash, key] = splitKey(text.trim());
  if (name === undefined || hash === undefined || key === undefined) throw badKey('a verifier key reads <name>+<hash>+<key>');
  const raw = Buffer.from(key, 'base64');
  if (raw.length !== 33 || raw[0] !== ed25519) throw badKey('the verifier key is not an Ed25519 key');
  const computed = keyHash(name, raw.subarray(1));
  if (computed.toString('hex') !== hash) throw badKey('the verifier key hash does not match the key');
  const publicKey = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw.subarray(1)]), format: 'der', type: 'spki' });
  return { name, keyHash: computed, publicKey };
}

function badNote(message: string): DomainError {
  return new DomainError('invalid', 'CHECKPOINT_INVALID', message, 'Use a checkpoint exactly as `sachsong audit checkpoint` or GET /api/audit/checkpoint produced it');
}

/**
 * Checks a signed note against a verifier key and returns its text (without signatures).
 * Throws DomainError('invalid', 'CHECKPOINT_INVALID') unless a signature by that key verifies.
 */
export function openNote(note: string, verifier: NoteVerifier): string {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw badNote('the note has no signature block');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  for (const line of lines) {
    const match = /^— (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (match === null) throw badNote('a signature line is malformed');
    const [, name, encoded] = match;
    if (name !== verifier.name || encoded === undefined) continue;
    const raw = Buffer.from(encoded, 'base64');
    if (raw.length !== 68 || !raw.subarray(0, 4).equals(verifier.keyHash)) continue;
    // Node's base64 decoder ignores the unused low bits of the last character and stray '=':
    // only the one canonical spelling of a signature is accepted, so a signed note has one form.
    if (raw.toString('base64') !== encoded) throw badNote('the signature is not in canonical base64');
    if (verify(null, Buffer.from(text, 'utf8'), verifier.publicKey, raw.subarray(4))) return text;
    throw badNote('the signature does not verify: the note was changed or signed by another key');
  }
  throw badNote(`the note carries no signature by ${verifier.name}`);
}

/** The checkpoint's note text (C2SP tlog-checkpoint body). */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  return `${checkpoint.origin}\n${checkpoint.treeSize}\n${checkpoint.rootHash.toString('base64')}\n`;
}

/** Parses a checkpoint's note text; throws DomainError('invalid', 'CHECKPOINT_INVALID') when malformed. */
export function parseCheckpoint(text: string): Checkpoint {
  const [origin, size, root, ...extension] = text.split('\n');
  if (origin === undefined || origin === '' || size === undefined || !/^(0|[1-9]\d{0,15})$/.test(size) || root === undefined) {
    throw badNote('a checkpoint reads <origin>, <tree size>, <base64 root hash> on three lines');
  }
  const rootHash = Buffer.from(root, 'base64');
  if (rootHash.length !== 32 || rootHash.toString('base64') !== root) throw badNote('the root hash is not 32 bytes of base64');
  if (extension.at(-1) !== '') throw badNote('a checkpoint ends with a newline');
  return { origin, treeSize: Number(size), rootHash };
}

/** Verifies a signed checkpoint note with `verifier` and parses it; the origin must be the key's name. */
export function openCheckpoint(note: string, verifier: NoteVerifier): Checkpoint {
  const checkpoint = parseCheckpoint(openNote(note, verifier));
  if (checkpoint.origin !== verifier.name) throw badNote(`the checkpoint is for ${checkpoint.origin}, not ${verifier.name}`);
  return checkpoint;
}
