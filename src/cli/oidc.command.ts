import type { Command } from 'commander';
import { defaultKeyOverlapMs, rotateSigningKey } from '../identity/oidc.keys.js';
import { DomainError } from '../shared/domain-error.js';
import { systemClock } from '../shared/clock.js';
import { say } from './cli-language.js';
import type { WithContext } from './exchange.command.js';

/**
 * The OpenID provider's keys: `sachsong oidc rotate-keys [--overlap-hours <n>]`. The new key signs
 * from the next minute on every node; the keys it replaces stay published until the overlap ends.
 *
 * @example
 * // sachsong oidc rotate-keys --overlap-hours 48
 */
export function registerOidcCommands(program: Command, withContext: WithContext): void {
  const oidc = program.command('oidc').description(say('nhà cung cấp định danh OpenID (/oidc) của nền tảng', "the platform's OpenID provider (/oidc)"));
  oidc.command('rotate-keys')
    .description(say(
      'tạo khoá ký mới cho ID token (khoá ký từ phút tiếp theo trên mọi máy chủ); các khoá cũ vẫn được công bố trong JWKS đến hết thời gian chồng lấn, rồi bị gỡ; khoá đã quá hạn bị xoá',
      'make a new ID-token signing key (it signs from the next minute on every node); older keys stay in the JWKS until the overlap ends, then leave it; keys past it are removed',
    ))
    .option('--overlap-hours <hours>', say('số giờ các khoá cũ còn được công bố (mặc định 24)', 'hours older keys stay published (default 24)'), String(defaultKeyOverlapMs / 3_600_000))
    .action((opts: { overlapHours: string }) => withContext(async (ctx) => {
      const hours = Number(opts.overlapHours);
      if (!/^\d+(\.\d+)?$/.test(opts.overlapHours) || !Number.isFinite(hours) || hours > 24 * 365) {
        throw new DomainError('invalid', 'OVERLAP_INVALID', `the overlap must be a number of hours from 0 to 8760, not ${opts.overlapHours}`, 'Give --overlap-hours as a number such as 24');
      }
      const rotation = await rotateSigningKey(ctx.database.db, systemClock.now().toISOString(), hours * 3_600_000);
      process.stderr.write(say(
        `oidc: khoá ký mới ${rotation.kid}; ${String(rotation.published.length - 1)} khoá cũ còn được công bố; ${String(rotation.retired.length)} khoá quá hạn đã bị gỡ\n`,
        `oidc: new signing key ${rotation.kid}; ${String(rotation.published.length - 1)} older key(s) still published; ${String(rotation.retired.length)} expired key(s) removed\n`,
      ));
      console.log(JSON.stringify(rotation, null, 2));
      return 0;
    }));
}
