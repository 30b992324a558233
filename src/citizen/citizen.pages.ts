import { escapeHtml, signInStylesheetPath } from '../identity/sign-in.page.js';
import type { ClaimView } from './citizen.claims.js';

/**
 * The citizen's pages of the provider's interaction: sign-in (level 1, or level 2 with the
 * authenticator code) and the consent screen. Vietnamese first, English second; no script, no
 * inline style (the strict CSP applies); usable at 390 px (the stylesheet is fluid).
 */
function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${signInStylesheetPath}"></head>
<body><main>${body}</main></body></html>`;
}

export type CitizenSignInProblem = 'failed' | 'locked' | 'closed' | 'throttled';

const problems: Readonly<Record<CitizenSignInProblem, readonly [string, string]>> = {
  failed: ['Số định danh, mật khẩu hoặc mã xác thực không đúng.', 'The ID number, password or code is not right.'],
  locked: ['Đăng nhập sai quá nhiều lần: tài khoản tạm khoá 15 phút.', 'Too many failed sign-ins: the account waits 15 minutes.'],
  closed: ['Tài khoản không còn sử dụng được. Hãy liên hệ công an xã.', 'The account can no longer be used. Contact the commune police.'],
  throttled: ['Quá nhiều lần thử từ thiết bị này. Hãy thử lại sau.', 'Too many attempts from this device. Try again later.'],
};

export function renderCitizenSignIn(input: { readonly action: string; readonly csrfToken: string; readonly clientName: string; readonly level: 1 | 2; readonly problem?: CitizenSignInProblem; readonly idNumber?: string }): string {
  const problem = input.problem === undefined ? '' : `<p class="error" role="alert" data-testid="citizen-sign-in-error">${problems[input.problem][0]}<br><span class="en">${problems[input.problem][1]}</span></p>`;
  const code = input.level === 2
    ? `<label for="code">Mã xác thực 6 số (mức 2) <span class="en">6-digit authenticator code (level 2)</span></label>
<input id="code" name="code" inputmode="numeric" pattern="[0-9]{6}" autocomplete="one-time-code" required maxlength="6" data-testid="citizen-code">`
    : '';
  return page('Đăng nhập VNeID · Sign in', `<h1>Đăng nhập bằng tài khoản định danh điện tử</h1><p class="en">Sign in with your e-ID to <strong>${escapeHtml(input.clientName)}</strong></p>
<p data-testid="citizen-level">${input.level === 2 ? 'Dịch vụ yêu cầu tài khoản mức 2 · This service asks for level 2' : 'Mức 1 · Level 1'}</p>${problem}
<form method="post" action="${escapeHtml(input.action)}" autocomplete="off">
<input type="hidden" name="csrf" value="${escapeHtml(input.csrfToken)}">
<label for="idNumber">Số định danh cá nhân <span class="en">Personal ID number</span></label>
<input id="idNumber" name="idNumber" inputmode="numeric" pattern="[0-9]{12}" required maxlength="12" value="${escapeHtml(input.idNumber ?? '')}" data-testid="citizen-id-number">
<label for="password">Mật khẩu <span class="en">Password</span></label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256" data-testid="citizen-password">
${code}
<button type="submit" data-testid="citizen-sign-in-submit">Đăng nhập · Sign in</button>
</form>`);
}

/** The consent screen: each claim with its source and last-updated day; approve or refuse. */
export function renderConsent(input: { readonly action: string; readonly csrfToken: string; readonly clientName: string; readonly claims: readonly ClaimView[] }): string {
  const rows = input.claims.length === 0
    ? '<li data-testid="consent-claim">Chỉ một mã định danh riêng cho dịch vụ này <span class="en">Only an identifier of you for this service</span></li>'
    : input.claims.map((c) => `<li data-testid="consent-claim" data-claim="${escapeHtml(c.claim)}"><strong>${escapeHtml(c.label)}</strong><br><span class="en">Nguồn · Source: ${escapeHtml(c.source)}; cập nhật · updated ${escapeHtml(c.updatedOn)}</span></li>`).join('\n');
  return page('Chia sẻ thông tin · Consent', `<h1>${escapeHtml(input.clientName)} đề nghị nhận thông tin của bạn</h1>
<p class="en">${escapeHtml(input.clientName)} asks for the following information about you.</p>
<ul data-testid="consent-claims">${rows}</ul>
<p class="en">Mỗi lần chia sẻ được ghi vào nhật ký truy cập mà bạn xem được. · Each release is recorded in the access log you can read.</p>
<form method="post" action="${escapeHtml(input.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(input.csrfToken)}">
<button type="submit" name="decision" value="approve" data-testid="consent-approve">Đồng ý chia sẻ · Share</button>
<button type="submit" name="decision" value="deny" class="secondary" data-testid="consent-deny">Từ chối · Refuse</button>
</form>`);
}

export function renderCitizenProblem(vi: string, en: string): string {
  return page('Không thể tiếp tục · Cannot continue', `<h1>Không thể tiếp tục</h1><p class="error" data-testid="citizen-problem">${escapeHtml(vi)}<br><span class="en">${escapeHtml(en)}</span></p>`);
}
