import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { buildQualityReport, renderQualityReportHtml } from '../quality/quality-report.js';
import { QualityService } from '../quality/quality.service.js';
import { systemClock } from '../shared/clock.js';
import { cliLang, say } from './cli-language.js';
import type { CliContext } from './context.js';

/** Runs a command with an opened store and sets the exit code (main.ts's withContext). */
type WithContext = (work: (ctx: CliContext) => Promise<number | undefined>) => Promise<void>;

function qualityService(ctx: CliContext): QualityService {
  return new QualityService({ db: ctx.database.db, store: ctx.database, clock: systemClock });
}

/**
 * `sachsong quality scan` (a full scan: findings stored, scores snapshotted) and
 * `sachsong quality report [--format html|json] [--out FILE]`.
 *
 * @example
 * registerQualityCommands(program, withContext);
 */
export function registerQualityCommands(program: Command, withContext: WithContext): void {
  const quality = program.command('quality').description(say('chất lượng dữ liệu: quy tắc, lần quét, bảng điểm và danh sách làm sạch', 'data quality: rules, scans, scorecards and the cleaning worklist'));

  quality
    .command('scan')
    .description(say('quét mọi người dân theo mọi quy tắc; lưu các phát hiện và chụp lại điểm', 'scan every person against every rule; store the findings and snapshot the scores'))
    .action(() =>
      withContext(async (ctx) => {
        const summary = await qualityService(ctx).fullScan();
        console.log(JSON.stringify(summary, null, 2));
        return 0;
      }),
    );

  quality
    .command('report')
    .description(say('bảng điểm, quy tắc và xu hướng mới nhất, dạng HTML hoặc JSON', 'the latest scorecards, rules and trend, as HTML or JSON'))
    .option('--format <format>', say('html hoặc json', 'html or json'), 'html')
    .option('--out <file>', say('ghi ra tệp thay vì đầu ra chuẩn', 'write to a file instead of standard output'))
    .action((opts: { format: string; out?: string }) =>
      withContext(async (ctx) => {
        if (opts.format !== 'html' && opts.format !== 'json') {
          console.error(say(`không có định dạng báo cáo "${opts.format}": dùng html hoặc json`, `unknown report format "${opts.format}": use html or json`));
          return 2;
        }
        const report = await buildQualityReport(qualityService(ctx), systemClock.now().toISOString());
        const text = opts.format === 'html' ? renderQualityReportHtml(report, cliLang) : `${JSON.stringify(report, null, 2)}\n`;
        if (opts.out === undefined) process.stdout.write(text);
        else writeFileSync(opts.out, text);
        return report.scan === null ? 1 : 0;
      }),
    );
}
