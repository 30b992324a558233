import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import type { Kysely } from 'kysely';
import type { AccessLog } from '../audit/access-log.types.js';
import type { AuditService } from '../audit/audit.service.js';
import { unitNameOf } from '../audit/tracker.view.js';
import { escapeHtml } from '../identity/sign-in.page.js';
import type { Clock } from '../shared/clock.js';
import { DomainError, isDomainError, type ErrorKind } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import type { AddressLimiter } from './attempt.limiter.js';
import type { CitizenModule } from './citizen.module.js';
import type { CitizenAccount } from './citizen.types.js';
import {
  bilingual, csrfForm, portalBase, portalPage, portalStylesheet, portalStylesheetPath, renderPortalSignIn, vnDate, vnDateTime, vnLastDay, type PortalPage,
} from './portal.pages.js';
import type { PortalConsents, PortalCorrectionRequests, PortalProcedure, PortalProcedures } from './portal.ports.js';
import { householdOthers, portalClientId, readOwnRecord, recordFieldNames, recordHouseholdRead, recordOwnRead, type HouseholdMember } from './portal.record.js';
import { personRepository } from '../registry/person.repository.js';
import { cookieOf, deviceOf, setPortalCookie } from './portal.routes.js';
import { signedInServiceRepository } from './signed-in-service.repository.js';
import { citizenCsrfToken } from './citizen-account.service.js';
import { portalTrackerScript, portalTrackerScriptPath } from './tracker-proof.script.js';

export interface PortalPagesOptions {
  readonly citizen: CitizenModule;
  readonly audit: AuditService;
  readonly accessLog: AccessLog;
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  readonly consents: PortalConsents;
  readonly requests: PortalCorrectionRequests;
  readonly procedures: PortalProcedures;
  readonly secureCookies: boolean;
  readonly addressLimiter?: AddressLimiter;
}

const fieldNames: Readonly<Record<string, readonly [string, string]>> = {
  fullName: ['Họ và tên', 'full name'], name: ['Họ và tên', 'full name'], birthDate: ['Ngày sinh', 'birth date'], birthdate: ['Ngày sinh', 'birth date'],
  sex: ['Giới tính', 'sex'], gender: ['Giới tính', 'sex'], nationality: ['Quốc tịch', 'nationality'], ethnicity: ['Dân tộc', 'ethnicity'], religion: ['Tôn giáo', 'religion'],
  hometown: ['Quê quán', 'home town'], permanentAddress: ['Nơi thường trú', 'permanent residence'], permanentCommune: ['Xã thường trú', 'permanent commune'],
  vn_permanent_residence: ['Nơi thường trú', 'permanent residence'], permanentResidence: ['Nơi thường trú', 'permanent residence'],
  temporaryResidence: ['Nơi tạm trú', 'temporary residence'], currentResidence: ['Nơi ở hiện tại', 'current residence'], currentAddress: ['Nơi ở hiện tại', 'current residence'], currentCommune: ['Xã nơi ở', 'current commune'],
  vn_current_residence: ['Nơi ở hiện tại', 'current residence'], vn_tax_code: ['Mã số thuế', 'tax code'], idNumber: ['Số định danh', 'ID number'],
  household: ['Hộ gia đình', 'household'], status: ['Tình trạng', 'status'], deathDate: ['Ngày mất', 'death date'], fatherId: ['Cha', 'father'], motherId: ['Mẹ', 'mother'],
  spouseId: ['Vợ/chồng', 'spouse'], householdId: ['Số hộ', 'household number'],
};
/** The data-use log page's entries, and the same page of the portal's API that its script checks. */
const trackerLimit = 100;
const proofsPath = `/citizen/portal/access-records?limit=${String(trackerLimit)}`;

const fieldName = (f: string): string => fieldNames[f]?.[0] ?? f;
const fieldList = (fields: readonly string[]): string => escapeHtml(fields.map(fieldName).join(', '));

const relationships: Readonly<Record<string, string>> = {
  head: 'Chủ hộ · head', spouse: 'Vợ/chồng · spouse', child: 'Con · child', con: 'Con · child', parent: 'Cha/mẹ · parent', grandchild: 'Cháu · grandchild',
  child_in_law: 'Con dâu/con rể · child-in-law', sibling: 'Anh/chị/em · sibling', grandparent: 'Ông/bà · grandparent', other: 'Khác · other',
};

const roleNames: Readonly<Record<string, string>> = {
  commune_officer: 'Cán bộ công an xã', province_officer: 'Cán bộ công an tỉnh', national_officer: 'Cán bộ cấp bộ', quality_officer: 'Cán bộ chất lượng dữ liệu',
  auditor: 'Kiểm toán viên', system_admin: 'Quản trị hệ thống', service_account: 'Hệ thống nghiệp vụ',
};

