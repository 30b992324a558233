import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { exportJWK, generateKeyPair } from 'jose';
import { openAccessLog } from '../audit/access-log.service.js';
import { createExchange, type Exchange } from '../exchange/exchange.module.js';
import { memberKinds, type MemberKind, type Purpose } from '../exchange/exchange.types.js';
import { VerifyService } from '../matching/verify.service.js';
import { RegistryService } from '../registry/registry.service.js';
import { systemClock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import { say } from './cli-language.js';
import type { CliContext } from './context.js';

/** Runs a command with an opened store and sets the exit code (main.ts's withContext). */
export type WithContext = (work: (ctx: CliContext) => Promise<number | undefined>) => Promise<void>;

async function withExchange<T>(ctx: CliContext, work: (exchange: Exchange) => Promise<T>): Promise<T> {
  // The CLI releases no personal data, but the exchange is built with its log like the server's.
  const accessLog = openAccessLog(ctx.accessLogStore.database);
  try {
    const db = ctx.database.db;
    const exchange = await createExchange({ db, clock: systemClock, accessLog, registry: new RegistryService({ db, clock: systemClock }), verifier: new VerifyService({ db, clock: systemClock }) });
    return await work(exchange);
  } finally {
    await accessLog.close();
  }
}

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch {
    throw new DomainError('invalid', 'FILE_UNREADABLE', `cannot read ${what} from ${file} as JSON`, `Give the path of a JSON file holding ${what}`);
  }
}

/** `code[:name]` or `code=text` pairs from repeated options. */
function pairs(values: readonly string[] | undefined, separator: string): readonly (readonly [string, string])[] {
  return (values ?? []).map((v) => {
    const at = v.indexOf(separator);
    return at < 0 ? [v, v] as const : [v.slice(0, at), v.slice(at + 1)] as const;
  });
}

const print = (value: unknown): void => {
  console.log(JSON.stringify(value, null, 2));
};

/**
 * The exchange's operator commands: `sachsong agency keygen|onboard|list|officer|keys|suspend|reinstate`,
 * `sachsong grant add|list|revoke`, `sachsong alerts list|ack`.
 *
 * @example
 * registerExchangeCommands(program, withContext);
 * // sachsong agency keygen --out keys/btc --kid btc-2026
 * // sachsong agency onboard --member VN/GOV/BTC --name "Bộ Tài chính" --kind ministry --subsystem tax:"Cổng thuế" --jwks keys/btc/jwks.json --officer o-1:"Nguyễn Văn A"
 * // sachsong grant add --client VN/GOV/BTC/tax --service verify --fields fullName,birthDate --purpose TAX_ID="Đối chiếu mã số thuế" --legal-basis "Thông tư 86/2024/TT-BTC" --until 2027-12-31
 */
