import { hash, createHash } from 'node:crypto';
const N = 300_000;
const leaf = '{"at":"2026-01-01T00:00:00.000Z","clientId":"VN/GOV/MEMBER1/system-1","fields":["fullName","birthDate","currentAddress"],"legalBasis":"Luật Căn cước 2023, Điều 10","officerId":"officer-1","personId":"012345678901","purpose":"Cấp thẻ bảo hiểm y tế","requestId":"req-abc","service":"person.verify","visibility":"public"}';
const leaves = Array.from({ length: N }, (_, i) => leaf.replace('req-abc', 'req-' + i.toString(36)));
const ats = Array.from({ length: N }, (_, i) => new Date(1e12 + i * 3).toISOString());
function cpu(label: string, f: () => void): void { const c = process.cpuUsage(); f(); const u = process.cpuUsage(c); console.log(label.padEnd(30), ((u.user + u.system) / N).toFixed(3), 'µs'); }
let sink: unknown;
for (let rep = 0; rep < 2; rep++) {
cpu('hash string prefix', () => { for (const l of leaves) sink = hash('sha256', `\u0000${l}`, 'buffer'); });
cpu('hash string noprefix', () => { for (const l of leaves) sink = hash('sha256', l, 'buffer'); });
cpu('hash latin1 string', () => { for (const l of leaves) sink = hash('sha256', 'a'.repeat(10) + l.length, 'buffer'); });
cpu('Buffer.from utf8', () => { for (const l of leaves) sink = Buffer.from(l, 'utf8'); });
cpu('hash buffer', () => { const b = Buffer.from(leaves[0]!); for (let i = 0; i < N; i++) sink = hash('sha256', b, 'buffer'); });
cpu('createHash', () => { for (const l of leaves) sink = createHash('sha256').update('\u0000').update(l).digest(); });
cpu('date parse+iso', () => { for (const a of ats) sink = new Date(a).toISOString() === a; });
cpu('Date.parse', () => { for (const a of ats) sink = Date.parse(a); });
cpu('regex utc', () => { const r = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/; for (const a of ats) sink = r.test(a); });
cpu('JSON.stringify x10', () => { for (const a of ats) for (let k = 0; k < 10; k++) sink = JSON.stringify(a); });
cpu('quote x10', () => { const r = /["\\\u0000-\u001f]/; for (const a of ats) for (let k = 0; k < 10; k++) sink = r.test(a) ? JSON.stringify(a) : `"${a}"`; });
cpu('surrogate x10', () => { const r = /[\ud800-\udfff]/; for (const a of leaves) for (let k = 0; k < 10; k++) sink = r.test(a); });
cpu('trim x10', () => { for (const a of leaves) for (let k = 0; k < 10; k++) sink = a.trim() === ''; });
cpu('hex', () => { const b = hash('sha256', 'x', 'buffer'); for (let i = 0; i < N; i++) sink = b.toString('hex'); });
const l = Buffer.alloc(32, 1), r = Buffer.alloc(32, 2);
cpu('nodeHash alloc', () => { for (let i = 0; i < N; i++) { const b = Buffer.allocUnsafe(65); b[0] = 1; b.set(l, 1); b.set(r, 33); sink = hash('sha256', b, 'buffer'); } });
cpu('nodeHash scratch', () => { const b = Buffer.allocUnsafe(65); b[0] = 1; for (let i = 0; i < N; i++) { b.set(l, 1); b.set(r, 33); sink = hash('sha256', b, 'buffer'); } });
cpu('nodeHash createHash', () => { for (let i = 0; i < N; i++) { sink = createHash('sha256').update(Buffer.from([1])).update(l).update(r).digest(); } });
}
void sink;