/** Messages of the errors a portal form can meet, by code. */
const problems: Readonly<Record<string, readonly [string, string]>> = {
  SIGN_IN_FAILED: ['Số định danh, mật khẩu hoặc mã xác thực không đúng.', 'The ID number, password or code is not right.'],
  ACCOUNT_LOCKED: ['Đăng nhập sai quá nhiều lần: tài khoản tạm khoá 15 phút.', 'Too many failed sign-ins: the account waits 15 minutes.'],
  CITIZEN_ACCOUNT_CLOSED: ['Tài khoản không còn sử dụng được. Hãy liên hệ công an xã.', 'The account can no longer be used. Contact the commune police.'],
  LEVEL2_REQUIRED: ['Tài khoản của bạn là mức 1: hãy đăng nhập không có mã xác thực.', 'Your account is level 1: sign in without a code.'],
  TOO_MANY_ATTEMPTS: ['Quá nhiều lần thử từ thiết bị này. Hãy thử lại sau.', 'Too many attempts from this device. Try again later.'],
  CSRF_INVALID: ['Biểu mẫu đã hết hạn. Hãy tải lại trang và thử lại.', 'The form has expired. Reload the page and try again.'],
  CROSS_SITE: ['Biểu mẫu được gửi từ trang khác: đã từ chối.', 'The form was sent from another site: refused.'],
  GRANT_NOT_FOUND: ['Không tìm thấy dịch vụ này trong danh sách của bạn.', 'This service is not in your list.'],
  SESSION_NOT_FOUND: ['Không tìm thấy phiên đăng nhập này.', 'No such session of yours.'],
  CONSENT_NOT_FOUND: ['Không tìm thấy sự đồng ý này.', 'No such consent of yours.'],
  CONSENT_OFFER_NOT_FOUND: ['Cơ quan này không còn đề nghị sự đồng ý.', 'This agency no longer asks for consent.'],
  CONSENT_PURPOSE_INVALID: ['Mục đích không hợp lệ.', 'The purpose is not valid.'],
  CONSENT_STATUS_CONFLICT: ['Không thể thay đổi sự đồng ý ở trạng thái hiện tại.', 'The consent cannot change from its present status.'],
  CORRECTION_FIELD_INVALID: ['Hãy chọn thông tin cần sửa.', 'Choose the field to correct.'],
  CORRECTION_EXPLANATION_INVALID: ['Lời giải thích cần từ 10 đến 1000 ký tự.', 'The explanation needs 10 to 1000 characters.'],
  CORRECTION_EVIDENCE_INVALID: ['Giấy tờ chứng minh tối đa 200 ký tự.', 'The evidence is at most 200 characters.'],
  CORRECTION_REQUEST_OPEN: ['Bạn đã có một yêu cầu về thông tin này đang được xử lý.', 'A request about this field is already being handled.'],
  CORRECTION_REQUESTS_LIMIT: ['Bạn có quá nhiều yêu cầu đang chờ xử lý.', 'You have too many requests waiting.'],
  DATE_INVALID: ['Ngày không hợp lệ: hãy nhập đủ ngày, tháng, năm.', 'The date is not valid: give the day, month and year.'],
  CHILD_NAME_INVALID: ['Hãy nhập họ, chữ đệm và tên của trẻ (tối đa 100 ký tự).', 'Give the child\'s full name (at most 100 characters).'],
  CHILD_SEX_INVALID: ['Hãy chọn giới tính của trẻ.', 'Choose the child\'s sex.'],
  BIRTH_DATE_IMPOSSIBLE: ['Ngày sinh của trẻ không thể đúng (sau hôm nay, hoặc không phù hợp với cha mẹ).', 'The child\'s date of birth cannot be right (after today, or not possible for the parents).'],
  CHILD_TOO_OLD: ['Thủ tục liên thông này dành cho trẻ dưới 6 tuổi; hãy đăng ký khai sinh quá hạn tại xã.', 'This linked procedure is for children under six; register a late birth at the commune.'],
  PARENT_INVALID: ['Cha/mẹ còn lại không hợp lệ.', 'The other parent is not valid.'],
  PARENT_NOT_FOUND: ['Không tìm thấy cha/mẹ còn lại trong cơ sở dữ liệu.', 'The other parent is not in the registry.'],
  PROCEDURE_DUPLICATE: ['Hồ sơ này đã được nộp; hãy theo dõi hồ sơ đang xử lý.', 'This application was already submitted; follow the one under way.'],
  DECEASED_NOT_IN_HOUSEHOLD: ['Chỉ khai tử được cho thành viên còn sống trong hộ của bạn.', 'You can declare the death of a living member of your household only.'],
  DECEASED_NOT_FOUND: ['Không tìm thấy người mất trong cơ sở dữ liệu.', 'The person who died is not in the registry.'],
  DEATH_DATE_IMPOSSIBLE: ['Ngày mất không thể đúng (sau hôm nay hoặc trước ngày sinh).', 'The date of death cannot be right (after today or before the birth).'],
  DEATH_CAUSE_INVALID: ['Nguyên nhân tối đa 200 ký tự.', 'The cause is at most 200 characters.'],
  PERSON_DECEASED: ['Người này đã được ghi nhận là đã mất.', 'This person\'s death is already recorded.'],
  RESIDENCE_UNKNOWN: ['Chưa có nơi thường trú hợp lệ: hãy liên hệ công an xã.', 'No registered residence: contact the commune police.'],
  APPLICANT_DECEASED: ['Người nộp hồ sơ được ghi nhận là đã mất.', 'The applicant is recorded as deceased.'],
  APPLICANT_IS_DECEASED_PERSON: ['Bạn không thể khai tử cho chính mình.', 'You cannot declare your own death.'],
  PASSWORD_INCORRECT: ['Mật khẩu không đúng. Sai 5 lần, tài khoản tạm khoá 15 phút.', 'The password is not right. After 5 failures the account waits 15 minutes.'],
  CHIP_DATA_INVALID: ['Dữ liệu chip không có chữ ký hợp lệ của cơ quan cấp thẻ. Hãy đọc lại thẻ.', 'The chip data does not carry the card issuer\'s valid signature. Read the card again.'],
  CHIP_DATA_MISMATCH: ['Thẻ vừa đọc không phải thẻ căn cước của bạn.', 'The card read is not your own ID card.'],
  TOTP_INVALID: ['Mã của ứng dụng xác thực không đúng. Hãy nhập mã đang hiển thị.', 'The authenticator code is not right. Type the code it shows now.'],
  ENROLMENT_NOT_STARTED: ['Chưa bắt đầu thiết lập ứng dụng xác thực. Hãy bắt đầu lại.', 'No authenticator set-up is under way. Start again.'],
  LEVEL2_SESSION_REQUIRED: ['Để thay ứng dụng xác thực, hãy đăng nhập lại kèm mã của ứng dụng hiện tại.', 'To replace the authenticator, sign in again with the code of your present one.'],
  LEVEL2_NEEDED_FOR_AUTHENTICATOR: ['Ứng dụng xác thực dành cho tài khoản mức 2: hãy nâng mức trước.', 'An authenticator is for a level 2 account: raise the level first.'],
};
const problemOf = (code: string): readonly [string, string] => problems[code] ?? ['Không thể thực hiện yêu cầu.', 'The request could not be done.'];
const statusOfKind: Readonly<Record<ErrorKind, number>> = { invalid: 400, unauthorized: 401, forbidden: 403, not_found: 404, conflict: 409, unavailable: 503, rate_limited: 429 };

const notices: Readonly<Record<string, string>> = {
  'service-revoked': 'Đã thu hồi sự đồng ý với dịch vụ. · The service\'s access is withdrawn.',
  'session-revoked': 'Đã kết thúc phiên. · The session has ended.',
  'consent-given': 'Đã ghi nhận sự đồng ý của bạn. · Your consent is recorded.',
  'consent-changed': 'Đã cập nhật sự đồng ý. · Your consent is updated.',
  'request-sent': 'Đã gửi yêu cầu tới công an xã. · Your request went to the commune.',
  'procedure-submitted': 'Đã nộp hồ sơ liên thông; các bước tiếp theo tự chuyển tới cơ quan liên quan. · The application is submitted; the next steps go to each agency.',
  'level2': 'Thẻ căn cước đã được xác nhận bằng chip: tài khoản ở mức 2. Hãy thiết lập ứng dụng xác thực. · The ID card chip is confirmed: the account is level 2. Set up an authenticator next.',
  'totp-enrolled': 'Đã thiết lập ứng dụng xác thực. Lần đăng nhập sau, nhập mã để dùng mức 2. · The authenticator is set up. Next time, sign in with its code for level 2.',
};

const procedureStatus: Readonly<Record<string, readonly [string, string, string]>> = {
  in_progress: ['Đang xử lý', 'in progress', ''], done: ['Đã hoàn thành', 'completed', 'good'], failed: ['Có bước không thành công', 'a step failed', 'bad'],
};
const stepStatus: Readonly<Record<string, readonly [string, string, string]>> = {
  pending: ['Đang chờ', 'waiting', ''], in_progress: ['Đang xử lý', 'in progress', ''], done: ['Đã xong', 'done', 'good'],
  failed: ['Không thành công: cán bộ xã sẽ gửi lại', 'failed: the commune will send it again', 'bad'], overdue: ['Quá hạn', 'overdue', 'bad'],
};
const procedureTitle: Readonly<Record<string, string>> = { birth: 'Khai sinh – thường trú – thẻ BHYT', death: 'Khai tử – xóa thường trú – dừng lương hưu – khóa tài khoản' };
/** Who may be named as the other parent of a newborn: an adult of the household (the service checks sex and ages). */
const adultOn = (m: HouseholdMember, today: string): boolean => m.birthDate.slice(0, 4) <= String(Number(today.slice(0, 4)) - 12);