export function registerExchangeCommands(program: Command, withContext: WithContext): void {
  const agency = program.command('agency').description(say('thành viên nền tảng trao đổi (cơ quan), hệ thống con, khóa và cán bộ', 'exchange members (agencies), their subsystems, keys and officers'));

  agency
    .command('keygen')
    .description(say('tạo cặp khóa Ed25519 cho hệ thống con của một cơ quan: jwks.json để đăng ký, private.jwk.json để giữ', "make an Ed25519 key pair for an agency's subsystem: jwks.json to register, private.jwk.json to keep"))
    .requiredOption('--out <dir>', say('thư mục ghi khóa', 'folder to write the keys into'))
    .option('--kid <kid>', say('mã khóa', 'key id'), `key-${new Date().toISOString().slice(0, 10)}`)
    .action(async (opts: { out: string; kid: string }) => {
      const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
      mkdirSync(opts.out, { recursive: true });
      const pub = { ...(await exportJWK(publicKey)), kid: opts.kid, alg: 'EdDSA', use: 'sig' };
      writeFileSync(path.join(opts.out, 'jwks.json'), `${JSON.stringify({ keys: [pub] }, null, 2)}\n`);
      writeFileSync(path.join(opts.out, 'private.jwk.json'), `${JSON.stringify({ ...(await exportJWK(privateKey)), kid: opts.kid, alg: 'EdDSA' }, null, 2)}\n`, { mode: 0o600 });
      console.log(say(`đã ghi ${path.join(opts.out, 'jwks.json')} (để đăng ký) và ${path.join(opts.out, 'private.jwk.json')} (giữ bí mật, quyền 600)`, `wrote ${path.join(opts.out, 'jwks.json')} (register it) and ${path.join(opts.out, 'private.jwk.json')} (keep it secret, mode 600)`));
    });

  agency
    .command('onboard')
    .description(say('kết nạp một cơ quan trong một bước: thành viên, các hệ thống con kèm khóa công khai, cán bộ', 'onboard an agency in one step: the member, its subsystems with their public keys, its officers'))
    .requiredOption('--member <id>', say('mã thành viên, VN/<GOV|COM|ORG>/<MÃ>', 'member id, VN/<GOV|COM|ORG>/<CODE>'))
    .requiredOption('--name <name>', say('tên chính thức của cơ quan', "the agency's official name"))
    .requiredOption('--kind <kind>', `${say('loại thành viên', 'kind of member')}: ${memberKinds.join(' | ')}`)
    .option('--subsystem <subsystem...>', say('một hệ thống con dạng mã[:tên]; khóa của nó cho bằng --jwks', 'a subsystem (client) as code[:name]; give --jwks for its keys'))
    .option('--jwks <file>', say('JWKS (khóa công khai) của các hệ thống con', 'JWKS (public keys) for the subsystems'))
    .option('--officer <officer...>', say('một cán bộ của cơ quan dạng mã[:họ tên]', 'an officer of the agency as id[:name]'))
    .action((opts: { member: string; name: string; kind: string; subsystem?: string[]; jwks?: string; officer?: string[] }) =>
      withContext((ctx) =>
        withExchange(ctx, async (exchange) => {
          const subsystems = pairs(opts.subsystem, ':');
          if (subsystems.length > 0 && opts.jwks === undefined) throw new DomainError('invalid', 'JWKS_MISSING', 'subsystems need public keys', 'Give --jwks <file> (make one with `sachsong agency keygen`)');
          const jwks = opts.jwks === undefined ? undefined : readJson(opts.jwks, 'a JWKS');
          const result = await exchange.members.onboard({
            memberId: opts.member,
            name: opts.name,
            kind: opts.kind as MemberKind,
            subsystems: subsystems.map(([code, name]) => ({ code, name, jwks: jwks as { keys: Record<string, unknown>[] } })),
            officers: pairs(opts.officer, ':').map(([officerId, name]) => ({ officerId, name })),
          });
          print(result);
          return 0;
        }),
      ),
    );

  agency
    .command('list')
    .description(say('các thành viên kèm hệ thống con và cán bộ', 'members with their subsystems and officers'))
    .action(() => withContext((ctx) => withExchange(ctx, async (exchange) => {
      for (const m of await exchange.members.list()) {
        console.log(`${m.memberId}  ${m.name}  (${m.kind}, ${m.status})`);
        for (const c of m.clients) console.log(`  ${say('hệ thống', 'client')}  ${c.clientId}  ${c.status}  ${say('khóa', 'keys')}: ${c.jwks.keys.map((k) => String(k.kid)).join(', ')}`);
        for (const o of m.officers) console.log(`  ${say('cán bộ', 'officer')} ${o.officerId}  ${o.name}`);
      }
      return 0;
    })));

  agency
    .command('officer')
    .description(say('đăng ký (hoặc đổi tên) một cán bộ của thành viên', 'register (or rename) an officer of a member'))
    .argument('<member>', say('mã thành viên', 'member id'))
    .argument('<officer>', say('mã cán bộ', 'officer id'))
    .option('--name <name>', say('họ tên cán bộ', "the officer's name"), '')
    .action((member: string, officer: string, opts: { name: string }) => withContext((ctx) => withExchange(ctx, async (exchange) => {
      print(await exchange.members.addOfficer(member, officer, opts.name));
      return 0;
    })));

  agency
    .command('officer-remove')
    .description(say('đình chỉ một cán bộ khỏi các lần gọi của thành viên (giữ ở trạng thái đình chỉ: bản ghi truy cập vẫn nêu tên); có hiệu lực từ lần gọi tiếp theo', "remove an officer from the member's calls (kept as suspended: access records name them); holds on the next call"))
    .argument('<member>', say('mã thành viên', 'member id'))
    .argument('<officer>', say('mã cán bộ', 'officer id'))
    .option('--reinstate', say('khôi phục cán bộ thay vì đình chỉ', 'bring the officer back instead'))
    .action((member: string, officer: string, opts: { reinstate?: boolean }) => withContext((ctx) => withExchange(ctx, async (exchange) => {
      print(await exchange.members.setOfficerStatus(member, officer, opts.reinstate === true ? 'active' : 'suspended'));
      return 0;
    })));

  agency
    .command('subsystem')
    .description(say('thêm một hệ thống con cho thành viên', 'add a subsystem (client) to a member'))
    .argument('<client>', say('mã hệ thống, VN/<loại>/<MÃ>/<hệ thống con>', 'client id, VN/<class>/<CODE>/<subsystem>'))
    .requiredOption('--jwks <file>', say('khóa công khai của hệ thống', 'its public keys'))
    .option('--name <name>', say('tên hệ thống', 'its name'), '')
    .action((client: string, opts: { jwks: string; name: string }) => withContext((ctx) => withExchange(ctx, async (exchange) => {
      print(await exchange.members.addClient(client, opts.name, readJson(opts.jwks, 'a JWKS')));
      return 0;
    })));

  agency
    .command('keys')
    .description(say('thay khóa công khai của hệ thống con (xoay vòng: đăng ký cả khóa cũ và mới, sau đó chỉ khóa mới)', "replace a subsystem's public keys (rotate: register old and new together, then the new alone)"))
    .argument('<client>', say('mã hệ thống', 'client id'))
    .requiredOption('--jwks <file>', say('JWKS mới', 'the new JWKS'))
    .action((client: string, opts: { jwks: string }) => withContext((ctx) => withExchange(ctx, async (exchange) => {
      print(await exchange.members.setKeys(client, readJson(opts.jwks, 'a JWKS')));
      return 0;
    })));

  for (const [command, status] of [['suspend', 'suspended'], ['reinstate', 'active']] as const) {
    agency
      .command(command)
      .description(status === 'active' ? say('cho một hệ thống con hoạt động trở lại (mã truy cập của nó dùng lại được)', 'reinstate a subsystem (its tokens work again)') : say('tạm ngừng một hệ thống con (mã truy cập của nó ngừng hoạt động)', 'suspend a subsystem (its tokens stop working)'))
      .argument('<client>', say('mã hệ thống', 'client id'))
      .action((client: string) => withContext((ctx) => withExchange(ctx, async (exchange) => {
        print(await exchange.members.setClientStatus(client, status));
        return 0;
      })));
  }

  const grant = program.command('grant').description(say('quyền gọi dịch vụ của từng hệ thống', 'what each client may call'));
  grant
    .command('add')
    .description(say('cấp cho một hệ thống quyền gọi dịch vụ với các trường, mục đích, căn cứ pháp lý và giới hạn sử dụng', 'grant a client a service for some fields and purposes, under a legal basis, with fair-use caps'))
    .requiredOption('--client <id>', say('mã hệ thống', 'client id'))
    .requiredOption('--service <name>', say('dịch vụ: verify | person | residence | household | changes | tax-code', 'the service: verify | person | residence | household | changes | tax-code'))
    .requiredOption('--fields <list>', say('tên các trường, cách nhau bằng dấu phẩy (với changes: loại sự kiện)', 'comma-separated field names (for changes: event kinds)'))
    .requiredOption('--purpose <purpose...>', say('một mục đích dạng MÃ=nội dung (nội dung là điều công dân đọc được)', 'a purpose as CODE=text (the text is what the citizen reads)'))
    .requiredOption('--legal-basis <text>', say('luật, nghị định hoặc thông tư (hoặc "consent" khi dựa trên sự đồng ý)', 'the law, decree or circular (or "consent")'))
    .requiredOption('--until <date>', say('ngày hết hiệu lực: một ngày (YYYY-MM-DD) có hiệu lực trọn ngày, đến 24:00 giờ Việt Nam (UTC+7); hoặc một thời điểm ISO, không tính thời điểm đó. Phải ở tương lai', 'last day of validity: a date (YYYY-MM-DD) is included whole, to 24:00 Vietnam time (UTC+7); or an ISO instant, exclusive. Must be in the future'))
    .option('--from <date>', say('ngày bắt đầu hiệu lực: một ngày (YYYY-MM-DD) bắt đầu lúc 00:00 giờ Việt Nam (UTC+7); hoặc một thời điểm ISO (mặc định: bây giờ)', 'first day of validity: a date (YYYY-MM-DD) starts at 00:00 Vietnam time (UTC+7); or an ISO instant (default now)'))
    .option('--provinces <list>', say('chỉ với changes: mã tỉnh (2 chữ số), cách nhau bằng dấu phẩy, mà sự kiện của người dân ở đó được chuyển; bỏ trống: mọi tỉnh', 'changes only: comma-separated 2-digit province codes whose people\'s events it releases; absent: every province'))
    .option('--rate <n>', say('số lần gọi mỗi phút', 'calls a minute'), (v) => Number(v), 600)
    .option('--daily-cap <n>', say('số lần gọi mỗi ngày (UTC)', 'calls a UTC day'), (v) => Number(v), 100_000)
    .option('--consent', say('mỗi lần gọi cần sự đồng ý còn hiệu lực của công dân', 'every call needs the citizen’s active consent'))
    .option('--defer-days <n>', say('số ngày nhật ký sử dụng dữ liệu của công dân chưa hiện các bản ghi này (điều tra của công an)', 'days the citizen’s tracker holds back these records (police enquiries)'), (v) => Number(v), 0)
    .action((opts: { client: string; service: string; fields: string; provinces?: string; purpose: string[]; legalBasis: string; until: string; from?: string; rate: number; dailyCap: number; consent?: boolean; deferDays: number }) =>
      withContext((ctx) => withExchange(ctx, async (exchange) => {
        const purposes: Purpose[] = pairs(opts.purpose, '=').map(([code, text]) => ({ code, text }));
        print(await exchange.grants.add({
          clientId: opts.client,
          service: opts.service,
          fields: opts.fields.split(',').map((f) => f.trim()).filter((f) => f !== ''),
          provinces: (opts.provinces ?? '').split(',').map((p) => p.trim()).filter((p) => p !== ''),
          purposes,
          legalBasis: opts.legalBasis,
          requiresConsent: opts.consent === true,
          deferTrackerDays: opts.deferDays,
          validFrom: opts.from,
          validUntil: opts.until,
          ratePerMinute: opts.rate,
          dailyCap: opts.dailyCap,
        }));
        return 0;
      })),
    );

  grant
    .command('list')
    .description(say('các quyền đã cấp, có thể lọc theo một hệ thống', 'grants, optionally of one client'))
    .option('--client <id>', say('mã hệ thống', 'client id'))
    .action((opts: { client?: string }) => withContext((ctx) => withExchange(ctx, async (exchange) => {
      for (const g of await exchange.grants.list(opts.client)) {
        console.log(`${g.grantId}  ${g.status.padEnd(7)}  ${g.clientId}  ${g.service}  [${g.fields.join(',')}]${g.provinces.length > 0 ? `  ${say('tỉnh', 'provinces')} ${g.provinces.join(',')}` : ''}  ${g.purposes.map((p) => p.code).join(',')}  ${say('đến', 'until')} ${g.validUntil}${g.requiresConsent ? `  ${say('cần đồng ý', 'consent')}` : ''}`);
      }
      return 0;
    })));

  grant
    .command('revoke')
    .description(say('thu hồi một quyền (có hiệu lực từ lần gọi tiếp theo)', 'revoke a grant (effective on the next call)'))
    .argument('<grantId>', say('mã quyền, như grant list hiển thị', 'the grant id, as grant list shows it'))
    .action((grantId: string) => withContext((ctx) => withExchange(ctx, async (exchange) => {
      print(await exchange.grants.revoke(grantId));
      return 0;
    })));

  const alerts = program.command('alerts').description(say('cảnh báo lạm dụng: cán bộ hoặc hệ thống đọc nhiều hơn hẳn thường lệ', 'misuse alerts: officers or clients reading far more than usual'));
  alerts
    .command('list')
    .description(say('các cảnh báo, mới nhất trước: ai đọc bao nhiêu trong khoảng thời gian nào, so với thường lệ', 'alerts, newest first: who read how much in what window, against their usual'))
    .option('--status <status>', say('open (đang mở) | acknowledged (đã xác nhận) (mặc định: cả hai)', 'open | acknowledged (default: both)'))
    .action((opts: { status?: string }) => withContext((ctx) => withExchange(ctx, async (exchange) => {
      if (opts.status !== undefined && opts.status !== 'open' && opts.status !== 'acknowledged') {
        throw new DomainError('invalid', 'ALERT_STATUS_UNKNOWN', `there is no alert status "${opts.status}"`, 'Give --status open or --status acknowledged, or leave it out');
      }
      const status = opts.status;
      for (const a of await exchange.alerts.list(status)) {
        console.log(say(`${a.alertId}  ${a.status.padEnd(12)}  ${a.raisedAt}  ${a.subjectKind} ${a.subjectId} của ${a.clientId}: ${a.reads} lượt đọc trong ${a.windowSeconds} giây, thường là ${a.baseline}`, `${a.alertId}  ${a.status.padEnd(12)}  ${a.raisedAt}  ${a.subjectKind} ${a.subjectId} of ${a.clientId}: ${a.reads} reads in ${a.windowSeconds}s, usually ${a.baseline}`));
      }
      return 0;
    })));
  alerts
    .command('ack')
    .description(say('xác nhận đã xem xét một cảnh báo (vẫn được liệt kê, ở trạng thái đã xác nhận)', 'acknowledge an alert once looked into (it stays listed, as acknowledged)'))
    .argument('<alertId>', say('mã cảnh báo, như alerts list hiển thị', 'the alert id, as alerts list shows it'))
    .action((alertId: string) => withContext((ctx) => withExchange(ctx, async (exchange) => {
      print(await exchange.alerts.acknowledge(alertId));
      return 0;
    })));
}
