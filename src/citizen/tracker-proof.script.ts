/**
 * The script of the citizen's data-use log page (served same-origin, the strict CSP allows no
 * inline script): it checks, in the citizen's own browser and with WebCrypto only, that each
 * record shown is in the access log the server has signed:
 *
 * 1. the checkpoint note (C2SP signed note, https://c2sp.org/tlog-checkpoint) carries an Ed25519
 *    signature by the log key the page publishes (the key in the fetched JSON is not trusted);
 * 2. each record's leaf hash is SHA-256(0x00 ‖ leaf), computed here from the leaf text;
 * 3. its RFC 9162 inclusion proof, with SHA-256(0x01 ‖ left ‖ right) for interior nodes, leads
 *    from the leaf hash to the checkpoint's root;
 * 4. the leaf is the record the page shows (the same instant and service).
 *
 * It is written apart from src/audit (merkle-tree.ts, checkpoint-note.ts) on purpose: a check
 * that reuses the server's code would share its mistakes. Without script the page still lists
 * every record and links the proofs (progressive enhancement). Plain ES2020, no build step; for
 * tests it also exposes its checks as `globalThis.sachsongTrackerProof`.
 */

export const portalTrackerScriptPath = '/citizen/portal/assets/tracker-proof.js';

export const portalTrackerScript = String.raw`(function () {
  'use strict';
  var subtle = globalThis.crypto && globalThis.crypto.subtle;
  var encoder = new TextEncoder();

  function concat(parts) {
    var length = 0;
    for (var i = 0; i < parts.length; i++) length += parts[i].length;
    var out = new Uint8Array(length);
    var at = 0;
    for (var j = 0; j < parts.length; j++) { out.set(parts[j], at); at += parts[j].length; }
    return out;
  }
  function equal(a, b) {
    if (a.length !== b.length) return false;
    var diff = 0;
    for (var i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
    return diff === 0;
  }
  function fromHex(text) {
    if (typeof text !== 'string' || !/^[0-9a-f]{64}$/.test(text)) throw new Error('a proof hash is not 32 bytes of hex');
    var out = new Uint8Array(32);
    for (var i = 0; i < 32; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
    return out;
  }
  function toHex(bytes) {
    var out = '';
    for (var i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
    return out;
  }
  function fromBase64(text) {
    var raw = atob(text);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  function toBase64(bytes) {
    var raw = '';
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw);
  }
  async function sha256(bytes) {
    return new Uint8Array(await subtle.digest('SHA-256', bytes));
  }
  function leafHash(leafText) {
    return sha256(concat([new Uint8Array([0]), encoder.encode(leafText)]));
  }
  function nodeHash(left, right) {
    return sha256(concat([new Uint8Array([1]), left, right]));
  }

  // RFC 9162 section 2.1.3.2: from the leaf hash up to the root, the sibling on the left when the
  // node is a right child or the last node of its level, else on the right.
  async function verifyInclusion(index, size, leaf, proof, root) {
    if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
    var fn = index;
    var sn = size - 1;
    var r = leaf;
    for (var i = 0; i < proof.length; i++) {
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(proof[i], r);
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        r = await nodeHash(r, proof[i]);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    return sn === 0 && equal(r, root);
  }

  // A verifier key <name>+<hex of SHA-256(name \n 0x01 key)[0..4]>+<base64(0x01 key)>, Ed25519.
  async function parseKey(text) {
    var first = text.indexOf('+');
    var second = text.indexOf('+', first + 1);
    if (first < 1 || second < 0) throw new Error('the log key is malformed');
    var name = text.slice(0, first);
    var raw = fromBase64(text.slice(second + 1));
    if (raw.length !== 33 || raw[0] !== 1) throw new Error('the log key is not an Ed25519 key');
    var hash = (await sha256(concat([encoder.encode(name + '\n'), raw]))).slice(0, 4);
    if (toHex(hash) !== text.slice(first + 1, second)) throw new Error('the log key does not match its hash');
    var key;
    try {
      key = await subtle.importKey('raw', raw.slice(1), { name: 'Ed25519' }, false, ['verify']);
    } catch (error) {
      // An older browser without Ed25519 in WebCrypto: it cannot check, which is not a failed check.
      var unsupported = new Error('this browser has no Ed25519');
      unsupported.unsupported = true;
      throw unsupported;
    }
    return { name: name, hash: hash, key: key };
  }

  // The checkpoint's text if a signature line by the key verifies; its tree size and root.
  async function openCheckpoint(note, keyText) {
    var key = await parseKey(keyText);
    var split = note.lastIndexOf('\n\n');
    if (split < 0 || note.charAt(note.length - 1) !== '\n') throw new Error('the checkpoint is not signed');
    var text = note.slice(0, split + 1);
    var lines = note.slice(split + 2, -1).split('\n');
    var verified = false;
    for (var i = 0; i < lines.length && !verified; i++) {
      var match = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(lines[i]);
      if (match === null) throw new Error('a signature line is malformed');
      if (match[1] !== key.name) continue;
      var signature = fromBase64(match[2]);
      if (signature.length !== 68 || !equal(signature.slice(0, 4), key.hash) || toBase64(signature) !== match[2]) continue;
      verified = await subtle.verify({ name: 'Ed25519' }, key.key, signature.slice(4), encoder.encode(text));
      if (!verified) throw new Error('the checkpoint signature does not verify');
    }
    if (!verified) throw new Error('the checkpoint carries no signature by the log key');
    var body = text.split('\n');
    if (body[0] !== key.name || !/^(0|[1-9][0-9]{0,15})$/.test(body[1] || '')) throw new Error('the checkpoint is malformed');
    var root = fromBase64(body[2] || '');
    if (root.length !== 32) throw new Error('the checkpoint root is not 32 bytes');
    return { treeSize: Number(body[1]), root: root };
  }

  // One record: shown as the leaf says, and the leaf in the signed tree.
  async function checkEntry(entry, shown, checkpoint) {
    if (entry === undefined || typeof entry.leaf !== 'string' || !Array.isArray(entry.proof)) return false;
    var record = JSON.parse(entry.leaf);
    if (record === null || record.at !== shown.at || record.service !== shown.service) return false;
    var proof = entry.proof.map(fromHex);
    return verifyInclusion(entry.index, checkpoint.treeSize, await leafHash(entry.leaf), proof, checkpoint.root);
  }

  globalThis.sachsongTrackerProof = { leafHash: leafHash, verifyInclusion: verifyInclusion, openCheckpoint: openCheckpoint, checkEntry: checkEntry };

  var states = {
    checking: ['Đang kiểm chứng…', 'checking…', ''],
    verified: ['Đã kiểm chứng', 'verified', 'good'],
    failed: ['Kiểm chứng thất bại', 'verification failed', 'bad'],
    unavailable: ['Trình duyệt này không kiểm chứng được', 'this browser cannot check', ''],
  };
  function mark(element, state) {
    var s = states[state];
    element.setAttribute('data-proof-state', state);
    element.className = 'status ' + s[2];
    element.textContent = s[0] + ' · ' + s[1];
  }
  function say(summary, vi, en) {
    if (summary === null) return;
    summary.textContent = vi + ' ';
    var span = document.createElement('span');
    span.className = 'en';
    span.lang = 'en';
    span.textContent = en;
    summary.appendChild(span);
  }

  async function run() {
    var list = document.querySelector('[data-proofs]');
    if (list === null) return;
    var summary = document.querySelector('[data-testid="tracker-proof-summary"]');
    var items = Array.prototype.slice.call(list.querySelectorAll('[data-testid="tracker-entry"]'));
    var badges = items.map(function (item) { return item.querySelector('[data-testid="tracker-proof"]'); });
    if (!subtle) {
      badges.forEach(function (b) { if (b) mark(b, 'unavailable'); });
      say(summary, 'Trình duyệt này không có WebCrypto để kiểm chứng bằng chứng.', 'This browser has no WebCrypto to check the proofs.');
      return;
    }
    badges.forEach(function (b) { if (b) mark(b, 'checking'); });
    var checkpoint = null;
    var byIndex = {};
    try {
      var response = await fetch(list.getAttribute('data-proofs'), { credentials: 'same-origin', headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error('the proofs did not load');
      var page = await response.json();
      if (page.checkpoint === null || typeof page.checkpoint.note !== 'string') throw new Error('no checkpoint');
      checkpoint = await openCheckpoint(page.checkpoint.note, list.getAttribute('data-log-key') || '');
      page.entries.forEach(function (e) { byIndex[String(e.index)] = e; });
    } catch (error) {
      if (error && error.unsupported === true) {
        badges.forEach(function (b) { if (b) mark(b, 'unavailable'); });
        say(summary, 'Trình duyệt này không hỗ trợ chữ ký Ed25519 để kiểm chứng bằng chứng.', 'This browser does not support Ed25519 signatures to check the proofs.');
        return;
      }
      badges.forEach(function (b) { if (b) mark(b, 'failed'); });
      say(summary, 'Không kiểm chứng được chữ ký của sổ ghi truy cập.', 'The access log\'s signature could not be verified.');
      return;
    }
    var verified = 0;
    for (var i = 0; i < items.length; i++) {
      var ok = false;
      try {
        ok = await checkEntry(byIndex[items[i].getAttribute('data-index')], { at: items[i].getAttribute('data-at'), service: items[i].getAttribute('data-service') }, checkpoint);
      } catch (error) {
        ok = false;
      }
      if (ok) verified++;
      if (badges[i]) mark(badges[i], ok ? 'verified' : 'failed');
    }
    say(summary,
      'Trình duyệt của bạn đã kiểm chứng ' + verified + '/' + items.length + ' bản ghi với điểm kiểm ký số của sổ (' + checkpoint.treeSize + ' bản ghi).',
      'Your browser verified ' + verified + ' of ' + items.length + ' records against the log\'s signed checkpoint (' + checkpoint.treeSize + ' records).');
    summary && summary.setAttribute('data-verified', String(verified));
  }

  if (typeof document !== 'undefined') {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', function () { void run(); });
    else void run();
  }
})();
`;
