/** Officials' alerts: a volume over the officer's own baseline, a break-glass read, a read at night, a read of a sensitive person. */
export type OfficialAlertKind = 'official-volume' | 'official-break-glass' | 'official-night' | 'official-sensitive';

/**
 * Who an alert is about: an officer or an agency's client reading far over its usual, failed
 * client assertions by client or by address, or one of the officials' kinds.
 */
export type AlertSubjectKind = 'officer' | 'client' | 'token-client' | 'token-address' | OfficialAlertKind;

export interface MisuseAlert {
  readonly alertId: string;
  /** officer or client: reads far over the usual; token-client or token-address: failed client assertions (counted in `reads`). */
  readonly subjectKind: AlertSubjectKind;
  readonly subjectId: string;
  readonly clientId: string;
  readonly windowStart: string;
  readonly windowSeconds: number;
  readonly reads: number;
  readonly baseline: number;
  readonly raisedAt: string;
  readonly status: 'open' | 'acknowledged';
  readonly acknowledgedAt: string | null;
}
