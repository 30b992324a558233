import type { AccessRecordInput } from '../src/audit/access-log.types.js';

/**
 * Access record number `i` for tests: a second apart from 2026-11-01, the officer and the person
 * cycling, a request id of its own. `personId` and `deferredUntil` choose whose it is and when its
 * citizen may see it.
 *
 * @example
 * await log.appendMany(Array.from({ length: 10 }, (_, i) => testAccessRecord(i, { personId: '001085000001' })));
 */
export function testAccessRecord(i: number, options: { readonly personId?: string; readonly deferredUntil?: string } = {}): AccessRecordInput {
  return {
    personId: options.personId ?? `00108500000${i % 7}`,
    at: new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString(),
    clientId: 'VN/GOV/BHXH/insurance-portal',
    officerId: `officer-${i % 3}`,
    service: 'person.verify',
    purpose: 'Kiểm tra',
    legalBasis: 'Luật Căn cước 2023, Điều 10',
    fields: ['fullName'],
    visibility: options.deferredUntil === undefined ? 'public' : { deferredUntil: options.deferredUntil },
    requestId: `test-${i}`,
  };
}
