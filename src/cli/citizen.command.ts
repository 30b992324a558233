import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import type { DB } from '../store/database.types.js';
import { RelyingPartyService } from '../citizen/relying-party.service.js';
import { systemClock } from '../shared/clock.js';
import { say } from './cli-language.js';
import type { WithContext } from './exchange.command.js';

const list = (value: string | undefined): readonly string[] => (value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');

/**
 * Relying parties of the citizen e-ID (issue 15): `sachsong relying-party onboard|list|suspend|reinstate`.
 * The client must be an exchange client first (`sachsong agency onboard`): it signs in with its
 * exchange key (private_key_jwt).
 *
 * @example
 * // sachsong relying-party onboard --client VN/COM/VCB/login --name "Vietcombank" --redirect https://vcb.example/cb --claims name,birthdate,vn_tax_code
 */
export function registerCitizenCommands(program: Command, withContext: WithContext): void {
  const rp = program.command('relying-party').description(say('bên sử dụng đăng nhập công dân bằng định danh điện tử (thành viên nền tảng trao đổi)', 'relying parties that sign citizens in with their e-ID (exchange members)'));
  const service = (db: Kysely<DB>): RelyingPartyService => new RelyingPartyService({ db, clock: systemClock });

  rp.command('onboard')
    .description(say('đăng ký một hệ thống của nền tảng trao đổi làm bên sử dụng: địa chỉ chuyển hướng và các thông tin được yêu cầu', 'make an exchange client a relying party: its redirect URIs and the claims it may ask for'))
    .requiredOption('--client <id>', say('hệ thống của nền tảng trao đổi, VN/<loại>/<thành viên>/<hệ thống con>', 'the exchange client, VN/<class>/<member>/<subsystem>'))
    .requiredOption('--name <name>', say('tên công dân thấy trên màn hình đồng ý', 'the name citizens see on the consent screen'))
    .requiredOption('--redirect <uris>', say('các địa chỉ chuyển hướng, cách nhau bằng dấu phẩy (một máy chủ)', 'redirect URIs, comma-separated (one host)'))
    .requiredOption('--claims <names>', say('các thông tin được phép, cách nhau bằng dấu phẩy: name, birthdate, gender, nationality, vn_permanent_residence, vn_current_residence, vn_tax_code, vn_old_tax_code', 'allowed claims, comma-separated: name, birthdate, gender, nationality, vn_permanent_residence, vn_current_residence, vn_tax_code, vn_old_tax_code'))
    .option('--post-logout <uris>', say('các địa chỉ chuyển hướng sau khi đăng xuất, cách nhau bằng dấu phẩy', 'post-logout redirect URIs, comma-separated'))
    .option('--backchannel <uri>', say('địa chỉ nhận thông báo đăng xuất (back-channel)', 'back-channel logout URI'))
    .action((opts: { client: string; name: string; redirect: string; claims: string; postLogout?: string; backchannel?: string }) =>
      withContext(async (ctx) => {
        const created = await service(ctx.database.db).onboard({
          clientId: opts.client, displayName: opts.name, redirectUris: list(opts.redirect), allowedClaims: list(opts.claims),
          postLogoutRedirectUris: list(opts.postLogout), ...(opts.backchannel === undefined ? {} : { backchannelLogoutUri: opts.backchannel }),
        });
        console.log(JSON.stringify(created, null, 2));
        return 0;
      }));

  rp.command('list')
    .description(say('các bên sử dụng, trạng thái và thông tin được phép', 'relying parties with their status and allowed claims'))
    .action(() => withContext(async (ctx) => {
      for (const p of await service(ctx.database.db).list()) console.log(`${p.clientId}  ${p.status}  ${p.displayName}  [${p.allowedClaims.join(',')}]  ${p.redirectUris.join(' ')}`);
      return 0;
    }));

  for (const [command, status] of [['suspend', 'suspended'], ['reinstate', 'active']] as const) {
    rp.command(command)
      .argument('<client>', say('mã hệ thống của bên sử dụng', "the relying party's client id"))
      .description(command === 'suspend' ? say('tạm ngừng một bên sử dụng (có hiệu lực từ yêu cầu tiếp theo)', 'suspend a relying party (holds at its next request)') : say('cho một bên sử dụng hoạt động trở lại (có hiệu lực từ yêu cầu tiếp theo)', 'reinstate a relying party (holds at its next request)'))
      .action((client: string) => withContext(async (ctx) => {
        console.log(JSON.stringify(await service(ctx.database.db).setStatus(client, status), null, 2));
        return 0;
      }));
  }
}
