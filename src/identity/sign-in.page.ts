/**
 * The provider's pages, rendered on the server: Vietnamese first, English second; no script but
 * the server's own files and no inline style (the strict Content-Security-Policy of the console
 * applies to /oidc too): styles come from {@link signInStylesheetPath}.
 */

export const signInStylesheetPath = '/oidc/assets/sign-in.css';

export const signInStylesheet = `*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;background:#f4f6f8;color:#1b1f24}
main{max-width:26rem;margin:4rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.4rem;margin:0 0 .25rem}
.en{color:#57606a;font-size:.9em}
label{display:block;margin:1rem 0 .25rem;font-weight:600}
input{width:100%;padding:.6rem;font:inherit;border:1px solid #8c959f;border-radius:4px}
button{margin-top:1.5rem;width:100%;padding:.7rem;font:inherit;font-weight:600;color:#fff;background:#0b5cad;border:0;border-radius:4px;cursor:pointer}
button.secondary{background:#57606a}
.qr svg{display:block;width:12rem;height:12rem;margin:1rem auto}
.secret{font-family:ui-monospace,monospace;letter-spacing:.1em;word-break:break-all}
.error{margin:1rem 0 0;padding:.75rem;border-radius:4px;background:#ffebe9;color:#82071e}
a{color:#0b5cad}
`;

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** A page of the provider's style (Vietnamese first; no script, no inline style). */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${signInStylesheetPath}"></head>
<body><main>${body}</main></body></html>`;
}

export type SignInProblem = 'failed' | 'locked' | 'suspended' | 'expired' | 'throttled';

const problems: Readonly<Record<SignInProblem, readonly [string, string]>> = {
  failed: ['Tên đăng nhập, mật khẩu hoặc mã xác thực không đúng.', 'The user name, password or code is not right.'],
  locked: ['Đăng nhập sai quá nhiều lần: tài khoản tạm khoá 15 phút.', 'Too many failed sign-ins: the account is locked for 15 minutes.'],
  suspended: ['Tài khoản đã bị đình chỉ. Hãy liên hệ quản trị hệ thống.', 'The account is suspended. Ask a system administrator.'],
  expired: ['Phiên đăng nhập đã hết hạn. Hãy bắt đầu lại.', 'The sign-in has expired. Please start again.'],
  throttled: ['Quá nhiều lần đăng nhập sai từ mạng này. Hãy thử lại sau 15 phút.', 'Too many failed sign-ins from this network. Try again in 15 minutes.'],
};

/** The officer's sign-in form of an interaction: user name, password and the 6-digit code. */
export function renderSignInForm(input: { readonly action: string; readonly csrfToken: string; readonly username?: string; readonly problem?: SignInProblem }): string {
  const problem = input.problem === undefined ? '' : `<p class="error" role="alert" data-testid="sign-in-error">${problems[input.problem][0]}<br><span class="en">${problems[input.problem][1]}</span></p>`;
  return page('Đăng nhập · Sign in', `<h1>Đăng nhập cán bộ</h1><p class="en">Officer sign-in</p>${problem}
<form method="post" action="${escapeHtml(input.action)}" autocomplete="off">
<input type="hidden" name="csrf" value="${escapeHtml(input.csrfToken)}">
<label for="username">Tên đăng nhập <span class="en">User name</span></label>
<input id="username" name="username" autocomplete="username" required maxlength="64" value="${escapeHtml(input.username ?? '')}" data-testid="sign-in-username">
<label for="password">Mật khẩu <span class="en">Password</span></label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256" data-testid="sign-in-password">
<label for="code">Mã xác thực 6 số <span class="en">6-digit authenticator code</span></label>
<input id="code" name="code" inputmode="numeric" pattern="[0-9]{6}" autocomplete="one-time-code" required maxlength="6" data-testid="sign-in-code">
<button type="submit" data-testid="sign-in-submit">Đăng nhập · Sign in</button>
</form>`);
}

/** RP-initiated logout: the provider's confirmation form (it carries the provider's own xsrf field). */
export function renderLogoutConfirm(form: string): string {
  return page('Đăng xuất · Sign out', `<h1>Đăng xuất khỏi hệ thống định danh?</h1><p class="en">Sign out of the identity provider?</p>${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus data-testid="logout-confirm">Đăng xuất · Sign out</button>
<button type="submit" form="op.logoutForm" class="secondary">Ở lại · Stay signed in</button>`);
}

export function renderLoggedOut(): string {
  return page('Đã đăng xuất · Signed out', '<h1>Đã đăng xuất</h1><p class="en">You are signed out.</p><p><a href="/">Về trang chủ · Home</a></p>');
}

/** An error of the provider (a refused request): its OAuth code and description only. */
export function renderProviderError(code: string, description: string | undefined): string {
  return page('Lỗi đăng nhập · Sign-in error', `<h1>Không thể đăng nhập</h1><p class="en">The sign-in request was refused.</p>
<p class="error" data-testid="provider-error"><code>${escapeHtml(code)}</code>${description === undefined ? '' : ` ${escapeHtml(description)}`}</p><p><a href="/">Về trang chủ · Home</a></p>`);
}

/** The console's callback could not complete the sign-in (state, code or token refused). */
export function renderCallbackFailed(): string {
  return page('Đăng nhập không thành công · Sign-in failed', `<h1>Đăng nhập không thành công</h1><p class="en">The sign-in could not be completed.</p>
<p><a href="/auth/login" data-testid="sign-in-again">Đăng nhập lại · Sign in again</a></p>`);
}
