/**
 * The public verify page (no sign-in): HTML, its script and its stylesheet, all served from this
 * server (the strict CSP: no inline code or style). Vietnamese first, English second; usable at
 * 390 px. The script reads the presentation from the address after `#` (a scanned QR code), a
 * pasted text or an uploaded file, posts it to the verify API and shows the result and the
 * disclosed claims only, written as text (never as HTML).
 */

export const verifyScriptPath = '/verify/residence/verify.js';
export const verifyStylePath = '/verify/residence/verify.css';

export function verifyPageHtml(jwksPath: string, apiPath: string): string {
  return `<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kiểm tra giấy xác nhận cư trú · Verify a residence confirmation</title>
<link rel="stylesheet" href="${verifyStylePath}"></head>
<body>
<main>
<h1>Kiểm tra giấy xác nhận cư trú <span lang="en">Verify a residence confirmation</span></h1>
<p class="lead">Không cần đăng nhập. Quét mã QR trên giấy, dán nội dung mã hoặc tải tệp lên. <span lang="en">No sign-in needed: scan the QR code on the paper, paste its content or upload the file.</span></p>
<form id="verify-form" data-api="${apiPath}">
<label for="presentation">Nội dung mã QR hoặc văn bản trình bày <span lang="en">QR content or presentation</span></label>
<textarea id="presentation" name="presentation" rows="5" spellcheck="false" autocomplete="off" data-testid="verify-input"></textarea>
<label for="file">Hoặc tải tệp lên (văn bản, hoặc ảnh mã QR nếu trình duyệt đọc được) <span lang="en">Or upload a file (text, or a QR image where the browser can read it)</span></label>
<input id="file" name="file" type="file" accept=".txt,.jwt,.sd-jwt,text/plain,image/*" data-testid="verify-file">
<button type="submit" data-testid="verify-submit">Kiểm tra <span lang="en">Verify</span></button>
</form>
<section id="result" aria-live="polite" data-testid="verify-result" hidden>
<p id="verdict" class="verdict" data-testid="verify-verdict"></p>
<p id="explain"></p>
<dl id="claims" data-testid="verify-claims"></dl>
<p id="dates" class="small"></p>
</section>
<footer class="small">
<p>Văn bản do Cơ sở dữ liệu quốc gia về dân cư ký (SD-JWT VC, ES256). Khóa công khai: <a href="${jwksPath}">${jwksPath}</a>. Có thể kiểm tra ngoại tuyến bằng khóa này. <span lang="en">Signed by the national population registry; the public key above also verifies offline.</span></p>
<p>Trang này chỉ hiển thị những thông tin người trình bày chọn công khai. <span lang="en">This page shows only what the holder chose to disclose.</span></p>
</footer>
</main>
<script src="${verifyScriptPath}"></script>
</body></html>`;
}

export const verifyStylesheet = `*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:#1b1d22;background:#f4f5f7;line-height:1.5}
main{max-width:44rem;margin:0 auto;padding:1rem}
h1{font-size:1.45rem;margin:.5rem 0 1rem}
h1 span,label span,button span,p span[lang=en]{display:block;font-weight:400;font-size:.85em;color:#4a4f5a}
form{display:flex;flex-direction:column;gap:.5rem;background:#fff;padding:1rem;border-radius:.5rem;border:1px solid #d5d8de}
label{font-weight:600;margin-top:.5rem}
textarea{width:100%;font-family:ui-monospace,monospace;font-size:.85rem;padding:.5rem;border:1px solid #8a909c;border-radius:.35rem;word-break:break-all}
input[type=file]{max-width:100%}
button{margin-top:.75rem;padding:.65rem 1rem;font-size:1rem;font-weight:600;border:0;border-radius:.35rem;background:#0b4f9c;color:#fff;cursor:pointer;min-height:2.75rem}
button span{color:#e8eefc}
button:focus-visible,textarea:focus-visible,input:focus-visible,a:focus-visible{outline:3px solid #f0a500;outline-offset:2px}
#result{margin-top:1rem;background:#fff;padding:1rem;border-radius:.5rem;border:1px solid #d5d8de}
.verdict{font-size:1.2rem;font-weight:700;padding:.5rem .75rem;border-radius:.35rem;margin:0 0 .5rem}
.verdict span{display:block;font-size:.85em;font-weight:500}
.valid{background:#e3f4e8;color:#0d5a26}
.revoked,.forged,.malformed{background:#fde7e7;color:#8a1111}
.expired{background:#fff2d6;color:#6b4700}
dl{display:grid;grid-template-columns:1fr;gap:.15rem .75rem;margin:.5rem 0}
dt{font-weight:600;color:#4a4f5a;font-size:.9rem}
dd{margin:0 0 .5rem;overflow-wrap:anywhere}
.small{font-size:.85rem;color:#4a4f5a}
a{color:#0b4f9c}
@media (min-width:40rem){dl{grid-template-columns:minmax(12rem,auto) 1fr}dd{margin:0}}`;