const consentStatus: Readonly<Record<string, readonly [string, string, string]>> = {
  ACTIVE: ['Đang có hiệu lực', 'active', 'good'], PAUSED: ['Tạm dừng', 'paused', ''], REVOKED: ['Đã rút lại', 'withdrawn', 'bad'], EXPIRED: ['Hết hạn', 'expired', 'bad'],
};
const requestStatus: Readonly<Record<string, readonly [string, string, string]>> = {
  submitted: ['Đang xử lý', 'being handled', ''], corrected: ['Đã sửa', 'corrected', 'good'], rejected: ['Không chấp nhận', 'not accepted', 'bad'],
};
const badge = (s: readonly [string, string, string] | undefined, testid: string): string =>
  s === undefined ? '' : `<span class="status ${s[2]}" data-testid="${testid}">${escapeHtml(s[0])} · ${escapeHtml(s[1])}</span>`;

function formField(body: unknown, name: string, max: number): string {
  if (typeof body !== 'string') return '';
  return (new URLSearchParams(body).get(name) ?? '').slice(0, max);
}

interface Signed { readonly account: CitizenAccount; readonly level: 1 | 2; readonly sessionRef: string; readonly sessionId: string }

/**
 * The citizen's portal pages (server-rendered, the same session cookie as the portal's API):
 * sign-in, my record with each field's source and last change, my data-use log (agencies,
 * officers and services that read my data, when, why), the services I signed in to (revoke),
 * my consents to agencies (give, pause, resume, withdraw) and my correction requests.
 * Reading the record leaves an access record before the page leaves.
 */
