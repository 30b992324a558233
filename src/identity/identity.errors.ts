import { DomainError } from '../shared/domain-error.js';

/**
 * The identity module's errors, with stable codes. Sign-in failures never say which part
 * (user name, password, code) was wrong.
 */
export const identityErrors = {
  signInFailed: (): DomainError =>
    new DomainError('unauthorized', 'SIGN_IN_FAILED', 'The user name, password or code is not right', 'Check them and try again; after 5 failures the account is locked for 15 minutes'),
  accountLocked: (retryAt: string): DomainError =>
    new DomainError('unauthorized', 'ACCOUNT_LOCKED', `Too many failed sign-ins: the account is locked until ${retryAt}`, 'Wait until then, or ask a system administrator', { retryAt }),
  accountSuspended: (): DomainError =>
    new DomainError('forbidden', 'ACCOUNT_SUSPENDED', 'The account is suspended', 'Ask a system administrator to reactivate it'),
  sessionInvalid: (): DomainError =>
    new DomainError('unauthorized', 'SESSION_INVALID', 'There is no such session, or it was ended', 'Sign in again'),
  sessionExpired: (): DomainError =>
    new DomainError('unauthorized', 'SESSION_EXPIRED', 'The session has expired', 'Sign in again'),
  csrfInvalid: (): DomainError =>
    new DomainError('forbidden', 'CSRF_INVALID', 'The request does not carry the session\'s CSRF token', 'Reload the console and try again'),
  enrolmentInvalid: (): DomainError =>
    new DomainError('unauthorized', 'ENROLMENT_INVALID', 'The enrolment link is unknown, used or expired', 'Ask a system administrator for a new enrolment'),
  enrolmentNotStarted: (): DomainError =>
    new DomainError('conflict', 'ENROLMENT_NOT_STARTED', 'No authenticator secret was issued for this enrolment', 'Open the enrolment link again to get the QR code'),
  secondFactorInvalid: (): DomainError =>
    new DomainError('invalid', 'TOTP_INVALID', 'The code from the authenticator app is not right', 'Enter the current 6-digit code shown by the app (check the phone\'s clock)'),
  bootstrapClosed: (): DomainError =>
    new DomainError('conflict', 'BOOTSTRAP_CLOSED', 'A system administrator already exists', 'Ask a system administrator to create the account'),
  usernameTaken: (): DomainError =>
    new DomainError('conflict', 'USERNAME_TAKEN', 'That user name is already taken', 'Choose another user name'),
  officerNotFound: (): DomainError =>
    new DomainError('not_found', 'OFFICER_NOT_FOUND', 'There is no such officer', 'Check the officer id in the list of officers'),
  invalid: (code: string, message: string, action: string): DomainError => new DomainError('invalid', code, message, action),
  apiKeyInvalid: (): DomainError =>
    new DomainError('unauthorized', 'API_KEY_INVALID', 'The API key is not valid', 'Use the key shown when the service account was created, or ask for a new account'),
  apiKeyExpired: (): DomainError =>
    new DomainError('unauthorized', 'API_KEY_EXPIRED', 'The API key has expired or was revoked', 'Ask a system administrator for a new service account'),
  lastAdmin: (): DomainError =>
    new DomainError('conflict', 'LAST_ADMIN', 'This would leave no active system administrator', 'Make another officer system administrator first'),
  selfChange: (): DomainError =>
    new DomainError('forbidden', 'SELF_CHANGE_REFUSED', 'Administrators cannot suspend, re-role or reset themselves', 'Ask another system administrator'),
} as const;
