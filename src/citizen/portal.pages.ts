import { escapeHtml } from '../identity/sign-in.page.js';

/**
 * The citizen's portal, rendered on the server like the provider's sign-in pages: Vietnamese
 * first, English second; no inline script or style (the strict CSP) and every page works without
 * script (the data-use log's proofs are then checked by a same-origin script); forms carry the
 * session's CSRF token; lists, not wide tables, so that a 390 px phone reads them.
 */

export const portalBase = '/citizen/portal/my';
export const portalStylesheetPath = '/citizen/portal/assets/portal.css';

export const portalStylesheet = `*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;background:#f4f6f8;color:#1b1f24}
header{background:#0b3d78;color:#fff;padding:.75rem 1rem}
header p{margin:0;font-weight:600}
header .en{color:#e6eef8}
nav ul{list-style:none;margin:.5rem 0 0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem .75rem}
nav a{color:#fff;text-decoration:underline;display:inline-block;padding:.25rem 0}
nav a[aria-current=page]{font-weight:700;text-decoration:none;border-bottom:2px solid #fff}
main{max-width:60rem;margin:1rem auto;padding:1rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.4rem;margin:0 0 .25rem}
h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
.en{color:#57606a;font-size:.9em}
.card{border:1px solid #d0d7de;border-radius:6px;padding:.75rem;margin:.5rem 0;overflow-wrap:anywhere}
.card h3{font-size:1rem;margin:0 0 .25rem}
dl.fields{margin:0}
dl.fields dt{font-weight:600;margin-top:.75rem}
dl.fields dd{margin:0}
.meta{color:#57606a;font-size:.875rem}
ul.plain{list-style:none;padding:0;margin:0}
label{display:block;margin:1rem 0 .25rem;font-weight:600}
input,select,textarea{width:100%;padding:.6rem;font:inherit;border:1px solid #8c959f;border-radius:4px}
textarea{min-height:6rem}
button{margin-top:.75rem;padding:.6rem 1rem;font:inherit;font-weight:600;color:#fff;background:#0b5cad;border:0;border-radius:4px;cursor:pointer;min-height:44px}
button.secondary{background:#57606a}
button.danger{background:#a40e26}
header button{margin:0;background:transparent;border:1px solid #fff;padding:.25rem .75rem;min-height:36px}
form.inline{display:inline}
.status{display:inline-block;padding:0 .5rem;border-radius:1rem;background:#ddf4ff;color:#0a3069;font-weight:600}
.status.bad{background:#ffebe9;color:#82071e}
.status.good{background:#dafbe1;color:#116329}
.error{margin:1rem 0 0;padding:.75rem;border-radius:4px;background:#ffebe9;color:#82071e}
.notice{margin:1rem 0 0;padding:.75rem;border-radius:4px;background:#dafbe1;color:#116329}
a{color:#0b5cad}
code{overflow-wrap:anywhere;font-size:.85em}
.signin{max-width:26rem}
ol.steps{list-style:none;padding:0;margin:.5rem 0 0}
ol.steps>li{border-left:4px solid #d0d7de;padding:.25rem 0 .25rem .75rem;margin:.5rem 0}
ol.steps>li.done{border-color:#1a7f37}
ol.steps>li.bad{border-color:#a40e26}
fieldset{border:1px solid #d0d7de;border-radius:6px;margin:1rem 0;padding:0 .75rem .75rem;min-width:0}
legend{font-weight:600;padding:0 .25rem}
.qr svg{width:12rem;height:12rem;display:block;background:#fff}
`;

export type PortalPage = 'record' | 'tracker' | 'services' | 'consents' | 'requests' | 'procedures' | 'security';

const pages: readonly (readonly [PortalPage, string, string])[] = [
  ['record', 'Hồ sơ của tôi', 'My record'],
  ['tracker', 'Ai đã dùng dữ liệu của tôi', 'Who used my data'],
  ['services', 'Dịch vụ đã đăng nhập', 'Services I signed in to'],
  ['consents', 'Sự đồng ý của tôi', 'My consents'],
  ['requests', 'Yêu cầu sửa thông tin', 'Correction requests'],
  ['procedures', 'Thủ tục liên thông', 'Linked procedures'],
  ['security', 'Mức tài khoản và bảo mật', 'Account level and security'],
];

/** dd/mm/yyyy in Vietnam time (UTC+7) of an ISO instant or day. */
export function vnDate(iso: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const d = new Date(t + 7 * 3_600_000).toISOString();
  return `${d.slice(8, 10)}/${d.slice(5, 7)}/${d.slice(0, 4)}`;
}

