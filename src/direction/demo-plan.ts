import { adminUnitCatalog, REFORM_DATE } from '../registry/admin-unit.catalog.js';
import { SeededRandom } from '../registry/population.random.js';
import { addDays } from './direction-time.js';
import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import type { DB } from '../store/database.types.js';
import { PlanService, type PlanInput, type TaskInput } from './plan.service.js';

/**
 * A demo plan shaped like the mission's: 101 tasks of ministries and 18 of localities, each with
 * an owner, a deadline and milestones by the day, some bound to the platform's indicators.
 * Deterministic for a seed (the demo population's), so a demo and its tests agree; milestones
 * before `today` are done or overdue by the same draw.
 */

const ministries: readonly (readonly [string, string])[] = [
  ['BCA', 'Bộ Công an'], ['BQP', 'Bộ Quốc phòng'], ['BNG', 'Bộ Ngoại giao'], ['BNV', 'Bộ Nội vụ'], ['BTP', 'Bộ Tư pháp'],
  ['BTC', 'Bộ Tài chính'], ['BCT', 'Bộ Công Thương'], ['BNNMT', 'Bộ Nông nghiệp và Môi trường'], ['BXD', 'Bộ Xây dựng'],
  ['BVHTTDL', 'Bộ Văn hóa, Thể thao và Du lịch'], ['BKHCN', 'Bộ Khoa học và Công nghệ'], ['BGDDT', 'Bộ Giáo dục và Đào tạo'],
  ['BYT', 'Bộ Y tế'], ['BDTTG', 'Bộ Dân tộc và Tôn giáo'], ['NHNN', 'Ngân hàng Nhà nước Việt Nam'], ['TTCP', 'Thanh tra Chính phủ'],
  ['VPCP', 'Văn phòng Chính phủ'], ['BHXH', 'Bảo hiểm xã hội Việt Nam'],
];

const domains: Readonly<Record<string, string>> = {
  BCA: 'cư trú và căn cước', BQP: 'nghĩa vụ quân sự', BNG: 'hộ chiếu ngoại giao', BNV: 'cán bộ, công chức', BTP: 'hộ tịch', BTC: 'thuế và hải quan',
  BCT: 'đăng ký kinh doanh thương mại', BNNMT: 'đất đai', BXD: 'giấy phép lái xe và phương tiện', BVHTTDL: 'di sản và du lịch', BKHCN: 'thuê bao di động',
  BGDDT: 'học sinh, sinh viên và văn bằng', BYT: 'khám chữa bệnh và sổ sức khỏe điện tử', BDTTG: 'chính sách dân tộc', NHNN: 'tài khoản ngân hàng',
  TTCP: 'kê khai tài sản, thu nhập', VPCP: 'dịch vụ công quốc gia', BHXH: 'bảo hiểm xã hội và y tế',
};

const ministryWork: readonly string[] = [
  'Kết nối, chia sẻ dữ liệu {d} với Cơ sở dữ liệu quốc gia về dân cư',
  'Làm sạch dữ liệu {d} theo tiêu chí đúng, đủ, sạch, sống',
  'Đối soát dữ liệu {d} với số định danh cá nhân',
  'Cung cấp dịch vụ công trực tuyến toàn trình về {d}',
  'Số hóa hồ sơ, giấy tờ về {d} và sử dụng lại dữ liệu đã số hóa',
  'Bảo đảm an toàn, an ninh dữ liệu {d} theo cấp độ hệ thống',
];

/** Agencies whose reconciliation indicator a task can be bound to (reconcile presets). */
const reconcilePreset: Readonly<Record<string, string>> = { BTC: 'tax', BKHCN: 'telecom', NHNN: 'bank', BHXH: 'welfare' };

export interface DemoPlan {
  readonly plan: PlanInput;
  readonly tasks: readonly TaskInput[];
}

