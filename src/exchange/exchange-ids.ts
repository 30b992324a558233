import { DomainError } from '../shared/domain-error.js';
import type { MemberClass } from './exchange.types.js';

const memberPattern = /^VN\/(GOV|COM|ORG)\/[A-Z0-9][A-Z0-9-]{1,31}$/;
const clientPattern = /^VN\/(GOV|COM|ORG)\/[A-Z0-9][A-Z0-9-]{1,31}\/[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const officerPattern = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/**
 * Checks a member id, `VN/<GOV|COM|ORG>/<CODE>` (code: capitals, digits and dashes).
 *
 * @example
 * checkMemberId('VN/GOV/BTC'); // 'VN/GOV/BTC'
 */
export function checkMemberId(value: string): string {
  if (!memberPattern.test(value)) {
    throw new DomainError('invalid', 'MEMBER_ID_MALFORMED', `"${value.slice(0, 80)}" is not a member id`, 'Use VN/<GOV|COM|ORG>/<CODE>, e.g. VN/GOV/BTC (code: 2-32 capitals, digits or dashes)');
  }
  return value;
}

/**
 * Checks a client (subsystem) id, `VN/<class>/<CODE>/<subsystem>`.
 *
 * @example
 * checkClientId('VN/GOV/BTC/tax-portal'); // 'VN/GOV/BTC/tax-portal'
 */
export function checkClientId(value: string): string {
  if (!clientPattern.test(value)) {
    throw new DomainError('invalid', 'CLIENT_ID_MALFORMED', `"${value.slice(0, 80)}" is not a client id`, 'Use VN/<GOV|COM|ORG>/<CODE>/<subsystem>, e.g. VN/GOV/BTC/tax-portal');
  }
  return value;
}

export function checkOfficerId(value: string): string {
  if (!officerPattern.test(value)) {
    throw new DomainError('invalid', 'OFFICER_ID_MALFORMED', 'an officer id has 1-64 letters, digits, dots, dashes, underscores or @', 'Send the officer id as registered with the exchange');
  }
  return value;
}

/** The member part of a client id. */
export function memberOf(clientId: string): string {
  return clientId.split('/').slice(0, 3).join('/');
}

export function memberClassOf(memberId: string): MemberClass {
  return memberId.split('/')[1] as MemberClass;
}
