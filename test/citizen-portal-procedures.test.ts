import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLeaf } from '../src/audit/access-record.js';
import { CitizenAccountService } from '../src/citizen/citizen-account.service.js';
import { argon2idPasswordHasher } from '../src/citizen/citizen-password.hasher.js';
import { memoryOtpSender } from '../src/citizen/otp.sender.js';
import { personRepository } from '../src/registry/person.repository.js';
import type { PersonRecord } from '../src/registry/person.types.js';
import { startExchangeFixture, type ExchangeFixture } from './exchange.fixture.js';
import { unitOf } from './procedures.harness.js';

/**
 * The applicant's linked procedures in the citizen portal (server-rendered forms): a parent
 * applies for a newborn (birth → residence → health insurance card) and declares the death of a
 * household member, then follows each step's status, time limit, tries and last error. Every
 * refused form names its problem and leaves nothing written; every page leaves access records
 * (the applicant, each subject, each household member it names) before it is sent.
 */

const password = 'Uống nước nhớ nguồn, ăn quả nhớ kẻ trồng cây';

let fx: ExchangeFixture;
let applicant: PersonRecord;
let partner: PersonRecord | undefined;
let cookie = '';
let partnerOf: PersonRecord;

const page = async (url: string): Promise<{ status: number; body: string }> => {
  const res = await fx.app.inject({ method: 'GET', url, headers: { cookie } });
  return { status: res.statusCode, body: res.body };
};
const csrfOf = (html: string): string => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
const post = async (url: string, fields: Record<string, string>, extra: Record<string, string> = {}): Promise<{ status: number; body: string; location: string | undefined }> => {
  const res = await fx.app.inject({
    method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...extra },
    payload: new URLSearchParams(fields).toString(),
  });
  return { status: res.statusCode, body: res.body, location: res.headers.location };
};
const procedureCount = async (): Promise<number> => (await fx.database.db.selectFrom('procedures').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
const records = async (personId: string, service: string): Promise<number> => {
  await fx.settled();
  const rows = await fx.accessLogDatabase.db.selectFrom('access_records').select('leaf').execute();
  return rows.map((r) => parseLeaf(r.leaf)).filter((r) => r?.personId === personId && r.service === service && r.clientId === 'VN/GOV/sachsong/citizen-portal').length;
};

beforeAll(async () => {
  fx = await startExchangeFixture('sqlite');
  // A parent of the population whose household has a living adult of the other sex, in a commune of today's map.
  for (const id of fx.people) {
    const p = await personRepository.findById(fx.database.db, id);
    if (p?.householdId == null || p.permanentCommune === null || unitOf(p.permanentCommune) === undefined) continue;
    const other = (await personRepository.householdMembers(fx.database.db, p.householdId))
      .find((m) => m.idNumber !== p.idNumber && m.status === 'alive' && m.sex !== p.sex && /^19[4-9]\d/.test(m.birthDate));
    if (other !== undefined) {
      applicant = p;
      partner = other;
      break;
    }
  }
  if (partner === undefined) throw new Error('no household with two adults');
  partnerOf = partner;
  const otp = memoryOtpSender();
  const accounts = new CitizenAccountService({ db: fx.database.db, clock: fx.clock, hasher: argon2idPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }), otp });
  const { challengeId } = await accounts.startActivation({ idNumber: applicant.idNumber, fullName: applicant.fullName, birthDate: applicant.birthDate, phone: '0912 345 678' });
  await accounts.confirmActivation({ challengeId, code: otp.sent.at(-1)?.code ?? '', password });
  const res = await post('/citizen/portal/my/sign-in', { idNumber: applicant.idNumber, password });
  expect(res.status).toBe(303);
  cookie = String((await fx.app.inject({ method: 'POST', url: '/citizen/portal/my/sign-in', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ idNumber: applicant.idNumber, password }).toString() })).headers['set-cookie']).split(';')[0] ?? '';
}, 60_000);

afterAll(async () => {
  await fx.close();
});

