import { escapeHtml, page } from './sign-in.page.js';

/**
 * The officer's enrolment pages (`enrolment.routes.ts`): the one-time token from the
 * administrator, then the authenticator's QR code, a password and a first code. Rendered on the
 * server like the sign-in form: Vietnamese first, no script, no inline style.
 */

/** Problems the pages explain, by the service's error code; anything else is shown as 'failed'. */
export type EnrolmentProblem = 'ENROLMENT_INVALID' | 'ENROLMENT_NOT_STARTED' | 'PASSWORD_WEAK' | 'TOTP_INVALID' | 'failed';

const problems: Readonly<Record<EnrolmentProblem, readonly [string, string]>> = {
  ENROLMENT_INVALID: ['Mã kích hoạt không đúng, đã dùng hoặc đã hết hạn. Hãy đề nghị quản trị hệ thống cấp mã mới.', 'The enrolment code is unknown, used or expired. Ask a system administrator for a new one.'],
  ENROLMENT_NOT_STARTED: ['Chưa tạo khoá xác thực cho lần kích hoạt này. Hãy nhập lại mã kích hoạt.', 'No authenticator key was issued for this enrolment. Enter the enrolment code again.'],
  PASSWORD_WEAK: ['Mật khẩu quá yếu: dùng ít nhất 12 ký tự, không phải mật khẩu phổ biến, không chứa tên đăng nhập.', 'The password is too weak: use at least 12 characters, not a common password, not the user name.'],
  TOTP_INVALID: ['Mã 6 số không đúng. Nhập mã hiện tại trên ứng dụng xác thực (kiểm tra giờ của điện thoại).', 'The 6-digit code is not right. Enter the current code of the authenticator app (check the phone\'s clock).'],
  failed: ['Không thể kích hoạt tài khoản lúc này. Hãy thử lại.', 'The account could not be enrolled now. Try again.'],
};

function problemBlock(problem: EnrolmentProblem | undefined): string {
  if (problem === undefined) return '';
  const [vi, en] = problems[problem];
  return `<p class="error" role="alert" data-testid="enrol-error">${vi}<br><span class="en">${en}</span></p>`;
}

/** Step 1: the one-time enrolment code the administrator gave. */
export function renderEnrolmentStart(input: { readonly action: string; readonly problem?: EnrolmentProblem }): string {
  return page('Kích hoạt tài khoản · Enrol', `<h1>Kích hoạt tài khoản cán bộ</h1><p class="en">Officer account enrolment</p>${problemBlock(input.problem)}
<form method="post" action="${escapeHtml(input.action)}" autocomplete="off">
<label for="token">Mã kích hoạt <span class="en">Enrolment code</span></label>
<input id="token" name="token" required maxlength="200" data-testid="enrol-token">
<button type="submit" data-testid="enrol-start">Tiếp tục · Continue</button>
</form>`);
}

/**
 * Step 2: the authenticator's key (QR code, the otpauth link for a phone, the key as text), then
 * a password and the first code. `qrSvg` is the QR code's SVG, made by the server from the URI.
 * Without `secret` (the form shown again after a refused code or password) the key is not shown
 * again: the app already holds it.
 */
export function renderEnrolmentForm(input: {
  readonly action: string;
  readonly token: string;
  readonly username: string;
  readonly secret?: { readonly base32: string; readonly otpauthUri: string; readonly qrSvg: string };
  readonly problem?: EnrolmentProblem;
}): string {
  const grouped = input.secret?.base32.replace(/(.{4})(?=.)/g, '$1 ') ?? '';
  const key = input.secret === undefined
    ? '<p>Dùng mã trên ứng dụng xác thực đã thêm. <span class="en">Use the code of the authenticator app you already added.</span></p>'
    : `<p>1. Quét mã QR bằng ứng dụng xác thực (Google Authenticator, Microsoft Authenticator…). <span class="en">Scan the QR code with an authenticator app.</span></p>
<div class="qr" data-testid="enrol-qr">${input.secret.qrSvg}</div>
<p>Hoặc nhập khoá <span class="en">Or enter the key</span>: <span class="secret" data-testid="enrol-secret">${escapeHtml(grouped)}</span> · <a href="${escapeHtml(input.secret.otpauthUri)}">mở trên điện thoại · open on this phone</a></p>
<p>2. Đặt mật khẩu và nhập mã 6 số đầu tiên. <span class="en">Set a password and enter the first 6-digit code.</span></p>`;
  return page('Kích hoạt tài khoản · Enrol', `<h1>Kích hoạt tài khoản cán bộ</h1><p class="en">Officer account enrolment</p>
<p>Tên đăng nhập <span class="en">User name</span>: <strong data-testid="enrol-username">${escapeHtml(input.username)}</strong></p>${problemBlock(input.problem)}${key}
<form method="post" action="${escapeHtml(input.action)}" autocomplete="off">
<input type="hidden" name="token" value="${escapeHtml(input.token)}">
<input type="hidden" name="username" value="${escapeHtml(input.username)}">
<label for="password">Mật khẩu mới (ít nhất 12 ký tự) <span class="en">New password (12 characters or more)</span></label>
<input id="password" name="password" type="password" autocomplete="new-password" required minlength="12" maxlength="256" data-testid="enrol-password">
<label for="code">Mã xác thực 6 số <span class="en">6-digit authenticator code</span></label>
<input id="code" name="code" inputmode="numeric" pattern="[0-9]{6}" autocomplete="one-time-code" required maxlength="6" data-testid="enrol-code">
<button type="submit" data-testid="enrol-complete">Kích hoạt · Enrol</button>
</form>`);
}

export function renderEnrolmentDone(username: string): string {
  return page('Đã kích hoạt · Enrolled', `<h1>Tài khoản đã được kích hoạt</h1><p class="en">The account is enrolled.</p>
<p>Đăng nhập bằng tên <strong>${escapeHtml(username)}</strong>, mật khẩu vừa đặt và mã trên ứng dụng xác thực. <span class="en">Sign in with the user name, the new password and the app's code.</span></p>
<p><a href="/auth/login" data-testid="enrol-sign-in">Đăng nhập · Sign in</a></p>`);
}
