/**
 * What went wrong, in terms a caller can act on. The HTTP edge maps the kind to a status;
 * services never know about HTTP.
 */
export type ErrorKind = 'invalid' | 'not_found' | 'conflict' | 'unauthorized' | 'forbidden' | 'unavailable' | 'rate_limited';

/**
 * A domain error with a stable code, a message and an action (MOSIP's triple).
 *
 * @example
 * throw new DomainError('invalid', 'ID_NUMBER_MALFORMED', 'An ID number has 12 digits', 'Check the number on the ID card');
 */
export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly action: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}