export function portalPagesRoutes(app: FastifyInstance, options: PortalPagesOptions, done: (error?: Error) => void): void {
  const { citizen, audit, accessLog, db, clock, consents, requests, secureCookies } = options;
  const limiter = options.addressLimiter ?? citizen.addressLimits.portalSignIn;
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 8_192 }, (_request, body, next) => { next(null, body); });
  const hide = { schema: { hide: true } };

  const html = (reply: FastifyReply, status: number, body: string): FastifyReply =>
    reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
  const crossSite = (request: FastifyRequest): boolean => {
    const origin = request.headers.origin;
    return origin !== undefined && (origin === 'null' || URL.parse(origin)?.host !== request.headers.host);
  };
  const toSignIn = (reply: FastifyReply): FastifyReply => reply.code(303).header('location', portalBase).header('cache-control', 'no-store').send();

  /** The signed-in citizen, or undefined (the page then goes to sign-in). POSTs need the form's CSRF token. */
  const session = async (request: FastifyRequest, unsafe: boolean): Promise<Signed | undefined> => {
    const sessionId = cookieOf(request) ?? '';
    try {
      const s = await citizen.accounts.authenticate(sessionId, { unsafe, csrfToken: formField(request.body, 'csrf', 200) });
      // No registry read here: the header names no one, so only the record page reads (and records) personal data.
      return { ...s, sessionId };
    } catch (error) {
      if (isDomainError(error) && error.code === 'SESSION_INVALID') return undefined;
      throw error;
    }
  };
  const vnToday = (): string => new Date(clock.now().getTime() + 7 * 3_600_000).toISOString().slice(0, 10);
  const frame = (s: Signed, page: PortalPage, request: FastifyRequest, problem?: readonly [string, string]): Parameters<typeof portalPage>[0] => {
    const doneKey = (request.query as { done?: unknown } | undefined)?.done;
    return { page, level: s.level, csrfToken: citizenCsrfToken(s.sessionId), notice: typeof doneKey === 'string' ? notices[doneKey] : undefined, problem };
  };

  /**
   * The account's level and second factor: level 1 rises to level 2 by the card chip's signed
   * data (read by the phone app over NFC and pasted or posted here); a level 2 account sets up
   * its authenticator (TOTP), the password asked again first. `enrolment` shows a new seed.
   */
  const renderSecurity = async (s: Signed, request: FastifyRequest, problem?: readonly [string, string], enrolment?: { readonly totpSecret: string; readonly otpauthUri: string }): Promise<string> => {
    const csrf = citizenCsrfToken(s.sessionId);
    const account = s.account;
    const level = `<p data-testid="security-level" data-level="${String(account.level)}">${bilingual(`Tài khoản của bạn ở mức ${String(account.level)}.`, `Your account is at level ${String(account.level)}.`)}${account.level2At === null ? '' : ` <span class="meta">Mức 2 từ <span lang="en">· Level 2 since</span> ${vnDate(account.level2At)}</span>`}</p>`;
    const chipForm = `<p>Ứng dụng trên điện thoại đọc chip của thẻ căn cước qua NFC; dữ liệu có chữ ký số của cơ quan cấp thẻ được gửi tới đây và đối chiếu với cơ sở dữ liệu dân cư. Hoặc đến công an xã để cán bộ xác nhận trực tiếp. <span class="en" lang="en">The phone app reads the ID card's chip over NFC; its data, signed by the card issuer, is sent here and checked against the registry. Or go to the commune police, where an officer attests it in person.</span></p>
${csrfForm(`${portalBase}/security/chip`, csrf, `<label for="chipData">Dữ liệu chip <span class="en" lang="en">Chip data</span></label><textarea id="chipData" name="chipData" required maxlength="8192" autocomplete="off" data-testid="chip-data"></textarea>
<label for="chipSignature">Chữ ký của cơ quan cấp thẻ <span class="en" lang="en">Card issuer's signature</span></label><input id="chipSignature" name="chipSignature" required maxlength="200" autocomplete="off" data-testid="chip-signature">`, '<button type="submit" data-testid="chip-submit">Nâng lên mức 2 · Raise to level 2</button>')}`;
    if (account.level !== 2) {
      return portalPage(frame(s, 'security', request, problem), ['Mức tài khoản và bảo mật', 'Account level and security'], `${level}
<h2>${bilingual('Nâng lên mức 2 bằng chip thẻ căn cước', 'Level 2 by the ID card chip')}</h2>${chipForm}`);
    }
    let authenticator: string;
    if (enrolment !== undefined) {
      const qr = await QRCode.toString(enrolment.otpauthUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
      authenticator = `<p>Quét mã QR bằng ứng dụng xác thực (Google Authenticator, Microsoft Authenticator…), hoặc nhập khoá bên dưới, rồi nhập mã 6 số ứng dụng hiển thị. <span class="en" lang="en">Scan the QR code with an authenticator app, or type the key below, then type the 6-digit code it shows.</span></p>
<div class="qr" role="img" aria-label="Mã QR của ứng dụng xác thực · Authenticator QR code">${qr}</div>
<p>Khoá <span lang="en">· Key</span>: <code data-testid="totp-secret">${escapeHtml(enrolment.totpSecret)}</code></p>
${csrfForm(`${portalBase}/security/totp/confirm`, csrf, `<label for="totpCode">Mã 6 số <span class="en" lang="en">6-digit code</span></label><input id="totpCode" name="code" inputmode="numeric" pattern="[0-9]{6}" required maxlength="6" autocomplete="one-time-code" data-testid="totp-code">`, '<button type="submit" data-testid="totp-confirm">Xác nhận · Confirm</button>')}`;
    } else if (account.totpEnrolled && s.level !== 2) {
      authenticator = `<p data-testid="totp-status" data-enrolled="true">${bilingual('Đã có ứng dụng xác thực. Để thay ứng dụng, hãy đăng nhập lại kèm mã của ứng dụng hiện tại.', 'An authenticator is set up. To replace it, sign in again with the code of your present one.')}</p>`;
    } else {
      authenticator = `<p data-testid="totp-status" data-enrolled="${String(account.totpEnrolled)}">${account.totpEnrolled ? bilingual('Đã có ứng dụng xác thực. Thiết lập lại sẽ thay ứng dụng cũ.', 'An authenticator is set up. Setting up again replaces it.') : bilingual('Chưa có ứng dụng xác thực: bạn chỉ đăng nhập được ở mức 1.', 'No authenticator yet: you can sign in at level 1 only.')}</p>
${csrfForm(`${portalBase}/security/totp`, csrf, `<label for="currentPassword">Nhập lại mật khẩu <span class="en" lang="en">Your password again</span></label><input id="currentPassword" name="password" type="password" required maxlength="256" autocomplete="current-password" data-testid="totp-password">`, `<button type="submit" data-testid="totp-begin">${account.totpEnrolled ? 'Thay ứng dụng xác thực · Replace the authenticator' : 'Thiết lập ứng dụng xác thực · Set up an authenticator'}</button>`)}`;
    }
    return portalPage(frame(s, 'security', request, problem), ['Mức tài khoản và bảo mật', 'Account level and security'], `${level}
<h2>${bilingual('Ứng dụng xác thực (mức 2)', 'Authenticator (level 2)')}</h2>${authenticator}${enrolment === undefined && account.totpEnrolled ? `
<h2>${bilingual('Mất ứng dụng xác thực?', 'Lost your authenticator?')}</h2><p data-testid="totp-lost">${bilingual('Mang thẻ căn cước đến công an xã: cán bộ đối chiếu khuôn mặt và thẻ, ứng dụng cũ bị huỷ và bạn thiết lập ứng dụng mới tại đây.', 'Take your ID card to the commune police: once an officer has checked your face and card, the old authenticator is cancelled and you set up a new one here.')}</p>` : ''}`);
  };

  const renderers: Readonly<Record<PortalPage, (s: Signed, request: FastifyRequest, problem?: readonly [string, string]) => Promise<string>>> = {
    security: (s, request, problem) => renderSecurity(s, request, problem),
    async record(s, request, problem) {
      const record = await readOwnRecord(db, s.account.personId, vnToday());
      const fields = record.fields.map((f) => `<div class="card" data-testid="record-field" data-field="${f.field}">
<dl class="fields"><dt>${bilingual(f.label[0], f.label[1])}</dt><dd data-testid="record-value">${f.value === null ? '<span class="meta">Chưa có · none</span>' : escapeHtml(f.value)}</dd>
<dd class="meta" data-testid="record-source">Nguồn <span lang="en">· Source</span>: ${escapeHtml(f.source)}</dd>
<dd class="meta" data-testid="record-updated">Cập nhật <span lang="en">· Updated</span> ${vnDate(f.updatedAt)} — ${bilingual(f.updatedBy[0], f.updatedBy[1])}</dd></dl></div>`).join('\n');
      const household = record.household === null ? '<p>Không thuộc hộ gia đình nào. <span class="en" lang="en">In no household.</span></p>'
        : `<p class="meta">Số hộ <span lang="en">· Household</span> ${escapeHtml(record.household.householdId)}</p><ul class="plain">${record.household.members.map((m) => `<li class="card" data-testid="household-member">${escapeHtml(m.fullName)}${m.self ? ' (bạn · you)' : ''} — ${escapeHtml(m.relationshipToHead === null ? 'chưa ghi quan hệ · not recorded' : relationships[m.relationshipToHead] ?? m.relationshipToHead)}</li>`).join('')}</ul>`;
      // The record leaves only once the access record of this read is durable.
      await recordOwnRead(accessLog, clock, s.account, 'portal.record', [...recordFieldNames, 'household'], request.id);
      return portalPage(frame(s, 'record', request, problem), ['Hồ sơ của tôi', 'My record'], `<p>Số định danh <span lang="en">· ID number</span>: <strong data-testid="record-id-number">${escapeHtml(record.person.idNumber)}</strong></p>
<p class="meta">Thấy thông tin sai? <a href="${portalBase}/requests">Gửi yêu cầu sửa · Ask for a correction</a></p>
${fields}<h2>${bilingual('Hộ gia đình', 'Household')}</h2>${household}`);
    },

    async tracker(s, request, problem) {
      const page = await audit.tracker(s.account.personId, { limit: trackerLimit });
      const entries = page.entries.map((e) => {
        const r = e.record;
        let who: string;
        if (r.clientId === portalClientId) who = bilingual('Bạn, trên Cổng công dân', 'You, on the citizen portal');
        else if (r.service === 'oidc.userinfo') who = `${escapeHtml(r.receivingAgency ?? r.clientId)} <span class="en" lang="en">(dịch vụ bạn đăng nhập · a service you signed in to)</span>`;
        else if (r.readerKind !== undefined) {
          const unit = r.readerUnit === undefined ? undefined : unitNameOf(r.readerUnit, page.visibleOn);
          who = `${escapeHtml(roleNames[r.readerRole ?? ''] ?? r.readerRole ?? 'Cán bộ')} ${escapeHtml(r.officerId)}${unit === undefined ? '' : `, ${escapeHtml(unit)}`}${r.breakGlass === true ? ' <strong>(truy cập khẩn cấp · break-glass)</strong>' : ''}`;
        } else who = `${escapeHtml(r.receivingAgency ?? r.clientId)} <span class="meta">(${escapeHtml(r.clientId)}; cán bộ · officer ${escapeHtml(r.officerId)})</span>`;
        return `<li class="card" data-testid="tracker-entry" data-service="${escapeHtml(r.service)}" data-index="${e.index}" data-at="${escapeHtml(r.at)}"><h3>${vnDateTime(r.at)}</h3>
<dl class="fields"><dt>${bilingual('Ai', 'Who')}</dt><dd data-testid="tracker-who">${who}</dd>
<dt>${bilingual('Thông tin', 'What')}</dt><dd data-testid="tracker-fields">${fieldList(r.fields)}</dd>
<dt>${bilingual('Vì sao', 'Why')}</dt><dd data-testid="tracker-purpose">${escapeHtml(r.purpose)}</dd>
<dt>${bilingual('Căn cứ', 'Under')}</dt><dd>${escapeHtml(r.legalBasis)}${r.consentId === undefined ? '' : ' <span class="meta">(theo sự đồng ý của bạn · under your consent)</span>'}</dd>
<dt>${bilingual('Bằng chứng', 'Proof')}</dt><dd><span class="meta" data-testid="tracker-proof" data-proof-state="unchecked">Bản ghi số ${e.index} trong sổ <span lang="en">· record ${e.index} of the log</span></span></dd></dl></li>`;
      }).join('\n');
      const checkpoint = page.checkpoint === undefined ? '' : `<p class="meta" data-testid="tracker-checkpoint">Sổ ghi truy cập có ${page.checkpoint.treeSize} bản ghi, được ký số; mỗi mục có bằng chứng đưa vào sổ. <span lang="en">The access log holds ${page.checkpoint.treeSize} signed records; each entry has its inclusion proof.</span></p>
<p class="meta">Khoá công khai của sổ <span lang="en">· The log's public key</span>: <code data-testid="tracker-log-key">${escapeHtml(audit.verifierKey)}</code></p>
<p data-testid="tracker-proof-summary" role="status">Khi trình duyệt chạy JavaScript, trang này tự kiểm chứng từng bản ghi với chữ ký của sổ. <a href="${proofsPath}">Bằng chứng (JSON)</a> <span class="en" lang="en">With JavaScript on, this page checks each record against the log's signature itself. Proofs (JSON) above.</span></p>`;
      // The script checks the proofs against the key published here, not the one the JSON carries.
      return portalPage({ ...frame(s, 'tracker', request, problem), script: portalTrackerScriptPath }, ['Ai đã dùng dữ liệu của tôi', 'Who used my data'],
        `${checkpoint}${entries === '' ? '<p data-testid="tracker-empty">Chưa có ai dùng dữ liệu của bạn. <span class="en" lang="en">No one has used your data yet.</span></p>' : `<ul class="plain" data-proofs="${proofsPath}" data-log-key="${escapeHtml(audit.verifierKey)}">${entries}</ul>`}`);
    },

    async services(s, request, problem) {
      const csrf = citizenCsrfToken(s.sessionId);
      const list = [];
      for (const g of await signedInServiceRepository.ofAccount(db, s.account.accountId)) {
        const rp = await citizen.relyingParties.get(g.clientId).catch(() => undefined);
        list.push(`<li class="card" data-testid="service" data-client="${escapeHtml(g.clientId)}"><h3>${escapeHtml(rp?.displayName ?? g.clientId)}</h3>
<p class="meta">Được nhận <span lang="en">· Receives</span>: ${escapeHtml(g.scopes.filter((x) => x !== 'openid').join(', ') || 'chỉ mã định danh riêng · only an identifier')}${g.grantedAt === null ? '' : `; đồng ý ngày <span lang="en">· agreed on</span> ${vnDate(g.grantedAt)}`}</p>
${csrfForm(`${portalBase}/services/revoke`, csrf, `<input type="hidden" name="clientId" value="${escapeHtml(g.clientId)}">`, `<button type="submit" class="danger" data-testid="service-revoke">Thu hồi · Revoke</button>`)}</li>`);
      }
      const sessions = (await citizen.accounts.listSessions(s.account.accountId)).map((x) => `<li class="card" data-testid="session"><h3>${escapeHtml(x.device)}${x.sessionRef === s.sessionRef ? ' (phiên này · this session)' : ''}</h3>
<p class="meta">Mức ${x.level} · level ${x.level}; từ <span lang="en">· since</span> ${vnDateTime(x.createdAt)}; lần cuối <span lang="en">· last seen</span> ${vnDateTime(x.lastSeenAt)}</p>
${x.sessionRef === s.sessionRef ? '' : csrfForm(`${portalBase}/sessions/revoke`, csrf, `<input type="hidden" name="sessionRef" value="${escapeHtml(x.sessionRef)}">`, '<button type="submit" class="secondary" data-testid="session-revoke">Kết thúc · End</button>')}</li>`).join('');
      return portalPage(frame(s, 'services', request, problem), ['Dịch vụ đã đăng nhập', 'Services I signed in to'],
        `${list.length === 0 ? '<p data-testid="services-empty">Bạn chưa đăng nhập dịch vụ nào. <span class="en" lang="en">You have not signed in to any service.</span></p>' : `<ul class="plain">${list.join('')}</ul>`}
<h2>${bilingual('Phiên và thiết bị', 'Sessions and devices')}</h2><ul class="plain">${sessions}</ul>`);
    },

    async consents(s, request, problem) {
      const csrf = citizenCsrfToken(s.sessionId);
      const mine = await consents.ofCitizen(s.account.personId);
      const given = mine.map((c) => {
        const actions: string[] = [];
        const button = (action: string, vi: string, en: string, cls: string): string => csrfForm(`${portalBase}/consents/change`, csrf, `<input type="hidden" name="consentId" value="${escapeHtml(c.consentId)}"><input type="hidden" name="action" value="${action}">`, `<button type="submit" class="${cls}" data-testid="consent-${action}">${vi} · ${en}</button>`, 'inline');
        if (c.status === 'ACTIVE') actions.push(button('pause', 'Tạm dừng', 'Pause', 'secondary'));
        if (c.status === 'PAUSED') actions.push(button('resume', 'Tiếp tục', 'Resume', ''));
        if (c.status === 'ACTIVE' || c.status === 'PAUSED') actions.push(button('revoke', 'Rút lại', 'Withdraw', 'danger'));
        return `<li class="card" data-testid="consent" data-consent="${escapeHtml(c.consentId)}"><h3>${escapeHtml(c.agencyName)}</h3>
<p>${badge(consentStatus[c.status], 'consent-status')}</p>
<dl class="fields"><dt>${bilingual('Mục đích', 'Purpose')}</dt><dd data-testid="consent-purpose">${escapeHtml(c.purposeText)}</dd>
<dt>${bilingual('Thông tin', 'Fields')}</dt><dd>${fieldList(c.fields)}</dd>
<dt>${bilingual('Thời hạn', 'Period')}</dt><dd>${vnDate(c.start)} – ${vnLastDay(c.expiry)}</dd>
<dt>${bilingual('Cập nhật', 'Changed')}</dt><dd data-testid="consent-status-at">${vnDateTime(c.statusAt)}</dd>${c.recordedBy === null ? '' : `
<dt>${bilingual('Ghi nhận', 'Recorded')}</dt><dd data-testid="consent-recorded-by">Cán bộ <span lang="en">· officer</span> ${escapeHtml(c.recordedBy.officerId)} ghi nhận giúp bạn ngày <span lang="en">· recorded for you on</span> ${vnDateTime(c.recordedBy.at)}${c.recordedBy.legalBasis === null ? '' : `; căn cứ <span lang="en">· under</span> ${escapeHtml(c.recordedBy.legalBasis)}`}. Bạn có thể rút lại. <span class="en" lang="en">You may withdraw it.</span></dd>`}</dl>${actions.join(' ')}</li>`;
      }).join('');
      const offers = (await consents.offers()).map((o) => `<li class="card" data-testid="consent-offer" data-grant="${escapeHtml(o.grantId)}"><h3>${escapeHtml(o.agencyName)}</h3>
<p class="meta">Đề nghị nhận <span lang="en">· Asks for</span>: ${fieldList(o.fields)}; đến <span lang="en">· until</span> ${vnLastDay(o.validUntil)}</p>
${o.purposes.map((p) => csrfForm(`${portalBase}/consents/give`, csrf, `<input type="hidden" name="grantId" value="${escapeHtml(o.grantId)}"><input type="hidden" name="purposeCode" value="${escapeHtml(p.code)}"><p>${escapeHtml(p.text)}</p>`, `<button type="submit" data-testid="consent-give">Đồng ý · Consent</button>`)).join('')}</li>`).join('');
      return portalPage(frame(s, 'consents', request, problem), ['Sự đồng ý của tôi', 'My consents'], `<p>Các cơ quan chỉ nhận thông tin này khi bạn đồng ý; bạn có thể tạm dừng hoặc rút lại bất cứ lúc nào. <span class="en" lang="en">These agencies receive this data only with your consent; pause or withdraw it at any time.</span></p>
<h2>${bilingual('Đã đồng ý', 'Given')}</h2>${given === '' ? '<p data-testid="consents-empty">Chưa có. <span class="en" lang="en">None yet.</span></p>' : `<ul class="plain">${given}</ul>`}
<h2>${bilingual('Cơ quan đề nghị sự đồng ý', 'Agencies asking for consent')}</h2>${offers === '' ? '<p>Không có. <span class="en" lang="en">None.</span></p>' : `<ul class="plain">${offers}</ul>`}`);
    },

    async requests(s, request, problem) {
      const csrf = citizenCsrfToken(s.sessionId);
      const mine = await requests.ofPerson(s.account.personId);
      const options = recordFieldNames.map((f) => `<option value="${f}">${escapeHtml(fieldNames[f]?.[0] ?? f)} · ${escapeHtml(fieldNames[f]?.[1] ?? f)}</option>`).join('');
      const list = mine.map((r) => `<li class="card" data-testid="correction-request" data-request="${escapeHtml(r.requestId)}"><h3>${escapeHtml(fieldName(r.field))}</h3>
<p>${badge(requestStatus[r.status], 'request-status')}</p>
<p>${escapeHtml(r.explanation)}</p>${r.evidence === null ? '' : `<p class="meta">Giấy tờ <span lang="en">· Evidence</span>: ${escapeHtml(r.evidence)}</p>`}
<p class="meta">Gửi ngày <span lang="en">· Sent on</span> ${vnDate(r.submittedAt)}${r.decidedAt === null ? '' : `; trả lời ngày <span lang="en">· answered on</span> ${vnDate(r.decidedAt)}`}</p>
${r.answer === null ? '' : `<p data-testid="request-answer">Trả lời của công an xã <span class="en" lang="en">· The commune's answer</span>: ${escapeHtml(r.answer)}</p>`}</li>`).join('');
      return portalPage(frame(s, 'requests', request, problem), ['Yêu cầu sửa thông tin', 'Correction requests'], `<p>Yêu cầu được chuyển tới cán bộ chất lượng dữ liệu của xã nơi bạn thường trú. <span class="en" lang="en">A request goes to the data-quality officers of your commune.</span></p>
${csrfForm(`${portalBase}/requests`, csrf, `<label for="field">Thông tin sai <span class="en" lang="en">Wrong field</span></label><select id="field" name="field" data-testid="request-field">${options}</select>
<label for="explanation">Giải thích: thông tin đúng là gì? <span class="en" lang="en">Explanation: what is right?</span></label><textarea id="explanation" name="explanation" required minlength="10" maxlength="1000" data-testid="request-explanation"></textarea>
<label for="evidence">Giấy tờ chứng minh (không bắt buộc) <span class="en" lang="en">Evidence (optional): document and number</span></label><input id="evidence" name="evidence" maxlength="200" data-testid="request-evidence">`, '<button type="submit" data-testid="request-submit">Gửi yêu cầu · Send</button>')}
<h2>${bilingual('Yêu cầu của tôi', 'My requests')}</h2>${list === '' ? '<p data-testid="requests-empty">Chưa có. <span class="en" lang="en">None yet.</span></p>' : `<ul class="plain">${list}</ul>`}`);
    },

    async procedures(s, request, problem) {
      const csrf = citizenCsrfToken(s.sessionId);
      const today = vnToday();
      const mine = await options.procedures.ofApplicant(s.account.personId);
      const members = await householdOthers(db, s.account.personId);
      const names = new Map<string, string>(members.map((m) => [m.idNumber, m.fullName]));
      for (const p of mine) {
        if (!names.has(p.subjectId)) names.set(p.subjectId, (await personRepository.findById(db, p.subjectId))?.fullName ?? p.subjectId);
      }
      const list = mine.map((p) => renderProcedure(p, names.get(p.subjectId) ?? p.subjectId)).join('');
      const memberOption = (m: HouseholdMember): string => `<option value="${escapeHtml(m.idNumber)}">${escapeHtml(m.fullName)} — ${escapeHtml(m.relationshipToHead === null ? 'chưa ghi quan hệ · not recorded' : relationships[m.relationshipToHead] ?? m.relationshipToHead)}</option>`;
      const parents = members.filter((m) => adultOn(m, today));
      const birthForm = csrfForm(`${portalBase}/procedures/birth`, csrf, `<fieldset><legend>${bilingual('Khai sinh cho con (dưới 6 tuổi)', 'Birth of your child (under six)')}</legend>
<p class="meta">Một lần nộp: đăng ký khai sinh, đăng ký thường trú tại nơi thường trú của bạn và cấp thẻ bảo hiểm y tế. <span lang="en">One submission: birth registration, permanent residence at yours, and the health insurance card.</span></p>
<label for="childName">Họ, chữ đệm và tên của trẻ <span class="en" lang="en">Child's full name</span></label><input id="childName" name="childName" required maxlength="100" autocomplete="off" data-testid="birth-child-name">
<label for="childBirthDate">Ngày sinh <span class="en" lang="en">Date of birth</span></label><input id="childBirthDate" name="childBirthDate" type="date" required max="${today}" data-testid="birth-child-date">
<label for="childSex">Giới tính <span class="en" lang="en">Sex</span></label><select id="childSex" name="childSex" required data-testid="birth-child-sex"><option value="">— Chọn · Choose —</option><option value="F">Nữ · Female</option><option value="M">Nam · Male</option></select>
<label for="otherParent">Cha/mẹ còn lại (không bắt buộc) <span class="en" lang="en">Other parent (optional)</span></label><select id="otherParent" name="otherParentId" data-testid="birth-other-parent"><option value="">Không ghi · not given</option>${parents.map(memberOption).join('')}</select></fieldset>`,
      '<button type="submit" data-testid="birth-submit">Nộp hồ sơ khai sinh · Apply</button>');
      const deathForm = members.length === 0
        ? `<p data-testid="death-none">Hộ của bạn không có thành viên nào khác. <span class="en" lang="en">No other member in your household.</span></p>`
        : csrfForm(`${portalBase}/procedures/death`, csrf, `<fieldset><legend>${bilingual('Khai tử cho thành viên trong hộ', 'Death of a household member')}</legend>
<p class="meta">Một lần nộp: đăng ký khai tử, xóa đăng ký thường trú, báo cơ quan bảo hiểm xã hội dừng lương hưu và khóa tài khoản định danh điện tử. <span lang="en">One submission: death registration, residence removed, pension stop notified, e-ID account locked.</span></p>
<label for="deceasedId">Người mất <span class="en" lang="en">Who died</span></label><select id="deceasedId" name="deceasedId" required data-testid="death-member"><option value="">— Chọn · Choose —</option>${members.map(memberOption).join('')}</select>
<label for="deathDate">Ngày mất <span class="en" lang="en">Date of death</span></label><input id="deathDate" name="deathDate" type="date" required max="${today}" data-testid="death-date">
<label for="cause">Nguyên nhân (không bắt buộc) <span class="en" lang="en">Cause (optional)</span></label><input id="cause" name="cause" maxlength="200" data-testid="death-cause"></fieldset>`,
        '<button type="submit" data-testid="death-submit">Nộp hồ sơ khai tử · Apply</button>');
      // Nothing leaves before the access records: the applicant, each subject, each member named in the forms.
      await options.procedures.recordApplicantRead(s.account.accountId, request.id, mine);
      await recordHouseholdRead(accessLog, clock, s.account, members.map((m) => m.idNumber), request.id);
      return portalPage(frame(s, 'procedures', request, problem), ['Thủ tục liên thông', 'Linked procedures'], `<p>Nộp một lần, các cơ quan tự chuyển hồ sơ cho nhau; mỗi bước có thời hạn tính theo ngày làm việc (không tính thứ Bảy, Chủ nhật và ngày lễ, Tết). <span class="en" lang="en">Apply once; the agencies pass the file on. Each step has a limit in working days (weekends and public holidays not counted).</span></p>
<h2>${bilingual('Hồ sơ của tôi', 'My applications')}</h2>${list === '' ? '<p data-testid="procedures-empty">Chưa có. <span class="en" lang="en">None yet.</span></p>' : `<ul class="plain">${list}</ul>`}
<h2>${bilingual('Nộp hồ sơ mới', 'New application')}</h2>${birthForm}${deathForm}`);
    },
  };

  app.get(portalTrackerScriptPath, hide, (_request, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(portalTrackerScript));
  app.get(portalStylesheetPath, hide, (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(portalStylesheet));

  app.get(portalBase, hide, async (request, reply) => {
    if ((await session(request, false)) !== undefined) return reply.code(303).header('location', `${portalBase}/record`).send();
    return html(reply, 200, renderPortalSignIn({}));
  });

  app.post(`${portalBase}/sign-in`, hide, async (request, reply) => {
    const idNumber = formField(request.body, 'idNumber', 12);
    if (crossSite(request)) return html(reply, 403, renderPortalSignIn({ problem: problemOf('CROSS_SITE') }));
    if ((await limiter.blockedUntil(request.ip)) !== undefined) return html(reply, 429, renderPortalSignIn({ problem: problemOf('TOO_MANY_ATTEMPTS'), idNumber }));
    const code = formField(request.body, 'code', 16);
    try {
      const result = await citizen.accounts.verifySignIn({ idNumber, password: formField(request.body, 'password', 1024), code, level: code === '' ? 1 : 2 });
      const opened = await citizen.accounts.openSession(result.account.accountId, result.level, deviceOf(request));
      setPortalCookie(reply, opened.sessionId, undefined, secureCookies);
      return await reply.code(303).header('location', `${portalBase}/record`).header('cache-control', 'no-store').send();
    } catch (error) {
      if (!isDomainError(error)) throw error;
      if (error.code === 'SIGN_IN_FAILED') await limiter.fail(request.ip);
      return html(reply, statusOfKind[error.kind], renderPortalSignIn({ problem: problemOf(error.code), idNumber }));
    }
  });

  for (const page of ['record', 'tracker', 'services', 'consents', 'requests', 'procedures', 'security'] as const) {
    app.get(`${portalBase}/${page}`, hide, async (request, reply) => {
      const s = await session(request, false);
      if (s === undefined) return toSignIn(reply);
      return html(reply, 200, await renderers[page](s, request));
    });
  }

  /** A form of a signed-in page: CSRF and origin checked; a domain error shows the page again with its message. */
  const form = (path: string, page: PortalPage, act: (s: Signed, body: unknown) => Promise<string>): void => {
    app.post(path, hide, async (request, reply) => {
      let s: Signed | undefined;
      try {
        if (crossSite(request)) throw new DomainError('forbidden', 'CROSS_SITE', 'the form was posted from another site', 'Use the portal\'s own pages');
        s = await session(request, true);
        if (s === undefined) return await toSignIn(reply);
        const doneKey = await act(s, request.body);
        return await reply.code(303).header('location', `${portalBase}/${page}?done=${doneKey}`).header('cache-control', 'no-store').send();
      } catch (error) {
        if (!isDomainError(error)) throw error;
        s ??= await session(request, false);
        if (s === undefined) return toSignIn(reply);
        return html(reply, statusOfKind[error.kind], await renderers[page](s, request, problemOf(error.code)));
      }
    });
  };

  form(`${portalBase}/services/revoke`, 'services', async (s, body) => {
    if (!(await signedInServiceRepository.revoke(db, s.account.accountId, formField(body, 'clientId', 200)))) throw new DomainError('not_found', 'GRANT_NOT_FOUND', 'no such service of yours', 'List your services again');
    return 'service-revoked';
  });
  form(`${portalBase}/sessions/revoke`, 'services', async (s, body) => {
    await citizen.accounts.revokeSession(s.account.accountId, formField(body, 'sessionRef', 40));
    return 'session-revoked';
  });
  form(`${portalBase}/consents/give`, 'consents', async (s, body) => {
    await consents.give(s.account.personId, { grantId: formField(body, 'grantId', 64), purposeCode: formField(body, 'purposeCode', 64) });
    return 'consent-given';
  });
  form(`${portalBase}/consents/change`, 'consents', async (s, body) => {
    const action = formField(body, 'action', 10);
    if (action !== 'pause' && action !== 'resume' && action !== 'revoke') throw new DomainError('invalid', 'CONSENT_ACTION_INVALID', 'the action is pause, resume or revoke', 'Use the page\'s buttons');
    await consents.change(s.account.personId, formField(body, 'consentId', 64), action);
    return 'consent-changed';
  });
  form(`${portalBase}/requests`, 'requests', async (s, body) => {
    const evidence = formField(body, 'evidence', 400);
    await requests.submit({ personId: s.account.personId, accountId: s.account.accountId, field: formField(body, 'field', 40), explanation: formField(body, 'explanation', 2000), evidence: evidence === '' ? undefined : evidence });
    return 'request-sent';
  });

  form(`${portalBase}/security/chip`, 'security', async (s, body) => {
    await citizen.accounts.activateLevel2ByChip(s.account.accountId, { data: formField(body, 'chipData', 8192).trim(), signature: formField(body, 'chipSignature', 200).trim() });
    return 'level2';
  });
  // The new seed shows on the answer itself (never in a URL); it works once its first code is confirmed.
  app.post(`${portalBase}/security/totp`, hide, async (request, reply) => {
    let s: Signed | undefined;
    try {
      if (crossSite(request)) throw new DomainError('forbidden', 'CROSS_SITE', 'the form was posted from another site', 'Use the portal\'s own pages');
      s = await session(request, true);
      if (s === undefined) return await toSignIn(reply);
      if (s.account.level !== 2) throw new DomainError('conflict', 'LEVEL2_NEEDED_FOR_AUTHENTICATOR', 'an authenticator is enrolled on a level 2 account', 'Raise the account to level 2 first');
      const enrolment = await citizen.accounts.startTotpEnrolment(s.account.accountId, { password: formField(request.body, 'password', 1024), sessionLevel: s.level });
      return await html(reply, 200, await renderSecurity(s, request, undefined, enrolment));
    } catch (error) {
      if (!isDomainError(error)) throw error;
      s ??= await session(request, false);
      if (s === undefined) return toSignIn(reply);
      return html(reply, statusOfKind[error.kind], await renderSecurity(s, request, problemOf(error.code)));
    }
  });
  form(`${portalBase}/security/totp/confirm`, 'security', async (s, body) => {
    await citizen.accounts.confirmTotp(s.account.accountId, formField(body, 'code', 6));
    return 'totp-enrolled';
  });

  form(`${portalBase}/procedures/birth`, 'procedures', async (s, body) => {
    const fullName = formField(body, 'childName', 200).trim();
    if (fullName === '' || fullName.length > 100) throw new DomainError('invalid', 'CHILD_NAME_INVALID', 'the child\'s name is empty or too long', 'Give the full name');
    const sex = formField(body, 'childSex', 2);
    if (sex !== 'M' && sex !== 'F') throw new DomainError('invalid', 'CHILD_SEX_INVALID', 'the child\'s sex is M or F', 'Choose the sex');
    const otherParentId = formField(body, 'otherParentId', 20);
    if (otherParentId !== '' && !(await householdOthers(db, s.account.personId)).some((m) => m.idNumber === otherParentId)) {
      throw new DomainError('invalid', 'PARENT_INVALID', 'the other parent is not a member of the household', 'Choose from the list');
    }
    await options.procedures.submitBirth({ applicantId: s.account.personId, officerId: null }, {
      child: { fullName, birthDate: formField(body, 'childBirthDate', 20), sex },
      ...(otherParentId === '' ? {} : { otherParentId }),
    });
    return 'procedure-submitted';
  });
  form(`${portalBase}/procedures/death`, 'procedures', async (s, body) => {
    const deceasedId = formField(body, 'deceasedId', 20);
    // The portal declares deaths in the applicant's own household; other deaths go to the commune's desk.
    if (!(await householdOthers(db, s.account.personId)).some((m) => m.idNumber === deceasedId)) {
      throw new DomainError('invalid', 'DECEASED_NOT_IN_HOUSEHOLD', 'the person is not a living member of the household', 'Choose from the list, or apply at the commune');
    }
    const cause = formField(body, 'cause', 400).trim();
    if (cause.length > 200) throw new DomainError('invalid', 'DEATH_CAUSE_INVALID', 'the cause is too long', 'At most 200 characters');
    await options.procedures.submitDeath({ applicantId: s.account.personId, officerId: null }, {
      deceasedId, deathDate: formField(body, 'deathDate', 20), ...(cause === '' ? {} : { cause }),
    });
    return 'procedure-submitted';
  });

  app.post(`${portalBase}/sign-out`, hide, async (request, reply) => {
    if (crossSite(request)) return toSignIn(reply);
    const s = await session(request, true).catch((error: unknown) => { if (isDomainError(error) && error.code === 'CSRF_INVALID') return undefined; throw error; });
    if (s !== undefined) await citizen.accounts.signOut(s.sessionId);
    if (s !== undefined) setPortalCookie(reply, '', 0, secureCookies);
    return toSignIn(reply);
  });
  done();
}

/** One application, step by step: each step's agency, status, time limit, tries and last error. */
function renderProcedure(p: PortalProcedure, subjectName: string): string {
  const steps = p.steps.map((st) => {
    const cls = st.status === 'done' ? 'done' : st.status === 'failed' || st.status === 'overdue' ? 'bad' : '';
    const tries = st.attempts > 1 || st.nextAttemptAt !== null || st.lastError !== null
      ? `<dt>${bilingual('Số lần gửi', 'Tries')}</dt><dd data-testid="step-attempts">${String(st.attempts)}${st.nextAttemptAt === null ? '' : `; gửi lại lúc <span lang="en">· next try</span> ${vnDateTime(st.nextAttemptAt)}`}</dd>` : '';
    const error = st.lastError === null ? '' : `<dt>${bilingual('Lỗi gần nhất', 'Last error')}</dt><dd data-testid="step-error">${escapeHtml(st.lastError)}</dd>`;
    const due = st.dueAt === null ? `${String(st.limitDays)} ngày làm việc khi đến lượt · working days once current` : `${vnDateTime(st.dueAt)} (${String(st.limitDays)} ngày làm việc · working days)`;
    return `<li class="${cls}" data-testid="procedure-step" data-step="${String(st.stepNo)}" data-status="${st.status}"><strong>${String(st.stepNo)}. ${escapeHtml(st.name)}</strong> ${badge(stepStatus[st.status], 'step-status')}
<dl class="fields"><dt>${bilingual('Cơ quan', 'Agency')}</dt><dd>${escapeHtml(st.ownerName)}</dd>
<dt>${bilingual('Thời hạn', 'Time limit')}</dt><dd data-testid="step-due">${due}</dd>${st.finishedAt === null || st.status !== 'done' ? '' : `<dt>${bilingual('Xong lúc', 'Done at')}</dt><dd>${vnDateTime(st.finishedAt)}</dd>`}${tries}${error}</dl></li>`;
  }).join('');
  return `<li class="card" data-testid="procedure" data-procedure="${escapeHtml(p.procedureId)}" data-kind="${p.kind}"><h3>${escapeHtml(procedureTitle[p.kind] ?? p.name)}: ${escapeHtml(subjectName)}</h3>
<p>${badge(procedureStatus[p.status], 'procedure-status')}${p.overdue ? ` ${badge(stepStatus.overdue, 'procedure-overdue')}` : ''}</p>
<p class="meta">Nộp lúc <span lang="en">· Submitted</span> ${vnDateTime(p.submittedAt)}; hạn cả hồ sơ <span lang="en">· whole limit</span> ${vnDateTime(p.dueAt)}${p.completedAt === null ? '' : `; hoàn thành <span lang="en">· completed</span> ${vnDateTime(p.completedAt)}`}</p>
<ol class="steps">${steps}</ol></li>`;
}