/** The last day (dd/mm/yyyy, Vietnam time) of a period that ends, exclusive, at an instant. */
export function vnLastDay(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : vnDate(new Date(t - 1).toISOString());
}

/** dd/mm/yyyy hh:mm in Vietnam time. */
export function vnDateTime(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return `${vnDate(iso)} ${new Date(t + 7 * 3_600_000).toISOString().slice(11, 16)}`;
}

export function bilingual(vi: string, en: string): string {
  return `${escapeHtml(vi)} <span class="en" lang="en">${escapeHtml(en)}</span>`;
}

// same-origin, not no-referrer: under no-referrer the browser sends `Origin: null` with the
// portal's own forms, which the cross-site check refuses; other sites still get no referrer.
function document(title: string, body: string, script?: string): string {
  return `<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="same-origin"><title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${portalStylesheetPath}">${script === undefined ? '' : `<script src="${escapeHtml(script)}" defer></script>`}</head>
<body>${body}</body></html>`;
}

export interface PortalFrame {
  readonly page: PortalPage;
  readonly level: 1 | 2;
  readonly csrfToken: string;
  readonly notice?: string | undefined;
  readonly problem?: readonly [string, string] | undefined;
  /** A same-origin script that enhances the page (the page works without it). */
  readonly script?: string | undefined;
}

/** A signed-in page: the header with the account's level, the navigation and the sign-out button. */
export function portalPage(frame: PortalFrame, heading: readonly [string, string], body: string): string {
  const nav = pages.map(([id, vi, en]) => `<li><a href="${portalBase}/${id}"${id === frame.page ? ' aria-current="page"' : ''} data-testid="nav-${id}">${escapeHtml(vi)}<span class="en" lang="en"> · ${escapeHtml(en)}</span></a></li>`).join('');
  const notice = frame.notice === undefined ? '' : `<p class="notice" role="status" data-testid="portal-notice">${escapeHtml(frame.notice)}</p>`;
  const problem = frame.problem === undefined ? '' : `<p class="error" role="alert" data-testid="portal-error">${bilingual(frame.problem[0], frame.problem[1])}</p>`;
  return document(`${heading[0]} · ${heading[1]}`, `<header>
<p>Cổng công dân <span lang="en">· Citizen portal</span> — <span data-testid="portal-level">tài khoản mức ${frame.level} · level ${frame.level} account</span></p>
<nav aria-label="Trang · Pages"><ul>${nav}<li>${csrfForm(`${portalBase}/sign-out`, frame.csrfToken, '', '<button type="submit" data-testid="portal-sign-out">Đăng xuất · Sign out</button>', 'inline')}</li></ul></nav>
</header>
<main><h1>${escapeHtml(heading[0])}</h1><p class="en" lang="en">${escapeHtml(heading[1])}</p>${notice}${problem}${body}</main>`, frame.script);
}

/** A form posting to the portal with the session's CSRF token. */
export function csrfForm(action: string, csrfToken: string, fields: string, buttons: string, className = ''): string {
  return `<form method="post" action="${escapeHtml(action)}"${className === '' ? '' : ` class="${className}"`}><input type="hidden" name="csrf" value="${escapeHtml(csrfToken)}">${fields}${buttons}</form>`;
}

/** The portal's sign-in: ID number and password, and the authenticator code for level 2. */
export function renderPortalSignIn(input: { readonly problem?: readonly [string, string]; readonly idNumber?: string }): string {
  const problem = input.problem === undefined ? '' : `<p class="error" role="alert" data-testid="portal-error">${bilingual(input.problem[0], input.problem[1])}</p>`;
  return document('Cổng công dân · Citizen portal', `<main class="signin"><h1>Cổng công dân</h1><p class="en" lang="en">Citizen portal: sign in with your e-ID</p>${problem}
<form method="post" action="${portalBase}/sign-in" autocomplete="off">
<label for="idNumber">Số định danh cá nhân <span class="en" lang="en">Personal ID number</span></label>
<input id="idNumber" name="idNumber" inputmode="numeric" pattern="[0-9]{12}" required maxlength="12" value="${escapeHtml(input.idNumber ?? '')}" data-testid="portal-id-number">
<label for="password">Mật khẩu <span class="en" lang="en">Password</span></label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256" data-testid="portal-password">
<label for="code">Mã xác thực 6 số, cho mức 2 (không bắt buộc) <span class="en" lang="en">6-digit authenticator code, for level 2 (optional)</span></label>
<input id="code" name="code" inputmode="numeric" pattern="[0-9]{6}" autocomplete="one-time-code" maxlength="6" data-testid="portal-code">
<button type="submit" data-testid="portal-sign-in-submit">Đăng nhập · Sign in</button>
</form></main>`);
}
