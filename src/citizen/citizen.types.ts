/** A citizen's e-ID account as the services see it (never the password hash or TOTP seed). */
export interface CitizenAccount {
  readonly accountId: string;
  readonly personId: string;
  readonly level: 1 | 2;
  readonly status: 'active' | 'deceased' | 'suspended';
  /** The confirmed phone, for one-time codes. */
  readonly phone: string;
  readonly totpEnrolled: boolean;
  readonly cardNumber: string | null;
  readonly province: string | null;
  readonly lockedUntil: string | null;
  readonly lastSignInAt: string | null;
  readonly level2At: string | null;
  readonly createdAt: string;
}

/** Authentication context class references: eIDAS-like levels of the VNeID account. */
export const acrLevel1 = 'urn:vn:sachsong:loa:1';
export const acrLevel2 = 'urn:vn:sachsong:loa:2';

export function acrOf(level: 1 | 2): string {
  return level === 2 ? acrLevel2 : acrLevel1;
}

/** What the citizen services tell the outside (metrics, alerts): ids and causes, never personal data. */
export type CitizenEvent =
  | { readonly type: 'activation.started' | 'activation.refused'; readonly at: string; readonly cause?: string }
  | { readonly type: 'account.activated' | 'account.level2' | 'account.locked' | 'account.recovered' | 'account.deceased' | 'account.rebound'; readonly accountId: string; readonly at: string }
  | { readonly type: 'sign_in.succeeded' | 'sign_in.failed'; readonly accountId?: string; readonly at: string; readonly cause?: string };