describe('linked procedures in the citizen portal', () => {
  it('shows the forms with the household\'s members, and records that read on each member first', async () => {
    expect((await fx.app.inject({ method: 'GET', url: '/citizen/portal/my/procedures' })).headers.location).toBe('/citizen/portal/my');
    const before = await records(partnerOf.idNumber, 'portal.procedures.household');
    const res = await page('/citizen/portal/my/procedures');
    expect(res.status).toBe(200);
    expect(res.body).toContain('aria-current="page" data-testid="nav-procedures"');
    expect(res.body).toContain('data-testid="procedures-empty"');
    expect(res.body).toContain(`<option value="${partnerOf.idNumber}">`);
    expect(res.body).not.toContain(`<option value="${applicant.idNumber}">`);
    expect(await records(partnerOf.idNumber, 'portal.procedures.household')).toBe(before + 1);
  });

  it('refuses each wrong birth application with its reason and writes nothing', async () => {
    const csrf = csrfOf((await page('/citizen/portal/my/procedures')).body);
    const good = { childName: 'Nguyễn Gia Hân', childBirthDate: '2026-02-20', childSex: 'F', otherParentId: partnerOf.idNumber, csrf };
    const cases: [Record<string, string>, number, string][] = [
      [{ ...good, childName: '   ' }, 400, 'Hãy nhập họ, chữ đệm và tên của trẻ'],
      [{ ...good, childName: 'x'.repeat(101) }, 400, 'Hãy nhập họ, chữ đệm và tên của trẻ'],
      [{ ...good, childSex: 'X' }, 400, 'Hãy chọn giới tính của trẻ'],
      [{ ...good, childBirthDate: '2026-02-30' }, 400, 'Ngày không hợp lệ'],
      [{ ...good, childBirthDate: '20/02/2026' }, 400, 'Ngày không hợp lệ'],
      [{ ...good, childBirthDate: '2026-03-05' }, 400, 'Ngày sinh của trẻ không thể đúng'],
      [{ ...good, childBirthDate: '2019-05-01' }, 400, 'dành cho trẻ dưới 6 tuổi'],
      [{ ...good, otherParentId: fx.people.find((id) => id !== applicant.idNumber && id !== partnerOf.idNumber) ?? '' }, 400, 'Cha/mẹ còn lại không hợp lệ'],
    ];
    for (const [fields, status, message] of cases) {
      const res = await post('/citizen/portal/my/procedures/birth', fields);
      expect([res.status, res.body.includes(message)], JSON.stringify(fields)).toEqual([status, true]);
      expect(res.body).toContain('data-testid="portal-error"');
    }
    expect((await post('/citizen/portal/my/procedures/birth', { ...good, csrf: 'wrong' })).status).toBe(403);
    expect((await post('/citizen/portal/my/procedures/birth', good, { origin: 'https://evil.example' })).status).toBe(403);
    expect(await procedureCount()).toBe(0);
    expect(await fx.database.db.selectFrom('persons').select('id_number').where('full_name', '=', 'Nguyễn Gia Hân').execute()).toEqual([]);
  });

  it('a parent applies once for a newborn and follows the three steps, each with its agency and time limit', async () => {
    const csrf = csrfOf((await page('/citizen/portal/my/procedures')).body);
    const fields = { childName: 'Nguyễn Gia Hân', childBirthDate: '2026-02-20', childSex: 'F', otherParentId: partnerOf.idNumber, csrf };
    const res = await post('/citizen/portal/my/procedures/birth', fields);
    expect([res.status, res.location]).toEqual([303, '/citizen/portal/my/procedures?done=procedure-submitted']);
    expect((await post('/citizen/portal/my/procedures/birth', fields)).body).toContain('Hồ sơ này đã được nộp');
    const procedure = await fx.database.db.selectFrom('procedures').selectAll().executeTakeFirstOrThrow();
    expect([procedure.kind, procedure.applicant_id]).toEqual(['birth', applicant.idNumber]);

    const before = [await records(applicant.idNumber, 'procedure.status'), await records(procedure.subject_id, 'procedure.status')];
    const view = await page('/citizen/portal/my/procedures?done=procedure-submitted');
    expect(view.body).toContain('data-testid="portal-notice"');
    expect(view.body).toContain('Khai sinh – thường trú – thẻ BHYT: Nguyễn Gia Hân');
    const steps = [...view.body.matchAll(/data-testid="procedure-step" data-step="(\d)" data-status="(\w+)"/g)].map((m) => [m[1], m[2]]);
    expect(steps).toEqual([['1', 'done'], ['2', 'pending'], ['3', 'pending']]);
    expect(view.body).toContain('Công an cấp xã (đăng ký cư trú)');
    expect(view.body).toContain('Bảo hiểm xã hội Việt Nam');
    // Submitted Sunday 1 March 2026 15:00 in Viet Nam: counted from Monday, the residence step (2 working days) is due Wednesday 4 March.
    expect(view.body).toContain('04/03/2026 15:00 (2 ngày làm việc · working days)');
    expect(view.body).toContain('2 ngày làm việc khi đến lượt');
    expect([await records(applicant.idNumber, 'procedure.status'), await records(procedure.subject_id, 'procedure.status')]).toEqual(before.map((n) => n + 1));

    // The card's delivery failing and retried, then overdue: the page says so.
    await fx.database.db.updateTable('procedure_steps').set({ status: 'done', finished_at: '2026-03-01T09:00:00.000Z' }).where('procedure_id', '=', procedure.procedure_id).where('step_no', '=', 2).execute();
    await fx.database.db.updateTable('procedures').set({ current_step: 3 }).where('procedure_id', '=', procedure.procedure_id).execute();
    await fx.database.db.updateTable('procedure_steps').set({ status: 'pending', attempts: 3, last_error: 'HTTP 503', next_attempt_at: Date.parse('2026-03-01T08:30:00.000Z'), due_at: '2026-02-28T00:00:00.000Z', started_at: '2026-02-26T00:00:00.000Z' })
      .where('procedure_id', '=', procedure.procedure_id).where('step_no', '=', 3).execute();
    const late = await page('/citizen/portal/my/procedures');
    expect(late.body).toMatch(/data-step="3" data-status="overdue"/);
    expect(late.body).toContain('data-testid="step-attempts">3; gửi lại lúc <span lang="en">· next try</span> 01/03/2026 15:30');
    expect(late.body).toContain('data-testid="step-error">HTTP 503');
    expect(late.body).toContain('Quá hạn');
  });

  it('declares the death of a household member (only one), in one submission of four steps', async () => {
    const csrf = csrfOf((await page('/citizen/portal/my/procedures')).body);
    const stranger = fx.people.find((id) => id !== applicant.idNumber && id !== partnerOf.idNumber) ?? '';
    const count = await procedureCount();
    for (const [fields, message] of [
      [{ deceasedId: stranger, deathDate: '2026-02-27', csrf }, 'Chỉ khai tử được cho thành viên còn sống trong hộ'],
      [{ deceasedId: applicant.idNumber, deathDate: '2026-02-27', csrf }, 'Chỉ khai tử được cho thành viên còn sống trong hộ'],
      [{ deceasedId: partnerOf.idNumber, deathDate: '2026-03-09', csrf }, 'Ngày mất không thể đúng'],
      [{ deceasedId: partnerOf.idNumber, deathDate: 'hôm qua', csrf }, 'Ngày không hợp lệ'],
      [{ deceasedId: partnerOf.idNumber, deathDate: '2026-02-27', cause: 'x'.repeat(201), csrf }, 'Nguyên nhân tối đa 200 ký tự'],
    ] as const) {
      const res = await post('/citizen/portal/my/procedures/death', fields);
      expect([res.status, res.body.includes(message)], JSON.stringify(fields)).toEqual([400, true]);
    }
    expect(await procedureCount()).toBe(count);
    expect((await personRepository.findById(fx.database.db, partnerOf.idNumber))?.status).toBe('alive');

    const res = await post('/citizen/portal/my/procedures/death', { deceasedId: partnerOf.idNumber, deathDate: '2026-02-27', cause: 'Bệnh', csrf });
    expect(res.status).toBe(303);
    expect((await personRepository.findById(fx.database.db, partnerOf.idNumber))?.status).toBe('deceased');
    const view = await page('/citizen/portal/my/procedures');
    expect(view.body).toContain(`Khai tử – xóa thường trú – dừng lương hưu – khóa tài khoản: ${partnerOf.fullName}`);
    expect(view.body.match(/data-testid="procedure-step"/g)).toHaveLength(7);
    // The deceased is no longer offered; a second declaration is refused.
    expect(view.body).not.toContain(`<option value="${partnerOf.idNumber}">`);
    expect((await post('/citizen/portal/my/procedures/death', { deceasedId: partnerOf.idNumber, deathDate: '2026-02-27', csrf })).status).toBe(400);
  });
});