/** The demo plan's content for a year starting `startsOn`, as of `today`. */
export function demoPlan(seed: number | string, startsOn: string, today: string): DemoPlan {
  const random = new SeededRandom(`direction-demo:${String(seed)}`);
  const endsOn = addDays(startsOn, 364);
  const tasks: TaskInput[] = [];
  const milestonesFor = (from: string, to: string, count: number): TaskInput['milestones'] => {
    const span = (Date.parse(to) - Date.parse(from)) / 86_400_000;
    const out: { title: string; dueOn: string; completedOn: string | null }[] = [];
    for (let i = 1; i <= count; i++) {
      const dueOn = addDays(from, Math.round((span * i) / count));
      // Work before today: most milestones done (some early, some on the day), a few overdue.
      let completedOn: string | null = null;
      const draw = random.next();
      if (dueOn < today) completedOn = draw < 0.8 ? addDays(dueOn, -random.int(10)) : null;
      else if (draw < 0.08 && from < today) completedOn = addDays(today, -1 - random.int(5));
      if (completedOn !== null && completedOn < from) completedOn = from;
      out.push({ title: `Mốc ${i}/${count}: ${['khảo sát, chuẩn hóa', 'kết nối thử nghiệm', 'triển khai chính thức', 'đánh giá, nghiệm thu'][(i - 1) % 4] ?? ''}`, dueOn, completedOn });
    }
    return out;
  };

  for (let i = 0; i < 101; i++) {
    const [agency, name] = ministries[i % ministries.length] ?? ['BCA', 'Bộ Công an'];
    const work = ministryWork[Math.floor(i / ministries.length) % ministryWork.length] ?? '';
    const start = addDays(startsOn, random.int(60));
    const deadline = addDays(start, 120 + random.int(Math.max(1, 364 - 120 - (Date.parse(start) - Date.parse(startsOn)) / 86_400_000)));
    const preset = reconcilePreset[agency];
    const indicator = work.startsWith('Đối soát') && preset !== undefined
      ? { id: 'reconcile.matched_share', scope: preset, baseline: 60, target: 95 }
      : work.startsWith('Làm sạch') && agency === 'BCA' ? { id: 'quality.score', scope: '', baseline: 90, target: 99 } : null;
    tasks.push({
      code: String(i + 1), title: work.replace('{d}', domains[agency] ?? ''), ownerKind: 'ministry', ownerAgency: agency, ownerAgencyName: name,
      ownerOfficer: `Lãnh đạo ${name}`, startsOn: start, deadline, indicator, milestones: milestonesFor(start, deadline, 3 + random.int(3)),
    });
  }

  const provinces = adminUnitCatalog().provinces(REFORM_DATE > today ? REFORM_DATE : today);
  const chosen = [...provinces].sort((a, b) => a.code.localeCompare(b.code)).filter((_, i) => i % 2 === 0 || i === provinces.length - 1).slice(0, 18);
  for (const [i, p] of chosen.entries()) {
    const start = addDays(startsOn, random.int(30));
    const deadline = addDays(start, 200 + random.int(120));
    tasks.push({
      code: `DP-${String(i + 1).padStart(2, '0')}`, title: `Làm sạch dữ liệu dân cư và cập nhật nơi thường trú trên địa bàn ${p.name}`, ownerKind: 'locality',
      ownerAgency: p.code, ownerAgencyName: `UBND ${p.name}`, ownerOfficer: `Chủ tịch UBND ${p.name}`, startsOn: start, deadline,
      indicator: { id: 'registry.permanent_residence_share', scope: p.code, baseline: 80, target: 100 }, milestones: milestonesFor(start, deadline, 4),
    });
  }
  return { plan: { title: 'Kế hoạch triển khai Đề án phát triển dữ liệu dân cư, định danh và xác thực điện tử', reference: 'Demo 06/QĐ-TTg', startsOn, endsOn }, tasks };
}

/** Creates the demo plan through the service (every task's creation is in its history). */
export async function seedDemoPlan(plans: PlanService, officerId: string, seed: number | string, startsOn: string): Promise<string> {
  const demo = demoPlan(seed, startsOn, plans.today());
  const plan = await plans.createPlan(officerId, demo.plan);
  for (const t of demo.tasks) await plans.addTask(officerId, plan.planId, t);
  return plan.planId;
}

/** For `sachsong serve --demo`: the demo plan of the current year, unless a plan exists already. */
export async function seedDemoPlanIfNone(db: Kysely<DB>, clock: Clock, seed: number | string): Promise<string | undefined> {
  const plans = new PlanService({ db, clock });
  if ((await plans.plans()).length > 0) return undefined;
  return seedDemoPlan(plans, 'demo', seed, `${plans.today().slice(0, 4)}-01-01`);
}