export const verifyScript = `(function () {
  'use strict';
  var form = document.getElementById('verify-form');
  var input = document.getElementById('presentation');
  var file = document.getElementById('file');
  var result = document.getElementById('result');
  var verdict = document.getElementById('verdict');
  var explain = document.getElementById('explain');
  var claims = document.getElementById('claims');
  var dates = document.getElementById('dates');
  var verdicts = {
    valid: ['Hợp lệ', 'Valid', 'Văn bản do cơ quan đăng ký ký, còn hạn và chưa bị thu hồi. The registry signed it; it is in force and not revoked.'],
    revoked: ['Đã bị thu hồi', 'Revoked', 'Văn bản đã hết giá trị (nơi cư trú hoặc thông tin đã thay đổi). The document is no longer in force: the residence or the details changed.'],
    expired: ['Hết hạn', 'Expired', 'Văn bản đã quá thời hạn sử dụng. The document is past its validity.'],
    forged: ['Giả mạo hoặc bị sửa đổi', 'Forged or altered', 'Chữ ký không khớp với khóa công khai của cơ quan đăng ký. The signature does not match the registry\\'s published key.'],
    malformed: ['Không đọc được', 'Unreadable', 'Nội dung không phải là văn bản trình bày hợp lệ. This is not a presentation.']
  };
  var labels = {
    fullName: 'Họ, chữ đệm và tên · Full name', birthDate: 'Ngày sinh · Date of birth', sex: 'Giới tính · Sex',
    idNumber: 'Số định danh cá nhân · Personal ID number', nationality: 'Quốc tịch · Nationality',
    permanentResidence: 'Nơi thường trú · Permanent residence', temporaryResidence: 'Nơi tạm trú · Temporary residence',
    currentResidence: 'Nơi ở hiện tại · Current residence', residenceCommune: 'Xã, phường cư trú · Commune of residence',
    residenceProvince: 'Tỉnh, thành phố cư trú · Province of residence'
  };
  function day(iso) {
    if (typeof iso !== 'string') return '';
    var s = iso.length > 10 ? new Date(Date.parse(iso) + 7 * 3600000).toISOString().slice(0, 10) : iso;
    var p = s.split('-');
    return p.length === 3 ? p[2] + '/' + p[1] + '/' + p[0] : p.length === 2 ? p[1] + '/' + p[0] : s;
  }
  function text(name, value) {
    if (value === null || value === undefined) return '';
    if (name === 'birthDate') return day(value);
    if (name === 'sex') return value === 'F' ? 'Nữ · Female' : 'Nam · Male';
    if (name === 'nationality') return value === 'VN' ? 'Việt Nam' : String(value);
    if (typeof value === 'object') {
      if ('address' in value || 'commune' in value) return [value.address, value.commune, value.province].filter(function (x) { return x; }).join(', ');
      return value.name || value.code || '';
    }
    return String(value);
  }
  function show(kind, body) {
    var v = verdicts[kind] || verdicts.malformed;
    result.hidden = false;
    verdict.className = 'verdict ' + kind;
    verdict.textContent = v[0];
    var en = document.createElement('span');
    en.lang = 'en';
    en.textContent = v[1];
    verdict.appendChild(en);
    explain.textContent = v[2];
    while (claims.firstChild) claims.removeChild(claims.firstChild);
    var disclosed = (body && body.disclosed) || {};
    Object.keys(labels).forEach(function (name) {
      if (!(name in disclosed)) return;
      var dt = document.createElement('dt');
      dt.textContent = labels[name];
      var dd = document.createElement('dd');
      dd.textContent = text(name, disclosed[name]);
      dd.setAttribute('data-claim', name);
      claims.appendChild(dt);
      claims.appendChild(dd);
    });
    dates.textContent = body && body.issuedAt ? 'Ngày cấp · Issued ' + day(body.issuedAt) + ' — Có giá trị đến · Valid until ' + day(body.expiresAt) : '';
    verdict.focus && verdict.setAttribute('tabindex', '-1');
  }
  function verify(value) {
    if (!value || !value.trim()) { show('malformed', null); return; }
    fetch(form.getAttribute('data-api'), { method: 'POST', headers: { 'content-type': 'application/json', 'x-verify-channel': 'page' }, body: JSON.stringify({ presentation: value.trim() }) })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
      .then(function (r) { show(r.ok ? r.body.result : 'malformed', r.ok ? r.body : null); })
      .catch(function () { explain.textContent = 'Không kết nối được máy chủ. Could not reach the server.'; result.hidden = false; });
  }
  form.addEventListener('submit', function (e) { e.preventDefault(); verify(input.value); });
  file.addEventListener('change', function () {
    var f = file.files && file.files[0];
    if (!f) return;
    if (/^image\\//.test(f.type)) {
      if (!('BarcodeDetector' in window)) { show('malformed', null); explain.textContent = 'Trình duyệt này không đọc được ảnh mã QR: hãy quét bằng camera hoặc dán nội dung. This browser cannot read QR images: scan with the camera or paste the content.'; return; }
      createImageBitmap(f).then(function (img) { return new window.BarcodeDetector({ formats: ['qr_code'] }).detect(img); })
        .then(function (codes) { var c = codes[0]; input.value = c ? c.rawValue : ''; verify(input.value); })
        .catch(function () { show('malformed', null); });
      return;
    }
    f.text().then(function (t) { input.value = t.trim(); verify(input.value); });
  });
  if (location.hash.length > 1) {
    input.value = location.hash.slice(1);
    // The presentation stays in the page: removed from the address bar and history.
    history.replaceState(null, '', location.pathname);
    verify(input.value);
  }
})();
`;
