import { describe, expect, it } from 'vitest';
import { addWorkingDays, holidayYears, isWorkingDay } from './procedure.schedule.js';
import { toProcedure } from './procedure.service.js';
import type { ProcedureRow, StepRow } from './procedure.repository.js';
import { vietnamHolidays } from './vietnam-holidays.data.js';

/** An instant given as a wall-clock time in Viet Nam (UTC+7). */
const vn = (local: string): Date => new Date(`${local}+07:00`);
const vnIso = (d: Date): string => new Date(d.getTime() + 7 * 3_600_000).toISOString().slice(0, 16);

describe('working days in Viet Nam', () => {
  it('skips the weekend', () => {
    expect(vnIso(addWorkingDays(vn('2026-12-04T10:00'), 1))).toBe('2026-12-07T10:00');
    expect(vnIso(addWorkingDays(vn('2026-12-05T10:00'), 1))).toBe('2026-12-08T10:00'); // Saturday: counted from Monday
  });

  it('skips Tết Bính Ngọ (Monday 16/2 to Friday 20/2/2026, nine days with the weekends)', () => {
    expect(vnIso(addWorkingDays(vn('2026-02-13T10:00'), 1))).toBe('2026-02-23T10:00');
    expect(vnIso(addWorkingDays(vn('2026-02-12T10:00'), 2))).toBe('2026-02-23T10:00');
    expect(vnIso(addWorkingDays(vn('2026-02-12T10:00'), 3))).toBe('2026-02-24T10:00');
    // Submitted during Tết: counted from the first day back.
    expect(vnIso(addWorkingDays(vn('2026-02-17T09:30'), 1))).toBe('2026-02-24T09:30');
    // 01:00 on Saturday 14/2 in Viet Nam is still Friday in UTC: the day is Viet Nam's.
    expect(vnIso(addWorkingDays(new Date('2026-02-13T18:00:00Z'), 1))).toBe('2026-02-24T01:00');
  });

  it('skips Tết Ất Tỵ 2025 and Tết Đinh Mùi 2027', () => {
    expect(vnIso(addWorkingDays(vn('2025-01-24T08:00'), 1))).toBe('2025-02-03T08:00');
    expect(vnIso(addWorkingDays(vn('2027-02-04T08:00'), 1))).toBe('2027-02-12T08:00');
  });

  it('skips Giỗ Tổ Hùng Vương, 30/4–1/5 and Quốc khánh; works a make-up Saturday', () => {
    // 2026: 10/3 âm lịch is Sunday 26/4, so Monday 27/4 is off; 30/4 and 1/5 are Thursday and Friday.
    expect(vnIso(addWorkingDays(vn('2026-04-24T14:00'), 1))).toBe('2026-04-28T14:00');
    expect(vnIso(addWorkingDays(vn('2026-04-29T14:00'), 1))).toBe('2026-05-04T14:00');
    // 2025: Saturday 26/4 worked for Friday 2/5; off from 30/4 to 4/5.
    expect(vnIso(addWorkingDays(vn('2025-04-25T14:00'), 1))).toBe('2025-04-26T14:00');
    expect(vnIso(addWorkingDays(vn('2025-04-25T14:00'), 4))).toBe('2025-05-05T14:00');
    expect(vnIso(addWorkingDays(vn('2025-08-29T14:00'), 1))).toBe('2025-09-03T14:00');
  });

  it('outside the data, counts the fixed solar holidays only', () => {
    expect(holidayYears()).toEqual([2025, 2026, 2027]);
    expect(isWorkingDay('2028-05-01')).toBe(false);
    expect(isWorkingDay('2028-01-26')).toBe(true); // Tết 2028 is not known here
  });

  it('the data: holidays on weekdays only, make-up days on weekends only, Tết and 10/3 âm lịch on the lunar days', () => {
    for (const y of vietnamHolidays) {
      for (const d of y.days) {
        expect([d.date.slice(0, 4), [1, 2, 3, 4, 5].includes(new Date(`${d.date}T00:00:00Z`).getUTCDay())], d.date).toEqual([String(y.year), true]);
        expect(isWorkingDay(d.date), d.date).toBe(false);
      }
      for (const d of y.workingWeekends) expect([0, 6]).toContain(new Date(`${d}T00:00:00Z`).getUTCDay());
    }
    // Mùng 1 Tết and 10/3 âm lịch (new moons in UTC+7); the first on a weekday is a holiday.
    for (const day of ['2025-01-29', '2026-02-17', '2025-04-07', '2027-04-16']) expect(isWorkingDay(day), day).toBe(false);
  });
});

describe('overdue steps across Tết', () => {
  const procedure: ProcedureRow = {
    procedure_id: 'p1', kind: 'birth', applicant_id: '001085000001', subject_id: '001226000002', commune_code: '00004', province_code: '01',
    status: 'in_progress', current_step: 2, dedupe_key: 'k', input: '{}', submitted_at: vn('2026-02-13T10:00').toISOString(),
    due_at: addWorkingDays(vn('2026-02-13T10:00'), 3).toISOString(), updated_at: '', completed_at: null,
  };
  const step = (stepNo: number, status: string, dueAt: string | null): StepRow => ({
    procedure_id: 'p1', step_no: stepNo, step_key: ['birth_registration', 'permanent_residence', 'health_insurance_card'][stepNo - 1] ?? '', owner: ['ubnd_xa', 'cong_an_xa', 'bhxh'][stepNo - 1] ?? '',
    status, attempts: 1, next_attempt_at: 0, due_at: dueAt, started_at: null, finished_at: null, last_error: null, recorded: 0, result: null,
  });
  const steps = [step(1, 'done', null), step(2, 'pending', addWorkingDays(vn('2026-02-13T10:00'), 2).toISOString()), step(3, 'pending', null)];

  it('is not overdue during Tết, and is once the working days have passed', () => {
    expect(steps[1]?.due_at).toBe(vn('2026-02-24T10:00').toISOString());
    const during = toProcedure(procedure, steps, vn('2026-02-20T17:00'));
    expect([during.steps[1]?.status, during.overdue]).toEqual(['pending', false]);
    const after = toProcedure(procedure, steps, vn('2026-02-24T10:01'));
    expect([after.steps[0]?.status, after.steps[1]?.status, after.steps[2]?.status, after.overdue]).toEqual(['done', 'overdue', 'pending', false]);
    expect(toProcedure(procedure, steps, vn('2026-02-25T10:01')).overdue).toBe(true);
  });
});
